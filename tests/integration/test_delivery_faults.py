"""Delivery under faults (issue 10), with the real parts: a Celery worker process on Redis,
PostgreSQL, a local HTTP receiver and a local SMTP server of the test's own.

- A receiver that answers 200 and then trickles its body does not freeze its chunk.
- An SMTP server that accepts connections and never answers costs one row EMAIL_TIMEOUT; the
  other rows are delivered, and the stalled one on its next attempt.
- A worker SIGKILLed in the middle of a chunk of e-mails: each person gets their e-mail, and at
  most one of them twice (the row in flight).

The worker runs beat too, with the re-dispatch every half second and retry delays of a fraction
of a second, so the scenarios take seconds. Time bounds are generous upper limits.
"""

import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, transaction
from django.utils import timezone

from incubator.celery import app as celery_app
from incubator.enums import ServiceKind
from notifications.enums import NotificationStatus
from notifications.models import Notification, NotificationAttempt
from notifications.outbox import email_row, write_outbox
from reviews.shortlists import publish_shortlist
from tests.factories import CoordinatorFactory, ServiceProviderFactory, ShortlistEntryFactory
from tests.notifications.receiver import Answer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FAST = {
    "NOTIFICATIONS_RETRY_DELAYS": "0.2,0.2",  # three attempts, then failed
    "NOTIFICATIONS_DISPATCH_LEASE_SECONDS": "1",
    "NOTIFICATIONS_REDISPATCH_SECONDS": "0.5",
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
}


def worker_database_url() -> str:
    # The worker connects to the test database pytest-django created, not the configured one.
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def live(transactional_db, settings, start_worker) -> Iterator[Callable]:
    """Send tasks to Redis for real, to the private queue of the workers this test starts."""
    queue = f"faults-{time.monotonic_ns()}"
    settings.NOTIFICATIONS_QUEUE = queue
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 1
    celery_app.conf.task_always_eager = False

    def start(**env: str):
        return start_worker(
            queue=queue,
            beat=True,
            DATABASE_URL=worker_database_url(),
            NOTIFICATIONS_QUEUE=queue,
            **{**FAST, **env},
        )

    yield start
    celery_app.conf.task_always_eager = True


def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not met in time")


def all_settled() -> bool:
    return not Notification.objects.filter(status=NotificationStatus.PENDING).exists()


def write_emails(count: int) -> list[int]:
    """`count` e-mails to different people, written the way an app's event writes them."""
    now = timezone.now()
    rows = [
        email_row(
            event="application.submitted",
            subject=f"application:{index}",
            recipient=f"person{index:02d}@example.org",
            language="en",
            payload={
                "template": "application_submitted",
                "programme": "Programme",
                "data": {"startup": f"Start-up {index}", "project_name": "Ledger", "round": "R1"},
            },
            now=now,
        )
        for index in range(count)
    ]
    with transaction.atomic():
        return write_outbox(rows)


def test_receiver_trickling_its_200_body_does_not_freeze_the_chunk(live, receiver):
    # A 60-byte body at one byte a second: a worker that waited for it would hold the chunk for
    # a minute (and, before issue 10, past the soft time limit, rolling back the whole chunk).
    receiver.answers["/hooks/drip"] = Answer(status=200, body=b"x" * 60, drip=1.0)
    shortlist = ShortlistEntryFactory(application__needs_fund=True).shortlist
    dripping = ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url=f"{receiver.url}/drip")
    others = [
        ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url=f"{receiver.url}/{name}")
        for name in ("a", "b")
    ]
    live(WEBHOOK_TOTAL_TIMEOUT="5")

    started = time.monotonic()
    publish_shortlist(shortlist=shortlist, actor=CoordinatorFactory())
    wait_until(all_settled, timeout=30)
    took = time.monotonic() - started

    assert took < 30
    webhooks = Notification.objects.filter(channel="webhook").order_by("pk")
    assert [(w.provider_id, w.status, w.attempts) for w in webhooks] == [
        (dripping.pk, "sent", 1),
        (others[0].pk, "sent", 1),
        (others[1].pk, "sent", 1),
    ]
    # Every row of the chunk (three webhooks, three provider e-mails, the applicant's) is sent
    # once, with one attempt each.
    assert sorted(Notification.objects.values_list("status", "attempts")) == [("sent", 1)] * 7
    assert NotificationAttempt.objects.count() == 7
    assert sorted(r.path for r in receiver.received()) == ["/hooks/a", "/hooks/b", "/hooks/drip"]


def test_stalled_smtp_server_times_out_within_email_timeout_and_the_rest_is_delivered(
    live, smtp_server
):
    # The first connection is accepted and never answered; the server behaves after that.
    server = smtp_server(stall_connections=1)
    live(TEST_SMTP_URL=server.url, EMAIL_TIMEOUT="2")

    ids = write_emails(4)
    wait_until(all_settled, timeout=30)

    rows = list(Notification.objects.filter(pk__in=ids).order_by("pk"))
    assert [(row.status, row.attempts) for row in rows] == [
        ("sent", 2),  # timed out, then sent on its next attempt
        ("sent", 1),
        ("sent", 1),
        ("sent", 1),
    ]
    first = list(NotificationAttempt.objects.filter(notification=rows[0]).order_by("started_at"))
    assert [(a.succeeded, a.error) for a in first] == [
        (False, "timed out after 2 s"),
        (True, ""),
    ]
    assert 1500 <= first[0].duration_ms < 8000
    assert server.per_recipient() == {row.recipient: 1 for row in rows}
    assert NotificationAttempt.objects.count() == 5


def test_worker_killed_mid_chunk_of_emails_sends_at_most_one_twice(live, smtp_server):
    # Each e-mail takes half a second (the server is slow to confirm it), so the kill lands in
    # the middle of the first chunk of 16.
    server = smtp_server(data_reply_delay=0.5)
    worker = live(TEST_SMTP_URL=server.url)

    ids = write_emails(20)
    server.wait_for(5, timeout=30)
    worker.stop(kill=True)  # SIGKILL, in the middle of the chunk
    killed_after = len(server.messages())
    live(TEST_SMTP_URL=server.url)
    wait_until(all_settled, timeout=60)

    rows = list(Notification.objects.filter(pk__in=ids))
    counts = server.per_recipient()
    duplicates = sum(count - 1 for count in counts.values())
    assert 5 <= killed_after < 16
    assert sorted(counts) == sorted(row.recipient for row in rows)  # nobody left out
    assert duplicates <= 1  # at most the row in flight, once per killed process
    assert len(server.messages()) == 20 + duplicates
    # The killed attempt left no trace; every row was sent by exactly one recorded attempt.
    assert sorted((row.status, row.attempts) for row in rows) == [("sent", 1)] * 20
    assert NotificationAttempt.objects.filter(notification__in=ids).count() == 20
    assert NotificationAttempt.objects.filter(succeeded=False).count() == 0
