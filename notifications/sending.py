"""Delivering the rows of one Celery message: each row is locked, sent (`delivery.send`) and
recorded in a short transaction of its own (DESIGN.md §7).

A row's outcome is committed as soon as it is known, so a worker that dies (or a chunk that runs
out of time) re-sends at most the one row it had in flight: never a row it finished, and never a
row because a later one failed.
"""

import logging
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import delivery, screening, services
from .enums import NotificationStatus
from .models import Notification, NotificationAttempt

logger = logging.getLogger(__name__)

DELIVERY_FIELDS = [
    "attempts",
    "attempts_since_retry",
    "status",
    "next_attempt_at",
    "last_error",
    "sent_at",
]


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next try after `attempts` failures since the last retry (the position
    in NOTIFICATIONS_RETRY_DELAYS), or None when the schedule is used up."""
    delays = settings.NOTIFICATIONS_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)


def deliver_notifications(*, notification_ids: Iterable[int]) -> dict[int, str]:
    """Send a few rows, one at a time, each locked while it is sent (SKIP LOCKED: a row another
    worker is sending is left to it) and committed with its attempt as soon as it is done.

    When Celery's soft time limit interrupts the chunk, what was finished stays recorded, the
    row in flight gets a failed attempt ("timed out after N s") and its backoff, and the rows not
    yet tried stay pending, untouched, for beat's next dispatch.
    Returns each id's outcome: "sent", "pending" (to be retried), "failed" or "skipped".
    """
    return _Chunk(sorted(set(notification_ids))).deliver()


def deliver_notification(*, notification_id: int) -> str:
    """Send one row (see deliver_notifications). Safe to run twice."""
    return deliver_notifications(notification_ids=[notification_id])[notification_id]


@dataclass(frozen=True)
class _InFlight:
    pk: int
    attempts: int  # the row's count when it was locked: whether its attempt got recorded
    started_at: datetime
    started: float  # time.monotonic()


class _Chunk:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.outcomes = dict.fromkeys(ids, "skipped")
        self.in_flight: _InFlight | None = None
        self.consent: screening.ChunkConsent | None = None

    def deliver(self) -> dict[int, str]:
        done = 0
        # Consent at delivery (screening.py): read once for the chunk.
        self.consent = screening.screen_chunk(self.ids)
        with _commits_without_waiting_for_the_disk():
            try:
                for pk in self.ids:
                    self.outcomes[pk] = self._deliver_one(pk)
                    done += 1
            except SoftTimeLimitExceeded:
                self._out_of_time(rest=self.ids[done:])
        return self.outcomes

    def _deliver_one(self, pk: int) -> str:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("provider")
                .filter(pk=pk, status=NotificationStatus.PENDING)
                .first()
            )
            if row is None:
                return "skipped"
            # Consent at delivery (screening.py): only start-ups still consenting are sent.
            if not screening.screen_row(row, self.consent):
                return str(row.status)
            self.in_flight = _InFlight(pk, row.attempts, timezone.now(), time.monotonic())
            try:
                outcome = delivery.send(row)
            except SoftTimeLimitExceeded:
                raise  # the row's transaction rolls back; _out_of_time records the attempt
            except Exception as error:
                # A bug, not a transient failure: recorded on the row, which fails at once.
                logger.exception("notification %s cannot be delivered", row.pk)
                outcome = delivery.Outcome(
                    succeeded=False,
                    duration_ms=int((time.monotonic() - self.in_flight.started) * 1000),
                    error=f"{type(error).__name__}: {error}",
                    permanent=True,
                )
            _record(row, outcome, started_at=self.in_flight.started_at)
        self.in_flight = None
        return str(row.status)

    def _out_of_time(self, *, rest: list[int]) -> None:
        flight, self.in_flight = self.in_flight, None
        if flight is not None:
            seconds = time.monotonic() - flight.started
            with transaction.atomic():
                row = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("provider")
                    .filter(pk=flight.pk, status=NotificationStatus.PENDING)
                    .filter(attempts=flight.attempts)
                    .first()
                )
                # None: its attempt was committed just before the limit struck.
                if row is not None:
                    outcome = delivery.Outcome(
                        succeeded=False,
                        duration_ms=int(seconds * 1000),
                        error=delivery.timed_out(seconds),
                    )
                    _record(row, outcome, started_at=flight.started_at)
        statuses = dict(Notification.objects.filter(pk__in=rest).values_list("pk", "status"))
        for pk in rest:
            self.outcomes[pk] = statuses.get(pk, "skipped")
        logger.warning(
            "soft time limit reached in a chunk of %d notifications; untried ones wait for the "
            "next dispatch: %s",
            len(self.ids),
            self.outcomes,
        )


@contextmanager
def _commits_without_waiting_for_the_disk() -> Iterator[None]:
    """PostgreSQL: while a chunk is delivered, a commit returns before its WAL reaches the disk
    (the WAL writer flushes it within a fraction of a second). Each row's commit is still made
    at once and seen by every other connection, and a worker that dies after it loses nothing;
    only a crash of the database server itself within that fraction of a second would forget
    an outcome, and the row would be sent again. Waiting for the disk on every row, instead of
    once per chunk as before, halved the fan-out rate (bench/README.md)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _record(row: Notification, outcome: delivery.Outcome, *, started_at: datetime) -> None:
    """Write the attempt and the row's new state; a 410 also removes the provider's webhook."""
    row.attempts += 1
    row.attempts_since_retry += 1
    NotificationAttempt.objects.create(
        notification=row,
        started_at=started_at,
        duration_ms=outcome.duration_ms,
        succeeded=outcome.succeeded,
        http_status=outcome.http_status,
        error=outcome.error,
    )
    if outcome.succeeded:
        row.status = NotificationStatus.SENT
        row.sent_at = timezone.now()
        row.next_attempt_at = None
        row.last_error = ""
    else:
        row.last_error = outcome.error
        delay = None if outcome.permanent else retry_delay(row.attempts_since_retry)
        if delay is None:
            row.status = NotificationStatus.FAILED
            row.next_attempt_at = None
        else:
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    row.save(update_fields=DELIVERY_FIELDS)
    if outcome.gone and row.provider is not None:
        services.remove_gone_webhook(
            provider=row.provider,
            url=row.provider.webhook_url,
            notification=row,
            answer=outcome.error,
        )
