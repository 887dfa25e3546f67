from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """The providers' side of DESIGN.md §12: consent as providers see it, their portal and API,
    and their interest in start-ups. The top room below the demonstration data."""

    name = "partners"
    verbose_name = _("Partners")
