"""Recipient rules of every event, deduplication, backoff and retry."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from applications.enums import ApplicationStatus
from incubator.enums import NotificationChannel, NotificationStatus, ServiceKind, Track
from incubator.models import Notification
from incubator.notifications import services
from reviews.enums import ReviewStatus
from reviews.models import ReviewerProfile
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    NotificationFactory,
    ReviewerFactory,
    ReviewFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
)

pytestmark = pytest.mark.django_db


def publish(shortlist) -> None:
    """Stands in for reviews' publish_shortlist service, which calls the hook in its transaction."""
    with transaction.atomic():
        services.notify_shortlist_published(shortlist=shortlist)


def decide(application, status) -> None:
    """Stands in for the decision service: the status changes, then the hook runs."""
    with transaction.atomic():
        application.status = status
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_at"])
        services.notify_application_decided(application=application)


def rows(**filters) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(**filters).values_list("event", "channel", "recipient")
    )


def test_notify_shortlist_published_gives_each_provider_exactly_its_startups():
    shortlist = ShortlistFactory()
    fund_only = ShortlistEntryFactory(
        shortlist=shortlist, application__needs_fund=True, application__track=Track.FINANCE
    )
    testing_only = ShortlistEntryFactory(
        shortlist=shortlist,
        application__needs_fund=False,
        application__needs_testing=True,
        application__track=Track.HEALTHCARE,
    )
    ShortlistEntryFactory(shortlist=shortlist, application__needs_fund=False)  # needs nothing
    fund = ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url="http://127.0.0.1:9/f")
    testing = ServiceProviderFactory(kind=ServiceKind.TESTING, email="t@lab.example")
    ServiceProviderFactory(kind=ServiceKind.TRAINING)  # nobody needs training
    ServiceProviderFactory(kind=ServiceKind.FUND, active=False)
    ServiceProviderFactory(kind=ServiceKind.FUND, tracks=[Track.EDUCATION])  # other track

    publish(shortlist)

    fund_rows = Notification.objects.filter(provider=fund).order_by("channel")
    assert [(n.channel, n.recipient) for n in fund_rows] == [
        ("email", fund.email),
        ("webhook", "http://127.0.0.1:9/f"),
    ]
    for row in fund_rows:
        assert row.event == "shortlist.published"
        assert row.subject == f"shortlist:{shortlist.pk}"
        assert [s["application"] for s in row.payload["data"]["startups"]] == [
            fund_only.application_id
        ]
    testing_row = Notification.objects.get(provider=testing)
    assert [s["application"] for s in testing_row.payload["data"]["startups"]] == [
        testing_only.application_id
    ]
    assert Notification.objects.filter(provider__isnull=False).count() == 3
    # Every shortlisted applicant is told, by e-mail, in the start-up's language.
    assert Notification.objects.filter(event="application.shortlisted").count() == 3


def test_notify_shortlist_published_sends_the_startup_shape_of_design_section_8():
    entry = ShortlistEntryFactory(
        application__needs_training=True,
        application__startup__region="hong_kong",
        application__startup__contact_email="ceo@acme.example",
    )
    ServiceProviderFactory(kind=ServiceKind.FUND)

    publish(entry.shortlist)

    payload = Notification.objects.get(event="shortlist.published").payload
    assert payload["data"] == {
        "shortlist": {
            "id": entry.shortlist_id,
            "name": entry.shortlist.name,
            "round": entry.shortlist.round_id,
        },
        "startups": [
            {
                "application": entry.application_id,
                "startup": entry.application.startup.name,
                "project_name": entry.application.project_name,
                "region": "hong_kong",
                "track": "finance",
                "stage": "prototype",
                "needs": ["fund", "training"],
                "funding_amount": "500000.00",
                "funding_currency": "CNY",
                "raw_score": 80.5,
                "normalized_score": 0.75,
                "contact_email": "ceo@acme.example",
            }
        ],
    }
    assert payload["programme"] == entry.shortlist.round.programme.name


