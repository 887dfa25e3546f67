"""The outbox in the admin: providers' endpoints, notifications and their delivery log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from incubator.enums import Track
from incubator.exceptions import WorkflowError
from incubator.models import ServiceProvider

from . import services
from .models import Notification, NotificationAttempt
from .urlsafety import validate_webhook_url


class ServiceProviderForm(forms.ModelForm):
    tracks = forms.MultipleChoiceField(
        label=_("tracks of interest"),
        choices=Track.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means every track."),
    )

    class Meta:
        model = ServiceProvider
        fields = ["name", "kind", "email", "webhook_url", "tracks", "language", "active"]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url", "")
        try:
            validate_webhook_url(url)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["webhook_url"]) from error
        return url


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    form = ServiceProviderForm
    list_display = ["name", "kind", "email", "webhook_url", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "email", "webhook_url"]
    actions = ["rotate_secret", "send_test_webhook"]

    def _show_secret(self, request: HttpRequest, provider: ServiceProvider) -> None:
        messages.warning(
            request,
            _("Signing secret of %(provider)s — copy it now, it is not shown again: %(secret)s")
            % {"provider": provider.name, "secret": provider.webhook_secret},
        )

    def save_model(self, request: HttpRequest, obj: ServiceProvider, form, change: bool) -> None:
        # The services validate and write; the secret is shown once, on creation.
        if change:
            changes = {field: form.cleaned_data[field] for field in form.changed_data}
            if changes:
                services.update_provider(actor=request.user, provider=obj, **changes)
            return
        created = services.create_provider(
            actor=request.user,
            **{field: form.cleaned_data[field] for field in ServiceProviderForm.Meta.fields},
        )
        obj.pk = created.pk
        obj.webhook_secret = created.webhook_secret
        self._show_secret(request, created)

    @admin.action(description=_("Rotate the webhook signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset) -> None:
        for provider in queryset:
            rotated = services.rotate_provider_secret(actor=request.user, provider=provider)
            self._show_secret(request, rotated)

    @admin.action(description=_("Send a test webhook"))
    def send_test_webhook(self, request: HttpRequest, queryset) -> None:
        for provider in queryset:
            try:
                notification = services.send_test_webhook(actor=request.user, provider=provider)
            except ValidationError as error:
                messages.error(request, f"{provider}: {' '.join(error.messages)}")
            else:
                messages.info(
                    request,
                    _("%(provider)s: test webhook %(id)s queued; see its delivery log.")
                    % {"provider": provider.name, "id": notification.pk},
                )


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

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
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
        "attempts_since_retry",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    ]
    inlines = [NotificationAttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        # Notifications are written by the events that cause them, never by hand.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The outbox is a log: only the retry action changes a row, through its service.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A deleted row would free its deduplication key: the same event could be sent twice.
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description=_("Retry delivery now"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset) -> None:
        retried = 0
        for notification in queryset.order_by("pk"):
            try:
                services.retry_notification(actor=request.user, notification=notification)
            except WorkflowError as error:
                messages.error(request, f"{notification}: {error.message}")
            else:
                retried += 1
        if retried:
            messages.success(
                request,
                ngettext(
                    "%(count)d notification is queued for delivery.",
                    "%(count)d notifications are queued for delivery.",
                    retried,
                )
                % {"count": retried},
            )
