"""The applications' admin: decisions ask for an internal note and a message to the applicant."""

import pytest

from applications.enums import ApplicationStatus
from applications.models import Invitation, StatusChange
from applications.teams import invite_to_provider
from notifications.models import Notification
from tests.factories import (
    ApplicationFactory,
    PartnerFactory,
    ReviewerFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

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


# --- Partner user invitations (DESIGN.md §12) --------------------------------------------------

PARTNER_INVITATIONS = "/admin/applications/partnerinvitation/"


def test_admin_coordinator_invites_a_partner_user(client, coordinator):
    provider = ServiceProviderFactory(name="Bay Fund", language="zh-hant")
    force_login_verified(client, coordinator)

    form = client.get(f"{PARTNER_INVITATIONS}add/?provider={provider.pk}")
    assert form.status_code == 200
    response = client.post(
        f"{PARTNER_INVITATIONS}add/", {"provider": provider.pk, "email": "analyst@fund.example"}
    )

    assert response.status_code == 302, response.content
    invitation = Invitation.objects.get()
    assert (invitation.provider, invitation.email, invitation.created_by) == (
        provider,
        "analyst@fund.example",
        coordinator,
    )
    row = Notification.objects.get(event="invitation.sent")
    assert row.language == "zh-hant"
    listing = client.get(PARTNER_INVITATIONS).content.decode()
    assert "analyst@fund.example" in listing


def test_admin_coordinator_revokes_a_partner_invitation(client, coordinator):
    provider = ServiceProviderFactory()
    invitation, _token = invite_to_provider(
        actor=coordinator, provider=provider, email="a@fund.example"
    )
    force_login_verified(client, coordinator)
    client.post(PARTNER_INVITATIONS, {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_admin_inviting_a_providers_user_again_is_refused_with_a_message(client, coordinator):
    provider = ServiceProviderFactory()
    PartnerFactory(provider=provider, email="p@fund.example")
    force_login_verified(client, coordinator)
    response = client.post(
        f"{PARTNER_INVITATIONS}add/",
        {"provider": provider.pk, "email": "p@fund.example"},
        follow=True,
    )
    assert "is a user of this provider already" in response.content.decode()
    assert not Invitation.objects.exists()


def test_admin_partner_invitations_refused_to_reviewers(client):
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    assert client.get(PARTNER_INVITATIONS).status_code == 403
    assert client.get(f"{PARTNER_INVITATIONS}add/").status_code == 403


def test_admin_startup_page_shows_the_team_read_only(admin_client):
    founder = UserFactory(username="founder")
    startup = StartupFactory(members=[founder])
    page = admin_client.get(f"/admin/applications/startup/{startup.pk}/change/").content.decode()
    assert "founder" in page
    assert "Owner" in page
