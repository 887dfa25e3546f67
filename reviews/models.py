"""Reviewers, conflicts, assignments, reviews, scores and shortlists."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Startup
from incubator.enums import Jurisdiction
from incubator.models import Criterion, Round

from .enums import RankingMethod, Recommendation, ReviewStatus, ShortlistChangeKind


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
        verbose_name=_("user"),
    )
    # Tracks the reviewer knows best; assignment prefers them.
    expertise = models.JSONField(_("expertise"), default=list, blank=True)
    max_load = models.PositiveSmallIntegerField(
        _("maximum load per round"), default=10, validators=[MinValueValidator(1)]
    )
    language = models.CharField(
        _("language of e-mails"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Required for new reviewers; empty (unknown) for those made before jurisdictions existed,
    # who take no application of a round with a panel rule until a coordinator sets it.
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=16, choices=Jurisdiction.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self) -> str:
        return str(self.user)


class ReviewerAccount(get_user_model()):
    """A reviewer's login as coordinators manage it (reviews/admin_accounts.py): the same row as
    the user, on a page of its own that offers no role, group or permission."""

    class Meta:
        proxy = True
        verbose_name = _("reviewer account")
        verbose_name_plural = _("reviewer accounts")


class ConflictOfInterest(models.Model):
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("reviewer"),
    )
    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("start-up")
    )
    reason = models.CharField(_("reason"), max_length=500)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "startup"], name="conflict_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} × {self.startup}"


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        """Assignments not withdrawn: the ones a reviewer works on and whose reviews count."""
        return self.filter(withdrawn_at__isnull=True)


class Assignment(models.Model):
    """An application given to a reviewer. Never deleted once made by a coordinator's hand or
    the assignment run: a coordinator withdraws it (`reviews.services.withdraw_assignment`), and
    the row keeps who did it, when and why; its review stays as a record and no longer counts."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("application"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("reviewer"),
    )
    due_at = models.DateTimeField(_("due at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.CharField(
        _("reason for withdrawal"), max_length=500, blank=True, editable=False
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="assignment_unique_pair"
            ),
            # A withdrawal always says why; an active assignment has no reason for one.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawal_reason="")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="assignment_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.reviewer}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ReviewQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=ReviewStatus.SUBMITTED)


class Review(models.Model):
    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="review", verbose_name=_("assignment")
    )
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=Recommendation.choices, blank=True
    )
    confidence = models.PositiveSmallIntegerField(
        _("confidence"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comments"), max_length=20000, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["assignment_id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=5),
                name="review_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="review_status_known"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Review of %(assignment)s") % {"assignment": self.assignment}


