"""The admin site: Django's, with a two-step log-in and two-factor required of coordinators.

Installed as the default site by `incubator.apps.IncubatorAdminConfig`, so `admin.site` and
every `@admin.register` are this site. `has_permission` is the one gate every admin page
(and `admin_view`, and the coordinator dashboard) passes: a coordinator's or superuser's
session reaches none of them until it has given its second factor.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import views
from .twofactor import second_factor_required

# Django's admin leaves these (screen-reader headers of the admin index) untranslated in zh-Hans;
# our catalogue fills them, and catalogues of the same domain are merged.
ADMIN_GAPS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)


class AutocompleteView(AutocompleteJsonView):
    """Django's search behind an autocomplete field, with two questions put to the admin of
    the form the field is on (the source), which knows what the field is for:
    `allows_autocomplete(request, field_name)` — may this user search, without the right to
    view the searched model (a reviewer declaring a conflict picks a start-up by name)? And
    `narrow_autocomplete(request, field_name, queryset)` — which of the found rows the field
    accepts (an assignment takes only applications under review), so that no suggestion is
    one the form then refuses."""

    def _source_admin_method(self, name: str):
        source_admin = self.admin_site._registry.get(self.source_field.model)
        return getattr(source_admin, name, None)

    def has_perm(self, request: HttpRequest, obj=None) -> bool:
        if super().has_perm(request, obj=obj):
            return True
        allows = self._source_admin_method("allows_autocomplete")
        return bool(allows and allows(request, self.source_field.name))

    def get_queryset(self):
        queryset = super().get_queryset()
        narrow = self._source_admin_method("narrow_autocomplete")
        return narrow(self.request, self.source_field.name, queryset) if narrow else queryset


class IncubatorAdminSite(admin.AdminSite):
    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return AutocompleteView.as_view(admin_site=self)(request)

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if not second_factor_required(request.user):
            return True
        verified = getattr(request.user, "is_verified", None)
        return bool(verified and verified())

    def get_urls(self):
        return [
            path("login/verify/", views.verify, {"site": views.ADMIN}, name="two-factor-verify"),
            path("login/setup/", views.setup, {"site": views.ADMIN}, name="two-factor-setup"),
            path("two-factor/", self.admin_view(views.two_factor), name="two-factor"),
            *super().get_urls(),
        ]

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Django's admin log-in page, through the two-step log-in of `incubator.views`."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return views.TwoStepLoginView.as_view(
            login_site=views.ADMIN,
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )(request)
