"""Who is who: the roles of DESIGN.md section 6, decided in one place."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

COORDINATORS_GROUP = "Coordinators"
REVIEWERS_GROUP = "Reviewers"


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
