from django.db import models
from django.utils.translation import gettext_lazy as _


class Recommendation(models.TextChoices):
    STRONG_ACCEPT = "strong_accept", _("Strong accept")
    ACCEPT = "accept", _("Accept")
    NEUTRAL = "neutral", _("Neutral")
    REJECT = "reject", _("Reject")
    STRONG_REJECT = "strong_reject", _("Strong reject")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class RankingMethod(models.TextChoices):
    RAW = "raw", _("Raw score")
    NORMALIZED = "normalized", _("Normalised score")
    CALIBRATED = "calibrated", _("Calibrated score")


class ShortlistChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    REMOVED = "removed", _("Removed")
