from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .checkpoints import SigningKeyMissing, checkpoint_now
from .models import AuditEvent, Checkpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes a row here, whatever their permissions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The chain, read-only. Coordinators filter by object (type and id: search `type:id` or
    an id), action, actor (search the user id) and time."""

    list_display = ["seq", "at", "action", "object_type", "object_id", "actor"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["=object_id", "=actor"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # "application:12" finds one object's events; a bare number its id or an actor's.
        term = search_term.strip()
        if ":" in term:
            object_type, _sep, object_id = term.partition(":")
            return queryset.filter(object_type=object_type, object_id=object_id), False
        if term and not term.isdigit():
            return queryset.filter(action=term), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    """Signed checkpoints, read-only; "Make a checkpoint now" for those allowed to (coordinators,
    by the permission `audit.add_checkpoint` their group is given)."""

    list_display = ["seq", "hash", "at", "signature"]
    readonly_fields = ["seq", "hash", "at", "signature", "created_at"]
    change_list_template = "admin/audit/checkpoint/change_list.html"

    def may_make(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_perm("audit.add_checkpoint")

    def get_urls(self):
        own = [
            path(
                "make/",
                self.admin_site.admin_view(self.make_view),
                name="audit_checkpoint_make",
            )
        ]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "may_make_checkpoint": self.may_make(request)}
        return super().changelist_view(request, extra_context)

    def make_view(self, request: HttpRequest):
        if not self.may_make(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:audit_checkpoint_changelist"))
        try:
            checkpoint = checkpoint_now()
        except SigningKeyMissing:
            self.message_user(
                request,
                _("No checkpoint: the site has no signing key (AUDIT_SIGNING_KEY)."),
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                _("Checkpoint made at event %(seq)d and sent to the witnesses.")
                % {"seq": checkpoint.seq},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:audit_checkpoint_changelist"))
