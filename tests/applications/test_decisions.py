"""decide_application: a coordinator's decision, with an internal note and an optional message to
the applicant, through the status service."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications.enums import ApplicationStatus as Status
from applications.models import StatusChange
from applications.services import InvalidTransition, decide_application
from notifications.models import Notification
from tests.factories import ApplicationFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "decision"),
    [
        (Status.UNDER_REVIEW, Status.SHORTLISTED),
        (Status.UNDER_REVIEW, Status.WAITLISTED),
        (Status.UNDER_REVIEW, Status.REJECTED),
        (Status.SHORTLISTED, Status.ACCEPTED),
        (Status.WAITLISTED, Status.ACCEPTED),
        (Status.SUBMITTED, Status.REJECTED),
    ],
)
def test_decide_application_records_the_note(coordinator, start, decision):
    application = ApplicationFactory(status=start)

    decide_application(
        application=application, status=decision, actor=coordinator, note="  Panel, 3 May. "
    )

    application.refresh_from_db()
    assert application.status == decision
    assert application.decided_at is not None
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        start,
        decision,
        coordinator,
        "Panel, 3 May.",
    )


@pytest.mark.parametrize("value", ["submitted", "withdrawn", "draft", "maybe"])
def test_decide_application_refuses_a_status_that_is_not_a_decision(coordinator, value):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    with pytest.raises(ValidationError) as error:
        decide_application(application=application, status=value, actor=coordinator)

    assert list(error.value.message_dict) == ["status"]
    assert StatusChange.objects.count() == 0


def test_decide_application_refuses_a_too_long_note(coordinator):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    with pytest.raises(ValidationError) as error:
        decide_application(
            application=application, status=Status.REJECTED, actor=coordinator, note="x" * 2001
        )

    assert list(error.value.message_dict) == ["note"]


def test_decide_application_not_allowed_from_the_current_status(coordinator):
    application = ApplicationFactory(status=Status.SUBMITTED)

    with pytest.raises(InvalidTransition, match="cannot become “Accepted”"):
        decide_application(application=application, status=Status.ACCEPTED, actor=coordinator)

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.parametrize("make_user", [ReviewerFactory, UserFactory])
def test_decide_application_only_by_coordinators(make_user):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    with pytest.raises(PermissionDenied):
        decide_application(application=application, status=Status.REJECTED, actor=make_user())

    assert StatusChange.objects.count() == 0


def test_decide_application_keeps_the_note_internal_and_the_message_for_the_applicant(
    coordinator, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    decide_application(
        application=application,
        status=Status.REJECTED,
        actor=coordinator,
        note="Reviewer 2 scored the team 2/10.",
        message_to_applicant=" The panel would welcome a new application next year.\n",
    )

    change = StatusChange.objects.get()
    assert (change.note, change.message_to_applicant) == (
        "Reviewer 2 scored the team 2/10.",
        "The panel would welcome a new application next year.",
    )
    row = Notification.objects.get()
    assert row.payload["data"]["message_to_applicant"] == (
        "The panel would welcome a new application next year."
    )
    assert "Reviewer 2" not in str(row.payload)


def test_decide_application_without_a_message_sends_none(coordinator):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    decide_application(
        application=application, status=Status.WAITLISTED, actor=coordinator, note="Internal."
    )

    assert StatusChange.objects.get().message_to_applicant == ""
    assert Notification.objects.get().payload["data"]["message_to_applicant"] == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("message_to_applicant", "x" * 2001), ("message_to_applicant", "a\x00b"), ("note", "a\x00")],
)
def test_decide_application_refuses_a_bad_text(coordinator, field, value):
    application = ApplicationFactory(status=Status.UNDER_REVIEW)

    with pytest.raises(ValidationError) as error:
        decide_application(
            application=application, status=Status.REJECTED, actor=coordinator, **{field: value}
        )

    assert list(error.value.message_dict) == [field]
    assert StatusChange.objects.count() == 0
