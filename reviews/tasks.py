"""Periodic tasks of reviewing: thin adapters around its notification builders."""

import logging

from celery import shared_task

from incubator.models import Round

from . import discussion, notifications, scoring

logger = logging.getLogger(__name__)


@shared_task(name="reviews.send_review_reminders", ignore_result=True)
def send_review_reminders() -> int:
    """Daily (beat): remind reviewers of unsubmitted reviews due within 48 hours."""
    count = notifications.send_review_reminders()
    logger.info("queued %d review reminders", count)
    return count


@shared_task(name="reviews.send_provider_digests", ignore_result=True)
def send_provider_digests() -> int:
    """Weekly (beat): tell each provider of the matching start-ups accepted this week."""
    count = notifications.send_provider_digests()
    logger.info("queued %d provider digests", count)
    return count


@shared_task(name="reviews.notify_new_comments", ignore_result=True)
def notify_new_comments() -> int:
    """Every minute (beat): one e-mail per application per panel member for new comments."""
    count = discussion.notify_new_comments()
    if count:
        logger.info("queued %d discussion e-mails", count)
    return count


@shared_task(name=scoring.REFRESH_TASK, ignore_result=True)
def refresh_calibration(round_id: int) -> str | None:
    """After a review changed: refit the round's calibrated model unless it is already fresh."""
    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None:
        return None
    return scoring.ensure_calibration(round_).signature
