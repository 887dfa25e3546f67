"""The audit trail's checkpoints, signed and sent to the witnesses (DESIGN.md §13).

A witness is a provider marked `witness`: it is sent every checkpoint by the `audit.checkpoint`
webhook (`data`: the checkpoint `{"seq", "hash", "at", "signature"}`), signed like every webhook,
and keeps it, so a chain rewritten later cannot match what it holds. Witnesses without a webhook
URL get nothing (a checkpoint is for machines to keep, not an e-mail to read).
"""

import logging

from django.db import transaction
from django.utils import timezone

from audit.checkpoints import as_dict, make_checkpoint
from audit.models import Checkpoint
from incubator.models import ServiceProvider

from .enums import AUDIT_CHECKPOINT, NotificationChannel
from .outbox import build_row, write_outbox

logger = logging.getLogger(__name__)


def checkpoint_rows(checkpoint: Checkpoint) -> list:
    """One webhook row per active witness with an endpoint, keyed by the checkpoint."""
    now = timezone.now()
    witnesses = ServiceProvider.objects.filter(active=True, witness=True).exclude(webhook_url="")
    return [
        build_row(
            event=AUDIT_CHECKPOINT,
            subject=f"checkpoint:{checkpoint.pk}",
            channel=NotificationChannel.WEBHOOK,
            recipient=provider.webhook_url,
            language=provider.language,
            provider=provider,
            payload={"template": "audit_checkpoint", "data": as_dict(checkpoint)},
            now=now,
        )
        for provider in witnesses.order_by("pk")
    ]


def checkpoint_and_tell_witnesses() -> Checkpoint:
    """Sign the chain's head now and queue the checkpoint to every witness, in one transaction.

    Raises audit.checkpoints.SigningKeyMissing when the site has no signing key."""
    with transaction.atomic():
        checkpoint = make_checkpoint()
        write_outbox(checkpoint_rows(checkpoint))
    logger.info("audit checkpoint %s at seq %s", checkpoint.pk, checkpoint.seq)
    return checkpoint
