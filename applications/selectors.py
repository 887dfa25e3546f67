"""Reads of start-ups and applications, with visibility decided in one place for every role."""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator.models import Question, Round
from incubator.permissions import is_coordinator

from .models import Application, Attachment, Invitation, Membership, Startup, StatusChange

User = AbstractBaseUser | AnonymousUser

# Roles defined above this app see applications by rules of their own: a reviewer, those
# assigned to them and not conflicted (reviews). Such an app grants access at start-up
# (its AppConfig.ready) with a function from a user to a condition on Application rows, or None
# when it grants that user nothing; this app asks without knowing the apps above it.
AccessRule = Callable[[AbstractBaseUser], Q | None]
_access_rules: list[AccessRule] = []


def grant_application_access(rule: AccessRule) -> None:
    if rule not in _access_rules:
        _access_rules.append(rule)


def applications_visible_to(*, user: User) -> QuerySet[Application]:
    """Applications `user` may know exist (DESIGN.md section 6).

    Start-up members: their start-ups' own. Reviewers: what the reviewing app grants (those
    assigned to them, unless they declared a conflict with the start-up). Coordinators and
    superusers: all. Anonymous: none.
    """
    applications = Application.objects.all()
    if not user.is_authenticated:
        return applications.none()
    if is_coordinator(user):
        return applications
    visible = Q(
        Exists(Startup.members.through.objects.filter(startup=OuterRef("startup"), user=user))
    )
    for rule in _access_rules:
        granted = rule(user)
        if granted is not None:
            visible |= granted
    return applications.filter(visible)


def get_visible_application(*, user: User, pk: object) -> Application:
    """The application `pk` if `user` may see it; 404 whether it is missing or forbidden."""
    try:
        return applications_visible_to(user=user).select_related("startup", "round").get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("No such application.")) from error


def application_list(*, user: User) -> QuerySet[Application]:
    """Visible applications with everything a list shows, in a constant number of queries."""
    return (
        applications_visible_to(user=user)
        .select_related("startup", "round")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("kind", "-uploaded_at"))
        )
    )


def portal_applications(*, user: User) -> QuerySet[Application]:
    """The dashboard: the user's start-ups' applications with attachments and history."""
    return (
        Application.objects.of_member(user)
        .select_related("startup", "round")
        .prefetch_related(
            "attachments",
            # What submitting needs includes the round's required questions.
            Prefetch("round__questions", queryset=Question.objects.order_by("order", "id")),
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.select_related("actor").order_by("created_at", "id"),
            ),
        )
    )


def application_history(*, application: Application) -> QuerySet[StatusChange]:
    """The application's status changes, oldest first, each annotated `actor_is_member` (the
    actor acts for the start-up): who reads the history decides how each actor is named."""
    members = Startup.members.through.objects.filter(
        startup_id=application.startup_id, user=OuterRef("actor")
    )
    return (
        StatusChange.objects.filter(application=application)
        .select_related("actor")
        .annotate(actor_is_member=Exists(members))
        .order_by("created_at", "id")
    )


def startups_visible_to(*, user: User) -> QuerySet[Startup]:
    """Start-ups `user` may know exist (DESIGN.md section 6), each annotated `full_profile`.

    Members: their own start-ups, in full. Coordinators and superusers: all, in full. Anyone else
    (a reviewer): the start-ups of the applications `applications_visible_to` lets them see —
    their assigned, non-conflicted ones, by the rule the reviewing app granted — with
    `full_profile` false: they read only `permissions.REVIEWER_STARTUP_FIELDS`. Anonymous: none.
    """
    startups = Startup.objects.all()
    if not user.is_authenticated:
        return startups.none()
    if is_coordinator(user):
        return startups.annotate(full_profile=Value(True))
    member = Exists(Startup.members.through.objects.filter(startup=OuterRef("pk"), user=user))
    applied = Exists(applications_visible_to(user=user).filter(startup=OuterRef("pk")))
    return startups.filter(member | applied).annotate(full_profile=member)


def get_visible_startup(*, user: User, pk: object) -> Startup:
    try:
        return startups_visible_to(user=user).get(pk=pk)
    except (Startup.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("No such start-up.")) from error


def startup_of(*, user: User) -> Startup | None:
    """The start-up a portal user acts for (the first, if they belong to several)."""
    if not user.is_authenticated:
        return None
    return Startup.objects.filter(members=user).order_by("pk").first()


def open_rounds() -> QuerySet[Round]:
    return Round.objects.open_at(timezone.now()).select_related("programme").order_by("closes_at")


def get_visible_attachment(*, user: User, pk: object) -> Attachment:
    """An attachment of an application `user` may see; 404 otherwise."""
    try:
        return Attachment.objects.select_related("application").get(
            pk=pk, application__in=applications_visible_to(user=user)
        )
    except (Attachment.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("No such attachment.")) from error


def team(*, startup: Startup) -> QuerySet[Membership]:
    """The start-up's members with their users, owners first, then by join time."""
    return (
        Membership.objects.filter(startup=startup)
        .select_related("user")
        .order_by("-role", "joined_at", "pk")
    )


def pending_invitations(
    *, startup: Startup | None = None, provider: object | None = None
) -> QuerySet[Invitation]:
    """Invitations of a start-up (or a provider) not yet accepted, revoked or expired."""
    target = {"startup": startup} if startup is not None else {"provider": provider}
    return Invitation.objects.filter(
        **target, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("created_at", "pk")
