"""Recording: one explicit call per state change, in the transaction of the change.

    record(actor=request.user, action="application.submitted", object_type="application",
           object_id=application.pk, data={"status": "submitted"})

`data` holds only strings, integers, booleans, None, lists and dicts: Decimals become decimal
strings here, floats are refused (their text is not stable across platforms), and personal data
goes in only through `personal(...)`, an HMAC the chain keeps after anonymisation.
"""

import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditEvent, AuditHead

OBJECT_TYPES = frozenset(
    {
        "application",
        "attachment",
        "assignment",
        "conflict",
        "review",
        "round",
        "shortlist",
        "provider",
        "startup",
        "user",
        "export",
        "checkpoint",
    }
)


@dataclass(frozen=True)
class Event:
    """An event to append, before it has its place in the chain."""

    action: str
    object_type: str
    object_id: Any
    data: dict = field(default_factory=dict)
    actor: Any = None


# One encoder for every canonical text: `json.dumps` with these options builds a new encoder on
# each call, which the assignment service's tens of thousands of events would pay each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value: Any) -> bytes:
    """The bytes every hash and signature of DESIGN.md §13 is taken over: `json.dumps(value,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False)` encoded as UTF-8."""
    return _CANONICAL(value).encode()


@lru_cache(maxsize=4096)
def format_time(moment: datetime) -> str:
    """`at` as hashed and shown: UTC, six digits of microseconds, `Z`, always. Cached: a bulk
    of events repeats the same moments (`at`, a round's deadline) thousands of times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(fields: dict) -> str:
    return hashlib.sha256(canonical_json(fields)).hexdigest()


def hashed_fields(event: AuditEvent) -> dict:
    """The fields of one event exactly as they are hashed (and as the API shows them)."""
    return {
        "seq": event.seq,
        "at": format_time(event.at),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


def personal(value: str | None) -> str | None:
    """Personal data as the chain may hold it: an HMAC-SHA-256 keyed with a site secret, so it
    cannot be guessed from a list of addresses and stays valid after anonymisation."""
    if value is None:
        return None
    key = (getattr(settings, "AUDIT_HMAC_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()


def content_hash(value: bytes | str) -> str:
    """A plain SHA-256 for content that is not personal (a file's bytes, a set of answers' keys)."""
    if isinstance(value, str):
        value = value.encode()
    return hashlib.sha256(value).hexdigest()


def _clean(value: Any, path: str = "data") -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not hashed stably; pass a Decimal or a string")
    if isinstance(value, dict):
        return {str(key): _clean(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"{path}: {type(value).__name__} cannot go into an audit event")


_PLAIN = frozenset({str, int, bool, type(None)})


def _clean_data(data: dict) -> dict:
    """`_clean` for an event's `data`, with a fast path for the usual flat dict of ids and
    statuses (the exact types only: a str or int subclass, e.g. a TextChoices member, goes the
    general way, with the same result)."""
    if (
        type(data) is dict
        and all(type(item) in _PLAIN for item in data.values())
        and all(type(key) is str for key in data)
    ):
        return dict(data)
    return _clean(data)


def _actor_id(actor: Any) -> int | None:
    if actor is None:
        return None
    if isinstance(actor, int):
        return actor
    # A user object; an anonymous one has no id.
    return getattr(actor, "pk", None)


def _locked_head() -> AuditHead:
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


# Below this many events the rows go in through Django (one INSERT, instances with their ids,
# as a single `record(...)` returns); from it on, with PostgreSQL's COPY.
COPY_FROM = 50

_encode_string = json.encoder.encode_basestring


def _hashed_text(
    seq: int,
    at_text: str,
    actor_text: str,
    action: str,
    object_type: str,
    object_id: str,
    data_text: str,
    prev_hash: str,
) -> str:
    """`canonical_json` of an event's hashed fields, written from parts already encoded: the
    keys in sorted order, each value as the canonical encoder writes it (strings through the
    same C function it uses). tests/audit/test_recording_speed.py checks it against
    `canonical_json` for every kind of value."""
    return (
        f'{{"action":{_encode_string(action)},"actor":{actor_text},"at":"{at_text}",'
        f'"data":{data_text},"object_id":{_encode_string(object_id)},'
        f'"object_type":{_encode_string(object_type)},"prev_hash":"{prev_hash}","seq":{seq}}}'
    )


def _copy_text(value: str) -> str:
    """A value for COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


