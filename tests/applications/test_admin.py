"""The applications' admin: decisions ask for an internal note and a message to the applicant."""

import pytest

from applications.enums import ApplicationStatus
from applications.models import StatusChange
from notifications.models import Notification
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_admin_decision_action_takes_a_note_and_a_message(admin_client):
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)

    asked = admin_client.post(
        "/admin/applications/application/",
        {"action": "mark_waitlisted", "_selected_action": [application.pk]},
    )
    assert set(asked.context["form"].fields) == {"note", "message_to_applicant"}

    admin_client.post(
        "/admin/applications/application/",
        {
            "action": "mark_waitlisted",
            "_selected_action": [application.pk],
            "apply": "1",
            "note": "Budget decides in March.",
            "message_to_applicant": "We hope to confirm a place in March.",
        },
    )

    change = StatusChange.objects.get()
    assert (change.to_status, change.note, change.message_to_applicant) == (
        "waitlisted",
        "Budget decides in March.",
        "We hope to confirm a place in March.",
    )
    data = Notification.objects.get().payload["data"]
    assert data["message_to_applicant"] == "We hope to confirm a place in March."


def test_admin_status_history_shows_both_to_coordinators(admin_client):
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    StatusChange.objects.create(
        application=application,
        from_status="under_review",
        to_status="rejected",
        note="Internal reason.",
        message_to_applicant="Kind words.",
    )

    page = admin_client.get(f"/admin/applications/application/{application.pk}/change/")

    assert "Internal reason." in page.text
    assert "Kind words." in page.text
