from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import format_time
from incubator.admin_readonly import CoordinatorsReadOnlyAdmin
from incubator.exceptions import WorkflowError
from incubator.permissions import is_coordinator

from .answers import answered_questions
from .enums import ApplicationStatus
from .governance import events_of
from .models import (
    Application,
    Attachment,
    ConsentChange,
    Invitation,
    Membership,
    PartnerInvitation,
    Startup,
    StatusChange,
)
from .services import DECISION_NOTE_MAX_LENGTH, decide_application
from .teams import invite_to_provider, revoke_invitation


class MembershipInline(admin.TabularInline):
    """The team, read-only: joining, leaving and roles go through the team services (the
    start-up's owners in the portal and API, invitations), which record every change."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Startup)
class StartupAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "team_size", "founded_on", "contact_email"]
    list_filter = ["region"]
    search_fields = ["name", "contact_email", "members__username", "members__email"]
    inlines = [MembershipInline]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # Others reach this search only to pick a start-up (a conflict of interest): by name,
        # so that no one learns who belongs to a start-up by trying addresses.
        return self.search_fields if is_coordinator(request.user) else ["name"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ["kind", "original_name", "size", "content_type", "sha256", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "from_status",
        "to_status",
        "actor",
        "internal_note",
        "message_to_applicant",
    ]
    readonly_fields = fields

    @admin.display(description=_("internal note"))
    def internal_note(self, change: StatusChange) -> str:
        # A system note is stored as a code and worded in the reader's language (issue 13).
        return change.note_text

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=DECISION_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_(
            "Kept with each application's status history; only coordinators read it, "
            "never the start-up."
        ),
    )
    message_to_applicant = forms.CharField(
        label=_("Message to the applicant"),
        max_length=DECISION_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_(
            "Optional. Shown on the start-up's application page and sent in the e-mail that "
            "tells it of the decision."
        ),
    )


def _decision_action(to_status: ApplicationStatus):
    """An action that first asks for a note, then decides each selected application."""

    def action(modeladmin, request: HttpRequest, queryset: QuerySet[Application]):
        form = DecisionNoteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/applications/application/decide.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "opts": modeladmin.opts,
                    "title": _("Mark as “%(status)s”") % {"status": to_status.label},
                    "status": to_status,
                    "action": action.__name__,
                    "applications": queryset.select_related("startup"),
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        moved, refused = 0, []
        for application in queryset:
            try:
                decide_application(
                    application=application,
                    status=to_status,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    message_to_applicant=form.cleaned_data["message_to_applicant"],
                )
                moved += 1
            except WorkflowError as error:
                refused.append(f"{application}: {error.message}")
        if moved:
            modeladmin.message_user(
                request,
                _("%(count)d application(s) marked “%(status)s”.")
                % {"count": moved, "status": to_status.label},
            )
        for message in refused:
            modeladmin.message_user(request, message, level=messages.WARNING)
        return None

    action.__name__ = f"mark_{to_status.value}"
    # Lazy: the label is read in the language of each request, not once at import.
    action.short_description = lazy(
        lambda: gettext("Mark selected as “%(status)s”…") % {"status": to_status.label}, str
    )()
    action.allowed_permissions = ("decide",)
    return action


# The newest events an application's page lists.
AUDIT_TRAIL_ROWS = 200


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    # What a coordinator sorts by comes first: at 1,366 px nothing here is off-screen.
    list_display = [
        "project_name",
        "stage",
        "status",
        "submitted_at",
        "startup",
        "round",
        "track",
    ]
    list_filter = [
        "round",
        "status",
        "track",
        "stage",
        "needs_fund",
        "needs_training",
        "needs_testing",
    ]
    list_select_related = ["startup", "round"]
    search_fields = ["project_name", "startup__name", "summary"]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline, StatusChangeInline]
    actions = [
        _decision_action(ApplicationStatus.SHORTLISTED),
        _decision_action(ApplicationStatus.WAITLISTED),
        _decision_action(ApplicationStatus.ACCEPTED),
        _decision_action(ApplicationStatus.REJECTED),
    ]

    # The answers are shown as the portal shows them (labels in the reader's language).
    exclude = ["answers", "dropped_answers"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # What a start-up wrote is theirs to change; coordinators decide through the actions.
        return [
            *(field.name for field in Application._meta.fields if field.name not in self.exclude),
            "answers_display",
        ] + (["audit_trail"] if obj else [])

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "audit_trail"] + (["audit_trail"] if obj else [])

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj: Application) -> str:
        """The application's events (its own, its files', assignments' and reviews'), newest
        last; the whole trail is under Audit trail › Audit events."""
        events = list(
            AuditEvent.objects.filter(events_of([obj.pk], object_types=None)).order_by("-seq")[
                :AUDIT_TRAIL_ROWS
            ]
        )
        if not events:
            return gettext("No events yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}:{}</td><td>{}</td></tr>",
            (
                (e.seq, format_time(e.at), e.action, e.object_type, e.object_id, e.actor or "—")
                for e in reversed(events)
            ),
        )
        return format_html(
            '<table class="audit-trail"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("seq"),
            gettext("time"),
            gettext("action"),
            gettext("object"),
            gettext("actor"),
            rows,
        )

    @admin.display(description=_("answers"))
    def answers_display(self, obj: Application) -> str:
        rows = answered_questions(obj) if obj and obj.pk else []
        if not rows:
            return "—"
        return format_html(
            '<dl class="answers">{}</dl>',
            format_html_join(
                "",
                '<dt data-question="{}">{}</dt><dd data-answer="{}">{}</dd>',
                ((r["key"], r["label"], r["key"], r["text"] or "—") for r in rows),
            ),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return is_coordinator(request.user)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The audit trail: read-only for everyone."""

    list_display = ["application", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status", "from_status"]
    list_select_related = ["application", "actor"]
    search_fields = ["application__project_name", "note", "message_to_applicant"]
    date_hierarchy = "created_at"
    fields = [
        "application",
        "from_status",
        "to_status",
        "actor",
        "internal_note",
        "message_to_applicant",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("internal note"))
    def internal_note(self, change: StatusChange) -> str:
        # A system note is stored as a code and worded in the reader's language (issue 13).
        return change.note_text

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "application", "size", "uploaded_at"]
    list_filter = ["kind"]
    list_select_related = ["application"]
    search_fields = ["original_name", "sha256", "application__project_name"]
    readonly_fields = [
        "application",
        "kind",
        "stored_as",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("stored as"))
    def stored_as(self, obj: Attachment) -> str:
        # Files have no public URL; they are served only by views that check visibility.
        return obj.file.name

    def has_add_permission(self, request) -> bool:
        # Files arrive through the upload service, which checks their type and size.
        return False


