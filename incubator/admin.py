from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reviews.models import Criterion

from .models import Notification, NotificationAttempt, Programme, Round, ServiceProvider

admin.site.site_header = _("Blue Chip Incubator administration")
admin.site.site_title = _("Blue Chip Incubator")
admin.site.index_title = _("Programme administration")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "organisers", "created_at"]
    search_fields = ["name", "organisers"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "name", "description", "weight", "max_score"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "programme",
        "opens_at",
        "closes_at",
        "review_deadline",
        "reviews_per_application",
        "is_open",
    ]
    list_filter = ["programme"]
    list_select_related = ["programme"]
    search_fields = ["name"]
    date_hierarchy = "opens_at"
    inlines = [CriterionInline]

    @admin.display(boolean=True, description=_("open now"))
    def is_open(self, obj: Round) -> bool:
        return obj.is_open


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "email", "webhook_url", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "email", "webhook_url"]


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "duration_ms", "succeeded", "http_status", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NotificationAttempt)
class NotificationAttemptAdmin(admin.ModelAdmin):
    """The delivery log: every attempt, its outcome and how long it took."""

    list_display = ["notification", "started_at", "succeeded", "http_status", "duration_ms"]
    list_filter = ["succeeded", "notification__event"]
    list_select_related = ["notification"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "notification",
        "started_at",
        "duration_ms",
        "succeeded",
        "http_status",
        "error",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "channel",
        "recipient",
        "provider",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "event", "channel", "provider"]
    list_select_related = ["provider"]
    search_fields = ["recipient", "subject", "dedup_key"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "event",
        "channel",
        "recipient",
        "provider",
        "user",
        "subject",
        "dedup_key",
        "language",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    ]
    inlines = [NotificationAttemptInline]

    def has_add_permission(self, request) -> bool:
        # Notifications are written by the events that cause them, never by hand.
        return False
