"""Notifications: providers, the events that write outbox rows, delivery bookkeeping and retry.

The event hooks (`notify_*`) are called by other apps' services inside their own transaction:
they write Notification rows with a unique deduplication key, so a repeated action writes
nothing, and hand the new rows to Celery only after the transaction commits (DESIGN.md §7).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.enums import ApplicationStatus
from applications.models import FINAL_STATUSES, Application
from incubator.enums import NotificationChannel, NotificationStatus, Track
from incubator.exceptions import WorkflowError
from incubator.models import (
    Notification,
    ServiceProvider,
    new_webhook_secret,
)

from .outbox import (  # noqa: F401 (the outbox's entry points are part of this module's API)
    build_row,
    dedup_key,
    deliver_notification,
    deliver_notifications,
    dispatch_notifications,
    redispatch_due_notifications,
    retry_delay,
    write_outbox,
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
# Sent on a coordinator's request, so a provider can check its endpoint and signature check.
PROVIDER_TEST = "provider.test"
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
    PROVIDER_TEST,
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


def _email_row(*, event, subject, recipient, language, payload, now, provider=None, user=None):
    return build_row(
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
            build_row(
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
    write_outbox([row])


def notify_assignment_created(*, assignment) -> None:
    """Tell the reviewer what to review and by when, in the reviewer's language."""
    notify_assignments_created(assignments=[assignment])


def notify_assignments_created(*, assignments: Iterable) -> None:
    """The same for many assignments at once (automatic assignment makes thousands): a few
    queries and one write, whatever their number."""
    from reviews.models import Assignment, ReviewerProfile

    loaded = list(
        Assignment.objects.select_related("reviewer", "application__round__programme").filter(
            pk__in=[assignment.pk for assignment in assignments]
        )
    )
    languages = dict(
        ReviewerProfile.objects.filter(
            user_id__in={assignment.reviewer_id for assignment in loaded}
        ).values_list("user_id", "language")
    )
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
            _email_row(
                event=ASSIGNMENT_CREATED,
                subject=f"assignment:{assignment.pk}",
                recipient=reviewer.email,
                language=languages.get(reviewer.pk, "en"),
                user=reviewer,
                payload=_assignment_payload(assignment, "assignment_created"),
                now=now,
            )
        )
    write_outbox(rows)


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
    write_outbox(rows)


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
        write_outbox(rows)
        return
    applicant_events = {
        ApplicationStatus.WAITLISTED: (APPLICATION_WAITLISTED, "application_waitlisted"),
        ApplicationStatus.REJECTED: (APPLICATION_REJECTED, "application_rejected"),
        ApplicationStatus.SHORTLISTED: (APPLICATION_SHORTLISTED, "application_shortlisted"),
    }
    if status in applicant_events:
        event, template = applicant_events[status]
        write_outbox(
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
        # A decided or withdrawn application needs no more reviews.
        .exclude(application__status__in=FINAL_STATUSES)
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
        return len(write_outbox(rows))


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


def send_test_webhook(*, actor: AbstractBaseUser | None, provider: ServiceProvider) -> Notification:
    """Queue a `provider.test` webhook to the provider's endpoint; its delivery log shows whether
    the endpoint answered 2xx."""
    if not provider.webhook_url:
        raise ValidationError(
            {"webhook_url": [_("This provider has no webhook URL to send a test to.")]}
        )
    now = timezone.now()
    row = build_row(
        event=PROVIDER_TEST,
        subject=f"test:{now.isoformat()}",
        channel=NotificationChannel.WEBHOOK,
        recipient=provider.webhook_url,
        language=provider.language,
        provider=provider,
        payload={
            "template": "provider_test",
            "data": {"provider": {"id": provider.pk, "name": provider.name}, "test": True},
        },
        now=now,
    )
    with transaction.atomic():
        [notification_id] = write_outbox([row])
    logger.info("test webhook to provider %s by %s", provider.pk, getattr(actor, "pk", None))
    return Notification.objects.get(pk=notification_id)
