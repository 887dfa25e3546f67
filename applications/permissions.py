"""Who may act on start-ups and applications (DESIGN.md section 6).

Seeing an application is decided by `selectors.applications_visible_to`; these predicates say
what a user who can see it may do with it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _

from incubator.permissions import is_coordinator

from .enums import MembershipRole
from .models import Application, Membership, Startup, StatusChange

User = AbstractBaseUser | AnonymousUser


def belongs_to_a_team(user: User) -> bool:
    """Is the account a member of any start-up? (Asked by the kernel before a coordinator
    changes the account's password, e-mail or activity: `incubator.permissions`.)"""
    return Membership.objects.filter(user=user).exists()


def is_member(user: User, startup: Startup) -> bool:
    if not user.is_authenticated:
        return False
    return startup.members.filter(pk=user.pk).exists()


def is_owner(user: User, startup: Startup) -> bool:
    """Owners manage the team (invite, revoke, remove others, change roles); every member,
    owner or not, acts for the start-up and its applications."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        startup_id=startup.pk, user_id=user.pk, role=MembershipRole.OWNER
    ).exists()


def can_see_team(user: User, startup: Startup) -> bool:
    """The team (members, roles) is read by the start-up's members and by coordinators."""
    return is_coordinator(user) or is_member(user, startup)


def can_act_for_application(user: User, application: Application) -> bool:
    """Only the start-up's own members change, submit or withdraw its applications."""
    return is_member(user, application.startup)


# What a reviewer reads of the start-up of an application assigned to them, beside its id: what
# their workplace shows (DESIGN.md §6: "name, region, profile of assigned applications only"),
# never its contact address or its own description. Which start-ups: selectors.startups_visible_to.
REVIEWER_STARTUP_FIELDS = ("name", "region", "website", "team_size")


def can_change_startup(user: User, startup: Startup) -> bool:
    return is_member(user, startup)


def can_export_startup(user: User, startup: Startup) -> bool:
    """Who may download everything held about a start-up (DESIGN.md §13): its owners."""
    return is_owner(user, startup)


def can_read_internal_notes(user: User) -> bool:
    """A status change's note is internal: coordinators read it, nobody else."""
    return is_coordinator(user)


def history_actor_label(change: StatusChange, *, reader: User, reader_is_member: bool) -> str:
    """How the reader of an application's history sees who made a change.

    Coordinators see the user name ("The programme" for the system). Anyone else never sees a
    coordinator's or reviewer's name: every staff or system actor is "The programme". A change
    made by one of the start-up's members shows that member's user name to the start-up's own
    members, and "The start-up" to anyone else (an assigned reviewer).
    """
    if is_coordinator(reader):
        return change.actor.get_username() if change.actor else _("The programme")
    if change.actor is not None and change.actor_is_member:
        return change.actor.get_username() if reader_is_member else _("The start-up")
    return _("The programme")
