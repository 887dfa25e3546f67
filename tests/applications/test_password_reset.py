"""The password-reset e-mail speaks the user's language: their start-up's, else the request's."""

import pytest

from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

SUBJECT = {
    "en": "Reset your password for the GBA Blockchain Incubator",
    "zh-hans": "重置大湾区区块链孵化器的密码",
    "zh-hant": "重置大灣區區塊鏈孵化器的密碼",
}
BUTTON = {"en": "Choose a new password", "zh-hans": "设置新密码", "zh-hant": "設定新密碼"}
PROGRAMME = {
    "en": "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan",
    "zh-hans": "粤港澳大湾区区块链蓝筹项目联合孵化计划",
    "zh-hant": "粵港澳大灣區區塊鏈藍籌項目聯合孵化計劃",
}


def reset(client, *, startup_language: str | None, request_language: str):
    user = UserFactory(username="ada", email="ada@ledger.example")
    if startup_language:
        StartupFactory(language=startup_language, members=[user])
    response = client.post(
        "/password-reset/",
        {"email": "ada@ledger.example"},
        headers={"accept-language": request_language},
    )
    assert response.status_code == 302
    return response


@pytest.mark.parametrize(
    ("startup_language", "request_language", "expected"),
    [
        ("zh-hant", "en", "zh-hant"),
        ("zh-hans", "zh-hant", "zh-hans"),
        ("en", "zh-hans", "en"),
        (None, "zh-hans", "zh-hans"),
        (None, "zh-hant", "zh-hant"),
    ],
)
def test_password_reset_email_is_in_the_users_language(
    client, mailoutbox, startup_language, request_language, expected
):
    reset(client, startup_language=startup_language, request_language=request_language)

    [message] = mailoutbox
    [(html, mimetype)] = message.alternatives
    assert message.subject == SUBJECT[expected]
    assert mimetype == "text/html"
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{expected}">')
    assert BUTTON[expected] in html
    assert PROGRAMME[expected] in html
    link = next(line for line in message.body.splitlines() if "/password-reset/" in line)
    assert f'href="{link}"' in html


def test_password_reset_email_text_body_in_traditional_chinese(client, mailoutbox):
    reset(client, startup_language="zh-hant", request_language="en")

    [message] = mailoutbox
    assert message.body.startswith("有人請求重置")
    assert "「ada」" in message.body
