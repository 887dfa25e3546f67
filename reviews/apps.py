from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        # The layers below ask questions only reviewing can answer; it answers them here, so
        # their imports keep pointing down (DESIGN.md §3, docs/architecture.md "Hooks").
        from applications.notifications import provide_shortlist_scores
        from applications.selectors import grant_application_access
        from incubator.services import provide_scored_criteria

        # scoring.schedule_refit publishes its task by name (tasks.py sits above scoring.py),
        # so the task is registered here, in every process.
        from . import tasks  # noqa: F401 (imported to register the tasks)
        from .notifications import latest_shortlist_scores
        from .permissions import reviewer_application_access
        from .selectors import scored_criteria

        grant_application_access(reviewer_application_access)
        provide_scored_criteria(scored_criteria)
        provide_shortlist_scores(latest_shortlist_scores)
