"""Celery tasks of the outbox: thin adapters around its mechanics."""

import logging

from celery import shared_task

from . import outbox, sending

logger = logging.getLogger(__name__)


@shared_task(name=outbox.DELIVER_TASK, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[int, str]:
    """Deliver a few outbox rows; a row already sent, failed or being sent by another worker is
    left alone."""
    outcomes = sending.deliver_notifications(notification_ids=notification_ids)
    logger.info("notifications delivered: %s", outcomes)
    return outcomes


@shared_task(name="notifications.redispatch_due", ignore_result=True)
def redispatch_due() -> int:
    """Every minute (beat): hand due rows to the broker again."""
    ids = outbox.redispatch_due_notifications()
    if ids:
        logger.info("re-dispatched %d due notifications", len(ids))
    return len(ids)
