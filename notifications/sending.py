"""Delivering the rows of one Celery message (DESIGN.md §7): the chunk's rows are claimed in
one statement, then each is locked, screened for consent (screening.py), sent
(`delivery.send`) and its outcome recorded in one statement, committed at once.

A row's outcome is committed as soon as it is known, so a worker that dies (or a chunk that runs
out of time) re-sends at most the one row it had in flight: never a row it finished, and never a
row because a later one failed. A claim lasts at most the dispatch lease: rows a dead worker had
claimed and not sent wait for it to run out, then beat hands them out again, as before.
"""

import json
import logging
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import delivery, emails, screening, services
from .enums import NotificationChannel, NotificationStatus
from .models import Notification, NotificationAttempt

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next try after `attempts` failures since the last retry (the position
    in NOTIFICATIONS_RETRY_DELAYS), or None when the schedule is used up."""
    delays = settings.NOTIFICATIONS_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)


def deliver_notifications(*, notification_ids: Iterable[int]) -> dict[int, str]:
    """Send a few rows, one at a time, each committed with its attempt as soon as it is done.

    The rows are claimed first, in one statement (a row another worker holds, by its claim or
    by a lock, is left to it: "skipped"). When Celery's soft time limit interrupts the chunk,
    what was finished stays recorded, the row in flight gets a failed attempt ("timed out after
    N s") and its backoff, and the rows not yet tried go back, untouched, to wait for beat's
    next dispatch.
    Returns each id's outcome: "sent", "pending" (to be retried), "failed" or "skipped".
    """
    return _Chunk(sorted(set(notification_ids))).deliver()


def deliver_notification(*, notification_id: int) -> str:
    """Send one row (see deliver_notifications). Safe to run twice."""
    return deliver_notifications(notification_ids=[notification_id])[notification_id]


def claim_clock() -> float:
    """The clock a chunk measures its claim by (its own name, so a test can move it alone)."""
    return time.monotonic()


def longest_delivery() -> float:
    """The most one delivery may take: its whole-delivery deadline."""
    return max(settings.WEBHOOK_TOTAL_TIMEOUT, settings.EMAIL_TIMEOUT)


def claim_seconds() -> float:
    """How long a chunk holds its rows: the dispatch lease, and never less than two deliveries,
    so that a row begun inside the claim is finished inside it (with a short lease, as in
    tests, a chunk sends at least one row before it gives the rest back)."""
    return max(settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS, 2 * longest_delivery())


@dataclass(frozen=True)
class _InFlight:
    row: Notification
    started_at: datetime
    started: float  # time.monotonic()


class _Chunk:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.outcomes = dict.fromkeys(ids, "skipped")
        self.in_flight: _InFlight | None = None
        self.claim = uuid.uuid4()
        self.consent: screening.ChunkConsent | None = None

    def deliver(self) -> dict[int, str]:
        with _commits_without_waiting_for_the_disk():
            rows = self._claim()
            untried = [row.pk for row in rows]
            # Consent at delivery (screening.py): read once for the chunk's rows.
            self.consent = screening.screen_rows(rows)
            try:
                renderer = emails.BatchRenderer(
                    row for row in rows if row.channel == NotificationChannel.EMAIL
                )
                for row in rows:
                    if not self._claim_outlasts_a_delivery():
                        break
                    self.outcomes[row.pk] = self._deliver_one(row, renderer)
                    untried.remove(row.pk)
            except SoftTimeLimitExceeded:
                self._out_of_time()
            finally:
                self._release(untried)
        return self.outcomes

    def _claim(self) -> list[Notification]:
        """Claim the chunk's pending rows no other delivery holds, in one statement, and read
        them with their providers in one more."""
        now = timezone.now()
        seconds = claim_seconds()
        self.claim_ends = claim_clock() + seconds
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        candidates = Notification.objects.filter(
            free, pk__in=self.ids, status=NotificationStatus.PENDING
        )
        claimed = {"claim": self.claim, "claimed_until": now + timedelta(seconds=seconds)}
        if connection.vendor == "postgresql":
            # SKIP LOCKED: a row locked by anyone else (a coordinator's retry, an older worker)
            # is theirs for now.
            candidates = candidates.select_for_update(skip_locked=True)
            with transaction.atomic():
                Notification.objects.filter(pk__in=candidates.values("pk")).update(**claimed)
        else:
            candidates.update(**claimed)
        rows = list(
            Notification.objects.filter(claim=self.claim, status=NotificationStatus.PENDING)
            .select_related("provider")
            .order_by("pk")
        )
        for row in rows:
            self.outcomes[row.pk] = "pending"
        return rows

    def _claim_outlasts_a_delivery(self) -> bool:
        """Whether a whole delivery still fits in the claim: past it, another worker may take
        the row, so the rest of the chunk is left for the next dispatch."""
        return claim_clock() + longest_delivery() < self.claim_ends

    def _deliver_one(self, row: Notification, renderer: emails.BatchRenderer) -> str:
        """Send one claimed row, holding its lock while it is sent: a withdrawal of consent
        (applications.consent) locks the rows it cuts, so a row is sent either before it, with
        the consent valid, or after it, as cut. The outcome is committed with the row."""
        with transaction.atomic():
            # The row as it is now: its payload may have been cut since the claim was read.
            payload = _lock_claimed(row.pk, self.claim)
            if payload is None:
                return "skipped"
            row.payload = payload
            if not screening.screen_row(row, self.consent):
                return str(row.status)
            self.in_flight = _InFlight(row, timezone.now(), time.monotonic())
            try:
                outcome = delivery.send(row, renderer=renderer)
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
            flight, self.in_flight = self.in_flight, None
            return _record(row, outcome, started_at=flight.started_at, claim=self.claim)

    def _out_of_time(self) -> None:
        flight, self.in_flight = self.in_flight, None
        if flight is not None:
            seconds = time.monotonic() - flight.started
            outcome = delivery.Outcome(
                succeeded=False,
                duration_ms=int(seconds * 1000),
                error=delivery.timed_out(seconds),
            )
            self.outcomes[flight.row.pk] = _record(
                flight.row, outcome, started_at=flight.started_at, claim=self.claim
            )
        logger.warning(
            "soft time limit reached in a chunk of %d notifications; untried ones wait for the "
            "next dispatch: %s",
            len(self.ids),
            self.outcomes,
        )

    def _release(self, untried: list[int]) -> None:
        """Give back the rows not tried (the row in flight has been recorded): they keep their
        lease and wait for beat's next dispatch."""
        if untried:
            Notification.objects.filter(pk__in=untried, claim=self.claim).update(
                claim=None, claimed_until=None
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


def _lock_claimed(pk: int, claim: uuid.UUID) -> dict | None:
    """Lock a row this chunk still holds and read its payload as it is now (None: the row is
    no longer this chunk's, or no longer pending). One plain statement: the row's other
    fields were read with the claim and only the payload can change meanwhile."""
    if connection.vendor != "postgresql":
        return (
            Notification.objects.select_for_update()
            .filter(pk=pk, claim=claim, status=NotificationStatus.PENDING)
            .values_list("payload", flat=True)
            .first()
        )
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT payload FROM {table} WHERE id = %s AND claim = %s AND status = %s "  # noqa: S608
            "FOR UPDATE",
            [pk, claim, NotificationStatus.PENDING],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    # Django hands jsonb over as text, for the field to decode.
    return json.loads(found[0]) if isinstance(found[0], str) else found[0]


def _record(
    row: Notification, outcome: delivery.Outcome, *, started_at: datetime, claim: uuid.UUID
) -> str:
    """Write the attempt and the row's new state in one statement, committed at once, and only
    while the row is still this delivery's; a 410 also removes the provider's webhook.
    Returns the row's status ("skipped" if the claim was lost meanwhile)."""
    attempts = row.attempts + 1
    attempts_since_retry = row.attempts_since_retry + 1
    if outcome.succeeded:
        status, next_attempt_at, last_error, sent_at = (
            NotificationStatus.SENT,
            None,
            "",
            timezone.now(),
        )
    else:
        delay = None if outcome.permanent else retry_delay(attempts_since_retry)
        last_error, sent_at = outcome.error, None
        if delay is None:
            status, next_attempt_at = NotificationStatus.FAILED, None
        else:
            status = NotificationStatus.PENDING
            next_attempt_at = timezone.now() + timedelta(seconds=delay)
    state = {
        "attempts": attempts,
        "attempts_since_retry": attempts_since_retry,
        "status": status,
        "next_attempt_at": next_attempt_at,
        "last_error": last_error,
        "sent_at": sent_at,
        "claim": None,
        "claimed_until": None,
    }
    attempt = {
        "started_at": started_at,
        "duration_ms": outcome.duration_ms,
        "succeeded": outcome.succeeded,
        "http_status": outcome.http_status,
        "error": outcome.error,
    }
    if connection.vendor == "postgresql":
        recorded = _record_in_one_statement(row.pk, claim, state, attempt)
    else:
        with transaction.atomic():
            recorded = bool(Notification.objects.filter(pk=row.pk, claim=claim).update(**state))
            if recorded:
                NotificationAttempt.objects.create(notification_id=row.pk, **attempt)
    if not recorded:
        logger.warning("notification %s was taken by another delivery while it was sent", row.pk)
        return "skipped"
    for field, value in state.items():
        setattr(row, field, value)
    if outcome.gone and row.provider is not None:
        services.remove_gone_webhook(
            provider=row.provider,
            url=row.provider.webhook_url,
            notification=row,
            answer=outcome.error,
        )
    return str(status)


def _record_in_one_statement(pk: int, claim: uuid.UUID, state: dict, attempt: dict) -> bool:
    """PostgreSQL: the row's update and its attempt's insert as one statement (a data-modifying
    CTE), so recording an outcome is one round trip and one commit, not four."""
    notification = Notification._meta
    attempt_table = NotificationAttempt._meta.db_table
    columns = {name: notification.get_field(name).column for name in state}
    assignments = ", ".join(f"{connection.ops.quote_name(columns[name])} = %s" for name in state)
    attempt_columns = ", ".join(
        connection.ops.quote_name(NotificationAttempt._meta.get_field(name).column)
        for name in ("notification", *attempt)
    )
    attempt_values = ", ".join(["%s"] * len(attempt))
    table = connection.ops.quote_name(notification.db_table)
    attempt_table = connection.ops.quote_name(attempt_table)
    # Names come from the models and values go as parameters.
    sql = (
        f"WITH recorded AS (UPDATE {table} SET {assignments} "  # noqa: S608
        "WHERE id = %s AND claim = %s RETURNING id) "
        f"INSERT INTO {attempt_table} ({attempt_columns}) "
        f"SELECT id, {attempt_values} FROM recorded RETURNING 1"
    )
    params = [*state.values(), pk, claim, *attempt.values()]
    # One statement in autocommit: atomic by itself, committed as it returns.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None
