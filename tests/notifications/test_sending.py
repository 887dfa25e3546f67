"""Delivering a chunk of rows: each row committed as soon as it is sent, the soft time limit,
rows locked by another worker, the retry schedule, and an endpoint that is gone (410)."""

import os
import signal
import threading

import pytest
from billiard.pool import soft_timeout_sighandler
from django.db import connection, transaction

from notifications import outbox, sending
from notifications.enums import PROVIDER_WEBHOOK_GONE
from notifications.models import Notification, NotificationAttempt
from tests.factories import (
    CoordinatorFactory,
    NotificationFactory,
    ReviewerFactory,
    ServiceProviderFactory,
)

from .receiver import Answer

pytestmark = pytest.mark.django_db


def webhook_row(provider, **fields) -> Notification:
    return NotificationFactory(
        event="shortlist.published",
        channel="webhook",
        recipient=provider.webhook_url,
        provider=provider,
        payload={"template": "x", "programme": "P", "data": {"startups": []}},
        **fields,
    )


def test_retry_delay_grows_and_stops_after_the_last(settings):
    settings.NOTIFICATIONS_RETRY_DELAYS = [60.0, 300.0]

    first = sending.retry_delay(1)
    second = sending.retry_delay(2)

    assert 48 <= first <= 72
    assert 240 <= second <= 360
    assert sending.retry_delay(3) is None


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_commits_each_row_as_soon_as_it_is_sent(receiver, settings):
    # While the second row hangs, another connection already reads the first as sent: a worker
    # killed now would not send it again.
    settings.WEBHOOK_TOTAL_TIMEOUT = 2
    receiver.answers["/hooks/hang"] = Answer(hang=True)
    first = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/ok"))
    second = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/hang"))
    seen: list[tuple[str, int]] = []

    def look_while_the_second_hangs() -> None:
        try:
            receiver.wait_for(2, timeout=10)
            row = Notification.objects.get(pk=first.pk)
            seen.append((row.status, NotificationAttempt.objects.filter(notification=row).count()))
        finally:
            connection.close()

    observer = threading.Thread(target=look_while_the_second_hangs)
    observer.start()
    outcomes = sending.deliver_notifications(notification_ids=[first.pk, second.pk])
    observer.join()

    assert seen == [("sent", 1)]
    assert outcomes == {first.pk: "sent", second.pk: "pending"}


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_soft_time_limit_keeps_what_was_sent_and_leaves_the_rest(
    receiver, settings, mailoutbox
):
    # The third row hangs (its own deadline is far off); Celery's soft time limit strikes after
    # 1.5 s, the way billiard's pool does it: SIGUSR1, whose handler raises
    # SoftTimeLimitExceeded wherever the task is.
    settings.WEBHOOK_TOTAL_TIMEOUT = 30
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0]
    receiver.answers["/hooks/hang"] = Answer(hang=True)
    ok = ServiceProviderFactory(webhook_url=f"{receiver.url}/ok")
    rows = [
        NotificationFactory(),
        webhook_row(ok),
        webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/hang")),
        webhook_row(ok, subject="later"),
        NotificationFactory(),
        NotificationFactory(),
    ]
    leases = {row.pk: row.next_attempt_at for row in rows}
    previous = signal.signal(signal.SIGUSR1, soft_timeout_sighandler)
    limit = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGUSR1))
    limit.start()
    try:
        outcomes = sending.deliver_notifications(notification_ids=[row.pk for row in rows])
    finally:
        limit.cancel()
        signal.signal(signal.SIGUSR1, previous)

    ids = [row.pk for row in rows]
    assert [outcomes[pk] for pk in ids] == ["sent", "sent"] + ["pending"] * 4
    state = {row.pk: row for row in Notification.objects.filter(pk__in=ids)}
    assert [(state[pk].status, state[pk].attempts) for pk in ids] == [
        ("sent", 1),
        ("sent", 1),
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
        ("pending", 0),
    ]
    # The row in flight: a failed attempt with the time it took, and its backoff.
    in_flight = state[ids[2]]
    [attempt] = NotificationAttempt.objects.filter(notification=in_flight)
    assert in_flight.last_error == attempt.error
    assert attempt.error.startswith("timed out after 1.")
    assert 1400 <= attempt.duration_ms < 5000
    assert 80 <= (in_flight.next_attempt_at - attempt.started_at).total_seconds() <= 121
    # The rows not tried: untouched, waiting for beat when their lease ends.
    for pk in ids[3:]:
        assert (state[pk].last_error, state[pk].next_attempt_at) == ("", leases[pk])
        assert not NotificationAttempt.objects.filter(notification_id=pk).exists()
    assert sorted(r.path for r in receiver.received()) == ["/hooks/hang", "/hooks/ok"]
    assert [m.extra_headers["X-Notification-Id"] for m in mailoutbox] == [str(ids[0])]


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_leaves_a_row_another_worker_is_sending(receiver):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    rows = [webhook_row(provider, subject=f"s{index}") for index in range(3)]
    locked = threading.Event()
    release = threading.Event()

    def another_worker() -> None:
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=rows[1].pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=another_worker)
    holder.start()
    locked.wait(10)
    try:
        outcomes = sending.deliver_notifications(notification_ids=[row.pk for row in rows])
    finally:
        release.set()
        holder.join()

    assert outcomes == {rows[0].pk: "sent", rows[1].pk: "skipped", rows[2].pk: "sent"}
    assert sorted(int(r.headers["webhook-id"]) for r in receiver.received()) == [
        rows[0].pk,
        rows[2].pk,
    ]
    assert Notification.objects.get(pk=rows[1].pk).attempts == 0


