"""The outbox's own writes: re-dispatch, backoff, retry, providers."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications import outbox, sending, services
from notifications.enums import NotificationStatus
from notifications.models import Notification, NotificationAttempt
from tests.factories import (
    NotificationFactory,
    ServiceProviderFactory,
)

pytestmark = pytest.mark.django_db


def test_redispatch_due_notifications_takes_due_pending_rows_and_leases_them(settings):
    settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS = 60
    now = timezone.now()
    due = NotificationFactory(next_attempt_at=now - timedelta(seconds=1))
    NotificationFactory(next_attempt_at=now + timedelta(minutes=5))
    NotificationFactory(next_attempt_at=now - timedelta(seconds=1), status="failed")

    assert outbox.redispatch_due_notifications(now=now) == [due.pk]

    due.refresh_from_db()
    assert due.next_attempt_at == now + timedelta(seconds=60)
    assert outbox.redispatch_due_notifications(now=now) == []


def test_retry_notification_of_a_sent_row_is_refused():
    notification = NotificationFactory(status=NotificationStatus.SENT)

    with pytest.raises(services.NotificationAlreadySent):
        services.retry_notification(actor=None, notification=notification)


def test_retry_notification_keeps_the_count_and_restarts_the_schedule(receiver, settings):
    # Two delays: a series is three attempts. This row used up a series (and more before).
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0, 200.0]
    receiver.default_status = 503
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    notification = NotificationFactory(
        channel="webhook",
        recipient=receiver.url,
        provider=provider,
        payload={"data": {}},
        status=NotificationStatus.FAILED,
        attempts=7,
        attempts_since_retry=3,
    )

    services.retry_notification(actor=None, notification=notification)

    notification.refresh_from_db()
    assert (
        notification.status,
        notification.attempts,
        notification.attempts_since_retry,
    ) == ("pending", 7, 0)

    # The next failure is the first of a new series: the first delay, not "used up".
    assert sending.deliver_notification(notification_id=notification.pk) == "pending"

    notification.refresh_from_db()
    attempt = NotificationAttempt.objects.get(notification=notification)
    assert (notification.attempts, notification.attempts_since_retry) == (8, 1)
    assert 80 <= (notification.next_attempt_at - attempt.started_at).total_seconds() <= 121
    assert sending.deliver_notification(notification_id=notification.pk) == "pending"
    assert sending.deliver_notification(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert (notification.attempts, notification.attempts_since_retry) == (10, 3)
    assert NotificationAttempt.objects.filter(notification=notification).count() == 3


def test_create_provider_refuses_unknown_tracks_and_unsafe_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(ValidationError) as error:
        services.create_provider(
            actor=None,
            name="Lab",
            kind="testing",
            email="lab@example.org",
            webhook_url="http://127.0.0.1/hook",
            tracks=["space"],
        )

    assert sorted(error.value.message_dict) == ["tracks", "webhook_url"]


def test_rotate_provider_secret_replaces_it():
    provider = ServiceProviderFactory()
    old = provider.webhook_secret

    rotated = services.rotate_provider_secret(actor=None, provider=provider)

    assert rotated.webhook_secret != old
    assert rotated.webhook_secret.startswith("whsec_")


def test_update_provider_issues_a_secret_with_its_first_webhook_url():
    provider = ServiceProviderFactory(webhook_url="")
    old = provider.webhook_secret

    changed = services.update_provider(
        actor=None, provider=provider, webhook_url="http://127.0.0.1:9/hooks"
    )

    provider.refresh_from_db()
    assert provider.webhook_secret == changed.webhook_secret != old
    assert provider.webhook_secret.startswith("whsec_")


def test_update_provider_keeps_the_secret_otherwise():
    provider = ServiceProviderFactory(webhook_url="http://127.0.0.1:9/a")
    old = provider.webhook_secret

    services.update_provider(actor=None, provider=provider, webhook_url="http://127.0.0.1:9/b")
    services.update_provider(actor=None, provider=provider, name="Renamed")

    provider.refresh_from_db()
    assert provider.webhook_secret == old


def test_remove_gone_webhook_changes_nothing_when_the_url_changed_meanwhile(coordinator):
    provider = ServiceProviderFactory(webhook_url="https://new.partner.example/hooks")
    row = NotificationFactory(
        channel="webhook", provider=provider, recipient="https://old.example/"
    )

    removed = services.remove_gone_webhook(
        provider=provider, url="https://old.example/", notification=row, answer="HTTP 410: gone"
    )

    provider.refresh_from_db()
    assert removed is False
    assert provider.webhook_url == "https://new.partner.example/hooks"
    assert not Notification.objects.filter(event="provider.webhook_gone").exists()
