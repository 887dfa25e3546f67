"""The outbox's own writes: re-dispatch, backoff, retry, providers."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications import outbox, services
from notifications.enums import NotificationStatus
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


def test_retry_delay_grows_and_stops_after_the_last(settings):
    settings.NOTIFICATIONS_RETRY_DELAYS = [60.0, 300.0]

    first = outbox.retry_delay(1)
    second = outbox.retry_delay(2)

    assert 48 <= first <= 72
    assert 240 <= second <= 360
    assert outbox.retry_delay(3) is None


def test_retry_notification_of_a_sent_row_is_refused():
    notification = NotificationFactory(status=NotificationStatus.SENT)

    with pytest.raises(services.NotificationAlreadySent):
        services.retry_notification(actor=None, notification=notification)


def test_retry_notification_of_a_failed_row_starts_a_fresh_series():
    notification = NotificationFactory(status=NotificationStatus.FAILED, attempts=7)

    services.retry_notification(actor=None, notification=notification)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)


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
