from django.db import models
from django.utils.translation import gettext_lazy as _


class InterestStatus(models.TextChoices):
    """A provider's answer about one start-up (DESIGN.md §12)."""

    INTERESTED = "interested", _("Interested")
    DECLINED = "declined", _("Declined")
    ENGAGED = "engaged", _("Engaged")
