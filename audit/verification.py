"""Verifying the chain (DESIGN.md §13): every hash recomputed, every link and seq checked.

The events are streamed in seq order with a server-side cursor (`.iterator(chunk_size=...)`), as
plain tuples rather than model instances, so memory stays bounded whatever the chain's length.
"""

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from .models import GENESIS_HASH, AuditEvent, AuditHead
from .services import event_hash, format_time

CHUNK_SIZE = 5000
FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


@dataclass(frozen=True)
class Verification:
    """`ok`; `length` (events read); `head` (the last good hash, or the stored head's hash when
    the chain is whole); `first_bad_seq` (null when ok); `reason`, for people (not in the API)."""

    ok: bool
    length: int
    head: str
    first_bad_seq: int | None
    reason: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("reason")
        return data


def _rows(up_to: int | None, chunk_size: int) -> Iterator[tuple]:
    events = AuditEvent.objects.order_by("seq")
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    return events.values_list(*FIELDS).iterator(chunk_size=chunk_size)


def verify_chain(*, up_to: int | None = None, chunk_size: int = CHUNK_SIZE) -> Verification:
    """Recompute the chain from the first event (up to `up_to` when given). The first event that
    is out of place (a gap or a repeat in seq), does not link to the one before, or whose hash
    does not match its fields is named; so is a head row that disagrees with the last event."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    length = 0
    for seq, at, actor, action, object_type, object_id, data, stored_prev, stored_hash in _rows(
        up_to, chunk_size
    ):
        length += 1
        if seq != expected_seq:
            return Verification(
                False, length, prev_hash, expected_seq, f"seq {expected_seq} is missing"
            )
        if stored_prev != prev_hash:
            return Verification(
                False, length, prev_hash, seq, f"event {seq} does not link to event {seq - 1}"
            )
        fields = {
            "seq": seq,
            "at": format_time(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "data": data,
            "prev_hash": stored_prev,
        }
        if event_hash(fields) != stored_hash:
            return Verification(
                False, length, prev_hash, seq, f"event {seq}'s hash does not match its fields"
            )
        prev_hash = stored_hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if up_to is None:
        head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first() or (
            0,
            GENESIS_HASH,
        )
        if head != (last_seq, prev_hash):
            # The head says more events were appended than the table holds (a deleted tail), or
            # fewer (rows slipped in beside the service): the first seq where the two disagree.
            bad = min(head[0], last_seq) + 1 if head[0] != last_seq else last_seq
            return Verification(
                False, length, prev_hash, max(bad, 1), "the chain's head row disagrees"
            )
    elif last_seq != up_to:
        return Verification(
            False, length, prev_hash, last_seq + 1, f"seq {last_seq + 1} is missing"
        )
    return Verification(True, length, prev_hash, None)
