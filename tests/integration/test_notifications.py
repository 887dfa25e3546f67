"""Notifications with the real parts (issue 6): a Celery worker process on Redis, PostgreSQL and
an HTTP receiver on 127.0.0.1. Every webhook is verified with `standardwebhooks`.

The worker runs the beat schedule too, with the re-dispatch every half second and retry delays
of a fraction of a second (settings read from its environment), so the scenarios take seconds.
"""

import json
import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from applications import notifications as application_notifications
from applications.enums import ApplicationStatus
from applications.services import InvalidTransition, decide_application
from incubator.celery import app as celery_app
from incubator.enums import ServiceKind
from incubator.models import ServiceProvider
from notifications import services
from notifications.enums import NotificationStatus
from notifications.models import Notification, NotificationAttempt
from reviews.shortlists import publish_shortlist
from tests.factories import CoordinatorFactory, ServiceProviderFactory, ShortlistEntryFactory
from tests.notifications.receiver import Received, WebhookReceiver

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


def publish(shortlist) -> None:
    publish_shortlist(shortlist=shortlist, actor=CoordinatorFactory())


def accept(application) -> None:
    decide_application(
        application=application, status=ApplicationStatus.ACCEPTED, actor=CoordinatorFactory()
    )


def worker_database_url() -> str:
    # The worker connects to the test database pytest-django created, not the configured one.
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker (drops its cached connections).

    The write URL: Celery prefers it to `broker_url`, which the environment's CELERY_BROKER_URL
    overrides (setting only `broker_url` published to the configured Redis all along)."""
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def live(transactional_db, settings, broker_url, start_worker) -> Iterator[Callable]:
    """Send tasks to Redis for real, to the private queue of workers this test starts."""
    queue = f"notify-{time.monotonic_ns()}"
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
    use_broker(broker_url)


def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not met in time")


def all_settled() -> bool:
    return not Notification.objects.filter(status=NotificationStatus.PENDING).exists()


def verified(request: Received, secret: str) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def provider_for(receiver: WebhookReceiver, kind: str, **fields):
    return ServiceProviderFactory(kind=kind, webhook_url=f"{receiver.url}/{kind}", **fields)


def test_publish_each_provider_receives_exactly_its_startups_signed(live, receiver):
    entry_fund = ShortlistEntryFactory(application__needs_fund=True)
    shortlist = entry_fund.shortlist
    entry_testing = ShortlistEntryFactory(
        shortlist=shortlist, application__needs_fund=False, application__needs_testing=True
    )
    entry_both = ShortlistEntryFactory(
        shortlist=shortlist, application__needs_fund=True, application__needs_testing=True
    )
    fund = provider_for(receiver, ServiceKind.FUND)
    testing = provider_for(receiver, ServiceKind.TESTING)
    provider_for(receiver, ServiceKind.TRAINING)  # nobody needs training: told nothing
    live()

    publish(shortlist)

    wait_until(all_settled)
    requests = receiver.wait_for(2)
    by_path = {request.path: request for request in requests}
    assert sorted(by_path) == ["/hooks/fund", "/hooks/testing"]
    fund_body = verified(by_path["/hooks/fund"], fund.webhook_secret)
    testing_body = verified(by_path["/hooks/testing"], testing.webhook_secret)
    assert [s["application"] for s in fund_body["data"]["startups"]] == [
        entry_fund.application_id,
        entry_both.application_id,
    ]
    assert [s["application"] for s in testing_body["data"]["startups"]] == [
        entry_testing.application_id,
        entry_both.application_id,
    ]
    assert fund_body["type"] == testing_body["type"] == "shortlist.published"
    # Provider e-mails and the three applicants' e-mails went out too.
    assert sorted(Notification.objects.values_list("channel", "status")) == [
        ("email", "sent"),
        ("email", "sent"),
        ("email", "sent"),
        ("email", "sent"),
        ("email", "sent"),
        ("webhook", "sent"),
        ("webhook", "sent"),
    ]
    assert len(receiver.received()) == 2


def test_receiver_failing_twice_then_succeeding_gives_three_attempts(live, receiver):
    entry = ShortlistEntryFactory()
    provider = provider_for(receiver, ServiceKind.FUND)
    receiver.statuses = [500, 500]
    live()

    publish(entry.shortlist)

    wait_until(all_settled)
    webhook = Notification.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempts) == ("sent", 3)
    attempts = NotificationAttempt.objects.filter(notification=webhook).order_by("started_at")
    assert [(a.succeeded, a.http_status) for a in attempts] == [
        (False, 500),
        (False, 500),
        (True, 200),
    ]
    requests = receiver.received()
    assert [r.status for r in requests] == [500, 500, 200]
    assert {r.headers["webhook-id"] for r in requests} == {str(webhook.pk)}
    for request in requests:
        verified(request, provider.webhook_secret)


def test_receiver_always_failing_ends_failed_and_api_retry_delivers(live, receiver):
    entry = ShortlistEntryFactory()
    provider = provider_for(receiver, ServiceKind.FUND)
    receiver.default_status = 503
    live()

    publish(entry.shortlist)

    wait_until(all_settled)
    webhook = Notification.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempts, webhook.last_error) == (
        "failed",
        3,
        "HTTP 503: ok",
    )
    assert len(receiver.received()) == 3

    receiver.default_status = 200
    api = APIClient()
    api.force_authenticate(CoordinatorFactory())
    response = api.post(f"/api/v1/notifications/{webhook.pk}/retry/")

    assert response.status_code == 200
    wait_until(all_settled)
    webhook.refresh_from_db()
    # The retry restarted the schedule; `attempts` counts every attempt ever made.
    assert (webhook.status, webhook.attempts, webhook.attempts_since_retry) == ("sent", 4, 1)
    last = receiver.received()[-1]
    assert (last.status, last.headers["webhook-id"]) == (200, str(webhook.pk))
    verified(last, provider.webhook_secret)
    assert NotificationAttempt.objects.filter(notification=webhook).count() == 4


def test_broker_down_at_publish_rows_wait_then_redispatch_delivers(live, receiver):
    shortlist = ShortlistEntryFactory().shortlist
    ShortlistEntryFactory(shortlist=shortlist)
    fund = provider_for(receiver, ServiceKind.FUND)
    use_broker("redis://127.0.0.1:1/0")  # nothing listens: the broker is down

    started = time.monotonic()
    publish(shortlist)
    took = time.monotonic() - started

    assert took < 5  # the publish is not held up by the broker
    assert Notification.objects.filter(status="pending").count() == 4
    assert receiver.received() == []

    live()  # the broker is back and a worker with beat runs

    wait_until(all_settled)
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    [request] = receiver.received()
    body = verified(request, fund.webhook_secret)
    assert len(body["data"]["startups"]) == 2


def test_worker_killed_mid_delivery_message_delivered_after_restart(live, receiver):
    shortlist = ShortlistEntryFactory(
        application__needs_fund=True, application__needs_testing=True
    ).shortlist
    fund = provider_for(receiver, ServiceKind.FUND)
    testing = provider_for(receiver, ServiceKind.TESTING)
    receiver.delay = 5  # the first delivery hangs
    worker = live()

    publish(shortlist)
    receiver.wait_for(1)
    worker.stop(kill=True)  # SIGKILL in the middle of the slow delivery
    receiver.delay = 0
    live()

    wait_until(all_settled, timeout=60)
    expected = set(Notification.objects.filter(channel="webhook").values_list("pk", flat=True))
    requests = receiver.received()
    assert {int(r.headers["webhook-id"]) for r in requests} == expected
    # The interrupted delivery was sent again, with the same id: the receiver deduplicates.
    assert len(requests) == len(expected) + 1
    assert requests[0].headers["webhook-id"] in [r.headers["webhook-id"] for r in requests[1:]]
    secrets = {"/hooks/fund": fund.webhook_secret, "/hooks/testing": testing.webhook_secret}
    for request in requests:
        body = verified(request, secrets[request.path])
        assert body["id"] == request.headers["webhook-id"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_publishing_twice_and_accepting_twice_write_and_send_nothing_new(live, receiver):
    entry = ShortlistEntryFactory()
    provider_for(receiver, ServiceKind.FUND)
    live()

    publish(entry.shortlist)
    accept(entry.application)
    wait_until(all_settled)
    rows = set(Notification.objects.values_list("pk", flat=True))
    publish(entry.shortlist)
    with pytest.raises(InvalidTransition):
        accept(entry.application)
    with transaction.atomic():
        application_notifications.application_decided(application=entry.application)
    time.sleep(1.5)  # a beat tick or two: nothing to send

    assert set(Notification.objects.values_list("pk", flat=True)) == rows
    assert len(rows) == 6  # per event: provider e-mail + webhook, applicant e-mail
    assert sorted(json.loads(r.body)["type"] for r in receiver.received()) == [
        "application.accepted",
        "shortlist.published",
    ]


UNSAFE_URLS = [
    "http://127.0.0.1:{port}/hooks",
    "http://10.0.0.7/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/hooks",
    "http://localhost:{port}/hooks",  # a host name that resolves to loopback
]


def test_ssrf_private_urls_refused_on_save_and_at_delivery_when_the_setting_is_off(
    live, receiver, settings
):
    port = receiver.server.server_address[1]
    urls = [url.format(port=port) for url in UNSAFE_URLS]
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    for url in urls:
        with pytest.raises(ValidationError) as refused:
            services.create_provider(
                actor=None, name="P", kind="fund", email="p@example.org", webhook_url=url
            )
        assert list(refused.value.message_dict) == ["webhook_url"]
    assert ServiceProvider.objects.count() == 0
    # Rows whose URLs were accepted earlier (say, while the setting was on) are refused again
    # when the worker delivers them.
    entry = ShortlistEntryFactory()
    for url in urls:
        ServiceProviderFactory(kind=ServiceKind.FUND, webhook_url=url)
    live(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="0")

    publish(entry.shortlist)

    wait_until(all_settled)
    webhooks = Notification.objects.filter(channel="webhook").order_by("pk")
    assert [(w.recipient, w.status, w.attempts) for w in webhooks] == [
        (url, "failed", 3) for url in urls
    ]
    for webhook in webhooks:
        assert "private, loopback, link-local or reserved" in webhook.last_error
    assert receiver.received() == []
