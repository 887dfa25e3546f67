"""Accounts in the admin, without escalation (DESIGN.md §6).

- Django's own user and group pages are a superuser's alone: only a superuser changes superuser
  status, staff status, groups or permissions, or touches a coordinator's or superuser's account.
  The pages ask the role (`is_superuser`), not model permissions, so a permission granted by
  mistake opens nothing.
- API tokens are listed for a superuser only, by their user and never by their key; they are
  revoked here and minted on the server (`manage.py drf_create_token USER`).
- `DelegatedAccountAdmin` is the page a coordinator manages one delegated role's accounts on
  (names, e-mail, active, password, the role's own profile): it lists only the accounts
  `accounts_managed_by` allows, offers no role field, and deletes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .models import ApiToken
from .permissions import (
    accounts_managed_by,
    can_manage_account,
    can_take_over_account,
    is_coordinator,
    is_superuser,
)
from .services import (
    ACCESS_FIELDS,
    ACCOUNT_HELD_ELSEWHERE,
    record_role_change,
    role_state,
    set_account_password,
)

User = get_user_model()


class SuperuserOnlyMixin:
    """Every door of the page opens for an active superuser and nobody else."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_superuser(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_superuser(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_superuser(request.user)


class SuperuserUserAdmin(SuperuserOnlyMixin, UserAdmin):
    """Django's full user admin, for superusers. A change of groups, staff or superuser status
    is recorded in the audit trail (user.role_changed) once the groups are saved."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        request._role_before = role_state(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = User.objects.get(pk=form.instance.pk)
        record_role_change(
            actor=request.user, user=user, before=getattr(request, "_role_before", None)
        )


class SuperuserGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    """Groups are roles: only a superuser changes them or their permissions."""

    def delete_model(self, request: HttpRequest, obj) -> None:
        # Deleting a group takes it from its users: each one's role changes.
        users = list(obj.user_set.all())
        before = {user.pk: role_state(user) for user in users}
        super().delete_model(request, obj)
        for user in users:
            record_role_change(actor=request.user, user=user, before=before[user.pk])


class ApiTokenAdmin(SuperuserOnlyMixin, TokenAdmin):
    """Tokens by user and date: a superuser sees who holds one and may revoke it (delete)."""

    list_display = ("user", "created")
    fields = ("user", "created")
    readonly_fields = ("user", "created")

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        # A token is minted on the server (`manage.py drf_create_token USER`) or by its holder
        # through the API, never shown in a page.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


for model, model_admin in ((User, SuperuserUserAdmin), (Group, SuperuserGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
admin.site.register(ApiToken, ApiTokenAdmin)


# ---------------------------------------------------------------------------------------------
# Accounts a coordinator manages


class AccountPasswordForm(SetPasswordForm):
    """Two entries of the new password, checked by the site's validators."""


class DelegatedAccountAdmin(admin.ModelAdmin):
    """The accounts of one delegated role, on a proxy of the user model.

    A subclass names the role (`role`: a group in `DELEGATED_ROLES`), gives the add and change
    forms with the role's own fields, and writes through the role's services in
    `create_account` and `change_account`. The reviewers' page is
    `reviews.admin_accounts.ReviewerAccountAdmin`; the partners' page (with the provider a
    partner acts for) will be another subclass, in the app that brings partners.
    """

    role: str = ""
    add_form: type[forms.ModelForm]
    add_fieldsets: tuple = ()
    list_display = ["username", "full_name", "email", "is_active", "last_login"]
    list_filter = ["is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    readonly_fields = ["username", "password_link", "last_login", "date_joined"]
    set_password_page = "admin/accounts/set_password.html"  # noqa: S105 (a template name)

    # -- who may do what -----------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest):
        accounts = super().get_queryset(request).filter(groups__name=self.role)
        return accounts_managed_by(request.user, accounts)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not is_coordinator(request.user):
            return False
        return obj is None or can_manage_account(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deactivate instead: a deleted account would take its work (reviews) with it.
        return False

    def _account_or_404(self, request: HttpRequest, object_id: str):
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            account = self.get_queryset(request).filter(pk=int(object_id)).first()
        except (TypeError, ValueError) as error:
            raise Http404 from error
        if account is None:
            # Another role's account stays out of sight: 404, not the admin's redirect.
            raise Http404(_("No such account."))
        return account

    # -- forms ---------------------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        if not can_take_over_account(request.user, obj):
            return [*self.readonly_fields, *ACCESS_FIELDS]
        return self.readonly_fields

    @admin.display(description=_("name"))
    def full_name(self, account) -> str:
        return account.get_full_name()

    @admin.display(description=_("password"))
    def password_link(self, account) -> str:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_password", args=[account.pk]
        )
        return format_html('<a class="button" href="{}">{}</a>', url, _("Set a new password"))

    # -- writes go through the services --------------------------------------------------------

    def create_account(self, request: HttpRequest, form):
        """Make the account from the add form's cleaned data; return it."""
        raise NotImplementedError

    def change_account(self, request: HttpRequest, account, form) -> None:
        """Apply the change form's changed data to the account."""
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if change:
            self.change_account(request, obj, form)
            return
        created = self.create_account(request, form)
        obj.pk = created.pk

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Nothing related (groups, permissions) is edited on this page.
        return

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._account_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    # -- setting a password --------------------------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_password"
        own = [
            path(
                "<path:object_id>/password/",
                self.admin_site.admin_view(self.set_password_view),
                name=name,
            )
        ]
        return own + super().get_urls()

    def set_password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._account_or_404(request, object_id)
        change_page = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[account.pk]
        )
        if not can_take_over_account(request.user, account):
            self.message_user(request, ACCOUNT_HELD_ELSEWHERE, messages.ERROR)
            return HttpResponseRedirect(change_page)
        form = AccountPasswordForm(account, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                set_account_password(
                    actor=request.user,
                    account=account,
                    password=form.cleaned_data["new_password1"],
                )
            except ValidationError as error:
                form.add_error("new_password2", error.messages)
            else:
                self.log_change(request, account, [{"changed": {"fields": ["password"]}}])
                self.message_user(
                    request,
                    _("The password of %(user)s was changed.") % {"user": account},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_page)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": account,
            "form": form,
            "title": _("Set a new password for %(user)s") % {"user": account},
        }
        return TemplateResponse(request, self.set_password_page, context)
