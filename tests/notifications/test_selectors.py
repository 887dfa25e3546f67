"""The outbox's state as the health endpoint and the dashboard read it: counts and the broker."""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from notifications import selectors
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import NotificationFactory

from .brokers import broker_at, closed_port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def row(*, created: timedelta, next_attempt: timedelta | None, **fields) -> Notification:
    """A row created `created` before NOW, next attempted at NOW + `next_attempt`."""
    notification = NotificationFactory(
        next_attempt_at=None if next_attempt is None else NOW + next_attempt, **fields
    )
    # created_at is set on insert (auto_now_add): move it afterwards.
    Notification.objects.filter(pk=notification.pk).update(created_at=NOW - created)
    return notification


@pytest.fixture
def timing(settings):
    # Stale: more than 3 ticks (180 s) past next_attempt_at, or never attempted and older than
    # lease + 3 ticks (300 s).
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 120
    settings.NOTIFICATIONS_REDISPATCH_SECONDS = 60


def stale_ids() -> set[int]:
    return set(
        Notification.objects.filter(selectors.stale_filter(now=NOW)).values_list("pk", flat=True)
    )


def test_stale_filter_takes_overdue_and_never_attempted_rows_only(timing):
    s = timedelta(seconds=1)
    row(created=0 * s, next_attempt=120 * s)  # new: its message is on its way
    handed_out_never_tried = row(created=301 * s, next_attempt=100 * s)
    row(created=299 * s, next_attempt=100 * s)  # not yet
    row(created=86400 * s, next_attempt=3600 * s, attempts=2)  # its retry's time has not come
    not_handed_out = row(created=86400 * s, next_attempt=-181 * s, attempts=1)
    row(created=86400 * s, next_attempt=-179 * s, attempts=1)  # due, within three ticks
    row(created=86400 * s, next_attempt=None, status=NotificationStatus.FAILED)
    row(created=86400 * s, next_attempt=None, status=NotificationStatus.SENT)

    assert stale_ids() == {handed_out_never_tried.pk, not_handed_out.pk}


def test_outbox_counts_pending_stale_and_failed_in_one_query(timing, django_assert_num_queries):
    s = timedelta(seconds=1)
    row(created=0 * s, next_attempt=120 * s)
    row(created=400 * s, next_attempt=-200 * s)  # stale
    row(created=100 * s, next_attempt=None, status=NotificationStatus.FAILED, attempts=3)
    row(created=100 * s, next_attempt=None, status=NotificationStatus.FAILED, attempts=3)
    row(created=100 * s, next_attempt=None, status=NotificationStatus.SENT, attempts=1)

    with django_assert_num_queries(1):
        counts = selectors.outbox_counts(now=NOW)

    assert counts == selectors.OutboxCounts(pending=2, stale=1, failed=2)
    assert counts.as_dict() == {"pending": 2, "stale": 1, "failed": 2}


def test_outbox_counts_empty_outbox_is_all_zero():
    assert selectors.outbox_counts() == selectors.OutboxCounts(pending=0, stale=0, failed=0)


def test_broker_status_in_process_tasks_is_not_configured():
    with broker_at("memory://localhost/"):
        assert selectors.broker_status() == "not configured"


def test_broker_status_nothing_listening_is_error_within_the_timeout(settings):
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        status = selectors.broker_status()
        took = time.monotonic() - started

    assert status == "error"
    assert took < 3 * settings.BROKER_TIMEOUT


@pytest.mark.redis
def test_broker_status_redis_answering_is_ok():
    with broker_at(os.environ["CELERY_BROKER_URL"]):
        assert selectors.broker_status() == "ok"
