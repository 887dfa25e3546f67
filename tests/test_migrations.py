"""Migrating a database of the previous layout keeps every row.

The outbox (Notification, NotificationAttempt) moved from `incubator` to `notifications`, the
rubric (Criterion) from `reviews` to `incubator`. The test rolls the schema back to the layout
before the move, writes a row into every table through the historical models, migrates forward
and reads them all back from the models as they are now.
"""

from datetime import timedelta

import pytest
from django.apps import apps as current_apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from applications.models import Application, Attachment, Membership, Startup, StatusChange
from incubator.models import Criterion, Programme, Round, ServiceProvider
from incubator.permissions import COORDINATORS_GROUP
from notifications.models import Notification, NotificationAttempt
from reviews.models import (
    Assignment,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    Score,
    Shortlist,
    ShortlistChange,
    ShortlistEntry,
)

# The last migrations of the layout before the move.
BEFORE_THE_MOVE = [
    ("incubator", "0003_roles"),
    ("applications", "0001_initial"),
    ("reviews", "0002_reviewer_workplace_permissions"),
    ("notifications", None),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The state after the named migrations; an app migrated to zero (None) has none to name.
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def write_one_row_per_table(old) -> dict[str, int]:
    """A row in every table of the old layout, through the historical models; returns ids."""
    now = timezone.now()
    user = old.get_model("auth", "User").objects.create(username="ada", email="ada@example.com")
    programme, _created = old.get_model("incubator", "Programme").objects.get_or_create(
        name="Joint Incubator Plan"
    )
    round_ = old.get_model("incubator", "Round").objects.create(
        programme=programme,
        name="Spring",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        review_deadline=now + timedelta(days=2),
    )
    criterion = old.get_model("reviews", "Criterion").objects.create(
        round=round_, name="Team", weight="2.50", max_score=5
    )
    provider = old.get_model("incubator", "ServiceProvider").objects.create(
        name="Harbour Fund", kind="fund", email="fund@example.com"
    )
    notification = old.get_model("incubator", "Notification").objects.create(
        event="shortlist.published",
        channel="email",
        recipient="fund@example.com",
        provider=provider,
        user=user,
        subject="shortlist:1",
        dedup_key="shortlist.published|shortlist:1|provider:1|email",
        payload={"template": "shortlist_published_provider", "data": {"startups": []}},
        status="sent",
        attempts=1,
    )
    old.get_model("incubator", "NotificationAttempt").objects.create(
        notification=notification, started_at=now, duration_ms=12, succeeded=True, http_status=200
    )
    startup = old.get_model("applications", "Startup").objects.create(
        name="Ledger Labs", region="hong_kong", contact_email="ada@example.com"
    )
    startup.members.add(user)
    # A second member, added later: after the teams migration, the first is the owner.
    startup.members.add(
        old.get_model("auth", "User").objects.create(username="bo", email="bo@example.com")
    )
    application = old.get_model("applications", "Application").objects.create(
        startup=startup, round=round_, project_name="Ledger", status="under_review"
    )
    old.get_model("applications", "Attachment").objects.create(
        application=application,
        kind="pitch_deck",
        file="attachments/deck.pdf",
        original_name="deck.pdf",
        size=10,
        content_type="application/pdf",
        sha256="0" * 64,
    )
    old.get_model("applications", "StatusChange").objects.create(
        application=application, from_status="submitted", to_status="under_review", actor=user
    )
    old.get_model("reviews", "ReviewerProfile").objects.create(user=user, expertise=["finance"])
    other = old.get_model("applications", "Startup").objects.create(
        name="Other", region="macau", contact_email="other@example.com"
    )
    old.get_model("reviews", "ConflictOfInterest").objects.create(
        reviewer=user, startup=other, reason="Adviser"
    )
    assignment = old.get_model("reviews", "Assignment").objects.create(
        application=application, reviewer=user, due_at=now + timedelta(days=2)
    )
    review = old.get_model("reviews", "Review").objects.create(
        assignment=assignment, status="submitted", confidence=4
    )
    score = old.get_model("reviews", "Score").objects.create(
        review=review, criterion=criterion, value=4
    )
    shortlist = old.get_model("reviews", "Shortlist").objects.create(round=round_, name="Top")
    old.get_model("reviews", "ShortlistEntry").objects.create(
        shortlist=shortlist, application=application, rank=1
    )
    old.get_model("reviews", "ShortlistChange").objects.create(
        shortlist=shortlist, application=application, kind="added", reason="Strong team"
    )
    return {
        "criterion": criterion.pk,
        "notification": notification.pk,
        "score": score.pk,
        "startup": startup.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_migrating_from_the_previous_layout_keeps_every_row():
    try:
        old = migrate(BEFORE_THE_MOVE)
        ids = write_one_row_per_table(old)
        migrate(latest())
    finally:
        migrate(latest())

    for model in (
        Programme,
        Round,
        Criterion,
        ServiceProvider,
        Notification,
        NotificationAttempt,
        Startup,
        Application,
        Attachment,
        StatusChange,
        ReviewerProfile,
        ConflictOfInterest,
        Assignment,
        Review,
        Score,
        Shortlist,
        ShortlistEntry,
        ShortlistChange,
    ):
        assert model.objects.exists(), model.__name__
    criterion = Criterion.objects.get(pk=ids["criterion"])
    assert (criterion.name, str(criterion.weight), criterion.max_score) == ("Team", "2.50", 5)
    assert Score.objects.get(pk=ids["score"]).criterion == criterion
    notification = Notification.objects.get(pk=ids["notification"])
    assert (notification.status, notification.attempts, notification.provider.name) == (
        "sent",
        1,
        "Harbour Fund",
    )
    assert notification.attempt_log.get().http_status == 200
    startup = Application.objects.get().startup
    assert [
        (m.user.username, m.role, m.joined_at)
        for m in Membership.objects.filter(startup=startup).order_by("pk")
    ] == [("ada", "owner", startup.created_at), ("bo", "member", startup.created_at)]
    assert sorted(startup.members.values_list("username", flat=True)) == ["ada", "bo"]


@pytest.mark.django_db(transaction=True)
def test_moved_models_keep_their_content_types_and_the_coordinators_grants():
    try:
        # Back to before the roles, so the groups are granted on the models where they were.
        migrate(
            [
                ("incubator", "0002_default_programme"),
                ("applications", "0001_initial"),
                ("reviews", "0001_initial"),
                ("notifications", None),
            ]
        )
    finally:
        migrate(latest())

    for model in (Criterion, Notification, NotificationAttempt):
        content_type = ContentType.objects.get_for_model(model)
        assert content_type.app_label == model._meta.app_label
        assert not ContentType.objects.filter(model=content_type.model).exclude(pk=content_type.pk)
    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    granted = set(coordinators.permissions.values_list("content_type__app_label", "codename"))
    assert {
        ("incubator", "change_criterion"),
        ("notifications", "view_notification"),
        ("notifications", "change_notification"),
    } <= granted
    assert current_apps.get_model("incubator", "Criterion") is Criterion