class Score(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="scores", verbose_name=_("criterion")
    )
    # Within 1..criterion.max_score; the upper bound is checked by the scoring service.
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        ordering = ["criterion__order", "criterion_id"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_unique_per_review"),
            models.CheckConstraint(condition=Q(value__gte=1), name="score_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class Shortlist(models.Model):
    """A named, frozen snapshot of a round's ranking under filters."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="shortlists", verbose_name=_("round")
    )
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(
        _("ranking method"), max_length=16, choices=RankingMethod.choices, default=RankingMethod.RAW
    )
    size = models.PositiveIntegerField(_("size"), null=True, blank=True)
    min_score = models.FloatField(_("minimum score"), null=True, blank=True)
    # The ranking filters it was made with: track, region, needs, min_reviews, status.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # Least entries per jurisdiction ({"hong_kong": 3}), and how many each fell short by.
    quotas = models.JSONField(_("quotas"), default=dict, blank=True)
    unmet_quotas = models.JSONField(_("unmet quotas"), default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shortlist")
        verbose_name_plural = _("shortlists")
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="shortlist_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ShortlistEntry(models.Model):
    """An application on a shortlist with its rank and scores as they were when it was made."""

    shortlist = models.ForeignKey(
        Shortlist, on_delete=models.CASCADE, related_name="entries", verbose_name=_("shortlist")
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="shortlist_entries",
        verbose_name=_("application"),
    )
    rank = models.PositiveIntegerField(_("rank"))
    raw_score = models.FloatField(_("raw score"), null=True, blank=True)
    normalized_score = models.FloatField(_("normalised score"), null=True, blank=True)
    calibrated_score = models.FloatField(_("calibrated score"), null=True, blank=True)
    spread = models.FloatField(_("spread"), null=True, blank=True)
    review_count = models.PositiveIntegerField(_("reviews"), default=0)

    class Meta:
        ordering = ["shortlist", "rank", "id"]
        verbose_name = _("shortlist entry")
        verbose_name_plural = _("shortlist entries")
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "application"], name="shortlist_entry_unique_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.application}"


class ShortlistChange(models.Model):
    """A manual addition to or removal from a shortlist before it is published, with its reason."""

    shortlist = models.ForeignKey(
        Shortlist, on_delete=models.CASCADE, related_name="changes", verbose_name=_("shortlist")
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="+", verbose_name=_("application")
    )
    kind = models.CharField(_("change"), max_length=16, choices=ShortlistChangeKind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("shortlist change")
        verbose_name_plural = _("shortlist changes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.application} ({self.reason})"


COMMENT_MAX_LENGTH = 10_000


class Comment(models.Model):
    """A message in an application's discussion (DESIGN.md §14): read by coordinators and by
    the assigned reviewers who submitted their own review."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("application"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    # Set when the panel was e-mailed about it (reviews.discussion.notify_new_comments).
    notified_at = models.DateTimeField(_("panel told at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("discussion comment")
        verbose_name_plural = _("discussion")
        indexes = [
            models.Index(
                fields=["notified_at"],
                name="comment_not_yet_notified",
                condition=Q(notified_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return gettext("Comment on %(application)s") % {"application": self.application}


class ReviewVersion(models.Model):
    """A submitted review as it was before a coordinator reopened it for revision."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="versions", verbose_name=_("review")
    )
    # {criterion id (text): score}, and the fields of the review as submitted.
    scores = models.JSONField(_("scores"), default=dict)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=Recommendation.choices, blank=True
    )
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    comment = models.TextField(_("comments"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), auto_now_add=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reopened by"),
    )
    reason = models.TextField(_("reason for reopening"))

    class Meta:
        ordering = ["review", "reopened_at", "id"]
        verbose_name = _("earlier version of a review")
        verbose_name_plural = _("earlier versions of reviews")

    def __str__(self) -> str:
        return gettext("%(review)s as submitted on %(date)s") % {
            "review": self.review,
            "date": self.submitted_at.date() if self.submitted_at else "–",
        }


class RoundCalibration(models.Model):
    """The calibrated model of a round as last fitted (reviews/calibration.py), and which
    reviews it saw: `signature` changes whenever a counted review does, so a stale fit is
    noticed on read and refitted (reviews/scoring.py)."""

    round = models.OneToOneField(
        Round, on_delete=models.CASCADE, related_name="calibration", verbose_name=_("round")
    )
    signature = models.CharField(_("signature"), max_length=100, blank=True)
    fitted_at = models.DateTimeField(_("fitted at"), null=True, blank=True)
    application_variance = models.FloatField(_("application variance"), null=True, blank=True)
    reviewer_variance = models.FloatField(_("reviewer variance"), null=True, blank=True)
    residual_variance = models.FloatField(_("residual variance"), null=True, blank=True)
    agreement = models.FloatField(_("agreement"), null=True, blank=True)

    class Meta:
        verbose_name = _("round calibration")
        verbose_name_plural = _("round calibrations")

    def __str__(self) -> str:
        return str(self.round)


class ApplicationScore(models.Model):
    """An application's scores from the last fit of its round (reviews/scoring.py): the
    calibrated score (panel mean + its effect, 0-100) and, from the same totals by DESIGN.md
    section 5's formulas, its raw and normalised scores, spread and count of counted reviews:
    the ranking pages and the dashboard read these instead of ranking the round again."""

    application = models.OneToOneField(
        Application,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stored_scores",
        verbose_name=_("application"),
    )
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="+", verbose_name=_("round")
    )
    calibrated_score = models.FloatField(_("calibrated score"), null=True, blank=True)
    raw_score = models.FloatField(_("raw score"), null=True, blank=True)
    normalized_score = models.FloatField(_("normalised score"), null=True, blank=True)
    spread = models.FloatField(_("spread"), null=True, blank=True)
    review_count = models.PositiveIntegerField(_("reviews"), default=0)

    class Meta:
        verbose_name = _("application score")
        verbose_name_plural = _("application scores")
        indexes = [models.Index(fields=["round", "raw_score"], name="application_score_round")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.calibrated_score}"


class ReviewerLeniency(models.Model):
    """A reviewer's estimated leniency in a round (points of 0-100, positive = kinder)."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="+", verbose_name=_("round")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    leniency = models.FloatField(_("leniency"))
    leniency_se = models.FloatField(_("standard error"), null=True, blank=True)
    # From the same totals, as reviews.selectors.reviewer_statistics computes them live: the
    # reviewer statistics read these instead of every score of the round.
    review_count = models.PositiveIntegerField(_("reviews"), default=0)
    mean_total = models.FloatField(_("Mean total"), null=True, blank=True)
    sd_total = models.FloatField(_("Standard deviation"), null=True, blank=True)
    gap_to_others = models.FloatField(_("Leniency"), null=True, blank=True)

    class Meta:
        verbose_name = _("reviewer leniency")
        verbose_name_plural = _("reviewer leniencies")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "reviewer"], name="reviewer_leniency_unique_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.leniency:+.2f}"