def test_notify_shortlist_published_provider_tracks_empty_means_every_track():
    entry = ShortlistEntryFactory(application__track=Track.TOURISM)
    everything = ServiceProviderFactory(tracks=[])
    tourism = ServiceProviderFactory(tracks=[Track.TOURISM, Track.FINANCE])

    publish(entry.shortlist)

    assert set(
        Notification.objects.filter(event="shortlist.published").values_list("provider", flat=True)
    ) == {everything.pk, tourism.pk}


def test_notify_shortlist_published_twice_writes_nothing_new():
    entry = ShortlistEntryFactory()
    ServiceProviderFactory(webhook_url="http://127.0.0.1:9/x")
    publish(entry.shortlist)
    first = set(Notification.objects.values_list("pk", flat=True))

    publish(entry.shortlist)

    assert set(Notification.objects.values_list("pk", flat=True)) == first
    assert len(first) == 3


def test_notify_shortlist_published_two_providers_sharing_an_inbox_each_get_one():
    entry = ShortlistEntryFactory(application__needs_training=True)
    ServiceProviderFactory(kind=ServiceKind.FUND, email="desk@partner.example")
    ServiceProviderFactory(kind=ServiceKind.TRAINING, email="desk@partner.example")

    publish(entry.shortlist)

    assert Notification.objects.filter(recipient="desk@partner.example").count() == 2


def test_notify_shortlist_published_schedules_delivery_after_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    entry = ShortlistEntryFactory(application__startup__contact_email="a@startup.example")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish(entry.shortlist)

    assert len(callbacks) == 1
    assert [message.to for message in mailoutbox] == [["a@startup.example"]]
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_notify_application_decided_accepted_tells_matching_providers_and_applicant():
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
    assert webhook.payload["data"]["startup"]["needs"] == ["testing"]


def test_notify_application_decided_accepted_without_entry_has_null_scores():
    application = ApplicationFactory(status=ApplicationStatus.WAITLISTED)
    ServiceProviderFactory()

    decide(application, ApplicationStatus.ACCEPTED)

    payload = Notification.objects.get(provider__isnull=False).payload
    assert payload["data"]["startup"]["raw_score"] is None
    assert payload["data"]["startup"]["normalized_score"] is None


def test_notify_application_decided_accepting_twice_writes_nothing_new():
    application = ApplicationFactory(status=ApplicationStatus.SHORTLISTED)
    ServiceProviderFactory()
    decide(application, ApplicationStatus.ACCEPTED)
    before = Notification.objects.count()

    with transaction.atomic():
        services.notify_application_decided(application=application)

    assert Notification.objects.count() == before == 2


@pytest.mark.parametrize(
    ("status", "event", "template"),
    [
        (ApplicationStatus.WAITLISTED, "application.waitlisted", "application_waitlisted"),
        (ApplicationStatus.REJECTED, "application.rejected", "application_rejected"),
        (ApplicationStatus.SHORTLISTED, "application.shortlisted", "application_shortlisted"),
    ],
)
def test_notify_application_decided_tells_only_the_applicant(status, event, template):
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


def test_notify_application_decided_other_statuses_tell_nobody():
    application = ApplicationFactory(status=ApplicationStatus.WITHDRAWN)

    with transaction.atomic():
        services.notify_application_decided(application=application)

    assert Notification.objects.count() == 0


def test_notify_application_submitted_sends_a_receipt_in_the_startup_language():
    application = ApplicationFactory(
        status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(),
        startup=StartupFactory(language="zh-hans", contact_email="ceo@s.example"),
    )

    with transaction.atomic():
        services.notify_application_submitted(application=application)
        services.notify_application_submitted(application=application)

    row = Notification.objects.get()
    assert (row.event, row.recipient, row.language, row.subject, row.dedup_key) == (
        "application.submitted",
        "ceo@s.example",
        "zh-hans",
        f"application:{application.pk}",
        f"application.submitted|application:{application.pk}|ceo@s.example|email",
    )


def test_notify_assignment_created_tells_the_reviewer_in_their_language():
    reviewer = ReviewerFactory()
    ReviewerProfile.objects.filter(user=reviewer).update(language="zh-hant")
    assignment = AssignmentFactory(reviewer=reviewer)

    with transaction.atomic():
        services.notify_assignment_created(assignment=assignment)

    row = Notification.objects.get()
    assert (row.event, row.recipient, row.language, row.user) == (
        "assignment.created",
        reviewer.email,
        "zh-hant",
        reviewer,
    )


