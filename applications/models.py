"""Start-ups, their applications to a round, attachments and the status history."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incubator.enums import Currency, Region, ServiceKind, Stage, Track
from incubator.models import Round, ServiceProvider

from .enums import ApplicationStatus, AttachmentKind, MembershipRole, SystemNote

# Statuses after which nothing more happens to an application.
FINAL_STATUSES = frozenset(
    {ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
)


class Startup(models.Model):
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=16, choices=Region.choices)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    team_size = models.PositiveIntegerField(_("team size"), null=True, blank=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    contact_email = models.EmailField(_("contact e-mail"))
    # The language of e-mails to the start-up; set from the portal's language at sign-up.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="startups",
        blank=True,
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("start-up")
        verbose_name_plural = _("start-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(region__in=Region.values), name="startup_region_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user in a start-up's team, with a role and the time they joined (DESIGN.md §11).

    The table is the one the plain many-to-many `Startup.members` used before (migration 0006
    took it over and added the columns), so every member kept their row and id: the lowest id
    of each start-up is the earliest member.
    """

    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("start-up")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=8, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        db_table = "applications_startup_members"
        ordering = ["startup", "joined_at", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        # The many-to-many table's own unique pair, under the name Django gave it.
        unique_together = [("startup", "user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values), name="membership_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.startup} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == MembershipRole.OWNER


class Invitation(models.Model):
    """An e-mailed, one-time invitation to join a start-up's team or a provider's users
    (DESIGN.md §11, §12). Only the SHA-256 of its token is kept: the clear token exists in the
    e-mail alone."""

    startup = models.ForeignKey(
        Startup,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
        verbose_name=_("start-up"),
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
        verbose_name=_("service provider"),
    )
    email = models.EmailField(_("e-mail"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(startup__isnull=False, provider__isnull=True)
                | Q(startup__isnull=True, provider__isnull=False),
                name="invitation_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.startup or self.provider}"

    def is_pending(self, now=None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class PartnerInvitation(Invitation):
    """Invitations of partner users, as the coordinators' admin page lists and makes them."""

    class Meta:
        proxy = True
        verbose_name = _("partner user invitation")
        verbose_name_plural = _("partner user invitations")


class ApplicationQuerySet(models.QuerySet):
    def in_round(self, round_):
        return self.filter(round=round_)

    def with_status(self, *statuses):
        return self.filter(status__in=statuses)

    def submitted(self):
        """Applications that have been handed in and not withdrawn."""
        return self.exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])

    def needing(self, kind: str):
        return self.filter(**{f"needs_{kind}": True})

    def of_member(self, user):
        return self.filter(startup__members=user)


class Application(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="applications", verbose_name=_("round")
    )
    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="applications", verbose_name=_("start-up")
    )
    project_name = models.CharField(_("project name"), max_length=200)
    track = models.CharField(_("track"), max_length=20, choices=Track.choices, blank=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    summary = models.TextField(_("summary"), max_length=10000, blank=True)
    funding_amount = models.DecimalField(
        _("funding requested"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    funding_currency = models.CharField(
        _("funding currency"), max_length=3, choices=Currency.choices, blank=True
    )
    # One flag per service kind: filterable and indexable on every database.
    needs_fund = models.BooleanField(_("needs fund"), default=False)
    needs_training = models.BooleanField(_("needs training"), default=False)
    needs_testing = models.BooleanField(_("needs testing"), default=False)
    # The round's own questions' answers, {key: value}, checked by applications.answers.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # Questions the coordinators removed (or changed) since the draft's owners last saved it,
    # with the answers dropped then: [{"key", "label": {…}}], shown on the draft's page.
    dropped_answers = models.JSONField(_("answers dropped"), default=list, blank=True)
    # Consent (DESIGN.md §12): the provider kinds the start-up agrees may receive its details,
    # each among its needs (a check constraint). False everywhere = no consent recorded = shared
    # with no one; every change is a ConsentChange with the consent text's version.
    share_fund = models.BooleanField(_("shared with fund providers"), default=False)
    share_training = models.BooleanField(_("shared with training providers"), default=False)
    share_testing = models.BooleanField(_("shared with testing providers"), default=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["round", "status"], name="application_round_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["startup", "round"],
                name="application_one_per_startup_per_round",
                violation_error_message=_(
                    "This start-up already has an application in this round."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_known"
            ),
            models.CheckConstraint(
                condition=Q(funding_amount__isnull=True) | Q(funding_amount__gte=0),
                name="application_funding_not_negative",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"share_{kind}": False}) | Q(**{f"needs_{kind}": True}),
                    name=f"application_shares_{kind}_only_if_needed",
                )
                for kind in ServiceKind.values
            ],
        ]

    def __str__(self) -> str:
        return f"{self.project_name} ({self.startup})"

    @property
    def needs(self) -> list[str]:
        return [kind for kind in ServiceKind.values if getattr(self, f"needs_{kind}")]

    @property
    def share_with(self) -> list[str]:
        return [kind for kind in ServiceKind.values if getattr(self, f"share_{kind}")]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is generated: the client's name and path never reach the file system.
    extension = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}{extension}"


# The one content type the browser may show inline (the reviewers' workplace frames it).
PDF_CONTENT_TYPE = "application/pdf"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=300)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.CheckConstraint(
                condition=Q(kind__in=AttachmentKind.values), name="attachment_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class StatusChange(models.Model):
    """One status transition of an application; written once, never edited.

    `note` is internal: coordinators read it (a decision's reasons, a start-up's reason for
    withdrawing). A note the system writes ("Shortlist … published") is stored as a code,
    `system_note`, with its parameters in `system_note_params`, and worded in the reader's
    language by `note_text`. `message_to_applicant` is what the start-up reads on its application
    page and in the decision's e-mail; usually empty.
    """

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("application"),
    )
    from_status = models.CharField(_("from"), max_length=16, choices=ApplicationStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.TextField(_("internal note"), blank=True)
    system_note = models.CharField(
        _("system note"), max_length=32, choices=SystemNote.choices, blank=True
    )
    system_note_params = models.JSONField(_("system note's parameters"), default=dict, blank=True)
    message_to_applicant = models.TextField(_("message to the applicant"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["application", "created_at"], name="status_change_app_idx")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"

    @property
    def note_text(self) -> str:
        """The internal note as its reader reads it: the system's note in the active language,
        then any note a person wrote."""
        parts = []
        if self.system_note:
            parts.append(system_note_text(self.system_note, self.system_note_params))
        if self.note:
            parts.append(self.note)
        return "\n".join(parts)


def system_note_text(code: str, params: dict | None = None) -> str:
    """A system note's words in the active language; an unknown code reads as itself."""
    try:
        template = str(SystemNote(code).label)
    except ValueError:
        return code
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


class ConsentChange(models.Model):
    """One change of an application's consent to share with providers (DESIGN.md §12): the
    kinds before and after, who, when, and the version of the consent text shown. Never edited.
    `reason` is set when a coordinator imported a consent given elsewhere (`import_consent`)."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="consent_changes",
        verbose_name=_("application"),
    )
    share_with_before = models.JSONField(_("shared with before"), default=list)
    share_with_after = models.JSONField(_("shared with after"), default=list)
    text_version = models.CharField(_("consent text version"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.share_with_before} → {self.share_with_after}"
