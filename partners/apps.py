from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """The providers' side of DESIGN.md §12: consent as providers see it, their portal and API,
    and their interest in start-ups. The top room below the demonstration data."""

    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Pages below show parts only partners know (docs/architecture.md "Hooks"): the
        # providers' interest on a start-up's application page, the engagement card on the
        # coordinators' dashboard.
        from applications.views import provide_application_section
        from reviews.dashboard import provide_dashboard_card

        from .views import application_section, dashboard_card

        provide_application_section(application_section)
        provide_dashboard_card(dashboard_card)
