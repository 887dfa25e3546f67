"""The portal's team page and the invitation link's page: thin views over applications/teams.py."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from incubator import views as account_views
from incubator.api.throttles import RegisterRateThrottle, check_throttle
from incubator.exceptions import WorkflowError

from . import selectors, teams
from .enums import MembershipRole
from .forms import InviteForm, JoinForm, apply_service_errors
from .models import Invitation, Membership
from .permissions import is_owner

# The partners' portal (DESIGN.md §12) is another app's, above this one: its address is
# checked, not imported, and the home page stands in until it exists.
PARTNERS_PATH = "/partners/"


def _startup_or_404(request: HttpRequest):
    startup = selectors.startup_of(user=request.user)
    if startup is None:
        raise Http404(_("This account does not belong to a start-up."))
    return startup


def _team_page(request: HttpRequest, startup, form: InviteForm, status: int = 200):
    owner = is_owner(request.user, startup)
    context = {
        "startup": startup,
        "members": selectors.team(startup=startup),
        "is_owner": owner,
        "invitations": selectors.pending_invitations(startup=startup) if owner else [],
        "form": form,
        "roles": MembershipRole,
    }
    return render(request, "applications/team.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    """The start-up's members with their roles; owners invite by e-mail here (POST)."""
    startup = _startup_or_404(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not is_owner(request.user, startup):
            raise PermissionDenied(_("Only the start-up's owners manage its team."))
        if form.is_valid():
            try:
                teams.invite_to_startup(
                    actor=request.user, startup=startup, email=form.cleaned_data["email"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            except WorkflowError as error:
                form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    _("An invitation is on its way to %(email)s.")
                    % {"email": form.cleaned_data["email"]},
                )
                return redirect("portal:team")
        return _team_page(request, startup, form, status=400)
    return _team_page(request, startup, form)


def _refused(request: HttpRequest, error: WorkflowError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("portal:team")


@login_required
@require_POST
def team_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    startup = _startup_or_404(request)
    invitation = get_object_or_404(Invitation, pk=pk, startup=startup)
    try:
        teams.revoke_invitation(actor=request.user, invitation=invitation)
    except WorkflowError as error:
        return _refused(request, error)
    messages.success(
        request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
    )
    return redirect("portal:team")


@login_required
@require_POST
def team_remove(request: HttpRequest, user: int) -> HttpResponse:
    """An owner removes a member; a member (owner or not) leaves."""
    startup = _startup_or_404(request)
    leaving = request.user.pk == user
    try:
        teams.remove_member(actor=request.user, startup=startup, user_id=user)
    except Membership.DoesNotExist as error:
        raise Http404(_("No such member.")) from error
    except WorkflowError as error:
        return _refused(request, error)
    if leaving:
        messages.success(request, _("You left %(startup)s.") % {"startup": startup.name})
        return redirect("portal:home")
    messages.success(request, _("The member is removed from the team."))
    return redirect("portal:team")


@login_required
@require_POST
def team_role(request: HttpRequest, user: int) -> HttpResponse:
    startup = _startup_or_404(request)
    try:
        teams.change_member_role(
            actor=request.user, startup=startup, user_id=user, role=request.POST.get("role", "")
        )
    except Membership.DoesNotExist as error:
        raise Http404(_("No such member.")) from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:team")
    except WorkflowError as error:
        return _refused(request, error)
    messages.success(request, _("The member's role is changed."))
    return redirect("portal:team")


def _after_joining(invitation: Invitation) -> HttpResponse:
    if invitation.startup_id is not None:
        return redirect("portal:team")
    try:
        resolve(PARTNERS_PATH)
    except Resolver404:
        return redirect("portal:home")
    return redirect(PARTNERS_PATH)


# Like Django's password reset: the link's token moves into the session and the browser goes on
# to a URL without it, so it does not linger in the address bar, in Referer headers, or in the
# log lines of the requests that follow (a form with errors, the accepting POST).
SESSION_KEY = "_invitation_link"


def invitation_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link `/invitations/<token>/`: keep the token, go on to the accept page."""
    request.session[SESSION_KEY] = token
    return redirect("portal:invitation")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest) -> HttpResponse:
    """The invitation's page: a logged-in user accepts with one button; a newcomer chooses a user
    name and password and joins in the same step; a link that cannot be used says why."""
    token = request.session.get(SESSION_KEY, "")
    try:
        found = teams.check_invitation(token=token)
    except ValidationError as error:
        return render(
            request,
            "applications/invitation.html",
            {"problem": " ".join(error.messages)},
            status=400,
        )
    form = None if request.user.is_authenticated else JoinForm(request.POST or None)
    problem = ""
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                accepted, _user, _created = teams.accept_invitation(token=token, user=request.user)
            except ValidationError as error:
                problem = " ".join(error.messages)
            except WorkflowError as error:
                problem = error.message
            else:
                return _joined(request, accepted)
        else:
            seconds = check_throttle(RegisterRateThrottle, request)
            if seconds:
                return account_views.refused(
                    request, account_views.PORTAL, seconds=seconds, locked=False
                )
            if form.is_valid():
                try:
                    accepted, user, _created = teams.accept_invitation(
                        token=token,
                        username=form.cleaned_data["username"],
                        password=form.cleaned_data["password1"],
                    )
                except ValidationError as error:
                    apply_service_errors(form, error, {"password": "password1"})
                except WorkflowError as error:
                    problem = error.message
                else:
                    login(request, user)  # the site's one authentication backend
                    return _joined(request, accepted)
    context = {
        "invitation": found,
        "target": found.startup or found.provider,
        "form": form,
        "problem": problem,
    }
    return render(request, "applications/invitation.html", context)


def _joined(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    target = invitation.startup or invitation.provider
    messages.success(request, _("Welcome to %(team)s!") % {"team": target.name})
    return _after_joining(invitation)
