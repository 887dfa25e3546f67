"""Log-in pages shared by the admin and the portal: the password, the second factor, enrolment.

A log-in is two steps for anyone `twofactor.asks_second_factor()` names. The password step
does not log in: it keeps the account waiting in the session (`PENDING`) for a few minutes, and
only the second step (a code from the authenticator app or a recovery code, or enrolment for a
coordinator without either) calls `django.contrib.auth.login` and marks the session verified
(`django_otp.login`). Every step asks the lock-out first and counts its failures.

The same views serve both sites, each in its own look (`LoginSite`).
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import lockout, twofactor
from .forms import EnrolmentForm, SecondFactorForm

PENDING = "incubator_login_pending"
PENDING_SECONDS = 10 * 60


@dataclass(frozen=True)
class LoginSite:
    """Where a log-in happens: its look and the names of its pages."""

    name: str
    base_template: str
    login: str
    verify: str
    setup: str
    default_next: str


ADMIN = LoginSite(
    name="admin",
    base_template="admin/login.html",
    login="admin:login",
    verify="admin:two-factor-verify",
    setup="admin:two-factor-setup",
    default_next="admin:index",
)
PORTAL = LoginSite(
    name="portal",
    base_template="base.html",
    login="login",
    verify="two-factor-verify",
    setup="two-factor-setup",
    default_next=settings.LOGIN_REDIRECT_URL,
)


def site_context(request: HttpRequest, site: LoginSite, title: str) -> dict:
    context = {"base_template": site.base_template, "title": title, "site": site.name}
    if site is ADMIN:
        context = {**admin.site.each_context(request), **context}
    return context


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def refused(request: HttpRequest, site: LoginSite, *, seconds: int, locked: bool) -> HttpResponse:
    """429: the page that says why and for how long, with Retry-After."""
    minutes = _minutes(seconds)
    if locked and lockout.address_locked_for(lockout.client_address(request)):
        message = ngettext(
            "Too many failed log-ins from your address, whatever the accounts. Log-ins from "
            "here are paused for %(minutes)d more minute.",
            "Too many failed log-ins from your address, whatever the accounts. Log-ins from "
            "here are paused for %(minutes)d more minutes.",
            minutes,
        ) % {"minutes": minutes}
    elif locked:
        message = ngettext(
            "Too many failed log-ins for this account from your address. Log-ins to this account "
            "from here are paused for %(minutes)d more minute; other accounts are not affected.",
            "Too many failed log-ins for this account from your address. Log-ins to this account "
            "from here are paused for %(minutes)d more minutes; other accounts are not affected.",
            minutes,
        ) % {"minutes": minutes}
    else:
        message = ngettext(
            "Too many requests from your address. Please try again in %(minutes)d minute.",
            "Too many requests from your address. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    context = {
        **site_context(request, site, _("Too many attempts")),
        "message": message,
        "login_url": reverse(site.login),
    }
    response = TemplateResponse(request, "incubator/account/refused.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- the password step -------------------------------------------------------------------------


class TwoStepLoginView(auth_views.LoginView):
    """Django's log-in form, with the lock-out asked first and a second step after it."""

    login_site: LoginSite = PORTAL

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        address = lockout.client_address(request)
        seconds = lockout.locked_for(username=username, address=address)
        if seconds:
            lockout.log_refusal(
                username=username, address=address, seconds=seconds, where=request.path
            )
            return refused(request, self.login_site, seconds=seconds, locked=True)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse(self.login_site.default_next)

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        if not twofactor.asks_second_factor(user):
            return super().form_valid(form)
        # Not logged in yet: the account waits for its second factor in this session.
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "since": time.time(),
            "next": self.get_success_url(),
        }
        step = (
            self.login_site.verify if twofactor.has_second_factor(user) else self.login_site.setup
        )
        return redirect(step)


