"""Teams (DESIGN.md §11, §12): a start-up's members and their roles, and the e-mailed
invitations that bring people into a start-up's team or a provider's users.

Every function changes state in one transaction, locks what it changes, and records each change
as an audit event `member.changed` (object `startup`, or `provider` for a provider's users).
Only owners manage a team; any member acts for the start-up (applications/permissions.py).
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Event, personal, record, record_many
from incubator.exceptions import WorkflowError
from incubator.models import PartnerAccount, ServiceProvider
from incubator.permissions import PARTNERS_GROUP, is_coordinator
from incubator.services import new_account_errors
from incubator.text import check_text

from . import notifications
from .enums import MembershipRole as Role
from .models import Invitation, Membership, Startup
from .permissions import is_owner

INVITATION_DAYS = 7
# secrets.token_urlsafe(32): 43 URL-safe characters (32 random bytes).
TOKEN_BYTES = 32


class AlreadyMember(WorkflowError):
    """The person is in the team (or the provider's users) already."""


class LastOwner(WorkflowError):
    """A start-up keeps at least one owner."""


class InvitationNotPending(WorkflowError):
    """Only a pending invitation can be revoked."""


class PartnerOfAnotherProvider(WorkflowError):
    """A partner user acts for one provider only."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from error
    return email


def _new_invitation(
    *, actor: AbstractBaseUser, email: str, startup=None, provider=None
) -> tuple[Invitation, str, list[int]]:
    """A pending invitation and its clear token; an earlier pending invitation of the same
    address to the same team is revoked (the new link replaces it). Returns the ids revoked."""
    now = timezone.now()
    target = {"startup": startup} if startup is not None else {"provider": provider}
    earlier = list(
        Invitation.objects.select_for_update()
        .filter(**target, email__iexact=email, accepted_at=None, revoked_at=None)
        .values_list("pk", flat=True)
    )
    if earlier:
        Invitation.objects.filter(pk__in=earlier).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        **target,
        email=email,
        token_hash=hash_token(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    return invitation, token, earlier


def _invited_events(
    invitation: Invitation, *, actor, object_type: str, object_id, superseded: list[int]
) -> list[Event]:
    events = [
        Event(
            action="member.changed",
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            data={"change": "revoked", "invitation": pk, "reason": "superseded"},
        )
        for pk in superseded
    ]
    events.append(
        Event(
            action="member.changed",
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            data={
                "change": "invited",
                "invitation": invitation.pk,
                "email": personal(invitation.email.lower()),
                "expires_at": invitation.expires_at,
            },
        )
    )
    return events


def invite_to_startup(
    *, actor: AbstractBaseUser, startup: Startup, email: str
) -> tuple[Invitation, str]:
    """An owner invites someone by e-mail to the start-up's team; returns the invitation and its
    token (for the e-mail only: the database keeps its SHA-256)."""
    if not is_owner(actor, startup):
        raise PermissionDenied(_("Only the start-up's owners may invite members."))
    email = _clean_email(email)
    with transaction.atomic():
        startup = Startup.objects.select_for_update().get(pk=startup.pk)
        if startup.members.filter(email__iexact=email).exists():
            raise AlreadyMember(
                _("%(email)s is a member of this start-up already.") % {"email": email}
            )
        invitation, token, superseded = _new_invitation(actor=actor, email=email, startup=startup)
        record_many(
            _invited_events(
                invitation,
                actor=actor,
                object_type="startup",
                object_id=startup.pk,
                superseded=superseded,
            )
        )
        notifications.invitation_sent(invitation=invitation, token=token)
    return invitation, token


def invite_to_provider(
    *, actor: AbstractBaseUser, provider: ServiceProvider, email: str
) -> tuple[Invitation, str]:
    """A coordinator invites someone by e-mail to act for a service provider (a partner user)."""
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators may invite partner users."))
    email = _clean_email(email)
    with transaction.atomic():
        provider = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        if PartnerAccount.objects.filter(provider=provider, user__email__iexact=email).exists():
            raise AlreadyMember(
                _("%(email)s is a user of this provider already.") % {"email": email}
            )
        invitation, token, superseded = _new_invitation(actor=actor, email=email, provider=provider)
        record_many(
            _invited_events(
                invitation,
                actor=actor,
                object_type="provider",
                object_id=provider.pk,
                superseded=superseded,
            )
        )
        notifications.invitation_sent(invitation=invitation, token=token)
    return invitation, token


def _usable_invitation(token: str) -> Invitation:
    """The pending invitation of the token, locked; 400 naming `token` otherwise (unknown,
    expired, used and revoked alike say what happened, and nothing changes)."""
    if not isinstance(token, str) or not token:
        raise ValidationError({"token": [_("This invitation link is not valid.")]})
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("startup", "provider")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise ValidationError({"token": [_("This invitation link is not valid.")]})
    if invitation.accepted_at is not None:
        raise ValidationError({"token": [_("This invitation has been used already.")]})
    if invitation.revoked_at is not None:
        raise ValidationError({"token": [_("This invitation was withdrawn.")]})
    if invitation.expires_at <= timezone.now():
        raise ValidationError({"token": [_("This invitation has expired.")]})
    return invitation


def check_invitation(*, token: str) -> Invitation:
    """The pending invitation of a token (for the link's page), or the ValidationError saying
    why it cannot be used."""
    with transaction.atomic():
        return _usable_invitation(token)


def _create_account(*, username: str, password: str, email: str) -> AbstractBaseUser:
    username = (username or "").strip()
    check_text({"username": username, "password": password or ""})
    errors = new_account_errors(username=username, email=email, password=password)
    # The address is the invitation's, checked when it was made.
    errors.pop("email", None)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(username, email, password)
    except IntegrityError as error:
        raise ValidationError({"username": [_("This user name is taken.")]}) from error


def accept_invitation(
    *,
    token: str,
    user: AbstractBaseUser | None = None,
    username: str = "",
    password: str = "",
) -> tuple[Invitation, AbstractBaseUser, bool]:
    """Accept an invitation: a logged-in `user` joins; without one, a new account with the
    invitation's address (`username`, `password`) is made and joins at once. Returns the
    invitation, the user and whether the account is new. Of two accepts of one token, the row
    lock lets exactly one through; the other finds it used (400)."""
    created = user is None
    with transaction.atomic():
        invitation = _usable_invitation(token)
        if user is None:
            user = _create_account(username=username, password=password, email=invitation.email)
        now = timezone.now()
        if invitation.startup_id is not None:
            _join_startup(invitation=invitation, user=user, now=now)
        else:
            _join_provider(invitation=invitation, user=user, now=now)
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation, user, created


def _join_startup(*, invitation: Invitation, user: AbstractBaseUser, now) -> None:
    startup = Startup.objects.select_for_update().get(pk=invitation.startup_id)
    if Membership.objects.filter(startup=startup, user=user).exists():
        raise AlreadyMember(_("You are a member of this start-up already."))
    membership = Membership.objects.create(
        startup=startup, user=user, role=Role.MEMBER, joined_at=now
    )
    record(
        action="member.changed",
        object_type="startup",
        object_id=startup.pk,
        actor=user,
        data={
            "change": "joined",
            "user": user.pk,
            "role": membership.role,
            "invitation": invitation.pk,
        },
    )


def _join_provider(*, invitation: Invitation, user: AbstractBaseUser, now) -> None:
    provider = ServiceProvider.objects.select_for_update().get(pk=invitation.provider_id)
    account = PartnerAccount.objects.select_for_update().filter(user=user).first()
    if account is not None:
        if account.provider_id == provider.pk:
            raise AlreadyMember(_("You are a user of this provider already."))
        raise PartnerOfAnotherProvider(
            _("Your account acts for another service provider; a partner user acts for one.")
        )
    PartnerAccount.objects.create(user=user, provider=provider)
    group, _created = Group.objects.get_or_create(name=PARTNERS_GROUP)
    user.groups.add(group)
    # The cached group names (incubator.permissions) are stale now.
    if hasattr(user, "_group_names"):
        del user._group_names
    record_many(
        [
            Event(
                action="member.changed",
                object_type="provider",
                object_id=provider.pk,
                actor=user,
                data={"change": "joined", "user": user.pk, "invitation": invitation.pk},
            ),
            Event(
                action="user.role_changed",
                object_type="user",
                object_id=user.pk,
                actor=user,
                data={"added": [PARTNERS_GROUP], "provider": provider.pk},
            ),
        ]
    )


def may_manage_invitation(user: AbstractBaseUser, invitation: Invitation) -> bool:
    if invitation.startup_id is not None:
        return is_owner(user, invitation.startup)
    return is_coordinator(user)


def revoke_invitation(*, actor: AbstractBaseUser, invitation: Invitation) -> Invitation:
    """An owner (a start-up's invitation) or a coordinator (a provider's) withdraws a pending
    invitation; its link stops working at once."""
    if not may_manage_invitation(actor, invitation):
        raise PermissionDenied(_("Only the start-up's owners may revoke its invitations."))
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending():
            raise InvitationNotPending(
                _("Only a pending invitation can be revoked; this one was used or has expired.")
                if locked.revoked_at is None
                else _("This invitation was revoked already.")
            )
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        is_startup = locked.startup_id is not None
        record(
            action="member.changed",
            object_type="startup" if is_startup else "provider",
            object_id=locked.startup_id if is_startup else locked.provider_id,
            actor=actor,
            data={"change": "revoked", "invitation": locked.pk},
        )
    return locked


def _locked_team(startup: Startup) -> dict[int, Membership]:
    """The start-up's memberships, locked (so two owners leaving at once cannot both pass the
    last-owner check), by user id."""
    rows = Membership.objects.select_for_update().filter(startup_id=startup.pk).order_by("pk")
    return {row.user_id: row for row in rows}


def _owner_count(team: dict[int, Membership]) -> int:
    return sum(1 for row in team.values() if row.role == Role.OWNER)


def remove_member(*, actor: AbstractBaseUser, startup: Startup, user_id: int) -> None:
    """An owner removes a member, or a member leaves; the last owner cannot go (409). A user
    who is not a member raises Membership.DoesNotExist."""
    leaving = actor.pk == user_id
    if not leaving and not is_owner(actor, startup):
        raise PermissionDenied(_("Only the start-up's owners may remove other members."))
    with transaction.atomic():
        team = _locked_team(startup)
        membership = team.get(user_id)
        if membership is None:
            raise Membership.DoesNotExist
        if membership.role == Role.OWNER and _owner_count(team) == 1:
            raise LastOwner(
                _(
                    "The start-up's last owner cannot leave or be removed: make another "
                    "member owner first."
                )
            )
        membership.delete()
        record(
            action="member.changed",
            object_type="startup",
            object_id=startup.pk,
            actor=actor,
            data={
                "change": "left" if leaving else "removed",
                "user": user_id,
                "role": membership.role,
            },
        )


def change_member_role(
    *, actor: AbstractBaseUser, startup: Startup, user_id: int, role: str
) -> Membership:
    """An owner makes a member owner, or an owner member again; the last owner stays (409)."""
    if not is_owner(actor, startup):
        raise PermissionDenied(_("Only the start-up's owners may change roles."))
    if role not in Role.values:
        raise ValidationError(
            {"role": [_("Choose one of: %(roles)s.") % {"roles": ", ".join(Role.values)}]}
        )
    with transaction.atomic():
        team = _locked_team(startup)
        membership = team.get(user_id)
        if membership is None:
            raise Membership.DoesNotExist
        if membership.role == role:
            return membership
        if membership.role == Role.OWNER and _owner_count(team) == 1:
            raise LastOwner(
                _(
                    "The start-up's last owner cannot become a member: make another "
                    "member owner first."
                )
            )
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            action="member.changed",
            object_type="startup",
            object_id=startup.pk,
            actor=actor,
            data={"change": "role", "user": user_id, "from": previous, "to": role},
        )
    return membership
