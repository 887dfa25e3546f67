"""Reads of the outbox's state, for the health endpoint and the coordinator dashboard.

They know nothing of what the rows are about: counts by delivery state, and whether the broker
answers. Both are bounded in time (one aggregate over the pending and failed rows, through the
status index; a broker that does not answer within BROKER_TIMEOUT counts as down).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .enums import NotificationStatus
from .models import Notification

logger = logging.getLogger(__name__)

# A pending row is stale once it is this many re-dispatch intervals overdue.
STALE_AFTER_TICKS = 3

BROKER_OK = "ok"
BROKER_ERROR = "error"
BROKER_NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    stale: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        return {"pending": self.pending, "stale": self.stale, "failed": self.failed}


def stale_filter(*, now: datetime) -> Q:
    """Pending rows that should have been attempted by now and were not.

    A new row is handed to the broker at once and, should that message be lost, again by beat
    once its lease has run out; every pending row is handed out again when its `next_attempt_at`
    comes. So a pending row is stale when
    - it is `STALE_AFTER_TICKS` re-dispatch intervals past its `next_attempt_at`: nobody hands it
      out (beat, the broker or every worker is down), or
    - it was never attempted and is older than the lease plus those intervals: it is handed out
      but no worker delivers it (no worker consumes the notifications queue, or deliveries die).
    A row waiting for a retry whose time has not come is not stale.
    """
    ticks = timedelta(seconds=settings.NOTIFICATIONS_REDISPATCH_SECONDS * STALE_AFTER_TICKS)
    lease = timedelta(seconds=settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS)
    return Q(status=NotificationStatus.PENDING) & (
        Q(next_attempt_at__lte=now - ticks) | Q(attempts=0, created_at__lte=now - lease - ticks)
    )


def outbox_counts(*, now: datetime | None = None) -> OutboxCounts:
    """How many rows wait (pending), wait too long (stale) and gave up (failed): one query."""
    now = now or timezone.now()
    totals = Notification.objects.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED]
    ).aggregate(
        pending=Count("pk", filter=Q(status=NotificationStatus.PENDING)),
        stale=Count("pk", filter=stale_filter(now=now)),
        failed=Count("pk", filter=Q(status=NotificationStatus.FAILED)),
    )
    return OutboxCounts(**totals)


def broker_status() -> str:
    """ "ok" when the broker answers, "error" when it does not (within BROKER_TIMEOUT: the
    transport's connect and socket timeouts), "not configured" when tasks run in-process."""
    app = current_app
    if str(app.conf.broker_write_url or "").startswith("memory://"):
        return BROKER_NOT_CONFIGURED
    try:
        with app.connection_for_write() as connection:
            # Opening a channel makes a round trip (Redis: PING), bounded by the timeouts.
            connection.default_channel  # noqa: B018 (the property connects)
    except Exception as error:
        # Whatever goes wrong talking to the broker, the answer is "it is not usable".
        logger.warning("health check: the broker does not answer: %s", error)
        return BROKER_ERROR
    return BROKER_OK
