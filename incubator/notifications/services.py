"""Notifications: providers, the events that write outbox rows, delivery bookkeeping and retry.

The event hooks (`notify_*`) are called by other apps' services inside their own transaction:
they write Notification rows with a unique deduplication key, so a repeated action writes
nothing, and hand the new rows to Celery only after the transaction commits (DESIGN.md §7).
"""

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import NotificationChannel, NotificationStatus, Track
from incubator.exceptions import WorkflowError
from incubator.models import (
    Notification,
    NotificationAttempt,
    ServiceProvider,
    new_webhook_secret,
)

from .urlsafety import validate_webhook_url

logger = logging.getLogger(__name__)

# Event names, as sent in the webhook body's "type" and stored in Notification.event.
APPLICATION_SUBMITTED = "application.submitted"
ASSIGNMENT_CREATED = "assignment.created"
REVIEW_REMINDER = "review.reminder"
SHORTLIST_PUBLISHED = "shortlist.published"
APPLICATION_SHORTLISTED = "application.shortlisted"
APPLICATION_ACCEPTED = "application.accepted"
APPLICATION_WAITLISTED = "application.waitlisted"
APPLICATION_REJECTED = "application.rejected"
PROVIDER_DIGEST = "provider.digest"
EVENTS = [
    APPLICATION_SUBMITTED,
    ASSIGNMENT_CREATED,
    REVIEW_REMINDER,
    SHORTLIST_PUBLISHED,
    APPLICATION_SHORTLISTED,
    APPLICATION_ACCEPTED,
    APPLICATION_WAITLISTED,
    APPLICATION_REJECTED,
    PROVIDER_DIGEST,
]

PROVIDER_FIELDS = {"name", "kind", "email", "webhook_url", "tracks", "language", "active"}


class NotificationAlreadySent(WorkflowError):
    """A sent notification cannot be retried."""


# --- Providers ---------------------------------------------------------------------------------


def _clean_provider(provider: ServiceProvider) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(provider.tracks, list) or any(
        track not in Track.values for track in provider.tracks
    ):
        errors["tracks"] = [
            _("Give a list of tracks, each one of: %(tracks)s.")
            % {"tracks": ", ".join(Track.values)}
        ]
    else:
        provider.tracks = [track for track in Track.values if track in provider.tracks]
    try:
        provider.full_clean(exclude=["tracks"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "webhook_url" not in errors:
        try:
            validate_webhook_url(provider.webhook_url)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def create_provider(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    kind: str,
    email: str,
    webhook_url: str = "",
    tracks: Iterable[str] = (),
    language: str = "en",
    active: bool = True,
) -> ServiceProvider:
    """A new provider with a fresh signing secret (the caller shows it once)."""
    provider = ServiceProvider(
        name=name,
        kind=kind,
        email=email,
        webhook_url=webhook_url or "",
        tracks=list(tracks) if not isinstance(tracks, str) else tracks,
        language=language,
        active=active,
        webhook_secret=new_webhook_secret(),
    )
    _clean_provider(provider)
    with transaction.atomic():
        provider.save()
    logger.info("provider %s created by %s", provider.pk, getattr(actor, "pk", None))
    return provider


def update_provider(
    *, actor: AbstractBaseUser | None, provider: ServiceProvider, **changes: object
) -> ServiceProvider:
    """Change any of name, kind, email, webhook_url, tracks, language, active."""
    unknown = set(changes) - PROVIDER_FIELDS
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in unknown})
    with transaction.atomic():
        locked = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        for field, value in changes.items():
            setattr(locked, field, "" if field == "webhook_url" and value is None else value)
        _clean_provider(locked)
        locked.save(update_fields=sorted(changes))
    logger.info("provider %s changed by %s", locked.pk, getattr(actor, "pk", None))
    return locked


def rotate_provider_secret(
    *, actor: AbstractBaseUser | None, provider: ServiceProvider
) -> ServiceProvider:
    """Replace the signing secret; webhooks sent from now on are signed with the new one."""
    with transaction.atomic():
        locked = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        locked.webhook_secret = new_webhook_secret()
        locked.save(update_fields=["webhook_secret"])
    logger.info("provider %s secret rotated by %s", locked.pk, getattr(actor, "pk", None))
    return locked


def provider_matches(provider: ServiceProvider, application: Application) -> bool:
    """A provider hears of a start-up that needs its kind, in a track it follows (none = all)."""
    return (
        provider.active
        and provider.kind in application.needs
        and (not provider.tracks or application.track in provider.tracks)
    )


