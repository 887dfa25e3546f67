"""Celery tasks of the outbox: thin adapters around its mechanics."""

import logging

from celery import shared_task

from audit.checkpoints import SigningKeyMissing

from . import outbox, sending, witnesses

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


@shared_task(name="notifications.audit_checkpoint", ignore_result=True)
def audit_checkpoint() -> int | None:
    """Daily (beat): sign the audit trail's head and send it to the witnesses. Without a signing
    key the run logs why and does nothing."""
    try:
        checkpoint = witnesses.checkpoint_and_tell_witnesses()
    except SigningKeyMissing as error:
        logger.warning("no audit checkpoint: %s", error)
        return None
    return checkpoint.seq
