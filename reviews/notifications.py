"""Who is told what about reviewing's own events, as outbox rows (DESIGN.md §7): assignments,
review reminders, published shortlists and the providers' weekly digest.

Called by this app's services inside their transaction (assignments, shortlists) or by its
periodic tasks (reminders, digests); every row carries what its message needs, frozen now.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
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


def latest_shortlist_scores(application: Application) -> tuple[object, object, object]:
    """The (raw, normalised, calibrated) scores of the application's latest shortlist entry, or
    three Nones: what providers read beside a start-up."""
    entry = (
        ShortlistEntry.objects.filter(application=application)
        .order_by("-shortlist__published_at", "-shortlist__created_at", "-id")
        .first()
    )
    if entry is None:
        return None, None, None
    return entry.raw_score, entry.normalized_score, entry.calibrated_score


def _reviewer_languages(reviewer_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        ReviewerProfile.objects.filter(user_id__in=set(reviewer_ids)).values_list(
            "user_id", "language"
        )
    )


def workplace_url() -> str:
    """The reviewer workplace (the admin's list of reviews) as an absolute link for e-mails."""
    return settings.SITE_URL.rstrip("/") + reverse("admin:reviews_review_changelist")


def _assignment_item(assignment: Assignment) -> dict:
    application = assignment.application
    return {
        "assignment": assignment.pk,
        "application": application.pk,
        "project_name": application.project_name,
        "round": application.round.name,
        "due_at": assignment.due_at.isoformat(),
    }


# What a reviewer's e-mail is about, from the reviewer and the sorted ids of its assignments.
SubjectOf = Callable[[AbstractBaseUser, list[int]], str]


def _reviewer_rows(
    *, assignments: list[Assignment], event: str, template: str, subject: SubjectOf, now: datetime
) -> list[Notification]:
    """One e-mail per reviewer listing their assignments (soonest due first), in the
    reviewer's language, with a link to the workplace. `subject(reviewer, ids)` names what the
    e-mail is about (the deduplication key is built from it)."""
    by_reviewer: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in sorted(assignments, key=lambda a: (a.due_at, a.pk)):
        by_reviewer[assignment.reviewer_id].append(assignment)
    languages = _reviewer_languages(by_reviewer)
    link = workplace_url()
    rows = []
    for reviewer_id, items in by_reviewer.items():
        reviewer = items[0].reviewer
        if not reviewer.email:
            logger.warning("reviewer %s has no e-mail address: not told of %s", reviewer_id, event)
            continue
        ids = sorted(assignment.pk for assignment in items)
        rows.append(
            email_row(
                event=event,
                subject=subject(reviewer, ids),
                recipient=reviewer.email,
                language=languages.get(reviewer_id, "en"),
                user=reviewer,
                payload={
                    "template": template,
                    "programme": items[0].application.round.programme.name,
                    "data": {
                        "reviewer": reviewer.get_full_name() or reviewer.get_username(),
                        "count": len(items),
                        "due_at": items[0].due_at.isoformat(),
                        "workplace_url": link,
                        "assignments": [_assignment_item(assignment) for assignment in items],
                    },
                },
                now=now,
            )
        )
    return rows


def assignment_batch_subject(reviewer: AbstractBaseUser, ids: list[int]) -> str:
    """What one assignment e-mail is about: exactly these assignments (first id, count and a
    digest of the sorted ids). The same assignments give the same key, so a repeated call writes
    nothing; assignments are created once, so a later run's new ones always form a new set."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    return f"assignments:{ids[0]}:{len(ids)}:{digest}"


def assignments_created(*, assignments: Iterable[Assignment]) -> None:
    """Tell each reviewer, in one e-mail, what this call gave them to review and by when, in
    the reviewer's language: automatic assignment of 14 applications to a reviewer is one
    e-mail, not 14. A few queries and one write, whatever their number."""
    loaded = list(
        Assignment.objects.select_related("reviewer", "application__round__programme").filter(
            pk__in=[assignment.pk for assignment in assignments]
        )
    )
    write_outbox(
        _reviewer_rows(
            assignments=loaded,
            event=events.ASSIGNMENT_CREATED,
            template="assignment_created",
            subject=assignment_batch_subject,
            now=timezone.now(),
        )
    )


def shortlist_published(*, shortlist: Shortlist) -> None:
    """One webhook and one e-mail per matching provider, listing exactly its start-ups; and
    one e-mail to each shortlisted applicant."""
    shortlist = Shortlist.objects.select_related("round__programme").get(pk=shortlist.pk)
    entries = list(
        shortlist.entries.select_related("application__startup", "application__round__programme")
        .prefetch_related("application__round__questions")
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
                calibrated_score=entry.calibrated_score,
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
    """Remind each reviewer, in one e-mail a day, of every unsubmitted review due within 48
    hours. Returns how many e-mails were written (0 when today's went out already)."""
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
    rows = _reviewer_rows(
        assignments=assignments,
        event=events.REVIEW_REMINDER,
        template="review_reminder",
        subject=lambda reviewer, _ids: f"reviewer:{reviewer.pk}:{day}",
        now=now,
    )
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
        .prefetch_related("round__questions")
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
            raw_score, normalized_score, calibrated_score = latest_shortlist_scores(application)
            startups.append(
                application_notifications.startup_payload(
                    application,
                    raw_score=raw_score,
                    normalized_score=normalized_score,
                    calibrated_score=calibrated_score,
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


def overdue_review_reminders(*, assignments: Iterable[Assignment], now: datetime) -> list[int]:
    """A coordinator's reminder: one e-mail per overdue assignment to its reviewer, in the
    reviewer's language. One a day per assignment: the day is in the deduplication key, so a
    second click the same day writes nothing. Returns the ids of the rows written."""
    day = timezone.localdate(now).isoformat()
    rows: list[Notification] = []
    for assignment in assignments:
        rows += _reviewer_rows(
            assignments=[assignment],
            event=events.REVIEW_OVERDUE,
            template="review_overdue",
            subject=lambda _reviewer, ids: f"assignment:{ids[0]}:{day}",
            now=now,
        )
    return write_outbox(rows)
