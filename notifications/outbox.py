"""The outbox's mechanics: writing rows once, handing them to Celery and re-dispatching the due
ones (DESIGN.md §7). Delivering them, with their bookkeeping, is `sending.py`.

It knows nothing of the apps above it: each app's `notifications.py` builds rows with
`email_row` / `provider_rows`, freezing into them what the message needs (template, language,
data), and passes them to `write_outbox` inside its own transaction."""

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from incubator.models import ServiceProvider

from .enums import NotificationChannel, NotificationStatus
from .models import Notification

logger = logging.getLogger(__name__)

# The Celery task that delivers a chunk of rows (tasks.deliver_notifications).
DELIVER_TASK = "notifications.deliver"


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


def email_row(
    *,
    event: str,
    subject: str,
    recipient: str,
    language: str,
    payload: dict,
    now: datetime,
    provider: ServiceProvider | None = None,
    user: AbstractBaseUser | None = None,
) -> Notification:
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


def provider_rows(
    *, provider: ServiceProvider, event: str, subject: str, payload: dict, now: datetime
) -> list[Notification]:
    """An e-mail to the provider's inbox and, where it has an endpoint, a signed webhook."""
    rows = [
        email_row(
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


def active_providers() -> list[ServiceProvider]:
    # Tens of providers: matching in Python works the same on every database.
    return list(ServiceProvider.objects.filter(active=True).order_by("pk"))


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


# After the broker failed a publish, this process leaves it alone for one beat tick (beat hands
# the rows out again anyway), so a request that commits several batches of rows waits for at most
# one broker timeout. Keyed by broker URL: {url: time.monotonic() until which it is skipped}.
_broker_down_until: dict[str, float] = {}


def dispatch_notifications(*, notification_ids: Iterable[int]) -> int:
    """Hand rows to the broker, a few per message; when the broker is down or does not answer,
    log and leave them to beat's re-dispatch. Returns how many rows were handed over.

    Bounded in time whatever the broker does: connecting and each command wait at most
    BROKER_TIMEOUT (the transport's socket timeouts), publishing is not retried, and after a
    failure this process skips the broker for one re-dispatch interval."""
    notification_ids = list(notification_ids)
    if not notification_ids:
        return 0
    # Looked up by name, not imported: tasks.py sits on top of this module. The registered
    # task (unlike send_task) still runs in-process when no broker is configured.
    deliver = current_app.tasks[DELIVER_TASK]
    broker = str(deliver.app.conf.broker_write_url)
    if time.monotonic() < _broker_down_until.get(broker, 0):
        logger.warning(
            "broker failed moments ago: %d notifications wait for beat's re-dispatch",
            len(notification_ids),
        )
        return 0
    size = max(1, settings.NOTIFICATIONS_DISPATCH_CHUNK)
    sent = 0
    try:
        # One producer (one broker connection) for the whole batch of a fan-out.
        with deliver.app.producer_or_acquire() as producer:
            for start in range(0, len(notification_ids), size):
                chunk = notification_ids[start : start + size]
                deliver.apply_async(
                    args=[chunk],
                    queue=settings.NOTIFICATIONS_QUEUE,
                    retry=False,
                    producer=producer,
                )
                sent += len(chunk)
    except (BrokerError, ConnectionError, OSError) as error:
        _broker_down_until[broker] = time.monotonic() + settings.NOTIFICATIONS_REDISPATCH_SECONDS
        logger.warning(
            "broker unavailable: %d of %d notifications wait for beat's re-dispatch: %s",
            len(notification_ids) - sent,
            len(notification_ids),
            error,
        )
    else:
        _broker_down_until.pop(broker, None)
    return sent


# The PostgreSQL advisory lock that keeps two re-dispatch runs from overlapping (any constant
# bigint that no other code of this database uses).
REDISPATCH_LOCK = 7_310_101


@contextmanager
def _redispatch_lock() -> Iterator[bool]:
    """Yield whether this run may go ahead: False while another run holds the lock.

    A session lock on PostgreSQL, taken without waiting and released at the end (or when the
    connection closes, should the worker die). Elsewhere (SQLite, development) always True:
    SQLite runs one writer at a time anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [REDISPATCH_LOCK])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REDISPATCH_LOCK])


def redispatch_due_notifications(*, now: datetime | None = None) -> list[int]:
    """Hand every due pending row to the broker again (a lost message, a broker that was down,
    a retry whose time has come). Rows being delivered right now are locked and skipped; a run
    that finds another one under way returns at once with nothing."""
    with _redispatch_lock() as acquired:
        if not acquired:
            logger.info("re-dispatch already running: this run stands down")
            return []
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