def _active_providers() -> list[ServiceProvider]:
    # Tens of providers: matching in Python works the same on every database.
    return list(ServiceProvider.objects.filter(active=True).order_by("pk"))


# --- Payloads ----------------------------------------------------------------------------------


def _number(value: float | Decimal | None) -> float | None:
    return None if value is None else float(value)


def startup_payload(application: Application, entry: object | None = None) -> dict:
    """The start-up as providers receive it (DESIGN.md §8); scores from its shortlist entry."""
    return {
        "application": application.pk,
        "startup": application.startup.name,
        "project_name": application.project_name,
        "region": application.startup.region,
        "track": application.track,
        "stage": application.stage,
        "needs": application.needs,
        "funding_amount": (
            None if application.funding_amount is None else str(application.funding_amount)
        ),
        "funding_currency": application.funding_currency,
        "raw_score": _number(getattr(entry, "raw_score", None)),
        "normalized_score": _number(getattr(entry, "normalized_score", None)),
        "contact_email": application.startup.contact_email,
    }


def _latest_entry(application: Application):
    from reviews.models import ShortlistEntry

    return (
        ShortlistEntry.objects.filter(application=application)
        .order_by("-shortlist__published_at", "-shortlist__created_at", "-id")
        .first()
    )


def _programme_name(application: Application) -> str:
    return application.round.programme.name


# --- The outbox --------------------------------------------------------------------------------


def dedup_key(*, event: str, subject: str, recipient: str, channel: str) -> str:
    return f"{event}|{subject}|{recipient}|{channel}"


def _row(
    *,
    event: str,
    subject: str,
    channel: str,
    recipient: str,
    language: str,
    payload: dict,
    provider: ServiceProvider | None = None,
    user: AbstractBaseUser | None = None,
    now: datetime,
) -> Notification:
    # A provider is keyed by its id, so two providers sharing an inbox each get their own message.
    who = f"provider:{provider.pk}" if provider is not None else recipient.lower()
    return Notification(
        event=event,
        subject=subject,
        channel=channel,
        recipient=recipient,
        provider=provider,
        user=user,
        language=language or "en",
        payload=payload,
        dedup_key=dedup_key(event=event, subject=subject, recipient=who, channel=channel),
        status=NotificationStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS),
    )


