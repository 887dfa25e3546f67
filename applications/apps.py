from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        # The round's questions live below this app; whether they may change and what happens
        # to the drafts' answers when they do is known here (docs/architecture.md "Hooks").
        from incubator.permissions import provide_account_tie
        from incubator.services import on_questions_changed, provide_round_submitted
        from notifications.screening import Screen, provide_screen

        from .notifications import consenting, keep_startups, payload_applications
        from .permissions import belongs_to_a_team
        from .services import drop_stale_answers, round_has_submission

        provide_round_submitted(round_has_submission)
        # A coordinator manages reviewers' and partners' accounts, not a founder's way in.
        provide_account_tie(belongs_to_a_team)
        on_questions_changed(drop_stale_answers)
        # The outbox below asks at delivery which start-ups still consent to a provider's kind
        # (DESIGN.md §12, docs/architecture.md "Hooks"); the applications answer.
        provide_screen(
            Screen(subjects=payload_applications, consenting=consenting, keep=keep_startups)
        )
