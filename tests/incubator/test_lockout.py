"""Log-in lock-out per account and address (portal, admin, API token), before any hashing."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.factories import ReviewerFactory, UserFactory
from tests.hashers import CountingHasher

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def clock():
    """A stopped clock at the real time of the test, moved on by the test (`clock.shift`)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def portal_login(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def fail_five_times(client, username, **extra):
    for _ in range(5):
        response = portal_login(client, username, "wrong-password-123", **extra)
        assert response.status_code == 200
        assert response.context["form"].errors


def test_lockout_portal_refuses_right_password_during_and_accepts_it_after(client, clock):
    UserFactory(username="ada")
    fail_five_times(client, "ada")

    refused = portal_login(client, "ada", "pw")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    assert "Too many failed log-ins for this account from your address" in refused.text
    assert "paused for 15 more minutes" in refused.text
    assert "_auth_user_id" not in client.session

    clock.shift(timedelta(minutes=14, seconds=59))
    still = portal_login(client, "ada", "pw")
    assert (still.status_code, still["Retry-After"]) == (429, "1")

    clock.shift(timedelta(seconds=2))
    accepted = portal_login(client, "ada", "pw")
    assert accepted.status_code == 302
    assert accepted["Location"] == "/dashboard/"
    assert client.session["_auth_user_id"] == str(UserFactory(username="ada").pk)


def test_lockout_other_account_and_other_address_not_affected(client):
    UserFactory(username="ada")
    UserFactory(username="bob")
    fail_five_times(client, "ada")

    assert portal_login(Client(), "bob", "pw")["Location"] == "/dashboard/"
    from_elsewhere = portal_login(Client(), "ada", "pw", REMOTE_ADDR="192.0.2.7")
    assert from_elsewhere["Location"] == "/dashboard/"
    assert portal_login(Client(), "ada", "pw").status_code == 429


def test_lockout_four_failures_then_success_starts_the_count_again(client):
    UserFactory(username="ada")
    for _ in range(4):
        portal_login(client, "ada", "wrong-password-123")
    assert portal_login(client, "ada", "pw").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        portal_login(client, "ada", "wrong-password-123")

    assert portal_login(client, "ada", "pw").status_code == 302


def test_lockout_locked_account_costs_no_password_hash(client, settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingHasher"]
    UserFactory(username="ada")
    CountingHasher.calls = 0
    fail_five_times(client, "ada")
    assert CountingHasher.calls == 5

    for _ in range(20):
        assert portal_login(client, "ada", "pw").status_code == 429
        assert (
            client.post(
                TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
            ).status_code
            == 429
        )

    assert CountingHasher.calls == 5


def test_lockout_counts_unknown_accounts_too(client):
    fail_five_times(client, "nobody")

    assert portal_login(client, "nobody", "pw").status_code == 429


def test_lockout_admin_page_is_clear_and_in_three_languages(client, clock):
    ReviewerFactory(username="ada")
    for _ in range(5):
        client.post("/admin/login/", {"username": "ada", "password": "wrong-password-123"})

    english = client.post("/admin/login/", {"username": "ada", "password": "pw"})
    simplified = client.post(
        "/admin/login/", {"username": "ada", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    traditional = client.post(
        "/admin/login/", {"username": "ada", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="zh-hant"
    )

    assert english.status_code == simplified.status_code == traditional.status_code == 429
    assert english["Retry-After"] == "900"
    assert "Blue Chip Incubator administration" in english.text
    assert "Too many failed log-ins for this account from your address" in english.text
    assert "此账户从你的地址登录失败次数过多" in simplified.text
    assert "此帳戶從你的地址登入失敗次數過多" in traditional.text
    assert "_auth_user_id" not in client.session


def test_lockout_portal_page_in_three_languages(client):
    UserFactory(username="ada")
    fail_five_times(client, "ada")

    simplified = portal_login(client, "ada", "pw", HTTP_ACCEPT_LANGUAGE="zh-hans")
    traditional = portal_login(client, "ada", "pw", HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert simplified.status_code == traditional.status_code == 429
    assert "尝试次数过多" in simplified.text
    assert "嘗試次數過多" in traditional.text
    assert "15 分鐘" in traditional.text


def test_lockout_token_answers_429_with_retry_after(client, clock):
    UserFactory(username="ada")
    for _ in range(5):
        wrong = client.post(
            TOKEN,
            content_type="application/json",
            data={"username": "ada", "password": "wrong-password-123"},
        )
        assert wrong.status_code == 400
        assert "non_field_errors" in wrong.json()

    refused = client.post(
        TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
    )

    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    assert refused.json() == {
        "detail": "Too many failed log-ins for this account from this address. "
        "Try again in 900 seconds."
    }
    assert (
        client.post(
            TOKEN, content_type="application/json", data={"username": "bob", "password": "x"}
        ).status_code
        == 400
    )
    clock.shift(timedelta(minutes=15, seconds=1))
    assert (
        len(
            client.post(
                TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
            ).json()["token"]
        )
        == 40
    )


def test_lockout_failures_count_across_portal_admin_and_token(client):
    ReviewerFactory(username="ada")
    portal_login(client, "ada", "wrong-password-123")
    portal_login(client, "ada", "wrong-password-123")
    client.post("/admin/login/", {"username": "ada", "password": "wrong-password-123"})
    client.post(
        TOKEN,
        content_type="application/json",
        data={"username": "ada", "password": "wrong-password-123"},
    )
    client.post(
        TOKEN,
        content_type="application/json",
        data={"username": "ada", "password": "wrong-password-123"},
    )

    assert portal_login(client, "ada", "pw").status_code == 429


def test_lockout_every_refusal_logged_without_the_password(client, caplog):
    UserFactory(username="ada")
    caplog.set_level(logging.INFO, logger="incubator.security")
    fail_five_times(client, "ada")
    portal_login(client, "ada", "secret-right-password")
    client.post(
        TOKEN,
        content_type="application/json",
        data={"username": "ada", "password": "secret-right-password"},
    )

    records = [r for r in caplog.records if r.name == "incubator.security"]
    messages = [r.getMessage() for r in records]
    assert messages[4] == "failed log-in 5 of 5 for account 'ada' from 127.0.0.1 (/login/)"
    assert messages[5] == (
        "account 'ada' locked out from 127.0.0.1 for 15 minutes after 5 failed log-ins (/login/)"
    )
    refusals = [m for m in messages if m.startswith("log-in refused")]
    assert refusals == [
        "log-in refused: account 'ada' is locked out from 127.0.0.1 for 900 s more (/login/)",
        "log-in refused: account 'ada' is locked out from 127.0.0.1 for 900 s more "
        "(/api/v1/auth/token/)",
    ]
    assert [r.levelname for r in records if r.getMessage() in refusals] == ["WARNING", "WARNING"]
    assert not any("password" in m for m in messages)
    assert not any("wrong-password-123" in r.getMessage() for r in caplog.records)


def test_lockout_respects_the_configured_limit(client, settings, clock):
    settings.LOGIN_LOCKOUT_FAILURES = 2
    settings.LOGIN_LOCKOUT_MINUTES = 1
    UserFactory(username="ada")
    portal_login(client, "ada", "wrong-password-123")
    portal_login(client, "ada", "wrong-password-123")

    refused = portal_login(client, "ada", "pw")

    assert (refused.status_code, refused["Retry-After"]) == (429, "60")


def test_lockout_an_address_spraying_many_accounts_is_paused(client, settings, clock):
    """Four wrong passwords on each of many accounts stay under the per-account limit (5); the
    address's failures, whatever the accounts, reach LOGIN_ADDRESS_FAILURES (30) and pause it."""
    assert settings.LOGIN_ADDRESS_FAILURES == 30
    UserFactory(username="ada")
    UserFactory(username="zoe")
    sprayed = [f"user{i}" for i in range(8)]
    for username in sprayed[:7]:
        for _ in range(4):
            portal_login(client, username, "wrong-password-123")
    # 28 failures: a log-in of its own does not forget the address's count.
    assert portal_login(client, "ada", "pw").status_code == 302
    client.post("/logout/")
    portal_login(client, sprayed[7], "wrong-password-123")
    portal_login(client, sprayed[7], "wrong-password-123")

    refused = portal_login(client, "zoe", "pw")
    assert (refused.status_code, refused["Retry-After"]) == (429, "900")
    assert "Too many failed log-ins from your address, whatever the accounts" in refused.text
    assert "paused for 15 more minutes" in refused.text
    token = client.post(
        TOKEN, {"username": "zoe", "password": "pw"}, content_type="application/json"
    )
    assert token.status_code == 429
    assert token.json()["detail"].startswith(
        "Too many failed log-ins from this address, whatever the accounts."
    )
    chinese = portal_login(client, "zoe", "pw", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "whatever the accounts" not in chinese.text
    assert "15" in chinese.text
    assert portal_login(Client(), "zoe", "pw", REMOTE_ADDR="192.0.2.7").status_code == 302

    clock.shift(timedelta(minutes=15, seconds=1))
    assert portal_login(client, "zoe", "pw").status_code == 302


def test_lockout_address_limit_is_configurable(client, settings):
    settings.LOGIN_ADDRESS_FAILURES = 3
    UserFactory(username="ada")
    for username in ("x", "y", "z"):
        portal_login(client, username, "wrong-password-123")

    assert portal_login(client, "ada", "pw").status_code == 429


def test_lockout_a_request_without_a_client_address_is_counted_not_a_server_error(settings):
    settings.LOGIN_ADDRESS_FAILURES = 2
    UserFactory(username="ada")
    anonymous = Client(REMOTE_ADDR=None)
    for username in ("x", "y"):
        response = anonymous.post(
            TOKEN, {"username": username, "password": "nope"}, content_type="application/json"
        )
        assert response.status_code == 400
    refused = anonymous.post(
        TOKEN, {"username": "ada", "password": "pw"}, content_type="application/json"
    )
    assert refused.status_code == 429