def _write_outbox(rows: list[Notification]) -> list[int]:
    """Insert the rows whose key is new and schedule their delivery after commit."""
    if not rows:
        return []
    keys = [row.dedup_key for row in rows]
    with transaction.atomic():
        existing = set(
            Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True)
        )
        new_rows = [row for row in rows if row.dedup_key not in existing]
        if not new_rows:
            return []
        # ON CONFLICT DO NOTHING: a concurrent writer of the same key wins quietly.
        Notification.objects.bulk_create(new_rows, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(
                dedup_key__in=[row.dedup_key for row in new_rows],
                status=NotificationStatus.PENDING,
                attempts=0,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: dispatch_notifications(notification_ids=ids))
    return ids


def dispatch_notifications(*, notification_ids: Iterable[int]) -> int:
    """Hand rows to the broker, a few per message; when the broker is down, log and leave them
    to beat's re-dispatch. Returns how many rows were handed over."""
    from .tasks import deliver_notifications

    notification_ids = list(notification_ids)
    size = max(1, settings.NOTIFICATIONS_DISPATCH_CHUNK)
    sent = 0
    try:
        # One producer (one broker connection) for the whole batch of a fan-out.
        with deliver_notifications.app.producer_or_acquire() as producer:
            for start in range(0, len(notification_ids), size):
                chunk = notification_ids[start : start + size]
                deliver_notifications.apply_async(
                    args=[chunk],
                    queue=settings.NOTIFICATIONS_QUEUE,
                    retry=False,
                    producer=producer,
                )
                sent += len(chunk)
    except (BrokerError, ConnectionError, OSError) as error:
        logger.warning(
            "broker unavailable: %d of %d notifications wait for beat's re-dispatch: %s",
            len(notification_ids) - sent,
            len(notification_ids),
            error,
        )
    return sent


def _email_row(*, event, subject, recipient, language, payload, now, provider=None, user=None):
    return _row(
        event=event,
        subject=subject,
        channel=NotificationChannel.EMAIL,
        recipient=recipient,
        language=language,
        payload=payload,
        provider=provider,
        user=user,
        now=now,
    )


def _provider_rows(
    *, provider: ServiceProvider, event: str, subject: str, payload: dict, now: datetime
) -> list[Notification]:
    rows = [
        _email_row(
            event=event,
            subject=subject,
            recipient=provider.email,
            language=provider.language,
            payload=payload,
            provider=provider,
            now=now,
        )
    ]
    if provider.webhook_url:
        rows.append(
            _row(
                event=event,
                subject=subject,
                channel=NotificationChannel.WEBHOOK,
                recipient=provider.webhook_url,
                language=provider.language,
                payload=payload,
                provider=provider,
                now=now,
            )
        )
    return rows


def _applicant_row(*, application: Application, event: str, template: str, now, extra=None):
    startup = application.startup
    data = {
        "application": application.pk,
        "startup": startup.name,
        "project_name": application.project_name,
        "round": application.round.name,
        **(extra or {}),
    }
    return _email_row(
        event=event,
        subject=f"application:{application.pk}",
        recipient=startup.contact_email,
        language=startup.language,
        payload={
            "template": template,
            "programme": _programme_name(application),
            "data": data,
        },
        now=now,
    )


def _load_application(application: Application) -> Application:
    return Application.objects.select_related("startup", "round__programme").get(pk=application.pk)


# --- Event hooks (called inside the caller's transaction) --------------------------------------


def notify_application_submitted(*, application: Application) -> None:
    """A receipt to the applicant."""
    application = _load_application(application)
    submitted_at = application.submitted_at or timezone.now()
    row = _applicant_row(
        application=application,
        event=APPLICATION_SUBMITTED,
        template="application_submitted",
        now=timezone.now(),
        extra={"submitted_at": submitted_at.isoformat()},
    )
    _write_outbox([row])


def notify_assignment_created(*, assignment) -> None:
    """Tell the reviewer what to review and by when, in the reviewer's language."""
    from reviews.models import Assignment, ReviewerProfile

    assignment = Assignment.objects.select_related("reviewer", "application__round__programme").get(
        pk=assignment.pk
    )
    reviewer = assignment.reviewer
    if not reviewer.email:
        logger.warning("reviewer %s has no e-mail address: not told of an assignment", reviewer.pk)
        return
    profile = ReviewerProfile.objects.filter(user=reviewer).first()
    row = _email_row(
        event=ASSIGNMENT_CREATED,
        subject=f"assignment:{assignment.pk}",
        recipient=reviewer.email,
        language=profile.language if profile else "en",
        user=reviewer,
        payload=_assignment_payload(assignment, "assignment_created"),
        now=timezone.now(),
    )
    _write_outbox([row])


def _assignment_payload(assignment, template: str) -> dict:
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


def notify_shortlist_published(*, shortlist) -> None:
    """One webhook and one e-mail per matching provider, listing exactly its start-ups; and
    one e-mail to each shortlisted applicant."""
    from reviews.models import Shortlist

    shortlist = Shortlist.objects.select_related("round__programme").get(pk=shortlist.pk)
    entries = list(
        shortlist.entries.select_related("application__startup", "application__round__programme")
        .order_by("rank", "pk")
        .all()
    )
    now = timezone.now()
    programme = shortlist.round.programme.name
    subject = f"shortlist:{shortlist.pk}"
    rows: list[Notification] = []
    for provider in _active_providers():
        matching = [
            startup_payload(entry.application, entry)
            for entry in entries
            if provider_matches(provider, entry.application)
        ]
        if not matching:
            continue
        payload = {
            "template": "shortlist_published_provider",
            "programme": programme,
            "data": {
                "shortlist": {
                    "id": shortlist.pk,
                    "name": shortlist.name,
                    "round": shortlist.round_id,
                },
                "startups": matching,
            },
        }
        rows += _provider_rows(
            provider=provider, event=SHORTLIST_PUBLISHED, subject=subject, payload=payload, now=now
        )
    for entry in entries:
        rows.append(
            _applicant_row(
                application=entry.application,
                event=APPLICATION_SHORTLISTED,
                template="application_shortlisted",
                now=now,
            )
        )
    _write_outbox(rows)


def notify_application_decided(*, application: Application) -> None:
    """Tell whoever needs to know of the application's current status."""
    application = _load_application(application)
    now = timezone.now()
    status = application.status
    if status == ApplicationStatus.ACCEPTED:
        payload = {
            "template": "application_accepted_provider",
            "programme": _programme_name(application),
            "data": {"startup": startup_payload(application, _latest_entry(application))},
        }
        rows: list[Notification] = []
        for provider in _active_providers():
            if provider_matches(provider, application):
                rows += _provider_rows(
                    provider=provider,
                    event=APPLICATION_ACCEPTED,
                    subject=f"application:{application.pk}",
                    payload=payload,
                    now=now,
                )
        rows.append(
            _applicant_row(
                application=application,
                event=APPLICATION_ACCEPTED,
                template="application_accepted",
                now=now,
            )
        )
        _write_outbox(rows)
        return
    applicant_events = {
        ApplicationStatus.WAITLISTED: (APPLICATION_WAITLISTED, "application_waitlisted"),
        ApplicationStatus.REJECTED: (APPLICATION_REJECTED, "application_rejected"),
        ApplicationStatus.SHORTLISTED: (APPLICATION_SHORTLISTED, "application_shortlisted"),
    }
    if status in applicant_events:
        event, template = applicant_events[status]
        _write_outbox(
            [_applicant_row(application=application, event=event, template=template, now=now)]
        )


# --- Periodic events ---------------------------------------------------------------------------


def send_review_reminders(*, now: datetime | None = None) -> int:
    """Remind each reviewer of every unsubmitted review due within 48 hours, once a day."""
    from reviews.enums import ReviewStatus
    from reviews.models import Assignment, ReviewerProfile

    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    assignments = (
        Assignment.objects.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=48))
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .exclude(application__status__in=[ApplicationStatus.WITHDRAWN])
        .exclude(reviewer__email="")
        .select_related("reviewer", "application__round__programme")
        .order_by("pk")
    )
    assignments = list(assignments)
    languages = dict(
        ReviewerProfile.objects.filter(
            user__in={assignment.reviewer_id for assignment in assignments}
        ).values_list("user_id", "language")
    )
    rows = [
        _email_row(
            event=REVIEW_REMINDER,
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
        return len(_write_outbox(rows))


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
    for provider in _active_providers():
        matching = [app for app in accepted if provider_matches(provider, app)]
        if not matching:
            continue
        rows.append(
            _email_row(
                event=PROVIDER_DIGEST,
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
                        "startups": [startup_payload(app, _latest_entry(app)) for app in matching],
                    },
                },
                now=now,
            )
        )
    with transaction.atomic():
        return len(_write_outbox(rows))


