"""Every e-mail, in English, Simplified and Traditional Chinese, with the programme's name.

The catalogues are compiled by `make messages` (`make test` runs it first).
"""

from datetime import UTC, datetime

import pytest

from notifications.delivery import render_email
from notifications.emails import localized_source, shipped_source
from notifications.models import Notification
from notifications.services import save_email_template

pytestmark = pytest.mark.django_db

PROGRAMME = "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan"
# The default programme's name is in the catalogues: each e-mail shows it in its language.
PROGRAMME_IN = {
    "en": PROGRAMME,
    "zh-hans": "粤港澳大湾区区块链蓝筹项目联合孵化计划",
    "zh-hant": "粵港澳大灣區區塊鏈藍籌項目聯合孵化計劃",
}
STARTUP = {
    "application": 7,
    "startup": 4,
    "startup_name": "Acme Chain",
    "project_name": "Ledger",
    "region": "hong_kong",
    "track": "supply_chain",
    "stage": "pilot",
    "needs": ["fund", "testing"],
    "funding_amount": "1200000.00",
    "funding_currency": "HKD",
    "raw_score": 81.25,
    "normalized_score": -0.5,
    "contact_email": "ceo@acme.example",
}
APPLICANT = {
    "application": 7,
    "startup": 4,
    "startup_name": "Acme Chain",
    "project_name": "Ledger",
    "round": "R1",
}
ASSIGNMENT = {
    "assignment": 3,
    "application": 7,
    "project_name": "Ledger",
    "round": "R1",
    "due_at": "2026-12-01T02:00:00+00:00",
}
REVIEWER = {
    "reviewer": "Mei",
    "count": 2,
    "due_at": "2026-12-01T02:00:00+00:00",
    "workplace_url": "https://incubator.example.org/admin/reviews/review/",
    "assignments": [
        ASSIGNMENT,
        {
            **ASSIGNMENT,
            "assignment": 4,
            "project_name": "Harbour",
            "due_at": "2026-12-02T02:00:00Z",
        },
    ],
}
SHORTLIST = {"shortlist": {"id": 1, "name": "Top 10", "round": 1}, "startups": [STARTUP]}
DIGEST = {
    "since": "2026-11-15T01:00:00+00:00",
    "until": "2026-11-22T01:00:00+00:00",
    "startups": [STARTUP],
}
WEBHOOK_GONE = {
    "provider": {"id": 3, "name": "Harbour Fund"},
    "url": "https://hooks.example/in",
    "notification": 41,
    "event": "shortlist.published",
    "answer": "HTTP 410: retired",
}

# (template, data, subject in en, zh-hans, zh-hant)
CASES = [
    (
        "application_submitted",
        APPLICANT,
        "We received your application “Ledger”",
        "我们已收到您的申请“Ledger”",
        "我們已收到您的申請「Ledger」",
    ),
    (
        "assignment_created",
        REVIEWER,
        "2 new applications to review",
        "2 份新的申请待评审",
        "2 份新的申請待評審",
    ),
    (
        "review_reminder",
        REVIEWER,
        "Reminder: 2 reviews due within 48 hours",
        "提醒：2 份评审须于 48 小时内提交",
        "提醒：2 份評審須於 48 小時內提交",
    ),
    (
        "shortlist_published_provider",
        SHORTLIST,
        "Shortlist “Top 10”: 1 start-up needs your services",
        "入围名单“Top 10”：1 家企业需要贵机构的服务",
        "入圍名單「Top 10」：1 家企業需要貴機構的服務",
    ),
    (
        "application_shortlisted",
        APPLICANT,
        "“Ledger” is on the shortlist",
        "“Ledger”已列入入围名单",
        "「Ledger」已列入入圍名單",
    ),
    (
        "application_accepted",
        APPLICANT,
        "Congratulations: “Ledger” has been accepted",
        "恭喜：“Ledger”已被录取",
        "恭喜：「Ledger」已獲錄取",
    ),
    (
        "application_accepted_provider",
        {"startup": STARTUP},
        "Accepted start-up for you: Acme Chain",
        "与贵机构相关的录取企业：Acme Chain",
        "與貴機構相關的錄取企業：Acme Chain",
    ),
    (
        "application_waitlisted",
        APPLICANT,
        "An update on your application “Ledger”",
        "关于您的申请“Ledger”的最新进展",
        "關於您的申請「Ledger」的最新進展",
    ),
    (
        "application_rejected",
        APPLICANT,
        "An update on your application “Ledger”",
        "关于您的申请“Ledger”的最新进展",
        "關於您的申請「Ledger」的最新進展",
    ),
    (
        "provider_digest",
        DIGEST,
        "This week: 1 accepted start-up needs your services",
        "本周：1 家录取企业需要贵机构的服务",
        "本週：1 家錄取企業需要貴機構的服務",
    ),
    (
        "provider_webhook_gone",
        WEBHOOK_GONE,
        "Webhook of Harbour Fund removed: its endpoint is gone",
        "Harbour Fund 的 Webhook 已移除：其端点已不存在",
        "Harbour Fund 的 Webhook 已移除：其端點已不存在",
    ),
]
LANGUAGES = ["en", "zh-hans", "zh-hant"]
# A phrase of the footer in each language: the body really is translated.
FOOTER = {
    "en": f"You receive this message from {PROGRAMME}.",
    "zh-hans": f"此消息来自{PROGRAMME_IN['zh-hans']}。",
    "zh-hant": f"此訊息來自{PROGRAMME_IN['zh-hant']}。",
}


