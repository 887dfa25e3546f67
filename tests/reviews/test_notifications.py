"""Who reviewing's events tell: assignments, reminders, published shortlists, provider digests."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from applications.enums import ApplicationStatus
from incubator.enums import ServiceKind, Track
from notifications.enums import NotificationStatus
from notifications.models import Notification
from reviews import notifications as review_notifications
from reviews.enums import ReviewStatus
from reviews.models import ReviewerProfile
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ReviewerFactory,
    ReviewFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
)
from tests.notifications.outbox_rows import publish

pytestmark = pytest.mark.django_db


def test_shortlist_published_gives_each_provider_exactly_its_startups():
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


def test_shortlist_published_sends_the_startup_shape_of_design_section_8():
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
                "startup": entry.application.startup_id,
                "startup_name": entry.application.startup.name,
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


def test_shortlist_published_provider_tracks_empty_means_every_track():
    entry = ShortlistEntryFactory(application__track=Track.TOURISM)
    everything = ServiceProviderFactory(tracks=[])
    tourism = ServiceProviderFactory(tracks=[Track.TOURISM, Track.FINANCE])

    publish(entry.shortlist)

    assert set(
        Notification.objects.filter(event="shortlist.published").values_list("provider", flat=True)
    ) == {everything.pk, tourism.pk}


def test_shortlist_published_twice_writes_nothing_new():
    entry = ShortlistEntryFactory()
    ServiceProviderFactory(webhook_url="http://127.0.0.1:9/x")
    publish(entry.shortlist)
    first = set(Notification.objects.values_list("pk", flat=True))

    publish(entry.shortlist)

    assert set(Notification.objects.values_list("pk", flat=True)) == first
    assert len(first) == 3


def test_shortlist_published_two_providers_sharing_an_inbox_each_get_one():
    entry = ShortlistEntryFactory(application__needs_training=True)
    ServiceProviderFactory(kind=ServiceKind.FUND, email="desk@partner.example")
    ServiceProviderFactory(kind=ServiceKind.TRAINING, email="desk@partner.example")

    publish(entry.shortlist)

    assert Notification.objects.filter(recipient="desk@partner.example").count() == 2


def test_shortlist_published_schedules_delivery_after_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    entry = ShortlistEntryFactory(application__startup__contact_email="a@startup.example")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish(entry.shortlist)

    assert len(callbacks) == 1
    assert [message.to for message in mailoutbox] == [["a@startup.example"]]
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_assignments_created_tells_the_reviewer_in_their_language():
    reviewer = ReviewerFactory()
    ReviewerProfile.objects.filter(user=reviewer).update(language="zh-hant")
    assignment = AssignmentFactory(reviewer=reviewer)

    with transaction.atomic():
        review_notifications.assignments_created(assignments=[assignment])

    row = Notification.objects.get()
    assert (row.event, row.recipient, row.language, row.user) == (
        "assignment.created",
        reviewer.email,
        "zh-hant",
        reviewer,
    )


def test_send_review_reminders_reminds_unsubmitted_reviews_due_within_48_hours_once_a_day():
    # A fixed clock in the morning (Asia/Shanghai): the calls an hour apart fall on one day
    # whenever the suite runs.
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    due_soon = AssignmentFactory(due_at=now + timedelta(hours=30))
    ReviewFactory(assignment=AssignmentFactory(due_at=now + timedelta(hours=20)))  # draft
    submitted = AssignmentFactory(due_at=now + timedelta(hours=10))
    ReviewFactory(assignment=submitted, status=ReviewStatus.SUBMITTED)
    AssignmentFactory(due_at=now + timedelta(hours=60))  # not yet
    AssignmentFactory(due_at=now - timedelta(hours=1))  # already past

    assert review_notifications.send_review_reminders(now=now) == 2
    assert review_notifications.send_review_reminders(now=now + timedelta(hours=1)) == 0
    reminded = set(
        Notification.objects.filter(event="review.reminder").values_list("recipient", flat=True)
    )
    assert due_soon.reviewer.email in reminded
    assert submitted.reviewer.email not in reminded
    # The next day is a new day: reminded again.
    assert review_notifications.send_review_reminders(now=now + timedelta(days=1, hours=-12)) >= 1


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

    assert review_notifications.send_provider_digests(now=now) == 1
    assert review_notifications.send_provider_digests(now=now) == 0

    row = Notification.objects.get(event="provider.digest")
    assert row.provider == fund
    assert [s["application"] for s in row.payload["data"]["startups"]] == [this_week.pk]
