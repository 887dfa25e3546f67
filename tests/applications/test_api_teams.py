"""Teams and invitations through the API (DESIGN.md §11, §12): every answer of the contract."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from applications import teams
from applications.enums import MembershipRole
from applications.models import Invitation, Membership
from audit.models import AuditEvent
from audit.services import format_time, personal
from incubator.models import PartnerAccount
from incubator.permissions import is_partner
from notifications.models import Notification
from tests.applications.conftest import client_for
from tests.factories import (
    AssignmentFactory,
    PartnerFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def members_url(startup):
    return f"/api/v1/startups/{startup.pk}/members/"


def member_url(startup, user):
    return f"/api/v1/startups/{startup.pk}/members/{user.pk}/"


def invitations_url(startup):
    return f"/api/v1/startups/{startup.pk}/invitations/"


ACCEPT = "/api/v1/invitations/accept/"


@pytest.fixture
def member(startup):
    user = UserFactory(username="member", email="member@example.org")
    startup.members.add(user)
    return user


def invite(startup, email="new@example.org"):
    owner = startup.memberships.filter(role=MembershipRole.OWNER).first().user
    return teams.invite_to_startup(actor=owner, startup=startup, email=email)


# --- GET members -------------------------------------------------------------------------------


def test_members_lists_roles_and_join_times(founder, startup, member):
    response = client_for(member).get(members_url(startup))

    assert response.status_code == 200
    rows = response.json()
    assert [(r["user"], r["username"], r["email"], r["role"]) for r in rows] == [
        (founder.pk, "founder", founder.email, "owner"),
        (member.pk, "member", "member@example.org", "member"),
    ]
    assert set(rows[0]) == {"user", "username", "email", "role", "joined_at"}


def test_members_coordinator_reads(coordinator_user, startup):
    assert client_for(coordinator_user).get(members_url(startup)).status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("other_founder", 404), ("reviewer_unassigned", 404), ("partner", 404)],
)
def test_members_hidden_from_others(role, expected, startup, other_founder, reviewer):
    user = {
        "anonymous": None,
        "other_founder": other_founder,
        "reviewer_unassigned": reviewer,
        "partner": PartnerFactory(),
    }[role]
    assert client_for(user).get(members_url(startup)).status_code == expected


def test_members_assigned_reviewer_knows_the_startup_but_not_its_team(reviewer, draft, startup):
    AssignmentFactory(reviewer=reviewer, application=draft)
    assert client_for(reviewer).get(members_url(startup)).status_code == 403


def test_members_query_count_does_not_grow(founder, startup, django_assert_max_num_queries):
    client = client_for(founder)
    with django_assert_max_num_queries(6) as one:
        client.get(members_url(startup))
    for index in range(20):
        startup.members.add(UserFactory(username=f"m{index}"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(members_url(startup))
    assert len(response.json()) == 21


# --- POST invitations --------------------------------------------------------------------------


def test_invite_answers_201_and_mails_the_link_in_the_startups_language(founder, startup):
    startup.language = "zh-hant"
    startup.save(update_fields=["language"])

    response = client_for(founder).post(
        invitations_url(startup), {"email": "Ada@Example.org"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "email", "expires_at"}
    invitation = Invitation.objects.get(pk=body["id"])
    assert body["email"] == "Ada@Example.org"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    row = Notification.objects.get(event="invitation.sent")
    assert (row.recipient, row.language) == ("Ada@Example.org", "zh-hant")
    assert AuditEvent.objects.filter(action="member.changed").last().data == {
        "change": "invited",
        "invitation": invitation.pk,
        "email": personal("ada@example.org"),
        "expires_at": format_time(invitation.expires_at),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("member", 403), ("other_founder", 404), ("coordinator", 403)],
)
def test_invite_refused_to_non_owners(
    role, expected, startup, member, other_founder, coordinator_user
):
    user = {
        "anonymous": None,
        "member": member,
        "other_founder": other_founder,
        "coordinator": coordinator_user,
    }[role]
    response = client_for(user).post(
        invitations_url(startup), {"email": "x@example.org"}, format="json"
    )
    assert response.status_code == expected
    assert not Invitation.objects.exists()


def test_invite_bad_address_is_400_naming_email(founder, startup):
    response = client_for(founder).post(invitations_url(startup), {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert not Invitation.objects.exists()


def test_invite_a_member_is_409(founder, startup, member):
    response = client_for(founder).post(
        invitations_url(startup), {"email": "MEMBER@example.org"}, format="json"
    )
    assert response.status_code == 409
    assert not Invitation.objects.exists()
    assert not Notification.objects.exists()


def test_invite_again_replaces_the_pending_invitation(founder, startup):
    first, _token = invite(startup)
    second, _token = invite(startup)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(Invitation.objects.filter(revoked_at=None)) == [second]


# --- GET / DELETE invitations ------------------------------------------------------------------


def test_pending_invitations_listed_for_owners_only(founder, startup, member):
    invitation, _token = invite(startup)
    _used, token = invite(startup, "used@example.org")
    teams.accept_invitation(token=token, user=UserFactory(username="used"))

    response = client_for(founder).get(invitations_url(startup))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [invitation.pk]
    assert client_for(member).get(invitations_url(startup)).status_code == 403


def test_revoke_pending_invitation_204_then_link_dead(founder, startup):
    invitation, token = invite(startup)

    response = client_for(founder).delete(f"{invitations_url(startup)}{invitation.pk}/")

    assert response.status_code == 204
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="member.changed").last().data == {
        "change": "revoked",
        "invitation": invitation.pk,
    }
    accept = client_for(UserFactory(username="late")).post(ACCEPT, {"token": token}, format="json")
    assert accept.status_code == 400
    assert "token" in accept.json()


def test_revoke_twice_is_409(founder, startup):
    invitation, _token = invite(startup)
    client_for(founder).delete(f"{invitations_url(startup)}{invitation.pk}/")
    assert (
        client_for(founder).delete(f"{invitations_url(startup)}{invitation.pk}/").status_code == 409
    )


def test_revoke_refused_to_member_and_unknown_is_404(founder, startup, member, other_founder):
    invitation, _token = invite(startup)
    url = f"{invitations_url(startup)}{invitation.pk}/"
    assert client_for(member).delete(url).status_code == 403
    assert client_for(other_founder).delete(url).status_code == 404
    assert client_for(founder).delete(f"{invitations_url(startup)}999999/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- POST invitations/accept/ ------------------------------------------------------------------


def test_accept_logged_in_joins_as_member(startup):
    invitation, token = invite(startup)
    user = UserFactory(username="joiner")

    response = client_for(user).post(ACCEPT, {"token": token}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"user": user.pk, "startup": startup.pk, "provider": None}
    membership = Membership.objects.get(startup=startup, user=user)
    assert membership.role == MembershipRole.MEMBER
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (user, True)
    event = AuditEvent.objects.filter(action="member.changed").last()
    assert (event.object_type, event.object_id, event.actor) == (
        "startup",
        str(startup.pk),
        user.pk,
    )
    assert event.data == {
        "change": "joined",
        "user": user.pk,
        "role": "member",
        "invitation": invitation.pk,
    }


def test_accept_anonymous_creates_account_with_the_invitations_address(startup):
    _invitation, token = invite(startup, "newcomer@example.org")

    response = client_for().post(
        ACCEPT,
        {"token": token, "username": "newcomer", "password": "a long enough pass 42"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="newcomer")
    assert body == {
        "user": {"id": user.pk, "username": "newcomer", "email": "newcomer@example.org"},
        "token": Token.objects.get(user=user).key,
    }
    assert startup.members.filter(pk=user.pk).exists()
    # The token works.
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get(members_url(startup)).status_code == 200


def test_accept_anonymous_weak_password_400_naming_password(startup):
    _invitation, token = invite(startup)
    response = client_for().post(
        ACCEPT, {"token": token, "username": "weak", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(username="weak").exists()
    assert Invitation.objects.get().accepted_at is None


def test_accept_anonymous_username_taken_400_naming_username(startup, member):
    _invitation, token = invite(startup)
    response = client_for().post(
        ACCEPT,
        {"token": token, "username": "member", "password": "a long enough pass 42"},
        format="json",
    )
    assert response.status_code == 400
    assert "username" in response.json()
    assert Invitation.objects.get().accepted_at is None


def test_accept_anonymous_without_username_is_400(startup):
    _invitation, token = invite(startup)
    response = client_for().post(ACCEPT, {"token": token}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@pytest.mark.parametrize("state", ["unknown", "used", "revoked", "expired"])
def test_accept_unusable_token_is_400_and_changes_nothing(state, startup):
    invitation, token = invite(startup)
    if state == "unknown":
        token = "x" * 43
    elif state == "used":
        teams.accept_invitation(token=token, user=UserFactory(username="first"))
    elif state == "revoked":
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    else:
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    members_before = set(startup.members.values_list("pk", flat=True))
    users_before = User.objects.count()

    response = client_for().post(
        ACCEPT,
        {"token": token, "username": "late", "password": "a long enough pass 42"},
        format="json",
    )

    assert response.status_code == 400
    assert "token" in response.json()
    assert set(startup.members.values_list("pk", flat=True)) == members_before
    assert User.objects.count() == users_before


def test_accept_when_already_member_is_409(startup, member):
    _invitation, token = invite(startup, "someone@example.org")
    assert client_for(member).post(ACCEPT, {"token": token}, format="json").status_code == 409
    assert Invitation.objects.get().accepted_at is None


# --- DELETE / PATCH members --------------------------------------------------------------------


def test_owner_removes_member_204(founder, startup, member):
    response = client_for(founder).delete(member_url(startup, member))
    assert response.status_code == 204
    assert not startup.members.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action="member.changed").last().data == {
        "change": "removed",
        "user": member.pk,
        "role": "member",
    }


def test_member_leaves_204(startup, member):
    assert client_for(member).delete(member_url(startup, member)).status_code == 204
    assert AuditEvent.objects.filter(action="member.changed").last().data["change"] == "left"


def test_member_cannot_remove_another_403(founder, startup, member):
    assert client_for(member).delete(member_url(startup, founder)).status_code == 403
    assert startup.members.filter(pk=founder.pk).exists()


def test_last_owner_cannot_leave_or_be_removed_409(founder, startup, member):
    assert client_for(founder).delete(member_url(startup, founder)).status_code == 409
    assert startup.members.filter(pk=founder.pk).exists()


def test_remove_non_member_404_and_other_startup_404(founder, startup, other_founder):
    assert client_for(founder).delete(member_url(startup, other_founder)).status_code == 404
    assert client_for(other_founder).delete(member_url(startup, founder)).status_code == 404


def test_owner_makes_member_owner_then_may_leave(founder, startup, member):
    response = client_for(founder).patch(
        member_url(startup, member), {"role": "owner"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "owner"
    assert AuditEvent.objects.filter(action="member.changed").last().data == {
        "change": "role",
        "user": member.pk,
        "from": "member",
        "to": "owner",
    }
    assert client_for(founder).delete(member_url(startup, founder)).status_code == 204


def test_demoting_last_owner_409_bad_role_400_member_403(founder, startup, member):
    owner = client_for(founder)
    assert (
        owner.patch(member_url(startup, founder), {"role": "member"}, format="json").status_code
        == 409
    )
    response = owner.patch(member_url(startup, member), {"role": "boss"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    assert (
        client_for(member)
        .patch(member_url(startup, member), {"role": "owner"}, format="json")
        .status_code
        == 403
    )
    assert Membership.objects.get(user=member).role == "member"


# --- Providers ---------------------------------------------------------------------------------


def provider_invitations_url(provider):
    return f"/api/v1/providers/{provider.pk}/invitations/"


def test_coordinator_invites_partner_in_providers_language(coordinator_user):
    provider = ServiceProviderFactory(language="zh-hans")

    response = client_for(coordinator_user).post(
        provider_invitations_url(provider), {"email": "analyst@fund.example"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "email", "expires_at"}
    row = Notification.objects.get(event="invitation.sent")
    assert (row.recipient, row.language) == ("analyst@fund.example", "zh-hans")
    event = AuditEvent.objects.filter(action="member.changed").last()
    assert (event.object_type, event.object_id, event.data["change"]) == (
        "provider",
        str(provider.pk),
        "invited",
    )


@pytest.mark.parametrize("role", ["founder", "reviewer", "partner"])
def test_provider_invite_refused_to_non_coordinators(role, founder, reviewer):
    provider = ServiceProviderFactory()
    user = {"founder": founder, "reviewer": reviewer, "partner": PartnerFactory(provider=provider)}[
        role
    ]
    response = client_for(user).post(
        provider_invitations_url(provider), {"email": "a@example.org"}, format="json"
    )
    assert response.status_code == 403
    assert (
        client_for().post(provider_invitations_url(provider), {}, format="json").status_code == 401
    )


def test_accepting_provider_invitation_makes_a_partner(coordinator_user):
    provider = ServiceProviderFactory()
    _invitation, token = teams.invite_to_provider(
        actor=coordinator_user, provider=provider, email="analyst@fund.example"
    )

    response = client_for().post(
        ACCEPT,
        {"token": token, "username": "analyst", "password": "a long enough pass 42"},
        format="json",
    )

    assert response.status_code == 201, response.content
    user = User.objects.get(username="analyst")
    assert PartnerAccount.objects.get(user=user).provider == provider
    assert is_partner(User.objects.get(pk=user.pk))
    assert AuditEvent.objects.filter(action="user.role_changed").last().data == {
        "added": ["Partners"],
        "provider": provider.pk,
    }


def test_partner_of_another_provider_gets_409(coordinator_user):
    partner = PartnerFactory()
    provider = ServiceProviderFactory()
    _invitation, token = teams.invite_to_provider(
        actor=coordinator_user, provider=provider, email="x@example.org"
    )
    assert client_for(partner).post(ACCEPT, {"token": token}, format="json").status_code == 409
    assert PartnerAccount.objects.get(user=partner).provider != provider


def test_inviting_a_providers_user_again_is_409(coordinator_user):
    provider = ServiceProviderFactory()
    partner = PartnerFactory(provider=provider, email="p@fund.example")
    response = client_for(coordinator_user).post(
        provider_invitations_url(provider), {"email": partner.email}, format="json"
    )
    assert response.status_code == 409


def test_coordinator_revokes_provider_invitation(coordinator_user):
    provider = ServiceProviderFactory()
    invitation, _token = teams.invite_to_provider(
        actor=coordinator_user, provider=provider, email="x@example.org"
    )
    client = client_for(coordinator_user)
    assert [r["id"] for r in client.get(provider_invitations_url(provider)).json()] == [
        invitation.pk
    ]
    url = f"{provider_invitations_url(provider)}{invitation.pk}/"
    assert client.delete(url).status_code == 204
    assert client.get(provider_invitations_url(provider)).json() == []


# --- The profile's language --------------------------------------------------------------------


def test_startup_language_readable_and_changeable(founder, startup):
    client = client_for(founder)
    response = client.patch(
        f"/api/v1/startups/{startup.pk}/", {"language": "zh-hant"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["language"] == "zh-hant"
    bad = client.patch(f"/api/v1/startups/{startup.pk}/", {"language": "fr"}, format="json")
    assert bad.status_code == 400
    assert "language" in bad.json()


def test_registering_user_is_the_owner():
    response = client_for().post(
        "/api/v1/auth/register/",
        {
            "username": "ada",
            "email": "ada@example.org",
            "password": "a long enough pass 42",
            "startup_name": "Ada Labs",
            "region": "macau",
        },
        format="json",
    )
    assert response.status_code == 201
    membership = Membership.objects.get(user__username="ada")
    assert membership.role == MembershipRole.OWNER


def test_other_startup_invitation_cannot_be_revoked_through_own_startup(
    founder, startup, other_founder
):
    other = other_founder.startups.get()
    invitation, _token = invite(other)
    response = client_for(founder).delete(f"{invitations_url(startup)}{invitation.pk}/")
    assert response.status_code == 404
    assert StartupFactory._meta.model.objects.count() == 2


def test_pending_invitations_query_count_does_not_grow(
    founder, startup, django_assert_max_num_queries
):
    invite(startup, "first@example.org")
    client = client_for(founder)
    with django_assert_max_num_queries(8) as one:
        client.get(invitations_url(startup))
    for index in range(20):
        invite(startup, f"person{index}@example.org")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(invitations_url(startup))
    assert len(response.json()) == 21
