"""The status machine: every legal move, a sample of illegal ones, and what a refusal leaves."""

import pytest

from applications.enums import ApplicationStatus as Status
from applications.models import Application, StatusChange
from applications.services import (
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    transition_application,
    transition_applications,
)
from tests.factories import ApplicationFactory, CoordinatorFactory

pytestmark = pytest.mark.django_db

LEGAL = [(source, target) for source, targets in ALLOWED_TRANSITIONS.items() for target in targets]
ILLEGAL = [
    (source, target)
    for source in Status
    for target in Status
    if target not in ALLOWED_TRANSITIONS[source]
]


def test_transition_table_is_the_designed_one():
    assert {(s.value, t.value) for s, t in LEGAL} == {
        ("draft", "submitted"),
        ("draft", "withdrawn"),
        ("submitted", "under_review"),
        ("submitted", "rejected"),
        ("submitted", "withdrawn"),
        ("under_review", "shortlisted"),
        ("under_review", "waitlisted"),
        ("under_review", "rejected"),
        ("under_review", "withdrawn"),
        ("shortlisted", "accepted"),
        ("shortlisted", "waitlisted"),
        ("shortlisted", "rejected"),
        ("shortlisted", "withdrawn"),
        ("waitlisted", "accepted"),
        ("waitlisted", "rejected"),
        ("waitlisted", "withdrawn"),
    }


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=lambda s: s.value)
def test_transition_legal_moves_and_records(source, target):
    application = ApplicationFactory(status=source)
    actor = CoordinatorFactory()

    transition_application(application=application, to_status=target, actor=actor, note="ok")

    application.refresh_from_db()
    assert application.status == target
    change = StatusChange.objects.get(application=application)
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        source,
        target,
        actor,
        "ok",
    )


def test_transition_submitting_stamps_submitted_at():
    application = ApplicationFactory()
    transition_application(application=application, to_status=Status.SUBMITTED, actor=None)
    application.refresh_from_db()
    assert application.submitted_at is not None
    assert application.decided_at is None


def test_transition_deciding_stamps_decided_at():
    application = ApplicationFactory(status=Status.UNDER_REVIEW)
    transition_application(application=application, to_status=Status.WAITLISTED, actor=None)
    application.refresh_from_db()
    assert application.decided_at is not None


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=lambda s: s.value)
def test_transition_illegal_refused_and_nothing_changes(source, target):
    application = ApplicationFactory(status=source)

    with pytest.raises(InvalidTransition) as refusal:
        transition_application(application=application, to_status=target, actor=None)

    assert f"is “{source.label}”" in refusal.value.message
    assert Application.objects.get(pk=application.pk).status == source
    assert not StatusChange.objects.exists()


def test_transition_refusal_names_current_and_allowed_statuses():
    application = ApplicationFactory(status=Status.SUBMITTED)
    with pytest.raises(InvalidTransition) as refusal:
        transition_application(application=application, to_status=Status.ACCEPTED, actor=None)
    assert refusal.value.message == (
        "The application is “Submitted” and cannot become “Accepted”; from “Submitted” it can "
        "become “Under review”, “Rejected”, “Withdrawn”."
    )


def test_transition_refusal_from_final_status_says_it_is_final():
    application = ApplicationFactory(status=Status.ACCEPTED)
    with pytest.raises(InvalidTransition) as refusal:
        transition_application(application=application, to_status=Status.REJECTED, actor=None)
    assert refusal.value.message == (
        "The application is “Accepted”, a final status: it cannot become “Rejected” "
        "or change any more."
    )


def test_transition_check_refusal_changes_nothing():
    application = ApplicationFactory()

    def forbid(locked):
        raise InvalidTransition("The round is closed.")

    with pytest.raises(InvalidTransition):
        transition_application(
            application=application, to_status=Status.SUBMITTED, actor=None, check=forbid
        )
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    assert not StatusChange.objects.exists()


def test_transition_applications_moves_each_with_its_status_change():
    applications = [ApplicationFactory(status=Status.SUBMITTED) for _ in range(3)]
    actor = CoordinatorFactory()

    moved = transition_applications(
        application_ids=[a.pk for a in applications],
        to_status=Status.UNDER_REVIEW,
        actor=actor,
        system_note="first_reviewer_assigned",
    )

    assert moved == 3
    assert set(Application.objects.values_list("status", flat=True)) == {Status.UNDER_REVIEW}
    assert sorted(
        StatusChange.objects.values_list("application_id", "from_status", "to_status", "actor")
    ) == sorted((a.pk, Status.SUBMITTED, Status.UNDER_REVIEW, actor.pk) for a in applications)


def test_transition_applications_refuses_all_when_one_cannot_move():
    movable = ApplicationFactory(status=Status.UNDER_REVIEW)
    final = ApplicationFactory(status=Status.REJECTED)

    with pytest.raises(InvalidTransition) as refusal:
        transition_applications(
            application_ids=[movable.pk, final.pk], to_status=Status.SHORTLISTED, actor=None
        )

    assert "a final status" in refusal.value.message
    assert Application.objects.get(pk=movable.pk).status == Status.UNDER_REVIEW
    assert not StatusChange.objects.exists()
