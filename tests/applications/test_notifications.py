"""Who an application's own events tell: the receipt of a submission, and decisions."""

import pytest
from django.db import transaction
from django.utils import timezone

from applications import notifications as application_notifications
from applications.enums import ApplicationStatus
from applications.services import submit_application
from incubator.enums import ServiceKind
from notifications.delivery import render_email
from notifications.enums import NotificationChannel
from notifications.models import Notification
from tests.factories import (
    ApplicationFactory,
    AttachmentFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    StartupFactory,
    UserFactory,
)
from tests.notifications.outbox_rows import decide, rows

pytestmark = pytest.mark.django_db


def test_application_decided_accepted_tells_matching_providers_and_applicant():
    application = ApplicationFactory(
        status=ApplicationStatus.SHORTLISTED, needs_fund=False, needs_testing=True
    )
    entry = ShortlistEntryFactory(application=application, raw_score=91.0)
    tester = ServiceProviderFactory(
        kind=ServiceKind.TESTING, webhook_url="http://127.0.0.1:9/t", email="lab@t.example"
    )
    ServiceProviderFactory(kind=ServiceKind.FUND)

    decide(application, ApplicationStatus.ACCEPTED)

    assert rows() == [
        ("application.accepted", "email", application.startup.contact_email),
        ("application.accepted", "email", "lab@t.example"),
        ("application.accepted", "webhook", "http://127.0.0.1:9/t"),
    ]
    webhook = Notification.objects.get(channel=NotificationChannel.WEBHOOK)
    assert webhook.provider == tester
    assert webhook.payload["data"]["startup"]["raw_score"] == entry.raw_score
    assert webhook.payload["data"]["startup"]["calibrated_score"] == entry.calibrated_score
    assert webhook.payload["data"]["startup"]["needs"] == ["testing"]


def test_application_decided_accepted_without_entry_has_null_scores():
    application = ApplicationFactory(status=ApplicationStatus.WAITLISTED)
    ServiceProviderFactory()

    decide(application, ApplicationStatus.ACCEPTED)

    payload = Notification.objects.get(provider__isnull=False).payload
    assert payload["data"]["startup"]["raw_score"] is None
    assert payload["data"]["startup"]["normalized_score"] is None
    assert payload["data"]["startup"]["calibrated_score"] is None


def test_application_decided_accepting_twice_writes_nothing_new():
    application = ApplicationFactory(status=ApplicationStatus.SHORTLISTED)
    ServiceProviderFactory()
    decide(application, ApplicationStatus.ACCEPTED)
    before = Notification.objects.count()

    with transaction.atomic():
        application_notifications.application_decided(application=application)

    assert Notification.objects.count() == before == 2


@pytest.mark.parametrize(
    ("status", "event", "template"),
    [
        (ApplicationStatus.WAITLISTED, "application.waitlisted", "application_waitlisted"),
        (ApplicationStatus.REJECTED, "application.rejected", "application_rejected"),
        (ApplicationStatus.SHORTLISTED, "application.shortlisted", "application_shortlisted"),
    ],
)
def test_application_decided_tells_only_the_applicant(status, event, template):
    application = ApplicationFactory(
        status=ApplicationStatus.UNDER_REVIEW, startup__language="zh-hant"
    )
    ServiceProviderFactory()

    decide(application, status)

    row = Notification.objects.get()
    assert (row.event, row.channel, row.recipient, row.language, row.provider) == (
        event,
        "email",
        application.startup.contact_email,
        "zh-hant",
        None,
    )
    assert row.payload["template"] == template


def test_application_decided_other_statuses_tell_nobody():
    application = ApplicationFactory(status=ApplicationStatus.WITHDRAWN)

    with transaction.atomic():
        application_notifications.application_decided(application=application)

    assert Notification.objects.count() == 0