class PartnerInvitationForm(forms.ModelForm):
    class Meta:
        model = PartnerInvitation
        fields = ["provider", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].required = True


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(admin.ModelAdmin):
    """A coordinator invites a partner user for a provider (DESIGN.md §12) here: the same
    service as `POST /api/v1/providers/{id}/invitations/`, so the same e-mail, rules and audit.
    The provider's page links here with the provider chosen (`?provider=<id>`)."""

    form = PartnerInvitationForm
    list_display = ["email", "provider", "created_at", "expires_at", "state"]
    list_filter = ["provider"]
    list_select_related = ["provider"]
    search_fields = ["email", "provider__name"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(provider__isnull=False)

    @admin.display(description=_("state"))
    def state(self, invitation: PartnerInvitation) -> str:
        if invitation.accepted_at:
            return pgettext("invitation", "Accepted")
        if invitation.revoked_at:
            return pgettext("invitation", "Revoked")
        if not invitation.is_pending():
            return pgettext("invitation", "Expired")
        return pgettext("invitation", "Pending")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["provider", "email", "created_at", "expires_at", "accepted_at", "revoked_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        invitation, _token = invite_to_provider(
            actor=request.user,
            provider=form.cleaned_data["provider"],
            email=form.cleaned_data["email"],
        )
        obj.pk = invitation.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Revoke the selected pending invitations"))
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for invitation in queryset:
            try:
                revoke_invitation(actor=request.user, invitation=invitation)
            except WorkflowError as error:
                self.message_user(request, f"{invitation.email}: {error.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, gettext("Revoked: %(count)d.") % {"count": done})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(CoordinatorsReadOnlyAdmin):
    list_display = ["user", "startup", "role", "joined_at"]
    list_filter = ["role"]
    list_select_related = ["user", "startup"]
    search_fields = ["user__username", "user__email", "startup__name"]


@admin.register(Invitation)
class InvitationAdmin(CoordinatorsReadOnlyAdmin):
    """Every invitation, to start-ups and providers alike; never its token (only a hash is kept,
    and not shown)."""

    list_display = ["email", "startup", "provider", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["startup", "provider"]
    search_fields = ["email", "startup__name", "provider__name"]
    exclude = ["token_hash"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(CoordinatorsReadOnlyAdmin):
    """Every change of a start-up's consent to share with providers: read-only for coordinators
    (a consent is changed by the start-up, or imported with `manage.py import_consent`)."""

    list_display = [
        "application",
        "share_with_before",
        "share_with_after",
        "text_version",
        "actor",
        "created_at",
    ]
    list_filter = ["text_version"]
    list_select_related = ["application", "actor"]
    search_fields = ["application__project_name", "application__startup__name"]
    date_hierarchy = "created_at"
    fields = [
        "application",
        "share_with_before",
        "share_with_after",
        "text_version",
        "actor",
        "reason",
        "created_at",
    ]
    readonly_fields = fields
