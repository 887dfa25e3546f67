from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One link of the site's hash chain (DESIGN.md §13). Rows are only ever added."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    at = models.DateTimeField(_("time"))
    # A plain id, not a foreign key: deleting or anonymising a user must not touch the chain.
    actor = models.BigIntegerField(_("actor"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=20)
    object_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    # Not indexed: every index is paid on each append (the assignment service writes tens of
    # thousands at once), and nothing looks an event up by its hash; `seq` is the key.
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # The filters of the API and the admin: by object, and by action (no LIKE index).
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["action", "seq"], name="audit_event_action_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        # SQLite has no trigger of ours: the model refuses to rewrite a link in Python instead.
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditHead(models.Model):
    """The chain's head in one row: locking it serialises appends, so the chain never forks or
    leaves a gap, and reading it gives the next seq and prev_hash without scanning."""

    seq = models.PositiveBigIntegerField(_("sequence number"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}"


class Checkpoint(models.Model):
    """The chain's head at a moment, signed with the site's Ed25519 key (DESIGN.md §13).

    Witnesses keep copies: anyone holding one and the public key can later prove that no event
    up to `seq` was changed, even by someone able to rewrite the whole table.
    """

    seq = models.PositiveBigIntegerField(_("sequence number"))
    hash = models.CharField(_("hash"), max_length=64)
    # The time of signing, as signed: the events' format (`...000000Z`), kept as text so the
    # signed bytes are reproduced exactly.
    at = models.CharField(_("time"), max_length=32)
    signature = models.CharField(_("signature"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-seq", "-pk"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}… {self.at}"
