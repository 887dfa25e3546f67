from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        # The outbox below asks at delivery which start-ups still consent to a provider's kind
        # (DESIGN.md §12, docs/architecture.md "Hooks"); the applications answer.
        from notifications.screening import Screen, provide_screen

        from .notifications import consenting, keep_startups, payload_applications

        provide_screen(
            Screen(subjects=payload_applications, consenting=consenting, keep=keep_startups)
        )
