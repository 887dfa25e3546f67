"""Handing rows to the broker: bounded when the broker fails, and one re-dispatch at a time."""

import logging
import time
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from incubator.celery import app as celery_app
from notifications import outbox
from notifications.models import Notification
from tests.factories import NotificationFactory

from .brokers import broker_at, closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def publishing():
    """Tasks go to the broker (the suite runs them in-process otherwise)."""
    celery_app.loader.import_default_modules()  # the tasks, as a worker registers them
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_dispatch_to_a_broker_that_is_down_gives_up_then_leaves_it_alone_for_a_tick(
    publishing, settings, caplog
):
    settings.NOTIFICATIONS_REDISPATCH_SECONDS = 60
    ids = [NotificationFactory().pk for _ in range(3)]
    caplog.set_level(logging.WARNING, logger="notifications.outbox")

    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        first = outbox.dispatch_notifications(notification_ids=ids)
        first_took = time.monotonic() - started
        started = time.monotonic()
        second = outbox.dispatch_notifications(notification_ids=ids[:1])
        second_took = time.monotonic() - started

    assert (first, second) == (0, 0)
    assert first_took < 3 * settings.BROKER_TIMEOUT
    assert second_took < 0.5  # no second wait: the rows go to beat at once
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "broker unavailable",
        "broker failed moments ago",
    ]
    assert set(Notification.objects.values_list("status", "attempts")) == {("pending", 0)}


def test_dispatch_of_nothing_does_not_touch_the_broker(publishing):
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        assert outbox.dispatch_notifications(notification_ids=[]) == 0
        assert time.monotonic() - started < 0.5


@pytest.mark.postgres
def test_redispatch_stands_down_while_another_run_holds_the_lock():
    due = NotificationFactory(next_attempt_at=timezone.now() - timedelta(seconds=1))
    # Another worker's run, in a session of its own.
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [outbox.REDISPATCH_LOCK])
        assert outbox.redispatch_due_notifications() == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [outbox.REDISPATCH_LOCK])
    finally:
        other.close()

    assert outbox.redispatch_due_notifications() == [due.pk]
    # The run let go of the lock: the next one runs (and finds nothing due).
    assert outbox.redispatch_due_notifications() == []