def _pending(request: HttpRequest) -> tuple[dict, object] | None:
    """The account waiting for its second factor in this session, if it is still waiting."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        del request.session[PENDING]
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        del request.session[PENDING]
        return None
    return pending, user


def _complete_login(request: HttpRequest, pending: dict, user, device) -> str:
    """Log the waiting account in, verified by `device`; returns where it was going."""
    del request.session[PENDING]
    auth_login(request, user, backend=pending["backend"])
    otp_login(request, device)
    return pending["next"]


def _lockout_refusal(request: HttpRequest, site: LoginSite, user) -> HttpResponse | None:
    address = lockout.client_address(request)
    seconds = lockout.locked_for(username=user.get_username(), address=address)
    if not seconds:
        return None
    lockout.log_refusal(
        username=user.get_username(), address=address, seconds=seconds, where=request.path
    )
    return refused(request, site, seconds=seconds, locked=True)


def _wrong_code(request: HttpRequest, site: LoginSite, user, form) -> HttpResponse | None:
    """Count a wrong code; the refusal page when it was the last one allowed."""
    seconds = lockout.record_failure(
        username=user.get_username(),
        address=lockout.client_address(request),
        where=request.path,
    )
    if seconds:
        return refused(request, site, seconds=seconds, locked=True)
    form.add_error("code", _("This code is wrong or has expired."))
    return None


def _throttled(request: HttpRequest, user, form, error: twofactor.SecondFactorThrottled) -> None:
    lockout.log_code_wait(
        username=user.get_username(),
        address=lockout.client_address(request),
        seconds=error.seconds,
        where=request.path,
    )
    form.add_error(
        "code",
        ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second before the next one.",
            "Too many wrong codes in a row: wait %(seconds)d seconds before the next one.",
            error.seconds,
        )
        % {"seconds": error.seconds},
    )


# --- the second step ---------------------------------------------------------------------------


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, site: LoginSite = PORTAL) -> HttpResponse:
    """A code from the authenticator app, or a recovery code, in one field."""
    waiting = _pending(request)
    if waiting is None:
        return redirect(site.login)
    pending, user = waiting
    if not twofactor.has_second_factor(user):
        if twofactor.second_factor_required(user):
            return redirect(site.setup)
        # Its last recovery code is used and no app is left: the password was enough.
        del request.session[PENDING]
        auth_login(request, user, backend=pending["backend"])
        return HttpResponseRedirect(pending["next"])
    refusal = _lockout_refusal(request, site, user)
    if refusal:
        return refusal
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.verify_code(user=user, code=form.cleaned_data["code"])
        except twofactor.SecondFactorThrottled as error:
            _throttled(request, user, form, error)
        else:
            if device is not None:
                return HttpResponseRedirect(_complete_login(request, pending, user, device))
            refusal = _wrong_code(request, site, user, form)
            if refusal:
                return refusal
    context = {
        **site_context(request, site, _("Two-factor authentication")),
        "form": form,
        "username": user.get_username(),
        "login_url": reverse(site.login),
    }
    return TemplateResponse(request, "incubator/account/verify.html", context)


# --- enrolment ---------------------------------------------------------------------------------


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, site: LoginSite = PORTAL) -> HttpResponse:
    """Enrol an authenticator app: the QR code and the secret, confirmed by a code from it.

    During a log-in (an account that must give a second factor and has none), confirming logs
    it in; from the admin's two-factor page, it adds the app to the account logged in.
    """
    waiting = _pending(request)
    if waiting is not None:
        pending, user = waiting
        if twofactor.has_second_factor(user):
            return redirect(site.verify)
        done_url = pending["next"]
    elif site is ADMIN and admin.site.has_permission(request):
        pending, user = None, request.user
        if twofactor.uses_authenticator(user):
            return redirect("admin:two-factor")
        done_url = reverse("admin:two-factor")
    else:
        return redirect(site.login)
    refusal = _lockout_refusal(request, site, user)
    if refusal:
        return refusal
    device = twofactor.pending_authenticator(user=user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = twofactor.confirm_authenticator(
                user=user, code=form.cleaned_data["code"]
            )
        except twofactor.SecondFactorThrottled as error:
            _throttled(request, user, form, error)
        except ValueError:
            refusal = _wrong_code(request, site, user, form)
            if refusal:
                return refusal
        else:
            if pending is not None:
                _complete_login(request, pending, user, device)
            else:
                otp_login(request, device)
            return recovery_codes_page(request, site, codes=codes, next_url=done_url)
    context = {
        **site_context(request, site, _("Set up two-factor authentication")),
        "form": form,
        "username": user.get_username(),
        "qr_code": twofactor.qr_code_svg(device),
        "secret": twofactor.secret_text(device),
        "login_url": reverse(site.login),
    }
    return TemplateResponse(request, "incubator/account/setup.html", context)


def recovery_codes_page(
    request: HttpRequest, site: LoginSite, *, codes: list[str], next_url: str
) -> HttpResponse:
    """The codes, shown this once: they are not kept anywhere they could be shown again."""
    context = {
        **site_context(request, site, _("Your recovery codes")),
        "codes": codes,
        "next_url": next_url,
    }
    # Every view that shows them is never_cache (admin_view is too): no copy stays in a cache.
    return TemplateResponse(request, "incubator/account/recovery_codes.html", context)


# --- the admin's own page ----------------------------------------------------------------------


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The admin's two-factor page (behind `admin_view`): what the account has, and new
    recovery codes for a code from the app."""
    user = request.user
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST":
        refusal = _lockout_refusal(request, ADMIN, user)
        if refusal:
            return refusal
        if form.is_valid():
            try:
                device = twofactor.verify_code(user=user, code=form.cleaned_data["code"])
            except twofactor.SecondFactorThrottled as error:
                _throttled(request, user, form, error)
            else:
                if device is not None:
                    codes = twofactor.issue_recovery_codes(user=user)
                    return recovery_codes_page(
                        request, ADMIN, codes=codes, next_url=reverse("admin:two-factor")
                    )
                refusal = _wrong_code(request, ADMIN, user, form)
                if refusal:
                    return refusal
    context = {
        **admin.site.each_context(request),
        "title": _("Two-factor authentication"),
        "form": form,
        "uses_authenticator": twofactor.uses_authenticator(user),
        "recovery_codes_left": twofactor.recovery_codes_left(user),
        "required": twofactor.second_factor_required(user),
    }
    return TemplateResponse(request, "admin/incubator/two_factor.html", context)


# --- Error pages ---------------------------------------------------------------------------------


def _in_admin_frame(request: HttpRequest) -> bool:
    """Staff who were working in the admin see its pages' frame, with their way back."""
    user = getattr(request, "user", None)
    return (
        request.path.startswith(reverse("admin:index"))
        and user is not None
        and user.is_authenticated
        and user.is_staff
    )


def error_page(request: HttpRequest, *, status: int, template: str) -> HttpResponse:
    """403.html and 404.html: in the admin's frame (menu, breadcrumbs, a link home) for staff
    under /admin/, in the portal's otherwise."""
    context = {"admin_frame": _in_admin_frame(request), "request_path": request.path}
    if context["admin_frame"]:
        context.update(admin.site.each_context(request))
    return render(request, template, context, status=status)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, status=403, template="403.html")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, status=404, template="404.html")