COPY_NULL = "\\N"
COPY_SQL = (
    "COPY audit_auditevent "
    "(seq, at, actor, action, object_type, object_id, data, prev_hash, hash) FROM STDIN"
)


class Appended(Sequence):
    """The events a bulk `record_many` appended with COPY. The services never read them back,
    so model instances (and their ids, which COPY does not return) are only made when asked
    for: one query loads them all by their `seq` range."""

    def __init__(self, first_seq: int, last_seq: int) -> None:
        self.first_seq, self.last_seq = first_seq, last_seq
        self._rows: list[AuditEvent] | None = None

    def _load(self) -> list[AuditEvent]:
        if self._rows is None:
            self._rows = list(
                AuditEvent.objects.filter(seq__range=(self.first_seq, self.last_seq)).order_by(
                    "seq"
                )
            )
        return self._rows

    def __len__(self) -> int:
        return self.last_seq - self.first_seq + 1

    def __getitem__(self, index):
        return self._load()[index]


def record_many(events: Iterable[Event]) -> Sequence[AuditEvent]:
    """Append events in one lock of the head and one insert, in the caller's transaction.

    Each event's canonical JSON is written once, from its `data` encoded once: that text is
    hashed, and the same `data` text is what the row stores (PostgreSQL reads it into jsonb,
    which gives back the same value, so verification recomputes the same hash). On PostgreSQL
    a bulk goes in with one COPY from an in-memory buffer, without model instances."""
    events = list(events)
    if not events:
        return []
    for event in events:
        if event.object_type not in OBJECT_TYPES:
            raise ValueError(f"unknown audit object type {event.object_type!r}")
    bulk = connection.vendor == "postgresql" and len(events) >= COPY_FROM
    with transaction.atomic():
        head = _locked_head()
        # Microseconds are what the database keeps and what the hash shows.
        moment = timezone.now()
        at_text = format_time(moment)
        first_seq = seq = head.seq + 1
        prev_hash = head.hash
        lines: list[str] = []
        rows: list[AuditEvent] = []
        for event in events:
            actor = _actor_id(event.actor)
            actor_text = "null" if actor is None else _CANONICAL(actor)
            object_id = str(event.object_id)
            data = _clean_data(event.data)
            data_text = _CANONICAL(data)
            digest = hashlib.sha256(
                _hashed_text(
                    seq,
                    at_text,
                    actor_text,
                    event.action,
                    event.object_type,
                    object_id,
                    data_text,
                    prev_hash,
                ).encode()
            ).hexdigest()
            if bulk:
                lines.append(
                    f"{seq}\t{at_text}\t{COPY_NULL if actor is None else actor_text}\t"
                    f"{_copy_text(event.action)}\t{_copy_text(event.object_type)}\t"
                    f"{_copy_text(object_id)}\t{_copy_text(data_text)}\t{prev_hash}\t{digest}\n"
                )
            else:
                rows.append(
                    AuditEvent(
                        seq=seq,
                        at=moment,
                        actor=actor,
                        action=event.action,
                        object_type=event.object_type,
                        object_id=object_id,
                        data=data,
                        prev_hash=prev_hash,
                        hash=digest,
                    )
                )
            prev_hash = digest
            seq += 1
        last_seq = seq - 1
        if bulk:
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(COPY_SQL, io.StringIO("".join(lines)))
        else:
            AuditEvent.objects.bulk_create(rows)
            for row in rows:
                row._state.adding = False
        AuditHead.objects.filter(pk=head.pk).update(seq=last_seq, hash=prev_hash)
    return Appended(first_seq, last_seq) if bulk else rows


def record(
    *, action: str, object_type: str, object_id: Any, data: dict | None = None, actor: Any = None
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (DESIGN.md §13)."""
    return record_many(
        [
            Event(
                action=action,
                object_type=object_type,
                object_id=object_id,
                data=data or {},
                actor=actor,
            )
        ]
    )[0]


__all__ = [
    "GENESIS_HASH",
    "Event",
    "canonical_json",
    "content_hash",
    "event_hash",
    "format_time",
    "hashed_fields",
    "personal",
    "record",
    "record_many",
]