def redispatch_due_notifications(*, now: datetime | None = None) -> list[int]:
    """Hand every due pending row to the broker again (a lost message, a broker that was down,
    a retry whose time has come). Rows being delivered right now are locked and skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_REDISPATCH_BATCH]
        )
        if ids:
            lease = timedelta(seconds=settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS)
            Notification.objects.filter(pk__in=ids).update(next_attempt_at=now + lease)
            transaction.on_commit(lambda: dispatch_notifications(notification_ids=ids))
    return ids


def retry_notification(
    *, actor: AbstractBaseUser | None, notification: Notification
) -> Notification:
    """Send a pending or failed row now, with a fresh series of attempts; a sent one is final."""
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status == NotificationStatus.SENT:
            raise NotificationAlreadySent(
                _("This notification was already sent; it cannot be sent again.")
            )
        locked.status = NotificationStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now() + timedelta(
            seconds=settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS
        )
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        notification_id = locked.pk
        transaction.on_commit(lambda: dispatch_notifications(notification_ids=[notification_id]))
    logger.info("notification %s retried by %s", locked.pk, getattr(actor, "pk", None))
    return locked


# --- Delivery bookkeeping ----------------------------------------------------------------------


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next try after `attempts` failures, or None when they are used up."""
    delays = settings.NOTIFICATIONS_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)


def deliver_notification(*, notification_id: int) -> str:
    """Send one row: lock it, skip it if it is gone, sent, failed or being sent by another
    worker, send, record the attempt and the outcome. Safe to run twice."""
    from . import delivery

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("provider")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "skipped"
        if notification.status != NotificationStatus.PENDING:
            return "skipped"
        started = timezone.now()
        try:
            outcome = delivery.send(notification)
        except Exception as error:
            logger.exception("notification %s cannot be delivered", notification.pk)
            outcome = delivery.Outcome(
                succeeded=False,
                duration_ms=int((timezone.now() - started).total_seconds() * 1000),
                error=f"{type(error).__name__}: {error}",
                permanent=True,
            )
        NotificationAttempt.objects.create(
            notification=notification,
            started_at=started,
            duration_ms=outcome.duration_ms,
            succeeded=outcome.succeeded,
            http_status=outcome.http_status,
            error=outcome.error,
        )
        notification.attempts += 1
        fields = ["attempts", "status", "next_attempt_at", "last_error", "sent_at"]
        if outcome.succeeded:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.next_attempt_at = None
            notification.last_error = ""
        else:
            notification.last_error = outcome.error
            delay = None if outcome.permanent else retry_delay(notification.attempts)
            if delay is None:
                notification.status = NotificationStatus.FAILED
                notification.next_attempt_at = None
            else:
                notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        notification.save(update_fields=fields)
    return str(notification.status)
