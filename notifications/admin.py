"""The outbox in the admin: providers' endpoints, notifications and their delivery log, and the
e-mail texts coordinators edit (a page per template and language, with its placeholders, a
preview with a real recent message's data and a reset to the shipped text)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from incubator.enums import Track
from incubator.exceptions import WorkflowError
from incubator.models import ServiceProvider
from incubator.permissions import is_coordinator

from . import emails, selectors, services
from .enums import EVENTS, event_label
from .models import EmailTemplate, Notification, NotificationAttempt
from .sandbox import TemplateProblem
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
        fields = ["name", "kind", "email", "webhook_url", "tracks", "language", "active", "witness"]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url", "")
        try:
            validate_webhook_url(url)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["webhook_url"]) from error
        return url


# Secrets waiting to be shown, in the session: it lives on the server (the database), never in a
# cookie, unlike the messages framework, whose cookie would carry them to the browser and back.
PENDING_SECRETS = "notifications.pending_provider_secrets"


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    """Providers, changed through the services. A signing secret made or replaced here (a new
    provider with a webhook URL, a first URL added, a rotation) is shown once, in the body of the
    page that follows, and then only its holder has it."""

    form = ServiceProviderForm
    list_display = ["name", "kind", "email", "webhook_url", "active", "witness"]
    list_filter = ["kind", "active", "witness"]
    search_fields = ["name", "email", "webhook_url"]
    actions = ["rotate_secret", "send_test_webhook"]

    # -- the one-time display of secrets ---------------------------------------------------------

    def _hold_secret(self, request: HttpRequest, provider: ServiceProvider) -> None:
        pending = request.session.get(PENDING_SECRETS, {})
        pending[str(provider.pk)] = {"name": provider.name, "secret": provider.webhook_secret}
        request.session[PENDING_SECRETS] = pending

    def _secrets_page(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incubator_serviceprovider_secrets"))

    def get_urls(self):
        own = [
            path(
                "secrets/",
                self.admin_site.admin_view(self.secrets_view),
                name="incubator_serviceprovider_secrets",
            )
        ]
        return own + super().get_urls()

    def secrets_view(self, request: HttpRequest) -> TemplateResponse:
        """Show the secrets waiting for this session once, and forget them."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        pending = request.session.pop(PENDING_SECRETS, {})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Webhook signing secrets"),
            "secrets": [
                {
                    "name": shown["name"],
                    "secret": shown["secret"],
                    "url": reverse("admin:incubator_serviceprovider_change", args=[pk]),
                }
                for pk, shown in sorted(pending.items(), key=lambda item: int(item[0]))
            ],
        }
        return TemplateResponse(request, "admin/incubator/serviceprovider/secrets.html", context)

    # -- writes go through the services ----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: ServiceProvider, form, change: bool) -> None:
        if change:
            changes = {field: form.cleaned_data[field] for field in form.changed_data}
            if changes:
                before = ServiceProvider.objects.get(pk=obj.pk).webhook_secret
                updated = services.update_provider(actor=request.user, provider=obj, **changes)
                if updated.webhook_secret != before:
                    self._hold_secret(request, updated)
            return
        created = services.create_provider(
            actor=request.user,
            **{field: form.cleaned_data[field] for field in ServiceProviderForm.Meta.fields},
        )
        obj.pk = created.pk
        obj.webhook_secret = created.webhook_secret
        if created.webhook_url:
            # An e-mail-only provider gets its secret shown when its first URL is added.
            self._hold_secret(request, created)

    def _then_secrets(self, request: HttpRequest, obj: ServiceProvider, response):
        if str(obj.pk) in request.session.get(PENDING_SECRETS, {}):
            return self._secrets_page()
        return response

    def response_add(self, request, obj, post_url_continue=None):
        return self._then_secrets(request, obj, super().response_add(request, obj))

    def response_change(self, request, obj):
        return self._then_secrets(request, obj, super().response_change(request, obj))

    @admin.action(description=_("Rotate the webhook signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset):
        for provider in queryset.order_by("pk"):
            rotated = services.rotate_provider_secret(actor=request.user, provider=provider)
            self._hold_secret(request, rotated)
        return self._secrets_page()

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


class EventFilter(admin.SimpleListFilter):
    """The events by their names in the reader's language, not their codes."""

    title = _("event")
    parameter_name = "event"

    def __init__(self, request, params, model, model_admin):
        self.field_path = getattr(model_admin, "event_field", "event")
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(event, event_label(event)) for event in EVENTS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


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
    list_filter = ["succeeded", EventFilter]
    event_field = "notification__event"
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


class StaleFilter(admin.SimpleListFilter):
    """Pending rows that should have been attempted by now (notifications.selectors)."""

    title = _("overdue")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", _("Stale: pending for too long"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.stale_filter(now=timezone.now()))
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # What an operator looks for first comes first: at 1,366 px nothing here is off-screen.
    list_display = [
        "event_name",
        "status",
        "attempts",
        "sent_at",
        "recipient",
        "channel",
        "created_at",
    ]
    list_filter = ["status", StaleFilter, EventFilter, "channel", "provider"]
    list_select_related = ["provider"]
    search_fields = ["recipient", "subject", "dedup_key"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "event_name",
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

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj: Notification) -> str:
        return event_label(obj.event)

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


# --- E-mail texts ------------------------------------------------------------------------------

LANGUAGE_CODES = [code for code, _label in settings.LANGUAGES]
PLACEHOLDER_HELP = _(
    "What this e-mail's messages carry. Write {{ data.project_name }} for a value; a list is "
    "read item by item: {% for a in data.assignments %}{{ a.project_name }}{% endfor %} ([] "
    'marks an item of a list). A date: {{ dates.due_at|date:"Y-m-d H:i" }}; a date inside a '
    'list: {{ a.due_at|as_datetime|date:"Y-m-d H:i" }} (load notification_tags).'
)


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )
    text_body = forms.CharField(
        label=_("Text body"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "email-source"}),
    )
    html_body = forms.CharField(
        label=_("HTML body"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "email-source"}),
        help_text=_(
            "Optional. Left empty, the HTML part is the text body in the e-mail's frame. To "
            'design it, start with {% extends "notifications/email/base.html" %} and fill '
            "{% block content %}; the shipped HTML is shown below the form."
        ),
    )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    """Not a list of rows: a page per shipped template and language, where a coordinator
    writes the text (or keeps the shipped one). Only coordinators; reviewers get 403."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Every template already has its page: "adding" is editing one.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # "Reset to the shipped text" on the template's page removes an edited text.
        return False

    def get_urls(self):
        return [
            path(
                "edit/<slug:name>/<slug:language>/",
                self.admin_site.admin_view(self.edit_view),
                name="notifications_emailtemplate_edit",
            ),
            *super().get_urls(),
        ]

    def _allowed(self, request: HttpRequest) -> None:
        if not is_coordinator(request.user):
            raise PermissionDenied

    def _context(self, request: HttpRequest, **context) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, **context}

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        self._allowed(request)
        edited = {
            (template.name, template.language): template
            for template in EmailTemplate.objects.select_related("updated_by")
        }
        rows = [
            {
                "name": name,
                "cells": [
                    {
                        "language": code,
                        "label": label,
                        "edited": edited.get((name, code)),
                        "url": reverse("admin:notifications_emailtemplate_edit", args=[name, code]),
                    }
                    for code, label in settings.LANGUAGES
                ],
            }
            for name in emails.template_names()
        ]
        return TemplateResponse(
            request,
            "admin/notifications/emailtemplate/overview.html",
            self._context(
                request,
                title=_("E-mail texts"),
                rows=rows,
                languages=settings.LANGUAGES,
            ),
        )

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        self._allowed(request)
        return redirect("admin:notifications_emailtemplate_changelist")

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        self._allowed(request)
        template = EmailTemplate.objects.filter(pk=object_id).first()
        if template is None:
            raise Http404
        return redirect("admin:notifications_emailtemplate_edit", template.name, template.language)

    def edit_view(self, request: HttpRequest, name: str, language: str) -> HttpResponse:
        self._allowed(request)
        if name not in emails.template_names() or language not in LANGUAGE_CODES:
            raise Http404
        here = reverse("admin:notifications_emailtemplate_edit", args=[name, language])
        if request.method == "POST" and "_reset" in request.POST:
            if services.reset_email_template(actor=request.user, name=name, language=language):
                self.message_user(request, _("The shipped text is used again."), messages.SUCCESS)
            return redirect(here)
        edited = EmailTemplate.objects.filter(name=name, language=language).first()
        shipped = {
            part: emails.localized_source(
                emails.shipped_source(name, part), language, html=emails.PARTS[part][1]
            )
            for part in emails.PARTS
        }
        if edited is not None:
            initial = {
                "subject": edited.subject,
                "text_body": edited.text_body,
                "html_body": edited.html_body,
            }
        else:
            initial = {
                "subject": " ".join(shipped["subject"].split()),
                "text_body": shipped["text"],
                "html_body": "",
            }
        row = emails.recent_row(name=name, language=language)
        form = EmailTemplateForm(request.POST or None, initial=initial)
        preview = problem = None
        if request.method == "POST" and form.is_valid():
            sources = {
                "subject": form.cleaned_data["subject"],
                "text_body": form.cleaned_data["text_body"],
                "html_body": form.cleaned_data["html_body"],
            }
            if "_preview" in request.POST:
                errors = emails.validate_sources(name=name, language=language, **sources)
                for field, messages_ in errors.items():
                    form.add_error(field, messages_)
                if not errors and row is not None:
                    preview = emails.preview(name=name, language=language, row=row, **sources)
            else:
                try:
                    template = services.save_email_template(
                        actor=request.user, name=name, language=language, **sources
                    )
                except ValidationError as error:
                    for field, messages_ in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, messages_)
                else:
                    if edited is None:
                        self.log_addition(request, template, [{"added": {}}])
                    else:
                        self.log_change(request, template, [{"changed": {"fields": list(sources)}}])
                    self.message_user(
                        request,
                        _("Saved: this e-mail is now sent with your text."),
                        messages.SUCCESS,
                    )
                    return redirect(here)
        elif request.method != "POST" and row is not None:
            try:
                preview = emails.preview(name=name, language=language, row=row)
            except TemplateProblem as error:
                problem = str(error)
        return TemplateResponse(
            request,
            "admin/notifications/emailtemplate/edit.html",
            self._context(
                request,
                title=_("E-mail “%(name)s” in %(language)s")
                % {"name": name, "language": dict(settings.LANGUAGES)[language]},
                name=name,
                language=language,
                edited=edited,
                form=form,
                row=row,
                preview=preview,
                problem=problem,
                placeholders=emails.placeholders(name=name, row=row, language=language),
                placeholder_help=PLACEHOLDER_HELP,
                shipped_html=shipped["html"],
                other_languages=[
                    (
                        code,
                        label,
                        reverse("admin:notifications_emailtemplate_edit", args=[name, code]),
                    )
                    for code, label in settings.LANGUAGES
                    if code != language
                ],
            ),
        )
