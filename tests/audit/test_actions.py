"""Every action of DESIGN.md §13 this wave's existing services perform is recorded, in the
transaction of the change, with the `data` the contract asks for."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from applications import services as intake
from applications.enums import ApplicationStatus
from audit.models import AuditEvent
from audit.services import format_time, personal, record_many
from audit.verification import verify_chain
from incubator import services as programme
from incubator.permissions import COORDINATORS_GROUP, REVIEWERS_GROUP
from notifications import services as outbox_services
from reviews import services as reviewing
from reviews import shortlists
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CoordinatorFactory,
    CriterionFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

from .conftest import client_for, events, last

pytestmark = pytest.mark.django_db


@pytest.fixture
def founder():
    user = UserFactory(username="founder")
    StartupFactory(name="Pearl River Ledger", members=[user])
    return user


@pytest.fixture
def startup(founder):
    return founder.startups.get()


@pytest.fixture
def coordinator_user():
    return CoordinatorFactory()


def test_application_created_holds_ids_and_hmacs(founder, startup):
    round_ = RoundFactory()
    application = intake.create_draft(
        actor=founder,
        startup=startup,
        round=round_,
        project_name="Trade ledger",
        summary="Secret plan",
        funding_amount=Decimal("1000.50"),
        needs=["fund"],
    )
    event = last("application.created")
    assert (event.object_type, event.object_id, event.actor) == (
        "application",
        str(application.pk),
        founder.pk,
    )
    assert event.data["round"] == round_.pk
    assert event.data["startup"] == startup.pk
    fields = event.data["fields"]
    assert fields["project_name"] == personal("Trade ledger")
    assert fields["summary"] == personal("Secret plan")
    assert fields["funding_amount"] == "1000.50"
    assert fields["needs"] == ["fund"]
    assert "Trade ledger" not in str(event.data)


def test_application_updated_names_the_changed_fields(founder, startup):
    application = ApplicationFactory(startup=startup)
    intake.update_draft(actor=founder, application=application, track="education")
    event = last("application.updated")
    assert event.data == {"fields": {"track": "education"}}


def test_application_deleted_draft_is_an_update(founder, startup):
    application = ApplicationFactory(startup=startup)
    pk = application.pk
    intake.delete_draft(actor=founder, application=application)
    assert last("application.updated").data == {"deleted": True, "status": "draft"}
    assert last("application.updated").object_id == str(pk)


def test_attachment_added_holds_content_hash_and_hmac_of_the_name(founder, startup):
    application = ApplicationFactory(startup=startup)
    uploaded = SimpleUploadedFile("Founders deck.pdf", MINIMAL_PDF, "application/pdf")
    attachment = intake.add_attachment(
        actor=founder, application=application, kind="pitch_deck", uploaded=uploaded
    )
    event = last("attachment.added")
    assert event.object_type == "attachment"
    assert event.object_id == str(attachment.pk)
    assert event.data["application"] == application.pk
    assert event.data["sha256"] == attachment.sha256
    assert event.data["name"] == personal("Founders deck.pdf")
    assert event.data["size"] == len(MINIMAL_PDF)


def test_submitted_and_status_changed(founder, startup):
    application = ApplicationFactory(startup=startup)
    AttachmentFactory(application=application)
    intake.submit_application(actor=founder, application=application)
    changed = last("application.status_changed")
    assert changed.data == {"from": "draft", "to": "submitted"}
    submitted = last("application.submitted")
    assert submitted.data == {"status": "submitted", "round": application.round_id}
    assert submitted.seq == changed.seq + 1


def test_withdrawn_with_a_note_as_hmac(founder, startup):
    application = ApplicationFactory(startup=startup)
    intake.withdraw_application(actor=founder, application=application, note="We merged")
    assert last("application.withdrawn").data == {
        "status": "withdrawn",
        "note": personal("We merged"),
    }
    assert last("application.status_changed").data["note"] == personal("We merged")


def test_decision_made_with_note_through_personal(coordinator_user):
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    intake.decide_application(
        application=application,
        status="shortlisted",
        actor=coordinator_user,
        note="Strong team",
        message_to_applicant="Well done",
    )
    event = last("decision.made")
    assert event.actor == coordinator_user.pk
    assert event.data == {
        "status": "shortlisted",
        "note": personal("Strong team"),
        "message_to_applicant": personal("Well done"),
    }
    assert last("application.status_changed").data["to"] == "shortlisted"


def test_assignment_created_in_bulk_one_event_each_and_the_status_change():
    round_ = RoundFactory()
    coordinator = CoordinatorFactory()
    applications = [
        ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED) for _ in range(3)
    ]
    for _ in range(2):
        ReviewerFactory()
    before = len(events())
    result = reviewing.assign_reviewers(round=round_, actor=coordinator)
    created = events("assignment.created")
    assert len(created) == result.created > 0
    assert {e.data["application"] for e in created} == {a.pk for a in applications}
    assert all(e.actor == coordinator.pk and e.data["round"] == round_.pk for e in created)
    moved = events("application.status_changed")
    assert {e.data["to"] for e in moved} == {"under_review"}
    assert len(events()) - before == result.created + len(applications)
    assert verify_chain().ok


def test_assignment_records_everything_with_one_lock_and_one_insert(monkeypatch):
    # Issue 16: recording adds one insert and one lock per transaction; the status changes the
    # run causes go into the assignments' record_many, right after them in the chain.
    round_ = RoundFactory()
    applications = [
        ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED) for _ in range(3)
    ]
    for _ in range(2):
        ReviewerFactory()
    calls = []

    def counted(batch):
        batch = list(batch)
        calls.append([event.action for event in batch])
        return record_many(batch)

    monkeypatch.setattr(reviewing, "record_many", counted)
    monkeypatch.setattr(intake, "record_many", counted)
    result = reviewing.assign_reviewers(round=round_, actor=None)
    assert calls == [
        ["assignment.created"] * result.created + ["application.status_changed"] * len(applications)
    ]
    assert verify_chain().ok
    first = AuditEvent.objects.filter(action="assignment.created").first()
    assert first.data["due_at"] == format_time(round_.review_deadline)


def test_assignment_withdrawn(coordinator_user):
    assignment = AssignmentFactory()
    ReviewFactory(assignment=assignment)
    reviewing.withdraw_assignment(assignment=assignment, actor=coordinator_user, reason="Busy")
    event = last("assignment.withdrawn")
    assert event.object_id == str(assignment.pk)
    assert event.data == {
        "application": assignment.application_id,
        "reviewer": assignment.reviewer_id,
        "reason": personal("Busy"),
    }


def test_conflict_declared_withdraws_drafts_too():
    assignment = AssignmentFactory()
    ReviewFactory(assignment=assignment)
    reviewer = assignment.reviewer
    startup = assignment.application.startup
    result = reviewing.declare_conflict(
        reviewer=reviewer, startup=startup, reason="My cousin", actor=reviewer
    )
    event = last("conflict.declared")
    assert event.object_id == str(result.conflict.pk)
    assert event.data["reviewer"] == reviewer.pk
    assert event.data["startup"] == startup.pk
    assert event.data["reason"] == personal("My cousin")
    assert event.data["withdrawn_assignments"] == [assignment.pk]
    assert last("assignment.withdrawn").data["conflict"] == result.conflict.pk


def test_review_saved_and_submitted_hold_scores_as_decimal_strings():
    round_ = RoundFactory()
    team = CriterionFactory(round=round_, max_score=10)
    market = CriterionFactory(round=round_, max_score=5)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    review = ReviewFactory(assignment=AssignmentFactory(application=application))
    reviewer = review.assignment.reviewer
    reviewing.save_review(
        review=review,
        actor=reviewer,
        scores={team.pk: 7, market.pk: 4},
        recommendation="accept",
        confidence=3,
        comment="Solid founders",
    )
    saved = last("review.saved")
    assert saved.object_id == str(review.pk)
    assert saved.data["scores"] == {str(team.pk): "7", str(market.pk): "4"}
    assert saved.data["comment"] == personal("Solid founders")
    assert saved.data["status"] == "draft"
    reviewing.submit_review(review=review, actor=reviewer)
    submitted = last("review.submitted")
    assert submitted.data["status"] == "submitted"
    assert submitted.data["scores"] == {str(team.pk): "7", str(market.pk): "4"}
    assert submitted.data["application"] == application.pk


def test_round_created_and_changed_hold_the_rubric_with_decimal_weights(coordinator_user):
    now = timezone.now()
    round_ = programme.create_round(
        actor=coordinator_user,
        name="Spring",
        opens_at=now,
        closes_at=now + timedelta(days=10),
        review_deadline=now + timedelta(days=20),
        criteria=[{"name": "Team", "weight": Decimal("2.5"), "max_score": 10}],
    )
    created = last("round.created")
    assert created.object_id == str(round_.pk)
    assert created.data["fields"]["name"] == "Spring"
    [criterion] = created.data["criteria"]
    assert criterion["weight"] == "2.50"
    assert criterion["name"] == "Team"
    programme.update_round(
        actor=coordinator_user,
        round=round_,
        reviews_per_application=2,
        criteria=[
            {"id": criterion["id"], "name": "Team", "weight": Decimal("3"), "max_score": 10},
            {"name": "Market", "weight": Decimal("1"), "max_score": 5},
        ],
    )
    changed = last("round.changed")
    assert changed.data["fields"] == {"reviews_per_application": 2}
    assert [c["weight"] for c in changed.data["criteria"]] == ["3.00", "1.00"]


def test_round_changed_in_the_admin_is_recorded(admin_client):
    round_ = RoundFactory()
    criterion = CriterionFactory(round=round_, weight=1)
    response = admin_client.get(f"/admin/incubator/criterion/{criterion.pk}/change/")
    assert response.status_code == 200
    response = admin_client.post(
        f"/admin/incubator/criterion/{criterion.pk}/change/",
        {
            "round": round_.pk,
            "name": criterion.name,
            "description": "",
            "weight": "4",
            "max_score": criterion.max_score,
            "order": criterion.order,
            "levels": "{}",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    event = last("round.changed")
    assert event.object_id == str(round_.pk)
    assert event.data["criteria"][0]["weight"] == "4.00"


def test_shortlist_created_changed_published(coordinator_user):
    round_ = RoundFactory()
    criterion = CriterionFactory(round=round_)
    first, second = (
        ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW) for _ in range(2)
    )
    for application, value in ((first, 9), (second, 5)):
        review = ReviewFactory(assignment=AssignmentFactory(application=application))
        reviewing.save_review(
            review=review, actor=review.assignment.reviewer, scores={criterion.pk: value}
        )
        reviewing.submit_review(review=review, actor=review.assignment.reviewer)
    shortlist = shortlists.create_shortlist(
        round=round_, name="Top", actor=coordinator_user, size=1
    )
    created = last("shortlist.created")
    assert created.data["entries"][0]["application"] == first.pk
    assert created.data["entries"][0]["raw_score"] == "90.000000"
    shortlists.add_to_shortlist(
        shortlist=shortlist, application=second, reason="Diversity", actor=coordinator_user
    )
    changed = last("shortlist.changed")
    assert changed.data["added"]["application"] == second.pk
    assert changed.data["reason"] == personal("Diversity")
    shortlists.remove_from_shortlist(
        shortlist=shortlist, application=second, reason="Second look", actor=coordinator_user
    )
    assert last("shortlist.changed").data["removed"] == {"application": second.pk}
    shortlists.publish_shortlist(shortlist=shortlist, actor=coordinator_user)
    assert last("shortlist.published").data == {"applications": [first.pk]}
    # Publishing again changes nothing, and records nothing.
    count = len(events())
    shortlists.publish_shortlist(shortlist=shortlist, actor=coordinator_user)
    assert len(events()) == count


def test_provider_created_changed_rotated_never_hold_the_secret(coordinator_user):
    provider = outbox_services.create_provider(
        actor=coordinator_user,
        name="GBA Capital",
        kind="fund",
        email="deals@gba.example",
        webhook_url="http://127.0.0.1:9/in?token=abc",
    )
    created = last("provider.created")
    assert created.data["fields"]["email"] == personal("deals@gba.example")
    assert created.data["fields"]["webhook_url"] == personal("http://127.0.0.1:9/in?token=abc")
    assert created.data["fields"]["witness"] is False
    outbox_services.update_provider(actor=coordinator_user, provider=provider, witness=True)
    assert last("provider.changed").data == {"fields": {"witness": True}, "secret_issued": False}
    secrets = [provider.webhook_secret]
    rotated = outbox_services.rotate_provider_secret(actor=coordinator_user, provider=provider)
    secrets.append(rotated.webhook_secret)
    event = last("provider.secret_rotated")
    assert event.data == {}
    for row in events():
        text = str(row.data)
        for secret in secrets:
            assert secret not in text
            assert secret.removeprefix("whsec_") not in text


def test_user_role_changed_by_reviewers_api(coordinator_user):
    client = client_for(coordinator_user)
    response = client.post(
        "/api/v1/reviewers/",
        {
            "username": "newreviewer",
            "email": "new@example.org",
            "password": "a-long-passphrase-9",
            "expertise": ["finance"],
            "max_load": 5,
            "jurisdiction": "hong_kong",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    event = last("user.role_changed")
    assert event.object_id == str(response.json()["id"])
    assert event.actor == coordinator_user.pk
    assert event.data["after"]["groups"] == [REVIEWERS_GROUP]
    assert event.data["before"]["groups"] == []


def test_user_role_changed_by_the_superusers_user_admin(client, admin_user):
    force_login_verified(client, admin_user)
    user = UserFactory(username="promoted")
    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": user.username,
            "email": user.email,
            "first_name": "",
            "last_name": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [coordinators.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    event = last("user.role_changed")
    assert event.object_id == str(user.pk)
    assert event.actor == admin_user.pk
    assert event.data["before"] == {"groups": [], "is_staff": False, "is_superuser": False}
    assert event.data["after"] == {
        "groups": [COORDINATORS_GROUP],
        "is_staff": True,
        "is_superuser": False,
    }


def test_export_made_by_the_api(coordinator_user):
    shortlist_round = RoundFactory()
    shortlist = ShortlistFactory(round=shortlist_round, created_by=coordinator_user)
    client = client_for(coordinator_user)
    response = client.get(f"/api/v1/shortlists/{shortlist.pk}/export.csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = last("export.made")
    assert event.actor == coordinator_user.pk
    assert event.object_type == "export"
    assert event.data == {
        "what": "shortlist",
        "shortlist": shortlist.pk,
        "round": shortlist_round.pk,
        "format": "csv",
        "via": "api",
    }


def test_export_made_by_the_command(tmp_path, coordinator_user):
    shortlist = ShortlistFactory(created_by=coordinator_user)
    call_command("export_shortlist", str(shortlist.pk), "--format", "xlsx", "--output", tmp_path)
    event = last("export.made")
    assert event.actor is None
    assert event.data["format"] == "xlsx"
    assert event.data["via"] == "command"


def test_every_action_leaves_a_verifying_chain(founder, startup):
    application = ApplicationFactory(startup=startup)
    AttachmentFactory(application=application)
    intake.update_draft(actor=founder, application=application, stage="pilot")
    intake.submit_application(actor=founder, application=application)
    result = verify_chain()
    assert result.ok
    assert result.length == len(events())