def test_send_review_reminders_reminds_unsubmitted_reviews_due_within_48_hours_once_a_day():
    now = timezone.now()
    due_soon = AssignmentFactory(due_at=now + timedelta(hours=30))
    ReviewFactory(assignment=AssignmentFactory(due_at=now + timedelta(hours=20)))  # draft
    submitted = AssignmentFactory(due_at=now + timedelta(hours=10))
    ReviewFactory(assignment=submitted, status=ReviewStatus.SUBMITTED)
    AssignmentFactory(due_at=now + timedelta(hours=60))  # not yet
    AssignmentFactory(due_at=now - timedelta(hours=1))  # already past

    assert services.send_review_reminders(now=now) == 2
    assert services.send_review_reminders(now=now + timedelta(hours=1)) == 0
    reminded = set(
        Notification.objects.filter(event="review.reminder").values_list("recipient", flat=True)
    )
    assert due_soon.reviewer.email in reminded
    assert submitted.reviewer.email not in reminded
    # The next day is a new day: reminded again.
    assert services.send_review_reminders(now=now + timedelta(days=1, hours=-12)) >= 1


def test_send_provider_digests_lists_the_weeks_matching_acceptances_only_when_non_empty():
    now = timezone.now()
    this_week = ApplicationFactory(
        status=ApplicationStatus.ACCEPTED, decided_at=now - timedelta(days=2), needs_fund=True
    )
    ApplicationFactory(
        status=ApplicationStatus.ACCEPTED, decided_at=now - timedelta(days=9), needs_fund=True
    )
    fund = ServiceProviderFactory(kind=ServiceKind.FUND)
    ServiceProviderFactory(kind=ServiceKind.TRAINING)

    assert services.send_provider_digests(now=now) == 1
    assert services.send_provider_digests(now=now) == 0

    row = Notification.objects.get(event="provider.digest")
    assert row.provider == fund
    assert [s["application"] for s in row.payload["data"]["startups"]] == [this_week.pk]


def test_redispatch_due_notifications_takes_due_pending_rows_and_leases_them(settings):
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 60
    now = timezone.now()
    due = NotificationFactory(next_attempt_at=now - timedelta(seconds=1))
    NotificationFactory(next_attempt_at=now + timedelta(minutes=5))
    NotificationFactory(next_attempt_at=now - timedelta(seconds=1), status="failed")

    assert services.redispatch_due_notifications(now=now) == [due.pk]

    due.refresh_from_db()
    assert due.next_attempt_at == now + timedelta(seconds=60)
    assert services.redispatch_due_notifications(now=now) == []


def test_retry_delay_grows_and_stops_after_the_last(settings):
    settings.NOTIFICATIONS_RETRY_DELAYS = [60.0, 300.0]

    first = services.retry_delay(1)
    second = services.retry_delay(2)

    assert 48 <= first <= 72
    assert 240 <= second <= 360
    assert services.retry_delay(3) is None


def test_retry_notification_of_a_sent_row_is_refused():
    notification = NotificationFactory(status=NotificationStatus.SENT)

    with pytest.raises(services.NotificationAlreadySent):
        services.retry_notification(actor=None, notification=notification)


def test_retry_notification_of_a_failed_row_starts_a_fresh_series():
    notification = NotificationFactory(status=NotificationStatus.FAILED, attempts=7)

    services.retry_notification(actor=None, notification=notification)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)


def test_create_provider_refuses_unknown_tracks_and_unsafe_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(ValidationError) as error:
        services.create_provider(
            actor=None,
            name="Lab",
            kind="testing",
            email="lab@example.org",
            webhook_url="http://127.0.0.1/hook",
            tracks=["space"],
        )

    assert sorted(error.value.message_dict) == ["tracks", "webhook_url"]


def test_rotate_provider_secret_replaces_it():
    provider = ServiceProviderFactory()
    old = provider.webhook_secret

    rotated = services.rotate_provider_secret(actor=None, provider=provider)

    assert rotated.webhook_secret != old
    assert rotated.webhook_secret.startswith("whsec_")
