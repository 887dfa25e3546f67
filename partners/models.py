"""The providers' side of DESIGN.md §12: their interest in start-ups, what they opened, and when
they last looked at their list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from incubator.models import ServiceProvider

from .enums import InterestStatus


class Interest(models.Model):
    """One provider's current answer about one application's start-up, and the start-up's
    reply. One row per pair: a new answer replaces the status and note."""

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="interests",
        verbose_name=_("service provider"),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="partner_interests",
        verbose_name=_("application"),
    )
    status = models.CharField(_("status"), max_length=16, choices=InterestStatus.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    at = models.DateTimeField(_("marked at"))
    reply = models.TextField(_("reply"), max_length=2000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "application"], name="interest_one_per_provider_application"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InterestStatus.values), name="interest_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} → {self.application_id}: {self.status}"


class StartupView(models.Model):
    """A provider opened one start-up's page (API or portal) at least once."""

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="startup_views",
        verbose_name=_("service provider"),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="partner_views",
        verbose_name=_("application"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    first_viewed_at = models.DateTimeField(_("first viewed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("start-up viewed")
        verbose_name_plural = _("start-ups viewed")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "application"], name="startup_view_one_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} viewed {self.application_id}"


class ListVisit(models.Model):
    """When one of a provider's users last looked at its list of start-ups."""

    provider = models.OneToOneField(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="list_visit",
        verbose_name=_("service provider"),
    )
    first_at = models.DateTimeField(_("first looked at"))
    last_at = models.DateTimeField(_("last looked at"))

    class Meta:
        verbose_name = _("list visit")
        verbose_name_plural = _("list visits")

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.last_at}"
