"""Who may act on start-ups and applications (DESIGN.md section 6).

Seeing an application is decided by `selectors.applications_visible_to`; these predicates say
what a user who can see it may do with it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from incubator.permissions import is_coordinator, is_reviewer

from .models import Application, Startup

User = AbstractBaseUser | AnonymousUser


def is_member(user: User, startup: Startup) -> bool:
    if not user.is_authenticated:
        return False
    return startup.members.filter(pk=user.pk).exists()


def can_act_for_application(user: User, application: Application) -> bool:
    """Only the start-up's own members change, submit or withdraw its applications."""
    return is_member(user, application.startup)


def can_read_all_startups(user: User) -> bool:
    # Reviewers need the list to declare conflicts of interest.
    return is_coordinator(user) or is_reviewer(user)


def can_change_startup(user: User, startup: Startup) -> bool:
    return is_member(user, startup)
