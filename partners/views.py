"""The partner portal `/partners/` (DESIGN.md §12): the provider's list, one start-up, the
interest action; and the parts other apps' pages show (registered in PartnersConfig.ready): the
providers' interest on a start-up's application page, the engagement card on the coordinators'
dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications.forms import apply_service_errors
from applications.models import Application
from applications.permissions import is_member
from incubator.models import Round, ServiceProvider

from . import selectors, services
from .forms import InterestForm, ReplyForm
from .models import Interest
from .permissions import partner_provider

PAGE_SIZE = 50


def _provider_or_403(request: HttpRequest) -> ServiceProvider:
    provider = partner_provider(request.user)
    if provider is None:
        raise PermissionDenied(_("Only partner users of a service provider may see this page."))
    return provider


def _matched_or_404(provider: ServiceProvider, pk: int) -> Application:
    application = selectors.partner_startups(provider=provider).filter(pk=pk).first()
    if application is None:
        raise Http404(_("No such start-up in your list."))
    return application


@login_required
def startup_list(request: HttpRequest) -> HttpResponse:
    provider = _provider_or_403(request)
    services.record_list_visit(provider=provider)
    page = Paginator(selectors.partner_startups(provider=provider), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "partners/startup_list.html", {"provider": provider, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def startup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider_or_403(request)
    application = _matched_or_404(provider, pk)
    interest = application.provider_interest[0] if application.provider_interest else None
    form = InterestForm(
        request.POST or None,
        initial={"status": interest.status, "note": interest.note} if interest else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_interest(
                actor=request.user, provider=provider, application=application, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your answer is saved."))
            return redirect("partners:startup", pk=pk)
    services.record_view(provider=provider, application=application, user=request.user)
    return render(
        request,
        "partners/startup_detail.html",
        {"provider": provider, "application": application, "interest": interest, "form": form},
    )


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A start-up member answers a provider's interest (from the application page)."""
    interest = get_object_or_404(Interest.objects.select_related("application__startup"), pk=pk)
    application = interest.application
    if not is_member(request.user, application.startup):
        raise Http404(_("No such interest."))
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_interest(
                actor=request.user, interest=interest, reply=form.cleaned_data["reply"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your reply is sent."))
    else:
        messages.error(request, _("Write a reply."))
    return redirect("portal:application", pk=application.pk)


def application_section(request: HttpRequest, application: Application) -> str:
    """The providers interested in the application, for its start-up's page."""
    interests = selectors.interests_of_application(application=application)
    return render_to_string(
        "partners/_application_interests.html",
        {"interests": interests, "reply_form": ReplyForm()},
        request=request,
    )


def dashboard_card(request: HttpRequest, round_: Round) -> str:
    """The engagement card of the coordinators' dashboard for one round."""
    return render_to_string(
        "partners/_dashboard_card.html",
        {"rows": selectors.round_engagement(round=round_), "round": round_},
        request=request,
    )
