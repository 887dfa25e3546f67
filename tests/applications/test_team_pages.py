"""The portal's team page and the invitation link's page, per role (DESIGN.md §11)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from applications import teams
from applications.models import Invitation, Membership
from incubator.models import PartnerAccount
from tests.factories import PartnerFactory, ServiceProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
TEAM = "/startup/team/"
ACCEPT = "/invitations/accept/"


@pytest.fixture
def member(startup):
    user = UserFactory(username="member", email="member@example.org")
    startup.members.add(user)
    return user


def logged_in(client, user):
    client.force_login(user)
    return client


def test_team_page_owner_sees_members_roles_and_owner_tools(client, founder, member):
    response = logged_in(client, founder).get(TEAM)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-member="founder"' in page
    assert 'data-member="member"' in page
    assert 'data-role="owner"' in page
    assert "Make owner" in page
    assert "Send invitation" in page


def test_team_page_member_sees_team_and_may_only_leave(client, founder, member):
    page = logged_in(client, member).get(TEAM).content.decode()
    assert 'data-member="founder"' in page
    assert "Leave the team" in page
    assert "Send invitation" not in page
    assert "Make owner" not in page


@pytest.mark.parametrize("role", ["anonymous", "reviewer", "partner", "coordinator"])
def test_team_page_without_a_startup(role, client, reviewer, coordinator_user):
    user = {
        "anonymous": None,
        "reviewer": reviewer,
        "partner": PartnerFactory(),
        "coordinator": coordinator_user,
    }[role]
    if user is not None:
        client.force_login(user)
    response = client.get(TEAM)
    if role == "anonymous":
        assert response.status_code == 302
        assert (
            response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
        )
    else:
        assert response.status_code == 404


def test_owner_invites_through_the_page(client, founder, startup):
    response = logged_in(client, founder).post(TEAM, {"email": "ada@example.org"})
    assert response.status_code == 302
    assert Invitation.objects.get().email == "ada@example.org"
    page = client.get(TEAM).content.decode()
    assert 'data-invitation="ada@example.org"' in page


def test_member_cannot_invite_through_the_page(client, member):
    assert logged_in(client, member).post(TEAM, {"email": "x@example.org"}).status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_a_member_shows_the_reason(client, founder, member):
    response = logged_in(client, founder).post(TEAM, {"email": "member@example.org"})
    assert response.status_code == 400
    assert "is a member of this start-up already" in response.content.decode()


def test_other_founder_cannot_touch_this_team(client, founder, startup, other_founder, member):
    invitation, _token = teams.invite_to_startup(
        actor=founder, startup=startup, email="x@example.org"
    )
    client = logged_in(client, other_founder)
    assert client.post(f"/startup/team/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/startup/team/members/{member.pk}/remove/").status_code == 404
    assert (
        client.post(f"/startup/team/members/{member.pk}/role/", {"role": "owner"}).status_code
        == 404
    )
    assert Membership.objects.filter(user=member).exists()


def test_owner_revokes_makes_owner_and_removes(client, founder, startup, member):
    invitation, _token = teams.invite_to_startup(
        actor=founder, startup=startup, email="x@example.org"
    )
    client = logged_in(client, founder)
    assert client.post(f"/startup/team/invitations/{invitation.pk}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    client.post(f"/startup/team/members/{member.pk}/role/", {"role": "owner"})
    assert Membership.objects.get(user=member).role == "owner"
    client.post(f"/startup/team/members/{member.pk}/remove/")
    assert not Membership.objects.filter(user=member).exists()


def test_member_cannot_remove_others_but_may_leave(client, founder, member):
    client = logged_in(client, member)
    assert client.post(f"/startup/team/members/{founder.pk}/remove/").status_code == 403
    response = client.post(f"/startup/team/members/{member.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(user=member).exists()


def test_last_owner_leaving_is_refused_with_a_message(client, founder):
    response = logged_in(client, founder).post(
        f"/startup/team/members/{founder.pk}/remove/", follow=True
    )
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(user=founder).exists()


# --- The link's page ---------------------------------------------------------------------------


def test_link_logged_in_user_accepts(client, founder, startup):
    _invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="ada@example.org"
    )
    ada = UserFactory(username="ada")
    client = logged_in(client, ada)
    page = client.get(f"/invitations/{token}/", follow=True)
    assert page.redirect_chain == [(ACCEPT, 302)]
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()

    response = client.post(ACCEPT)

    assert response.status_code == 302
    assert response["Location"] == TEAM
    assert startup.members.filter(pk=ada.pk).exists()


def test_link_newcomer_signs_up_and_joins_in_one_step(client, founder, startup):
    _invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="new@example.org"
    )
    client.get(f"/invitations/{token}/")
    response = client.post(
        ACCEPT,
        {
            "username": "newbie",
            "password1": "a long enough pass 42",
            "password2": "a long enough pass 42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.email == "new@example.org"
    assert startup.members.filter(pk=user.pk).exists()
    # Logged in at once.
    assert client.get(TEAM).status_code == 200


def test_link_newcomer_weak_password_shown_on_the_field(client, founder, startup):
    _invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="new@example.org"
    )
    client.get(f"/invitations/{token}/")
    response = client.post(ACCEPT, {"username": "newbie", "password1": "123", "password2": "123"})
    # A form with errors is an ordinary page (200): no log line names the request.
    assert response.status_code == 200
    assert 'id="id_password1_errors"' in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("state", ["unknown", "used", "expired", "revoked"])
def test_link_unusable_explains(state, client, founder, startup):
    invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="new@example.org"
    )
    expected = {
        "unknown": "This invitation link is not valid.",
        "used": "This invitation has been used already.",
        "expired": "This invitation has expired.",
        "revoked": "This invitation was withdrawn.",
    }[state]
    if state == "unknown":
        token = "y" * 43
    elif state == "used":
        teams.accept_invitation(token=token, user=UserFactory(username="first"))
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    else:
        teams.revoke_invitation(actor=founder, invitation=invitation)

    response = client.get(f"/invitations/{token}/", follow=True)

    assert response.status_code == 400
    assert expected in response.content.decode()


def test_link_in_traditional_chinese(client, founder, startup):
    _invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="new@example.org"
    )
    page = client.get(
        f"/invitations/{token}/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "建立帳戶並加入" in page


def test_link_of_a_provider_makes_a_partner_and_goes_home_or_to_partners(client, coordinator):
    provider = ServiceProviderFactory(name="Bay Fund")
    _invitation, token = teams.invite_to_provider(
        actor=coordinator, provider=provider, email="p@example.org"
    )
    client.get(f"/invitations/{token}/")
    response = client.post(
        ACCEPT,
        {
            "username": "analyst",
            "password1": "a long enough pass 42",
            "password2": "a long enough pass 42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] in {"/partners/", "/"}
    assert PartnerAccount.objects.get(user__username="analyst").provider == provider


def test_link_token_leaves_the_address_and_the_accept_page_needs_it(client, founder, startup):
    _invitation, token = teams.invite_to_startup(
        actor=founder, startup=startup, email="new@example.org"
    )
    # Without having opened a link, the accept page has nothing to accept.
    assert client.get(ACCEPT).status_code == 400
    response = client.get(f"/invitations/{token}/")
    assert (response.status_code, response["Location"]) == (302, ACCEPT)
    page = client.get(ACCEPT).content.decode()
    assert token not in page
