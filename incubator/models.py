"""The programme's own data: programmes, rounds with their rubric, service providers; and API
tokens as the admin shows them."""

import base64
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from .enums import PanelRule, QuestionKind, ServiceKind
from .questions import (
    CHOICE_KINDS,
    definition_errors,
    effective_max_length,
    localized,
)
from .text import text_errors

DEFAULT_PROGRAMME_NAME = "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    organisers = models.CharField(_("organisers"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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
    # Which jurisdictions an application's reviewers come from (automatic assignment).
    panel_rule = models.CharField(
        _("panel rule"), max_length=16, choices=PanelRule.choices, default=PanelRule.NONE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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


class Criterion(models.Model):
    """A line of a round's rubric, scored 1..max_score and weighted."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("round")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=1)
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=10)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Anchors for the scale, shown beside the score field: {"1": "…", "5": "…", "10": "…"}.
    levels = models.JSONField(
        _("level descriptions"),
        default=dict,
        blank=True,
        help_text=_(
            'What a score means, by level: {"1": "No evidence", "5": "Plausible", '
            '"10": "Proven"}. Levels run from 1 to the maximum score.'
        ),
    )

    class Meta:
        ordering = ["round", "order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="criterion_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(condition=Q(max_score__gte=1), name="criterion_max_score_min"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problems = level_problems(self.levels, self.max_score)
        if problems:
            raise ValidationError({"levels": problems})

    def sorted_levels(self) -> list[tuple[int, str]]:
        """The level descriptions as (score, text), lowest score first."""
        if not isinstance(self.levels, dict):
            return []
        return sorted(
            (int(key), str(text))
            for key, text in self.levels.items()
            if isinstance(key, str) and key.isascii() and key.isdigit()
        )


class Question(models.Model):
    """One of a round's own questions (DESIGN.md §11): the start-ups answer it beside the fixed
    fields. Texts are `{"en", "zh-hans", "zh-hant"}`, English required."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="questions", verbose_name=_("round")
    )
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("The answer's name in the API and exports, such as “chain”."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    label = models.JSONField(_("label"), default=dict)
    help = models.JSONField(_("help text"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # [{"value": "ethereum", "label": {"en": "Ethereum", …}}] for the two choice kinds.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=28, decimal_places=14, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=28, decimal_places=14, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    share_with_providers = models.BooleanField(
        _("share with providers"),
        default=False,
        help_text=_(
            "Whether the answer travels to the service providers the start-up shares with."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["round", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["round", "key"], name="question_unique_key"),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="question_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="question_min_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        errors = definition_errors(self.definition())
        if errors:
            fields = {"min": "min_value", "max": "max_value"}
            raise ValidationError(
                {fields.get(name, name): problems for name, problems in errors.items()}
            )

    def definition(self) -> dict:
        """The question as the API shows it (and as `definition_errors` checks it)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "help": self.help or {},
            "required": self.required,
            "choices": self.choices or [],
            "min": self.min_value,
            "max": self.max_value,
            "max_length": self.max_length,
            "share_with_providers": self.share_with_providers,
        }

    @property
    def text(self) -> str:
        """The label in the active language (English when it has none)."""
        return localized(self.label)

    @property
    def help_text(self) -> str:
        return localized(self.help)

    @property
    def limit(self) -> int | None:
        """The most characters an answer may hold (text kinds)."""
        return effective_max_length(self.kind, self.max_length)

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    def choice_options(self) -> list[tuple[str, str]]:
        """(value, label in the active language) of each choice."""
        return [(c["value"], localized(c.get("label"))) for c in self.choices or []]


LEVEL_TEXT_MAX_LENGTH = 500


def level_problems(levels, max_score) -> list[str]:
    """What is wrong with a criterion's level descriptions (empty when nothing is)."""
    if levels in (None, ""):
        return []
    if not isinstance(levels, dict):
        return [_('Give the levels as an object, such as {"1": "…", "10": "…"}.')]
    problems = []
    top = max_score if isinstance(max_score, int) else 100
    for key, text in levels.items():
        # ASCII digits, written as the number itself ("7", not "07" or "٧").
        canonical = (
            isinstance(key, str) and key.isascii() and key.isdigit() and key == str(int(key))
        )
        if not (canonical and 1 <= int(key) <= top):
            problems.append(
                _("Level “%(level)s” is not a score from 1 to %(max)d.")
                % {"level": key, "max": top}
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(_("Level %(level)s needs a description.") % {"level": key})
        elif len(text) > LEVEL_TEXT_MAX_LENGTH:
            problems.append(
                _("The description of level %(level)s is longer than %(n)d characters.")
                % {"level": key, "n": LEVEL_TEXT_MAX_LENGTH}
            )
        else:
            for problem in text_errors({"level": text}, long=["level"]).get("level", []):
                problems.append(
                    _("Level %(level)s: %(problem)s") % {"level": key, "problem": problem}
                )
    return problems


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
    # A witness keeps the audit trail's signed checkpoints (DESIGN.md §13): it is sent each one.
    witness = models.BooleanField(
        _("audit witness"),
        default=False,
        help_text=_("Receives the audit trail's signed checkpoints by webhook."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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


class PartnerAccount(models.Model):
    """A partner user (DESIGN.md §12): the user acts for one service provider; a provider may
    have several users. Kept beside the provider so that invitations (applications) can make one
    and the partners' portal (partners) can read it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="partner_account",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="partner_accounts",
        verbose_name=_("service provider"),
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["provider", "joined_at"]
        verbose_name = _("partner account")
        verbose_name_plural = _("partner accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.provider}"


class ApiToken(TokenProxy):
    """An API token as the admin shows it to a superuser: by its user, never by its key.

    DRF's TokenProxy already addresses a token by its user's id (the key never appears in a
    URL); this proxy also names it without the key, so the key shows in no page title, message
    or admin log entry.
    """

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return gettext("API token of %(user)s") % {"user": self.user}
