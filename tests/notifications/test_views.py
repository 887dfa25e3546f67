"""The health endpoint: 200 when the site can store and send notifications, 503 otherwise."""

import os
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import NotificationFactory

from .brokers import broker_at, closed_port

pytestmark = pytest.mark.django_db

URL = "/healthz/"
ALL_WELL = {
    "database": "ok",
    "broker": "not configured",
    "outbox": {"pending": 0, "stale": 0, "failed": 0},
}


@pytest.fixture
def in_process():
    with broker_at("memory://localhost/"):
        yield


def stale_row() -> Notification:
    """A new row whose lease and three re-dispatch intervals have passed, never attempted."""
    row = NotificationFactory(next_attempt_at=timezone.now() - timedelta(hours=1))
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=2))
    return row


def test_health_all_well_is_200_without_logging_in(in_process):
    response = Client().get(URL)

    assert response.status_code == 200
    assert response.json() == ALL_WELL
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_at_the_old_address_without_slash_too(in_process):
    response = Client().get("/healthz")

    assert (response.status_code, response.json()) == (200, ALL_WELL)
    assert reverse("health") == URL


def test_health_pending_and_failed_rows_are_counted_and_stay_200(in_process):
    NotificationFactory(next_attempt_at=timezone.now() + timedelta(minutes=2))
    NotificationFactory(status=NotificationStatus.FAILED, recipient="ceo@acme.example")

    response = Client().get(URL)

    assert response.status_code == 200
    assert response.json()["outbox"] == {"pending": 1, "stale": 0, "failed": 1}
    assert b"acme" not in response.content  # counts only: no personal data


def test_health_stale_rows_are_503_with_the_database_ok(in_process):
    stale_row()
    NotificationFactory(next_attempt_at=timezone.now() + timedelta(minutes=2))

    response = Client().get(URL)

    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "broker": "not configured",
        "outbox": {"pending": 2, "stale": 1, "failed": 0},
    }


def test_health_broker_unreachable_is_503_within_the_timeout(settings):
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = Client().get(URL)
        took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {**ALL_WELL, "broker": "error"}
    assert took < 3 * settings.BROKER_TIMEOUT


@pytest.mark.redis
def test_health_redis_answering_is_200_with_broker_ok():
    with broker_at(os.environ["CELERY_BROKER_URL"]):
        response = Client().get(URL)

    assert (response.status_code, response.json()) == (200, {**ALL_WELL, "broker": "ok"})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_health_database_down_is_503_with_no_counts(in_process):
    # The site's connection pointed at a port where no PostgreSQL listens.
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = str(closed_port())
    try:
        response = Client().get(URL)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    assert response.status_code == 503
    assert response.json() == {
        "database": "error",
        "broker": "not configured",
        "outbox": {"pending": None, "stale": None, "failed": None},
    }


def test_health_refuses_writes_with_405(in_process):
    assert Client().post(URL).status_code == 405


def test_health_query_count_is_constant(in_process, django_assert_num_queries):
    NotificationFactory()
    with django_assert_num_queries(1):
        Client().get(URL)

    for _ in range(10):
        stale_row()
        NotificationFactory(status=NotificationStatus.FAILED)
    with django_assert_num_queries(1):
        Client().get(URL)
