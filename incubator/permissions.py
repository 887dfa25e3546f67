"""Who is who: the roles of DESIGN.md section 6, decided in one place."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet

COORDINATORS_GROUP = "Coordinators"
REVIEWERS_GROUP = "Reviewers"
PARTNERS_GROUP = "Partners"

# The roles whose accounts a coordinator manages (DESIGN.md §6): reviewers and partners; every
# other account (coordinators, superusers, anyone with a permission of their own) is a
# superuser's to change.
DELEGATED_ROLES = frozenset({REVIEWERS_GROUP, PARTNERS_GROUP})


def _in_group(user: AbstractBaseUser | AnonymousUser, name: str) -> bool:
    if not user.is_authenticated:
        return False
    # Cache the user's group names on the instance: checked many times per request.
    names = getattr(user, "_group_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._group_names = names
    return name in names


def is_coordinator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A member of Coordinators; a superuser acts as one."""
    return user.is_authenticated and (user.is_superuser or _in_group(user, COORDINATORS_GROUP))


def is_reviewer(user: AbstractBaseUser | AnonymousUser) -> bool:
    return _in_group(user, REVIEWERS_GROUP)


def is_partner(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A user acting for one service provider (DESIGN.md §12)."""
    return _in_group(user, PARTNERS_GROUP)


def is_superuser(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only an active superuser changes roles, groups, permissions and staff accounts."""
    return user.is_authenticated and user.is_active and user.is_superuser


def can_manage_account(actor: AbstractBaseUser | AnonymousUser, account: AbstractBaseUser) -> bool:
    """May `actor` change `account` (names, e-mail, active, password, its role's profile)?

    A superuser: any account. A coordinator: an account whose every group is a delegated role
    (reviewers), that is no superuser and holds no permission of its own — never a coordinator's
    (their own included), so a coordinator cannot grant more than they hold. Nobody else.
    """
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if not is_coordinator(actor) or account.is_superuser:
        return False
    groups = set(account.groups.values_list("name", flat=True))
    return bool(groups) and groups <= DELEGATED_ROLES and not account.user_permissions.exists()


# What else an account may belong to, beyond the role a coordinator manages: a start-up's team
# (answered by `applications`, above this module: docs/architecture.md "Hooks").
AccountTie = Callable[[AbstractBaseUser], bool]
_account_ties: list[AccountTie] = []


def provide_account_tie(tie: AccountTie) -> None:
    if tie not in _account_ties:
        _account_ties.append(tie)


def can_take_over_account(
    actor: AbstractBaseUser | AnonymousUser, account: AbstractBaseUser
) -> bool:
    """May `actor` change what lets a person into `account`: its password, its e-mail address
    (where a reset link goes) and whether it is active? As `can_manage_account`, except that a
    coordinator may not when the account also belongs to a start-up's team: the coordinator
    could then log in as that start-up. Only a superuser changes those."""
    if not can_manage_account(actor, account):
        return False
    return actor.is_superuser or not any(tie(account) for tie in _account_ties)


def accounts_managed_by(
    actor: AbstractBaseUser | AnonymousUser, accounts: QuerySet | None = None
) -> QuerySet:
    """`accounts` (every user by default) narrowed to those `can_manage_account` allows."""
    user_model = get_user_model()
    accounts = user_model.objects.all() if accounts is None else accounts
    if not actor.is_authenticated or not actor.is_active:
        return accounts.none()
    if actor.is_superuser:
        return accounts
    if not is_coordinator(actor):
        return accounts.none()
    memberships = user_model.groups.through.objects.filter(user=OuterRef("pk"))
    own_permissions = user_model.user_permissions.through.objects.filter(user=OuterRef("pk"))
    return accounts.filter(
        Exists(memberships.filter(group__name__in=DELEGATED_ROLES)),
        ~Exists(memberships.exclude(group__name__in=DELEGATED_ROLES)),
        ~Exists(own_permissions),
        is_superuser=False,
    )
