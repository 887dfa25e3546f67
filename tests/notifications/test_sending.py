"""Delivering a chunk of rows: claimed in one statement, each row committed as soon as it is
sent, the soft time limit, rows held by another worker, the retry schedule, and an endpoint
that is gone (410)."""

import os
import signal
import threading
import uuid
from datetime import timedelta

import pytest
from billiard.pool import soft_timeout_sighandler
from django.db import connection, transaction
from django.utils import timezone

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
    # The limit struck 1.5 s after the chunk began; the two rows before it took a little of that.
    assert 1000 <= attempt.duration_ms < 5000
    assert 80 <= (in_flight.next_attempt_at - attempt.started_at).total_seconds() <= 121
    # The rows not tried: untouched, waiting for beat when their lease ends.
    for pk in ids[3:]:
        assert (state[pk].last_error, state[pk].next_attempt_at) == ("", leases[pk])
        assert not NotificationAttempt.objects.filter(notification_id=pk).exists()
    assert sorted(r.path for r in receiver.received()) == ["/hooks/hang", "/hooks/ok"]
    assert [m.extra_headers["X-Notification-Id"] for m in mailoutbox] == [str(ids[0])]


# Row locks are PostgreSQL's (SQLite locks the whole database instead).
@pytest.mark.postgres
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


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_costs_a_constant_few_statements_a_row(
    receiver, django_assert_num_queries
):
    # The chunk: the claim (one UPDATE, in BEGIN and COMMIT: SKIP LOCKED needs a transaction),
    # the claimed rows with their providers, the coordinators' e-mail texts for its e-mails;
    # on PostgreSQL also the two settings of synchronous_commit around it. Then each row: its
    # lock (the row as it is now, for consent), and its outcome with its attempt in one
    # statement, in BEGIN and COMMIT.
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    rows = [webhook_row(provider, subject=f"s{index}") for index in range(12)]
    rows += [NotificationFactory() for _ in range(4)]
    postgres = connection.vendor == "postgresql"
    # Elsewhere (SQLite) no SET, BEGIN or COMMIT is counted, but savepoints are.
    per_chunk = 7 if postgres else 3
    per_row = 4 if postgres else 7

    with django_assert_num_queries(per_chunk + per_row * len(rows)):
        outcomes = sending.deliver_notifications(notification_ids=[row.pk for row in rows])

    assert set(outcomes.values()) == {"sent"}
    assert NotificationAttempt.objects.filter(succeeded=True).count() == 16
    assert not Notification.objects.filter(claim__isnull=False).exists()
    assert not Notification.objects.filter(claimed_until__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_leaves_a_row_another_delivery_has_claimed_until_its_claim_ends(
    receiver,
):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    held, expired, free = (webhook_row(provider, subject=f"s{index}") for index in range(3))
    now = timezone.now()
    Notification.objects.filter(pk=held.pk).update(
        claim=uuid.uuid4(), claimed_until=now + timedelta(seconds=60)
    )
    Notification.objects.filter(pk=expired.pk).update(
        claim=uuid.uuid4(), claimed_until=now - timedelta(seconds=1)
    )

    outcomes = sending.deliver_notifications(notification_ids=[held.pk, expired.pk, free.pk])

    assert outcomes == {held.pk: "skipped", expired.pk: "sent", free.pk: "sent"}
    assert sorted(int(r.headers["webhook-id"]) for r in receiver.received()) == [
        expired.pk,
        free.pk,
    ]
    held.refresh_from_db()
    assert (held.status, held.attempts) == ("pending", 0)


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_records_nothing_for_a_row_whose_claim_was_taken_over(
    receiver, monkeypatch
):
    # A delivery that outlived its claim (the worker was frozen) finds the row taken by another
    # one: it does not write over the other's outcome.
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    row = webhook_row(provider)
    send = sending.delivery.send

    def send_and_lose_the_claim(notification, **kwargs):
        outcome = send(notification, **kwargs)
        Notification.objects.filter(pk=notification.pk).update(claim=uuid.uuid4())
        return outcome

    monkeypatch.setattr(sending.delivery, "send", send_and_lose_the_claim)

    assert sending.deliver_notification(notification_id=row.pk) == "skipped"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert not NotificationAttempt.objects.filter(notification=row).exists()


@pytest.mark.django_db(transaction=True)
def test_deliver_notifications_stops_before_a_delivery_could_outlast_the_claim(
    receiver, settings, monkeypatch
):
    # A claim of 12 s (the lease; deliveries take up to 5 s) and deliveries that take 4 s each
    # on the chunk's clock: the third would start at 8 s and could end after the claim, when
    # another worker may take the row, so it goes back, unclaimed and untouched.
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 12
    settings.WEBHOOK_TOTAL_TIMEOUT = 5
    settings.EMAIL_TIMEOUT = 5
    clock = [1000.0]
    monkeypatch.setattr(sending, "claim_clock", lambda: clock[0])
    send = sending.delivery.send

    def four_seconds_send(notification, **kwargs):
        clock[0] += 4
        return send(notification, **kwargs)

    monkeypatch.setattr(sending.delivery, "send", four_seconds_send)
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    rows = [webhook_row(provider, subject=f"s{index}") for index in range(3)]

    outcomes = sending.deliver_notifications(notification_ids=[row.pk for row in rows])

    assert [outcomes[row.pk] for row in rows] == ["sent", "sent", "pending"]
    last = Notification.objects.get(pk=rows[2].pk)
    assert (last.attempts, last.claim, last.claimed_until) == (0, None, None)
    assert len(receiver.received()) == 2


def test_claim_lasts_the_lease_and_never_less_than_two_deliveries(settings):
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 120
    settings.WEBHOOK_TOTAL_TIMEOUT = 10
    settings.EMAIL_TIMEOUT = 15
    assert sending.claim_seconds() == 120
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 1
    assert sending.claim_seconds() == 30


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


def test_a_chunk_renders_each_distinct_e_mail_once(monkeypatch, mailoutbox):
    # A fan-out gives every provider the same payload: the chunk renders it once per language
    # and template, and each recipient still gets their own message.
    payload = NotificationFactory.build().payload
    rows = [
        NotificationFactory(
            recipient=f"p{index}@example.org",
            payload=payload,
            language=language,
        )
        for index, language in enumerate(["en", "en", "zh-hant", "en", "zh-hant"])
    ]
    rendered = []
    render_row = sending.emails.render_row

    def counting_render_row(notification, **kwargs):
        rendered.append(notification.language)
        return render_row(notification, **kwargs)

    monkeypatch.setattr(sending.emails, "render_row", counting_render_row)

    outcomes = sending.deliver_notifications(notification_ids=[row.pk for row in rows])

    assert set(outcomes.values()) == {"sent"}
    assert sorted(rendered) == ["en", "zh-hant"]
    assert sorted(message.to[0] for message in mailoutbox) == [
        f"p{index}@example.org" for index in range(5)
    ]
    assert [m.subject for m in mailoutbox if m.to[0] == "p2@example.org"] == [
        next(m.subject for m in mailoutbox if m.to[0] == "p4@example.org")
    ]
