"""The programme's own data: programmes, rounds, service providers and the notification outbox."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import NotificationChannel, NotificationStatus, ServiceKind

DEFAULT_PROGRAMME_NAME = "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    organisers = models.CharField(_("organisers"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class RoundQuerySet(models.QuerySet):
    def open_at(self, moment):
        return self.filter(opens_at__lte=moment, closes_at__gt=moment)


class Round(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    review_deadline = models.DateTimeField(_("review deadline"))
    reviews_per_application = models.PositiveSmallIntegerField(
        _("reviews per application"), default=3
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="round_unique_name"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="round_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(review_deadline__gte=F("closes_at")),
                name="round_review_deadline_after_closing",
            ),
            models.CheckConstraint(
                condition=Q(reviews_per_application__gte=1),
                name="round_reviews_per_application_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() < self.closes_at


class ServiceProvider(models.Model):
    """A partner organisation that offers fund, training or testing services."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    email = models.EmailField(_("contact e-mail"))
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(
        _("webhook signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    # Tracks of interest; an empty list means every track.
    tracks = models.JSONField(_("tracks of interest"), default=list, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ServiceKind.values), name="provider_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


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
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
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
