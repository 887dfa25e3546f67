from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incubator.exceptions import WorkflowError
from incubator.permissions import is_coordinator

from .enums import ApplicationStatus
from .models import Application, Attachment, ConsentChange, Startup, StatusChange
from .services import DECISION_NOTE_MAX_LENGTH, decide_application


@admin.register(Startup)
class StartupAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "team_size", "founded_on", "contact_email"]
    list_filter = ["region"]
    search_fields = ["name", "contact_email", "members__username", "members__email"]
    filter_horizontal = ["members"]


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

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # What a start-up wrote is theirs to change; coordinators decide through the actions.
        return [field.name for field in Application._meta.fields]

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


@admin.register(ConsentChange)
class ConsentChangeAdmin(admin.ModelAdmin):
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

    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