def message(template: str, data: dict, language: str) -> Notification:
    return Notification(
        pk=1,
        event="x",
        channel="email",
        language=language,
        payload={"template": template, "programme": PROGRAMME, "data": data},
        created_at=datetime(2026, 11, 22, tzinfo=UTC),
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "data", "en", "hans", "hant"), CASES)
def test_render_email_subject_text_and_html_in_each_language(
    template, data, en, hans, hant, language
):
    subject, text, html = render_email(message(template, data, language))

    assert subject == {"en": en, "zh-hans": hans, "zh-hant": hant}[language]
    assert PROGRAMME_IN[language] in text
    assert FOOTER[language] in html
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{language}">')
    assert "{%" not in text + html
    assert "{{" not in text + html


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["Hong Kong", "Supply chain", "Pilot", "Fund, Testing", "81.25 / -0.50"]),
        ("zh-hans", ["香港", "供应链", "试点", "资金, 检测", "评分（原始 / 标准化）"]),
        ("zh-hant", ["香港", "供應鏈", "試點", "資金, 檢測", "評分（原始 / 標準化）"]),
    ],
)
def test_render_email_provider_lists_each_startup_with_translated_labels(language, labels):
    _subject, text, html = render_email(
        message("shortlist_published_provider", SHORTLIST, language)
    )

    for label in labels:
        assert label in text
        assert label in html
    assert "ceo@acme.example" in text
    assert "1,200,000.00 HKD" in text


def test_render_email_rejection_is_kindly_worded():
    _subject, text, _html = render_email(message("application_rejected", APPLICANT, "en"))

    assert "Thank you for applying" in text
    assert "We would be glad to see you apply again." in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "data"), [(case[0], case[1]) for case in CASES])
def test_localized_source_edited_as_is_sends_the_same_email(template, data, language):
    # What the admin's editor starts from: saved unchanged, the e-mail does not change.
    shipped = render_email(message(template, data, language))
    sources = {
        field: localized_source(shipped_source(template, part), language, html=part == "html")
        for field, part in (("subject", "subject"), ("text_body", "text"), ("html_body", "html"))
    }
    assert "blocktranslate trimmed with" not in sources["text_body"]

    save_email_template(actor=None, name=template, language=language, **sources)

    assert render_email(message(template, data, language)) == shipped


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            "The webhook endpoint of Harbour Fund, https://hooks.example/in, answered “410 Gone”: "
            "it no longer exists.",
        ),
        (
            "zh-hans",
            "Harbour Fund 的 Webhook 端点 https://hooks.example/in 回应了“410 Gone”："
            "该端点已不存在。",
        ),
        (
            "zh-hant",
            "Harbour Fund 的 Webhook 端點 https://hooks.example/in 回應了「410 Gone」："
            "該端點已不存在。",
        ),
    ],
)
def test_render_email_webhook_gone_tells_coordinators_what_happened(language, said):
    _subject, text, html = render_email(message("provider_webhook_gone", WEBHOOK_GONE, language))

    assert said in text
    assert "HTTP 410: retired" in text
    assert "HTTP 410: retired" in html