def test_application_submitted_sends_a_receipt_in_the_startup_language():
    application = ApplicationFactory(
        status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(),
        startup=StartupFactory(language="zh-hans", contact_email="ceo@s.example"),
    )

    with transaction.atomic():
        application_notifications.application_submitted(application=application)
        application_notifications.application_submitted(application=application)

    row = Notification.objects.get()
    assert (row.event, row.recipient, row.language, row.subject, row.dedup_key) == (
        "application.submitted",
        "ceo@s.example",
        "zh-hans",
        f"application:{application.pk}",
        f"application.submitted|application:{application.pk}|ceo@s.example|email",
    )
    assert (row.payload["data"]["startup"], row.payload["data"]["startup_name"]) == (
        application.startup_id,
        application.startup.name,
    )


@pytest.mark.parametrize(
    ("language", "subject", "opening", "receipt"),
    [
        (
            "zh-hans",
            '我们已收到您的申请“Harbour "Ledger"”',
            "Acme Chain 您好：",
            '感谢您！我们已收到“Harbour "Ledger"”提交至粤港澳大湾区区块链蓝筹项目联合孵化计划'
            "2026 年秋季申请轮的申请。",
        ),
        (
            "zh-hant",
            '我們已收到您的申請「Harbour "Ledger"」',
            "Acme Chain 您好：",
            '感謝您！我們已收到「Harbour "Ledger"」提交至粵港澳大灣區區塊鏈藍籌項目聯合孵化計劃'
            "2026 年秋季申請輪的申請。",
        ),
    ],
)
def test_applicant_email_is_in_the_startups_language_end_to_end(
    django_capture_on_commit_callbacks, mailoutbox, language, subject, opening, receipt
):
    founder = UserFactory()
    application = ApplicationFactory(
        round=RoundFactory(name="2026 Autumn intake"),
        startup__name="Acme Chain",
        startup__language=language,
        startup__members=[founder],
        project_name='Harbour "Ledger"',
    )
    AttachmentFactory(application=application)

    with django_capture_on_commit_callbacks(execute=True):
        submit_application(actor=founder, application=application)

    [message] = mailoutbox
    [(html, _mimetype)] = message.alternatives
    assert message.subject == subject
    assert message.body.startswith(opening)
    assert receipt in message.body
    assert "&quot;" not in message.subject + message.body
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{language}">')
    assert receipt.replace('"', "&quot;") in html


# --- The message to the applicant (issue 11, item 3) ---------------------------------------------

DECISION_TEMPLATES = [
    "application_shortlisted",
    "application_accepted",
    "application_waitlisted",
    "application_rejected",
]
MESSAGE_HEADING = {
    "en": "A message from the programme:",
    "zh-hans": "计划团队留言：",
    "zh-hant": "計劃團隊留言：",
}


def decision_email(template: str, language: str, message: str) -> Notification:
    return Notification(
        pk=1,
        event="x",
        channel="email",
        language=language,
        payload={
            "template": template,
            "programme": "Joint Incubator Plan",
            "data": {
                "application": 7,
                "startup": "Acme Chain",
                "project_name": "Ledger",
                "round": "R1",
                "message_to_applicant": message,
            },
        },
    )


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
@pytest.mark.parametrize("template", DECISION_TEMPLATES)
def test_decision_email_shows_the_message_to_the_applicant(template, language):
    message = "Line one & <two>\nLine three"

    _subject, text, html = render_email(decision_email(template, language, message))

    assert f"{MESSAGE_HEADING[language]}\n\nLine one & <two>\nLine three" in text
    assert MESSAGE_HEADING[language] in html
    assert "Line one &amp; &lt;two&gt;<br>Line three" in html


@pytest.mark.parametrize("template", DECISION_TEMPLATES)
def test_decision_email_without_a_message_has_no_heading(template):
    _subject, text, html = render_email(decision_email(template, "en", ""))

    assert MESSAGE_HEADING["en"] not in text
    assert MESSAGE_HEADING["en"] not in html
