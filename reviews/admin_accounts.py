"""Reviewer accounts in the admin: the page on which coordinators add reviewers and change their
name, e-mail, active, password, expertise, load and language (DESIGN.md §6).

It grants nothing: the forms hold no role, group or permission field, the list holds only the
accounts `incubator.permissions.accounts_managed_by` allows (never a coordinator's or a
superuser's), and every write goes through `create_reviewer` / `update_reviewer`.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from incubator.admin_accounts import DelegatedAccountAdmin
from incubator.enums import Jurisdiction, Track
from incubator.permissions import REVIEWERS_GROUP
from incubator.services import new_account_errors

from .models import ReviewerAccount, ReviewerProfile
from .services import DEFAULT_MAX_LOAD, create_reviewer, update_reviewer

PROFILE_FIELDS = ("jurisdiction", "expertise", "max_load", "language")


class ReviewerProfileFields(forms.Form):
    """The reviewer's own fields, beside the account's."""

    expertise = forms.MultipleChoiceField(
        label=_("expertise"),
        choices=Track.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tracks this reviewer knows best: automatic assignment prefers them."),
    )
    max_load = forms.IntegerField(
        label=_("maximum load per round"), min_value=1, max_value=1000, initial=DEFAULT_MAX_LOAD
    )
    language = forms.ChoiceField(
        label=_("language of e-mails"), choices=settings.LANGUAGES, initial="en"
    )
    jurisdiction = forms.ChoiceField(
        label=_("jurisdiction"),
        choices=Jurisdiction.choices,
        help_text=_("Where the reviewer works: the round's panel rule uses it."),
    )


class ReviewerAccountChangeForm(forms.ModelForm):
    expertise = ReviewerProfileFields.base_fields["expertise"]
    max_load = ReviewerProfileFields.base_fields["max_load"]
    language = ReviewerProfileFields.base_fields["language"]
    # Reviewers made before jurisdictions existed have none yet: left empty, it stays unknown.
    jurisdiction = forms.ChoiceField(
        label=_("jurisdiction"),
        choices=[("", "–"), *Jurisdiction.choices],
        required=False,
        help_text=ReviewerProfileFields.base_fields["jurisdiction"].help_text,
    )

    class Meta:
        model = ReviewerAccount
        fields = ["first_name", "last_name", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "email" in self.fields:  # read-only for an account held elsewhere
            self.fields["email"].required = True
        profile = ReviewerProfile.objects.filter(user_id=self.instance.pk).first()
        if profile is not None and not self.is_bound:
            for name in PROFILE_FIELDS:
                self.initial[name] = getattr(profile, name)


class ReviewerAccountAddForm(forms.ModelForm):
    password1 = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    expertise = ReviewerProfileFields.base_fields["expertise"]
    max_load = ReviewerProfileFields.base_fields["max_load"]
    language = ReviewerProfileFields.base_fields["language"]
    jurisdiction = ReviewerProfileFields.base_fields["jurisdiction"]

    class Meta:
        model = ReviewerAccount
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
            return cleaned
        if "username" in cleaned and "email" in cleaned and first:
            # The service's own checks, shown on the form before anything is written.
            errors = new_account_errors(
                username=cleaned["username"], email=cleaned["email"], password=first
            )
            for field, problems in errors.items():
                target = "password2" if field == "password" else field
                if target not in self.errors:
                    self.add_error(target, problems)
        return cleaned


@admin.register(ReviewerAccount)
class ReviewerAccountAdmin(DelegatedAccountAdmin):
    role = REVIEWERS_GROUP
    form = ReviewerAccountChangeForm
    add_form = ReviewerAccountAddForm
    list_display = [*DelegatedAccountAdmin.list_display, "max_load", "jurisdiction"]
    list_select_related = ["reviewer_profile"]
    fieldsets = (
        (None, {"fields": ("username", "password_link")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "is_active")}),
        (_("Reviewing"), {"fields": PROFILE_FIELDS}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Reviewing"), {"fields": PROFILE_FIELDS}),
    )

    @admin.display(description=_("maximum load per round"))
    def max_load(self, account: ReviewerAccount) -> int | str:
        profile = getattr(account, "reviewer_profile", None)
        return profile.max_load if profile else "–"

    @admin.display(description=_("jurisdiction"))
    def jurisdiction(self, account: ReviewerAccount) -> str:
        profile = getattr(account, "reviewer_profile", None)
        if profile is None or not profile.jurisdiction:
            return "–"
        return profile.get_jurisdiction_display()

    def create_account(self, request, form):
        data = form.cleaned_data
        return create_reviewer(
            actor=request.user,
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            expertise=data.get("expertise") or [],
            max_load=data["max_load"],
            language=data["language"],
            jurisdiction=data["jurisdiction"],
        )

    def change_account(self, request, account, form) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes.get("jurisdiction", True):
            del changes["jurisdiction"]
        if changes:
            update_reviewer(actor=request.user, reviewer=account, **changes)
