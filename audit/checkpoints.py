"""Signed checkpoints of the chain (DESIGN.md §13): the head's `seq` and `hash` and the time of
signing, signed with the site's Ed25519 key (`AUDIT_SIGNING_KEY`, base64 of the 32 raw private
bytes; `manage.py audit_keygen` makes one). Witnesses keep copies; anyone with a checkpoint and the
public key proves later that no event up to its `seq` has changed (`verify_checkpoint`).

A checkpoint is not itself an event of the chain: the action list of §13 stays exact, and the
signed checkpoint rows (and the webhooks that carry them to witnesses) are their own record.
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, AuditHead, Checkpoint
from .services import canonical_json, format_time
from .verification import verify_chain

ALGORITHM = "Ed25519"


class SigningKeyMissing(Exception):
    """AUDIT_SIGNING_KEY is not set (or not a key): checkpoints are refused."""


def new_signing_key() -> str:
    """A fresh private key as AUDIT_SIGNING_KEY holds it: base64 of the 32 raw bytes."""
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


def load_private_key(value: str | None) -> Ed25519PrivateKey:
    if not value:
        raise SigningKeyMissing(_("AUDIT_SIGNING_KEY is not set: checkpoints cannot be signed."))
    try:
        raw = base64.b64decode(value, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError) as error:
        raise SigningKeyMissing(
            _("AUDIT_SIGNING_KEY is not the base64 of 32 raw Ed25519 private bytes.")
        ) from error


def signing_key() -> Ed25519PrivateKey:
    return load_private_key(getattr(settings, "AUDIT_SIGNING_KEY", ""))


def public_key_base64(private_key: Ed25519PrivateKey | None = None) -> str:
    key = (private_key or signing_key()).public_key()
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def signed_fields(checkpoint: dict | Checkpoint) -> dict:
    if isinstance(checkpoint, Checkpoint):
        return {"seq": checkpoint.seq, "hash": checkpoint.hash, "at": checkpoint.at}
    return {"seq": checkpoint["seq"], "hash": checkpoint["hash"], "at": checkpoint["at"]}


def as_dict(checkpoint: Checkpoint) -> dict:
    """The checkpoint as the API, the webhooks and the verifier read it."""
    return {**signed_fields(checkpoint), "signature": checkpoint.signature}


def make_checkpoint() -> Checkpoint:
    """Sign the chain's head now. The head is locked while it is read, so the checkpoint names a
    seq and hash that were the head together."""
    key = signing_key()
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        fields = {"seq": head.seq, "hash": head.hash, "at": format_time(timezone.now())}
        signature = base64.b64encode(key.sign(canonical_json(fields))).decode()
        return Checkpoint.objects.create(signature=signature, **fields)


# Making a checkpoint on demand (the admin's button) also tells the witnesses, which only the
# outbox above this layer can do: it names its way here at start-up (NotificationsConfig.ready;
# docs/architecture.md "Hooks"). Without one, the checkpoint is only signed and stored.
CheckpointMaker = Callable[[], Checkpoint]
_checkpoint_makers: list[CheckpointMaker] = []


def provide_checkpoint_maker(maker: CheckpointMaker) -> None:
    if maker not in _checkpoint_makers:
        _checkpoint_makers.append(maker)


def checkpoint_now() -> Checkpoint:
    """A checkpoint made the site's way (signed, stored and sent to the witnesses)."""
    if _checkpoint_makers:
        return _checkpoint_makers[-1]()
    return make_checkpoint()


@dataclass(frozen=True)
class CheckpointCheck:
    ok: bool
    reason: str
    first_bad_seq: int | None = None


def verify_signature(checkpoint: dict, public_key: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(
            base64.b64decode(checkpoint["signature"], validate=True),
            canonical_json(signed_fields(checkpoint)),
        )
    except (InvalidSignature, binascii.Error, ValueError, KeyError, TypeError):
        return False
    return True


def verify_checkpoint(checkpoint: dict, *, public_key: str | None = None) -> CheckpointCheck:
    """Prove `checkpoint` (`{"seq", "hash", "at", "signature"}`) against the chain: its signature
    with the public key (the site's own when not given), then every event up to its seq
    recomputed, the last of them holding the checkpoint's hash."""
    try:
        seq, hash_ = int(checkpoint["seq"]), str(checkpoint["hash"])
    except (KeyError, TypeError, ValueError):
        return CheckpointCheck(False, "not a checkpoint: it needs seq, hash, at and signature")
    if not verify_signature(checkpoint, public_key or public_key_base64()):
        return CheckpointCheck(False, "the signature does not match the public key")
    chain = verify_chain(up_to=seq)
    if not chain.ok:
        return CheckpointCheck(False, chain.reason, chain.first_bad_seq)
    if chain.head != hash_:
        # Every link holds, but not the one that was signed: the chain was rewritten since.
        first = _first_rewritten(seq)
        return CheckpointCheck(
            False, f"event {seq}'s hash is not the one signed: the chain was rewritten", first
        )
    return CheckpointCheck(True, f"events 1 to {seq} are as they were when signed")


def _first_rewritten(seq: int) -> int:
    # Without the old hashes only the checkpoint's own event can be named with certainty.
    return seq if AuditEvent.objects.filter(seq=seq).exists() else 1
