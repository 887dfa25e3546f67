"""Who is told what about reviewing's own events, as outbox rows (DESIGN.md §7): assignments,
review reminders, published shortlists and the providers' weekly digest.

Called by this app's services inside their transaction (assignments, shortlists) or by its
periodic tasks (reminders, digests); every row carries what its message needs, frozen now.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from applications import notifications as application_notifications
from applications.enums import ApplicationStatus
from applications.models import FINAL_STATUSES, Application
from notifications import enums as events
from notifications.models import Notification
from notifications.outbox import active_providers, email_row, provider_rows, write_outbox

from .enums import ReviewStatus
from .models import Assignment, ReviewerProfile, Shortlist, ShortlistEntry

logger = logging.getLogger(__name__)


def latest_shortlist_scores(application: Application) -> tuple[object, object]:
    """The (raw, normalised) scores of the application's latest shortlist entry, or (None, None):
    what providers read beside a start-up."""
    entry = (
        ShortlistEntry.objects.filter(application=application)
        .order_by("-shortlist__published_at", "-shortlist__created_at", "-id")
        .first()
    )
    if entry is None:
        return None, None
    return entry.raw_score, entry.normalized_score


def _reviewer_languages(reviewer_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        ReviewerProfile.objects.filter(user_id__in=set(reviewer_ids)).values_list(
            "user_id", "language"
        )
    )


def _assignment_payload(assignment: Assignment, template: str) -> dict:
    application = assignment.application
    return {
        "template": template,
        "programme": application.round.programme.name,
        "data": {
            "assignment": assignment.pk,
            "application": application.pk,
            "project_name": application.project_name,
            "round": application.round.name,
            "reviewer": assignment.reviewer.get_full_name() or assignment.reviewer.get_username(),
            "due_at": assignment.due_at.isoformat(),
        },
    }


def assignments_created(*, assignments: Iterable[Assignment]) -> None:
    """Tell each reviewer what to review and by when, in the reviewer's language. Automatic
    assignment makes thousands at once: a few queries and one write, whatever their number."""
    loaded = list(
        Assignment.objects.select_related("reviewer", "application__round__programme").filter(
            pk__in=[assignment.pk for assignment in assignments]
        )
    )
    languages = _reviewer_languages(assignment.reviewer_id for assignment in loaded)
    now = timezone.now()
    rows = []
    for assignment in loaded:
        reviewer = assignment.reviewer
        if not reviewer.email:
            logger.warning(
                "reviewer %s has no e-mail address: not told of an assignment", reviewer.pk
            )
            continue
        rows.append(
            email_row(
                event=events.ASSIGNMENT_CREATED,
                subject=f"assignment:{assignment.pk}",
                recipient=reviewer.email,
                language=languages.get(reviewer.pk, "en"),
                user=reviewer,
                payload=_assignment_payload(assignment, "assignment_created"),
                now=now,
            )
        )
    write_outbox(rows)


def shortlist_published(*, shortlist: Shortlist) -> None:
    """One webhook and one e-mail per matching provider, listing exactly its start-ups; and
    one e-mail to each shortlisted applicant."""
    shortlist = Shortlist.objects.select_related("round__programme").get(pk=shortlist.pk)
    entries = list(
        shortlist.entries.select_related("application__startup", "application__round__programme")
        .order_by("rank", "pk")
        .all()
    )
    now = timezone.now()
    subject = f"shortlist:{shortlist.pk}"
    rows: list[Notification] = []
    for provider in active_providers():
        matching = [
            application_notifications.startup_payload(
                entry.application,
                raw_score=entry.raw_score,
                normalized_score=entry.normalized_score,
            )
            for entry in entries
            if application_notifications.provider_matches(provider, entry.application)
        ]
        if not matching:
            continue
        payload = {
            "template": "shortlist_published_provider",
            "programme": shortlist.round.programme.name,
            "data": {
                "shortlist": {
                    "id": shortlist.pk,
                    "name": shortlist.name,
                    "round": shortlist.round_id,
                },
                "startups": matching,
            },
        }
        rows += provider_rows(
            provider=provider,
            event=events.SHORTLIST_PUBLISHED,
            subject=subject,
            payload=payload,
            now=now,
        )
    for entry in entries:
        rows.append(
            application_notifications.applicant_row(
                application=entry.application,
                event=events.APPLICATION_SHORTLISTED,
                template="application_shortlisted",
                now=now,
            )
        )
    write_outbox(rows)


def send_review_reminders(*, now: datetime | None = None) -> int:
    """Remind each reviewer of every unsubmitted review due within 48 hours, once a day."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    assignments = list(
        Assignment.objects.active()
        .filter(due_at__gt=now, due_at__lte=now + timedelta(hours=48))
        .exclude(review__status=ReviewStatus.SUBMITTED)
        # A decided or withdrawn application needs no more reviews.
        .exclude(application__status__in=FINAL_STATUSES)
        .exclude(reviewer__email="")
        .select_related("reviewer", "application__round__programme")
        .order_by("pk")
    )
    languages = _reviewer_languages(assignment.reviewer_id for assignment in assignments)
    rows = [
        email_row(
            event=events.REVIEW_REMINDER,
            subject=f"assignment:{assignment.pk}:{day}",
            recipient=assignment.reviewer.email,
            language=languages.get(assignment.reviewer_id, "en"),
            user=assignment.reviewer,
            payload=_assignment_payload(assignment, "review_reminder"),
            now=now,
        )
        for assignment in assignments
    ]
    with transaction.atomic():
        return len(write_outbox(rows))


def send_provider_digests(*, now: datetime | None = None) -> int:
    """A weekly e-mail to each provider with the start-ups accepted in the past seven days that
    match it; a provider with nothing to hear of gets nothing."""
    now = now or timezone.now()
    since = now - timedelta(days=7)
    year, week, _weekday = timezone.localdate(now).isocalendar()
    accepted = list(
        Application.objects.filter(
            status=ApplicationStatus.ACCEPTED, decided_at__gte=since, decided_at__lt=now
        )
        .select_related("startup", "round__programme")
        .order_by("decided_at", "pk")
    )
    rows = []
    for provider in active_providers():
        matching = [
            application
            for application in accepted
            if application_notifications.provider_matches(provider, application)
        ]
        if not matching:
            continue
        startups = []
        for application in matching:
            raw_score, normalized_score = latest_shortlist_scores(application)
            startups.append(
                application_notifications.startup_payload(
                    application, raw_score=raw_score, normalized_score=normalized_score
                )
            )
        rows.append(
            email_row(
                event=events.PROVIDER_DIGEST,
                subject=f"week:{year}-W{week:02d}",
                recipient=provider.email,
                language=provider.language,
                provider=provider,
                payload={
                    "template": "provider_digest",
                    "programme": matching[0].round.programme.name,
                    "data": {
                        "since": since.isoformat(),
                        "until": now.isoformat(),
                        "startups": startups,
                    },
                },
                now=now,
            )
        )
    with transaction.atomic():
        return len(write_outbox(rows))
