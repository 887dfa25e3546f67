"""The team services (applications/teams.py): tokens kept hashed, the e-mail and its link,
expiry, the last owner, and two accepts of one token at once."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from applications import teams
from applications.enums import MembershipRole
from applications.models import Invitation, Membership
from audit.models import AuditEvent
from notifications.emails import render_row
from notifications.models import Notification
from tests.factories import ServiceProviderFactory, StartupFactory, UserFactory
from tests.races import hold_open_while_another_waits

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def startup(owner):
    return StartupFactory(name="Harbour Chain", members=[owner], language="zh-hant")


def test_token_is_long_url_safe_and_only_its_hash_is_stored(owner, startup, settings):
    settings.SITE_URL = "https://incubator.example"
    _invitation, token = teams.invite_to_startup(
        actor=owner, startup=startup, email="a@example.org"
    )

    assert len(token) >= 32
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert Invitation.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    # Nowhere in the database in clear: a dump of every row of every table does not hold it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- names from the catalogue
            assert token not in json.dumps(cursor.fetchall(), default=str), table


def test_email_in_the_startups_language_with_the_link(owner, startup, settings):
    settings.SITE_URL = "https://incubator.example"
    _invitation, token = teams.invite_to_startup(
        actor=owner, startup=startup, email="a@example.org"
    )

    row = Notification.objects.get()
    subject, text, html = render_row(row).parts()

    assert row.language == "zh-hant"
    assert subject == "邀請您加入 Harbour Chain"
    assert f"https://incubator.example/invitations/{token}/" in text
    assert f'href="https://incubator.example/invitations/{token}/"' in html
    assert "owner" in text


def test_email_of_a_provider_invitation_in_the_providers_language(coordinator):
    provider = ServiceProviderFactory(name="Bay Fund", language="zh-hans")
    _invitation, token = teams.invite_to_provider(
        actor=coordinator, provider=provider, email="p@example.org"
    )
    subject, text, _html = render_row(Notification.objects.get()).parts()
    assert subject == "邀请您加入 Bay Fund"
    assert f"/invitations/{token}/" in text


def test_invite_only_by_owner(owner, startup):
    member = UserFactory(username="m")
    startup.members.add(member)
    with pytest.raises(PermissionDenied):
        teams.invite_to_startup(actor=member, startup=startup, email="x@example.org")
    assert not Invitation.objects.exists()


def test_expired_invitation_refused_a_second_before_and_after(owner, startup):
    invitation, token = teams.invite_to_startup(actor=owner, startup=startup, email="a@example.org")
    joiner = UserFactory(username="joiner")
    # Seven days less a second after it was made, it still works ...
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(seconds=1)
    )
    assert teams.check_invitation(token=token).pk == invitation.pk
    # ... and a second past its expiry, it does not.
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError) as error:
        teams.accept_invitation(token=token, user=joiner)
    assert error.value.message_dict == {"token": ["This invitation has expired."]}
    assert not startup.members.filter(pk=joiner.pk).exists()


def test_last_owner_rules(owner, startup):
    member = UserFactory(username="m")
    startup.members.add(member)
    with pytest.raises(teams.LastOwner):
        teams.remove_member(actor=owner, startup=startup, user_id=owner.pk)
    with pytest.raises(teams.LastOwner):
        teams.change_member_role(
            actor=owner, startup=startup, user_id=owner.pk, role=MembershipRole.MEMBER
        )
    teams.change_member_role(
        actor=owner, startup=startup, user_id=member.pk, role=MembershipRole.OWNER
    )
    teams.change_member_role(
        actor=member, startup=startup, user_id=owner.pk, role=MembershipRole.MEMBER
    )
    assert dict(Membership.objects.values_list("user__username", "role")) == {
        "owner": "member",
        "m": "owner",
    }
    actions = list(AuditEvent.objects.values_list("action", "data__change", "actor"))
    assert actions[-2:] == [
        ("member.changed", "role", owner.pk),
        ("member.changed", "role", member.pk),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_of_one_token_exactly_one_wins():
    owner = UserFactory(username="owner")
    startup = StartupFactory(members=[owner])
    _invitation, token = teams.invite_to_startup(
        actor=owner, startup=startup, email="a@example.org"
    )
    first, second = UserFactory(username="first"), UserFactory(username="second")
    outcomes: dict[str, str] = {}

    def accept(user) -> None:
        try:
            teams.accept_invitation(token=token, user=user)
            outcomes[user.username] = "joined"
        except ValidationError as error:
            outcomes[user.username] = error.message_dict["token"][0]

    # The first holds the invitation's row lock while the second waits for it.
    hold_open_while_another_waits(lambda: accept(first), lambda: accept(second))

    assert outcomes == {"first": "joined", "second": "This invitation has been used already."}
    assert set(startup.members.values_list("username", flat=True)) == {"owner", "first"}
    assert Invitation.objects.get().accepted_by == first
