"""The outbox's mechanics: writing rows once, handing them to Celery, re-dispatching the due ones,
and delivering one row with its bookkeeping (DESIGN.md §7). The public entry points are
re-exported by `services`."""

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from incubator.enums import NotificationStatus
from incubator.models import Notification, NotificationAttempt, ServiceProvider

logger = logging.getLogger(__name__)


def dedup_key(*, event: str, subject: str, recipient: str, channel: str) -> str:
    return f"{event}|{subject}|{recipient}|{channel}"


def build_row(
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


def write_outbox(rows: list[Notification]) -> list[int]:
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
