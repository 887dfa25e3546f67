"""Who reviewing's events tell: assignments, reminders, published shortlists, provider digests."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import ServiceKind, Track
from incubator.models import Question
from notifications.delivery import render_email
from notifications.enums import NotificationStatus
from notifications.models import Notification
from reviews import notifications as review_notifications
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ReviewerProfile
from reviews.services import assign_reviewers
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
)
from tests.notifications.outbox_rows import publish

pytestmark = pytest.mark.django_db

# TIME_ZONE: local days and weeks (reminders, digests) are counted here.
SHANGHAI = ZoneInfo("Asia/Shanghai")


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
                "calibrated_score": 78.25,
                "contact_email": "ceo@acme.example",
                "answers": {},
            }
        ],
    }
    assert payload["programme"] == entry.shortlist.round.programme.name


def test_shortlist_published_carries_only_the_shared_answers():
    entry = ShortlistEntryFactory(application__needs_fund=True)
    round_ = entry.application.round
    Question.objects.create(
        round=round_, key="chain", kind="text", label={"en": "Chain"}, share_with_providers=True
    )
    Question.objects.create(round=round_, key="burn", kind="number", label={"en": "Burn rate"})
    Question.objects.create(
        round=round_, key="token", kind="boolean", label={"en": "Token"}, share_with_providers=True
    )
    Application.objects.filter(pk=entry.application_id).update(
        answers={"chain": "FISCO BCOS", "burn": 12000, "token": False}
    )
    ServiceProviderFactory(kind=ServiceKind.FUND)

    publish(entry.shortlist)

    startup = Notification.objects.get(event="shortlist.published").payload["data"]["startups"][0]
    assert startup["answers"] == {"chain": "FISCO BCOS", "token": False}


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


def _reviewer(*, max_load: int, **fields):
    reviewer = ReviewerFactory(**fields)
    ReviewerProfile.objects.filter(user=reviewer).update(max_load=max_load)
    return reviewer


def _round_with_submitted_applications(count: int, *, reviews_per_application: int):
    round_ = RoundFactory(reviews_per_application=reviews_per_application)
    applications = [
        ApplicationFactory(
            round=round_, status=ApplicationStatus.SUBMITTED, project_name=f"Ledger {n:02d}"
        )
        for n in range(count)
    ]
    return round_, applications


def test_assign_reviewers_fourteen_applications_are_one_email_listing_them(settings):
    settings.SITE_URL = "https://incubator.example.org"
    round_, applications = _round_with_submitted_applications(14, reviews_per_application=1)
    reviewer = _reviewer(max_load=20, first_name="Mei")

    assign_reviewers(round=round_, actor=CoordinatorFactory())

    row = Notification.objects.get(event="assignment.created")
    data = row.payload["data"]
    assert (row.recipient, row.user, data["count"], data["reviewer"]) == (
        reviewer.email,
        reviewer,
        14,
        "Mei",
    )
    assignments = Assignment.objects.filter(reviewer=reviewer).order_by("pk")
    assert [item["assignment"] for item in data["assignments"]] == [a.pk for a in assignments]
    assert {item["project_name"] for item in data["assignments"]} == {
        application.project_name for application in applications
    }
    assert {item["round"] for item in data["assignments"]} == {round_.name}
    assert {item["due_at"] for item in data["assignments"]} == {round_.review_deadline.isoformat()}
    assert data["workplace_url"] == "https://incubator.example.org/admin/reviews/review/"
    assert row.subject.startswith(f"assignments:{assignments[0].pk}:14:")
    subject, text, html = render_email(row)
    assert subject == "14 new applications to review"
    due = timezone.localtime(round_.review_deadline).strftime("%Y-%m-%d %H:%M")
    for application in applications:
        assert f"- “{application.project_name}”, {round_.name} — due by {due}" in text
        assert f"<strong>{application.project_name}</strong>" in html
    assert "Your reviews: https://incubator.example.org/admin/reviews/review/" in text
    assert 'href="https://incubator.example.org/admin/reviews/review/"' in html


def test_assign_reviewers_two_reviewers_get_one_email_each_listing_their_own():
    round_, applications = _round_with_submitted_applications(3, reviews_per_application=2)
    reviewers = [_reviewer(max_load=5) for _ in range(2)]

    assign_reviewers(round=round_, actor=CoordinatorFactory())

    rows = Notification.objects.filter(event="assignment.created").order_by("recipient")
    assert [(row.recipient, row.payload["data"]["count"]) for row in rows] == sorted(
        (reviewer.email, 3) for reviewer in reviewers
    )
    for row in rows:
        assert sorted(item["application"] for item in row.payload["data"]["assignments"]) == [
            application.pk for application in applications
        ]


def test_assignments_created_again_for_the_same_assignments_writes_nothing():
    round_, _applications = _round_with_submitted_applications(4, reviews_per_application=1)
    _reviewer(max_load=5)
    assign_reviewers(round=round_, actor=CoordinatorFactory())
    first = list(Notification.objects.values_list("pk", "dedup_key"))

    assign_reviewers(round=round_, actor=CoordinatorFactory())  # nothing to fill
    with transaction.atomic():  # the same assignments told again
        review_notifications.assignments_created(assignments=Assignment.objects.all())

    assert list(Notification.objects.values_list("pk", "dedup_key")) == first
    assert len(first) == 1


def test_assignments_created_a_later_run_tells_only_of_the_new_assignments():
    round_, _applications = _round_with_submitted_applications(2, reviews_per_application=1)
    reviewer = _reviewer(max_load=5)
    assign_reviewers(round=round_, actor=CoordinatorFactory())
    late = ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)

    assign_reviewers(round=round_, actor=CoordinatorFactory())

    rows = Notification.objects.filter(recipient=reviewer.email).order_by("pk")
    assert [row.payload["data"]["count"] for row in rows] == [2, 1]
    assert rows[1].payload["data"]["assignments"][0]["application"] == late.pk


def test_assignments_created_costs_the_same_queries_for_one_or_fourteen():
    def queries_for(count: int) -> int:
        round_ = RoundFactory()
        reviewer = ReviewerFactory()
        assignments = [
            AssignmentFactory(reviewer=reviewer, application__round=round_) for _ in range(count)
        ]
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            review_notifications.assignments_created(assignments=assignments)
        return len(captured)

    assert queries_for(1) == queries_for(14)


def test_send_review_reminders_costs_the_same_queries_for_one_or_many():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def queries_for(reviewers: int, each: int, day: int) -> int:
        for _ in range(reviewers):
            reviewer = ReviewerFactory()
            for hours in range(1, each + 1):
                AssignmentFactory(reviewer=reviewer, due_at=now + timedelta(days=day, hours=hours))
        with CaptureQueriesContext(connection) as captured:
            written = review_notifications.send_review_reminders(now=now + timedelta(days=day))
        assert written == reviewers
        return len(captured)

    assert queries_for(1, 1, day=0) == queries_for(5, 6, day=3)


def test_send_review_reminders_one_email_per_reviewer_per_day_listing_what_is_due():
    # A fixed clock in the morning (Asia/Shanghai): the calls an hour apart fall on one day
    # whenever the suite runs.
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    busy, quiet = ReviewerFactory(), ReviewerFactory()
    due_soon = [
        AssignmentFactory(reviewer=busy, due_at=now + timedelta(hours=hours))
        for hours in (30, 20, 47)
    ]
    ReviewFactory(assignment=due_soon[1])  # a draft: still to submit
    submitted = AssignmentFactory(reviewer=busy, due_at=now + timedelta(hours=10))
    ReviewFactory(assignment=submitted, status=ReviewStatus.SUBMITTED)
    AssignmentFactory(reviewer=busy, due_at=now + timedelta(hours=60))  # not yet
    AssignmentFactory(reviewer=busy, due_at=now - timedelta(hours=1))  # already past
    decided = AssignmentFactory(reviewer=quiet, due_at=now + timedelta(hours=5))
    decided.application.status = ApplicationStatus.ACCEPTED
    decided.application.save(update_fields=["status"])
    quiet_due = AssignmentFactory(reviewer=quiet, due_at=now + timedelta(hours=40))

    assert review_notifications.send_review_reminders(now=now) == 2
    assert review_notifications.send_review_reminders(now=now + timedelta(hours=1)) == 0

    rows = {
        row.recipient: row
        for row in Notification.objects.filter(event="review.reminder").order_by("pk")
    }
    assert sorted(rows) == sorted([busy.email, quiet.email])
    listed = [item["assignment"] for item in rows[busy.email].payload["data"]["assignments"]]
    assert listed == [due_soon[1].pk, due_soon[0].pk, due_soon[2].pk]  # soonest first
    assert rows[busy.email].subject == f"reviewer:{busy.pk}:2026-12-01"
    assert [item["assignment"] for item in rows[quiet.email].payload["data"]["assignments"]] == [
        quiet_due.pk
    ]
    subject, text, _html = render_email(rows[busy.email])
    assert subject == "Reminder: 3 reviews due within 48 hours"
    assert "due by 2026-12-02 05:00" in text  # 20 hours after 09:00, Asia/Shanghai
    # The next day is a new day: each reviewer still owing a review is reminded once more.
    assert review_notifications.send_review_reminders(now=now + timedelta(days=1)) == 2
    assert review_notifications.send_review_reminders(now=now + timedelta(days=1, hours=2)) == 0


def test_send_review_reminders_a_new_local_day_at_midnight_reminds_again():
    # 23:30 and 00:30 in Asia/Shanghai (15:30 and 16:30 UTC, one UTC day): two local days.
    evening = datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)
    assignment = AssignmentFactory(due_at=evening + timedelta(hours=30))

    assert review_notifications.send_review_reminders(now=evening) == 1
    assert review_notifications.send_review_reminders(now=evening + timedelta(hours=1)) == 1
    assert sorted(
        Notification.objects.filter(event="review.reminder").values_list("subject", flat=True)
    ) == [
        f"reviewer:{assignment.reviewer_id}:2026-12-01",
        f"reviewer:{assignment.reviewer_id}:2026-12-02",
    ]


def test_send_provider_digests_lists_the_weeks_matching_acceptances_only_when_non_empty():
    # A fixed clock: Monday 09:00 in Asia/Shanghai, when beat sends the digest.
    now = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
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
    assert (row.provider, row.subject) == (fund, "week:2026-W50")
    assert [s["application"] for s in row.payload["data"]["startups"]] == [this_week.pk]


def test_send_provider_digests_the_week_is_the_local_one_at_midnight():
    # Sunday 23:30 and Monday 00:30 in Asia/Shanghai: one UTC week (Sunday 15:30 and 16:30
    # UTC), two local ones, so two digests.
    sunday_evening = datetime(2026, 12, 6, 23, 30, tzinfo=SHANGHAI)
    ApplicationFactory(
        status=ApplicationStatus.ACCEPTED,
        decided_at=sunday_evening - timedelta(days=1),
        needs_fund=True,
    )
    ServiceProviderFactory(kind=ServiceKind.FUND)

    assert review_notifications.send_provider_digests(now=sunday_evening) == 1
    assert review_notifications.send_provider_digests(now=sunday_evening + timedelta(hours=1)) == 1
    assert sorted(
        Notification.objects.filter(event="provider.digest").values_list("subject", flat=True)
    ) == ["week:2026-W49", "week:2026-W50"]
