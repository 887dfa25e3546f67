"""The applicant portal: thin views over the same services and selectors as the API."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from incubator import views as account_views
from incubator.api.throttles import (
    PasswordResetRateThrottle,
    RegisterRateThrottle,
    check_throttle,
)
from incubator.exceptions import WorkflowError
from incubator.models import Round
from incubator.permissions import is_partner
from incubator.questions import localized
from incubator.uploads import (
    LimitedUploadHandler,
    declared_body_too_large,
    limit_uploads,
    too_large_message,
)

from . import consent, selectors, services
from .answers import answered_questions, round_questions
from .enums import ApplicationStatus, AttachmentKind
from .forms import (
    ApplicationForm,
    AttachmentForm,
    ConsentForm,
    SignUpForm,
    StartupProfileForm,
    WithdrawForm,
    answers_initial,
    apply_service_errors,
)
from .models import PDF_CONTENT_TYPE, Application


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and selectors.startup_of(user=request.user):
        return redirect("portal:dashboard")
    return render(request, "applications/home.html", {"rounds": selectors.open_rounds()})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    if request.method == "POST":
        seconds = check_throttle(RegisterRateThrottle, request)
        if seconds:
            return account_views.refused(
                request, account_views.PORTAL, seconds=seconds, locked=False
            )
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _startup = services.register_startup(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                startup_name=data["startup_name"],
                region=data["region"],
                language=get_language(),
            )
        except ValidationError as error:
            apply_service_errors(form, error, {"password": "password1"})
        else:
            login(request, user)  # the site's one authentication backend
            messages.success(request, _("Welcome! Your start-up is registered."))
            return redirect("portal:dashboard")
    return render(request, "applications/signup.html", {"form": form})


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited to THROTTLE_AUTH requests per address (each sends mail)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = check_throttle(PasswordResetRateThrottle, request)
        if seconds:
            return account_views.refused(
                request, account_views.PORTAL, seconds=seconds, locked=False
            )
        return super().post(request, *args, **kwargs)


def _startup_or_404(request: HttpRequest):
    startup = selectors.startup_of(user=request.user)
    if startup is None:
        raise Http404(_("This account does not belong to a start-up."))
    return startup


def _round_or_404(value: str | None) -> Round:
    """The round a query or form names by id; anything that is not one is a 404."""
    try:
        pk = int(value or "")
    except ValueError as error:
        raise Http404(_("No such round.")) from error
    return get_object_or_404(Round, pk=pk)


def _own_application(request: HttpRequest, pk: int) -> Application:
    # The portal is the start-ups' own: anything else is 404, as if it did not exist.
    return get_object_or_404(selectors.portal_applications(user=request.user), pk=pk)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    startup = selectors.startup_of(user=request.user)
    if startup is None and is_partner(request.user):
        return redirect("partners:list")  # a provider's user: the partner portal is theirs
    applications = list(selectors.portal_applications(user=request.user)) if startup else []
    for application in applications:
        application.progress = services.application_progress(application)
    applied_rounds = {a.round_id for a in applications}
    rounds = [r for r in selectors.open_rounds() if r.pk not in applied_rounds]
    return render(
        request,
        "applications/dashboard.html",
        {"startup": startup, "applications": applications, "open_rounds": rounds},
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest) -> HttpResponse:
    startup = _startup_or_404(request)
    round_ = _round_or_404(request.GET.get("round") or request.POST.get("round"))
    form = ApplicationForm(request.POST or None, questions=round_questions(round_))
    if request.method == "POST" and form.is_valid():
        try:
            application = services.create_draft(
                actor=request.user, startup=startup, round=round_, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error, form.error_aliases())
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your draft is saved. Add your pitch deck next."))
            return redirect("portal:application", pk=application.pk)
    return render(
        request,
        "applications/application_form.html",
        {"form": form, "round": round_, **consent.text_context()},
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    missing = (
        services.missing_requirements(application)
        if application.status == ApplicationStatus.DRAFT
        else []
    )
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "missing": missing,
            "progress": services.application_progress(application),
            "answers": answered_questions(application),
            "dropped_answers": [localized(n.get("label")) for n in application.dropped_answers],
            # A draft is deleted, not withdrawn: withdrawing is for what was handed in.
            "can_withdraw": application.status in services.WITHDRAWABLE_STATUSES
            and application.status != ApplicationStatus.DRAFT,
            "sections": [section(request, application) for section in _page_sections],
        },
    )


# Parts of an application's page that apps above this one own (the providers' interest,
# partners/views.py), registered in their AppConfig.ready (docs/architecture.md "Hooks"): each
# renders its own template for the start-up's member reading the page.
PageSection = Callable[[HttpRequest, Application], str]
_page_sections: list[PageSection] = []


def provide_application_section(section: PageSection) -> None:
    if section not in _page_sections:
        _page_sections.append(section)


@login_required
@require_http_methods(["GET", "POST"])
def application_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent page (DESIGN.md §12): the text, the kinds shared, the history; narrowing at
    any time, widening until a decision."""
    application = _own_application(request, pk)
    form = ConsentForm(
        # Unticking every box posts nothing but the token: still a submitted form.
        request.POST if request.method == "POST" else None,
        needs=application.needs,
        initial={"share_with": application.share_with},
    )
    if request.method == "POST" and form.is_valid():
        try:
            consent.change_consent(
                actor=request.user,
                application=application,
                share_with=form.cleaned_data["share_with"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your choice is saved."))
            return redirect("portal:application-consent", pk=pk)
    return render(
        request,
        "applications/application_consent.html",
        {
            "form": form,
            "application": application,
            "history": consent.consent_history(application),
            **consent.text_context(),
            "can_widen": application.status not in consent.DECIDED_STATUSES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.status != ApplicationStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("portal:application", pk=pk)
    initial = {
        "project_name": application.project_name,
        "track": application.track,
        "stage": application.stage,
        "summary": application.summary,
        "funding_amount": application.funding_amount,
        "funding_currency": application.funding_currency,
        "needs": application.needs,
        "share_with": application.share_with,
    }
    questions = round_questions(application.round)
    initial.update(answers_initial(questions, application.answers))
    form = ApplicationForm(request.POST or None, initial=initial, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft(
                actor=request.user, application=application, **form.service_fields()
            )
        except ValidationError as error:
            apply_service_errors(form, error, form.error_aliases())
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("portal:application", pk=pk)
    return render(
        request,
        "applications/application_form.html",
        {
            "form": form,
            "round": application.round,
            "application": application,
            "progress": services.application_progress(application),
            **consent.text_context(),
        },
    )


def _autosave_answer(form: ApplicationForm, status: int = 400) -> JsonResponse:
    return JsonResponse({"saved": False, "errors": form.errors.get_json_data()}, status=status)


def _autosaved(application: Application) -> JsonResponse:
    saved_at = time_format(timezone.localtime(), "TIME_FORMAT")
    return JsonResponse(
        {
            "saved": True,
            "application": application.pk,
            "message": _("Saved at %(time)s") % {"time": saved_at},
            "edit_url": reverse("portal:application-edit", args=[application.pk]),
            "autosave_url": reverse("portal:application-autosave", args=[application.pk]),
        }
    )


def _autosave_refused(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return JsonResponse(
            {"saved": False, "errors": {"__all__": [{"message": _("Log in again to save.")}]}},
            status=401,
        )
    return None


def _autosave(form: ApplicationForm, save: Callable[[dict], Application]) -> JsonResponse:
    """Check the form, save its fields through `save` (a service), answer as JSON: 400 with the
    fields' errors, 409 with a workflow rule's, or the saved draft."""
    if not form.is_valid():
        return _autosave_answer(form)
    try:
        application = save(form.service_fields())
    except ValidationError as error:
        apply_service_errors(form, error, form.error_aliases())
        return _autosave_answer(form)
    except WorkflowError as error:
        form.add_error(None, error.message)
        return _autosave_answer(form, status=409)
    return _autosaved(application)


@require_POST
def application_autosave_new(request: HttpRequest) -> HttpResponse:
    """The new-application form's autosave: the first save that has a project name makes the
    draft, and answers with the draft's own autosave address for the saves after it."""
    refused = _autosave_refused(request)
    if refused:
        return refused
    startup = _startup_or_404(request)
    round_ = _round_or_404(request.POST.get("round"))
    return _autosave(
        ApplicationForm(request.POST, questions=round_questions(round_)),
        lambda fields: services.create_draft(
            actor=request.user, startup=startup, round=round_, **fields
        ),
    )


@require_POST
def application_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft form's autosave: the same checks and service as "Save draft", as JSON."""
    refused = _autosave_refused(request)
    if refused:
        return refused
    application = _own_application(request, pk)
    return _autosave(
        ApplicationForm(request.POST, questions=round_questions(application.round)),
        lambda fields: services.update_draft(actor=request.user, application=application, **fields),
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if request.method == "POST":
        try:
            services.delete_draft(actor=request.user, application=application)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("portal:application", pk=pk)
        messages.success(request, _("The draft is deleted."))
        return redirect("portal:dashboard")
    return render(request, "applications/application_delete.html", {"application": application})


@login_required
@require_http_methods(["GET", "POST"])
@csrf_exempt  # CSRF would read the body first: _attachment_upload checks it after the limits
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    limit = None
    if request.method == "POST":
        if declared_body_too_large(request):
            return _upload_too_large(request, application)
        limit = limit_uploads(request)
    return _attachment_upload(request, application, limit)


def _upload_too_large(request: HttpRequest, application: Application) -> HttpResponse:
    kind = request.GET.get("kind", AttachmentKind.PITCH_DECK)
    form = AttachmentForm({"kind": kind}, {})
    form.is_valid()  # the file is missing: it was refused, which is the one error to show
    form.errors.pop("file", None)
    form.add_error("file", too_large_message())
    return render(
        request,
        "applications/attachment_form.html",
        {"form": form, "application": application},
        status=413,
    )


@csrf_protect
def _attachment_upload(
    request: HttpRequest, application: Application, limit: LimitedUploadHandler | None
) -> HttpResponse:
    pk = application.pk
    if limit is not None:
        request.FILES  # noqa: B018 (reads the body through the limit, if the CSRF check did not)
        if limit.exceeded:
            return _upload_too_large(request, application)
    form = AttachmentForm(
        request.POST or None,
        request.FILES or None,
        initial={"kind": request.GET.get("kind", AttachmentKind.PITCH_DECK)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.add_attachment(
                actor=request.user,
                application=application,
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The file is uploaded."))
            return redirect("portal:application", pk=pk)
    return render(
        request, "applications/attachment_form.html", {"form": form, "application": application}
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    error_message = ""
    if request.method == "POST":
        try:
            services.submit_application(actor=request.user, application=application)
        except services.SubmissionIncomplete:
            pass  # the page lists what is missing, once
        except WorkflowError as error:
            error_message = error.message
        else:
            messages.success(request, _("Your application is submitted. Good luck!"))
            return redirect("portal:dashboard")
    round_closed = ""
    try:
        services.ensure_round_open(application.round)
    except WorkflowError as error:
        round_closed = error.message
    return render(
        request,
        "applications/application_submit.html",
        {
            "application": application,
            "missing": services.missing_requirements(application),
            "progress": services.application_progress(application),
            "round_closed": round_closed,
            "error_message": error_message,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("portal:application-delete", pk=pk)  # a draft is deleted, not withdrawn
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_application(
                actor=request.user, application=application, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your application is withdrawn."))
            return redirect("portal:dashboard")
    return render(
        request,
        "applications/application_withdraw.html",
        {"form": form, "application": application},
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_profile(request: HttpRequest) -> HttpResponse:
    startup = _startup_or_404(request)
    initial = {field: getattr(startup, field) for field in services.STARTUP_FIELDS}
    form = StartupProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name != "language" or form.cleaned_data[name]
        }
        try:
            services.update_startup_profile(actor=request.user, startup=startup, **changed)
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Your start-up's profile is saved."))
            return redirect("portal:profile")
    return render(request, "applications/startup_profile.html", {"form": form, "startup": startup})


def _session_or_token_user(request: HttpRequest):
    """The session's user, or the user of a valid `Authorization: Token …` header (API clients)."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve an attachment to a user who may see its application, as a download.

    `?disposition=inline` shows a PDF in the browser's own viewer, framed by our own pages only
    (the reviewers' workplace); any other file is still a download, whatever is asked.
    """
    user = _session_or_token_user(request)
    if user is None:
        if "HTTP_AUTHORIZATION" in request.META:
            return HttpResponse(status=401, headers={"WWW-Authenticate": "Token"})
        return redirect_to_login(request.get_full_path())
    attachment = selectors.get_visible_attachment(user=user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("The file is missing.")) from error
    inline = (
        request.GET.get("disposition") == "inline" and attachment.content_type == PDF_CONTENT_TYPE
    )
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if inline:
        # Sandboxed by the response's own policy: Chromium refuses its PDF viewer inside an
        # <iframe sandbox>, but shows it in a document that sandboxes itself.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'; sandbox"
    else:
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
