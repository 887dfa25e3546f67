from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The tamper-evident log of DESIGN.md §13: append-only, one hash chain for the site.

    The lowest room of the house: it imports nothing of ours, so every service above may record.
    """

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system checks)
