"""Who may act on start-ups and applications (DESIGN.md section 6).

Seeing an application is decided by `selectors.applications_visible_to`; these predicates say
what a user who can see it may do with it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import Application, Startup

User = AbstractBaseUser | AnonymousUser


def is_member(user: User, startup: Startup) -> bool:
    if not user.is_authenticated:
        return False
    return startup.members.filter(pk=user.pk).exists()


def can_act_for_application(user: User, application: Application) -> bool:
    """Only the start-up's own members change, submit or withdraw its applications."""
    return is_member(user, application.startup)


# What a reviewer reads of the start-up of an application assigned to them, beside its id: what
# their workplace shows (DESIGN.md §6: "name, region, profile of assigned applications only"),
# never its contact address or its own description. Which start-ups: selectors.startups_visible_to.
REVIEWER_STARTUP_FIELDS = ("name", "region", "website", "team_size")


def can_change_startup(user: User, startup: Startup) -> bool:
    return is_member(user, startup)