def test_deliver_notification_410_fails_at_once_removes_the_webhook_and_tells_coordinators(
    receiver, settings
):
    receiver.answers["/hooks/gone"] = Answer(status=410, body=b"this endpoint was retired")
    provider = ServiceProviderFactory(webhook_url=f"{receiver.url}/gone", name="Harbour Fund")
    row = webhook_row(provider)
    later = webhook_row(provider, subject="later")  # queued for the same endpoint
    chinese = CoordinatorFactory()
    NotificationFactory(user=chinese, recipient=chinese.email, language="zh-hant")
    english = CoordinatorFactory()  # no e-mail from us yet: English
    CoordinatorFactory(is_active=False)
    ReviewerFactory()

    assert sending.deliver_notification(notification_id=row.pk) == "failed"

    row.refresh_from_db()
    provider.refresh_from_db()
    assert (row.attempts, row.next_attempt_at, row.last_error) == (
        1,
        None,
        "HTTP 410: this endpoint was retired",
    )
    assert (provider.webhook_url, provider.active) == ("", True)
    told = Notification.objects.filter(event=PROVIDER_WEBHOOK_GONE).order_by("user_id")
    assert [(n.recipient, n.language, n.channel, n.status) for n in told] == [
        (chinese.email, "zh-hant", "email", "pending"),
        (english.email, "en", "email", "pending"),
    ]
    assert told[0].payload["data"] == {
        "provider": {"id": provider.pk, "name": "Harbour Fund"},
        "url": f"{receiver.url}/gone",
        "notification": row.pk,
        "event": "shortlist.published",
        "answer": "HTTP 410: this endpoint was retired",
    }
    # The next row for the endpoint is not sent there, and the coordinators are told once.
    assert sending.deliver_notification(notification_id=later.pk) == "failed"
    assert len(receiver.received()) == 1
    assert Notification.objects.filter(event=PROVIDER_WEBHOOK_GONE).count() == 2
    # The provider keeps its e-mails: new events give it an e-mail row, no webhook.
    new_rows = outbox.provider_rows(
        provider=provider,
        event="application.accepted",
        subject="a:1",
        payload={},
        now=row.created_at,
    )
    assert [r.channel for r in new_rows] == ["email"]
