"""Celery tasks of the notifications: thin adapters around the services."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[int, str]:
    """Deliver a few outbox rows; a row already sent, failed or being sent by another worker is
    left alone."""
    outcomes = services.deliver_notifications(notification_ids=notification_ids)
    logger.info("notifications delivered: %s", outcomes)
    return outcomes


@shared_task(name="notifications.redispatch_due", ignore_result=True)
def redispatch_due() -> int:
    """Every minute (beat): hand due rows to the broker again."""
    ids = services.redispatch_due_notifications()
    if ids:
        logger.info("re-dispatched %d due notifications", len(ids))
    return len(ids)


@shared_task(name="notifications.send_review_reminders", ignore_result=True)
def send_review_reminders() -> int:
    """Daily (beat): remind reviewers of unsubmitted reviews due within 48 hours."""
    count = services.send_review_reminders()
    logger.info("queued %d review reminders", count)
    return count


@shared_task(name="notifications.send_provider_digests", ignore_result=True)
def send_provider_digests() -> int:
    """Weekly (beat): tell each provider of the matching start-ups accepted this week."""
    count = services.send_provider_digests()
    logger.info("queued %d provider digests", count)
    return count
