"""The transactional outbox: one row per message, and every attempt to deliver it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incubator.models import ServiceProvider

from .enums import NotificationChannel, NotificationStatus


class NotificationQuerySet(models.QuerySet):
    def due(self, moment):
        return self.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=moment)


class Notification(models.Model):
    """One message to one recipient about one event: a row of the transactional outbox."""

    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=NotificationChannel.choices)
    # The address (e-mail) or URL (webhook) the message goes to.
    recipient = models.CharField(_("recipient"), max_length=500)
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("provider"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    # What the event is about, as "<model>:<id>" (e.g. "shortlist:12").
    subject = models.CharField(_("subject"), max_length=100)
    # event, subject, recipient and channel: a repeated action finds its row and sends nothing.
    dedup_key = models.CharField(_("deduplication key"), max_length=255, unique=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    # Every attempt ever made; the delivery log (NotificationAttempt) has one row for each.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The attempts since a coordinator last retried the row: the position in the retry schedule.
    attempts_since_retry = models.PositiveSmallIntegerField(
        _("attempts since the last retry"), default=0
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The delivery that holds the row (sending.py): a worker claims its chunk's rows in one
    # statement for at most the dispatch lease; another worker leaves a claimed row alone.
    claim = models.UUIDField(_("claimed by delivery"), null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["event", "created_at"], name="notification_event_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="notification_status_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=NotificationChannel.values),
                name="notification_channel_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.get_status_display()})"


class NotificationAttempt(models.Model):
    """One try at delivering a notification, kept for the delivery log."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("notification"),
    )
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    succeeded = models.BooleanField(_("succeeded"))
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else "failed"
        return f"{self.notification_id} at {self.started_at:%Y-%m-%d %H:%M:%S} {outcome}"


class EmailTemplate(models.Model):
    """A coordinator's text of one e-mail in one language, used instead of the shipped files.

    `name` is the template a row's payload names (`application_submitted`); the text is a
    Django template rendered in the sandbox (`notifications.sandbox`) with the row's
    `programme`, `data` and `dates`. Without an HTML body the HTML part is made from the text.
    """

    name = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=500)
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(
        _("HTML body"),
        blank=True,
        help_text=_("Optional: left empty, the HTML part is made from the text body."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("e-mail text")
        verbose_name_plural = _("e-mail texts")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "language"], name="email_template_one_per_language"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="email_template_language_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
