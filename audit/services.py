"""Recording: one explicit call per state change, in the transaction of the change.

    record(actor=request.user, action="application.submitted", object_type="application",
           object_id=application.pk, data={"status": "submitted"})

`data` holds only strings, integers, booleans, None, lists and dicts: Decimals become decimal
strings here, floats are refused (their text is not stable across platforms), and personal data
goes in only through `personal(...)`, an HMAC the chain keeps after anonymisation.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

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


def canonical_json(value: Any) -> bytes:
    """The bytes every hash and signature of DESIGN.md §13 is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_time(moment: datetime) -> str:
    """`at` as hashed and shown: UTC, six digits of microseconds, `Z`, always."""
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


INSERT_PAGE = 5000


def _insert(rows: list[AuditEvent]) -> None:
    """One insert for the lot. On PostgreSQL a multi-row INSERT … RETURNING id written by
    psycopg2 directly (Django's bulk_create costs several times more per row for tens of
    thousands of events); elsewhere bulk_create."""
    if connection.vendor != "postgresql" or len(rows) < 50:
        AuditEvent.objects.bulk_create(rows)
        for row in rows:
            row._state.adding = False
        return
    with connection.cursor() as cursor:
        ids = execute_values(
            cursor.cursor,
            "INSERT INTO audit_auditevent "
            "(seq, at, actor, action, object_type, object_id, data, prev_hash, hash) "
            "VALUES %s RETURNING id",
            [
                (
                    row.seq,
                    row.at,
                    row.actor,
                    row.action,
                    row.object_type,
                    row.object_id,
                    json.dumps(row.data, ensure_ascii=False),
                    row.prev_hash,
                    row.hash,
                )
                for row in rows
            ],
            template="(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)",
            page_size=INSERT_PAGE,
            fetch=True,
        )
    for row, (pk,) in zip(rows, ids, strict=True):
        row.pk = row.id = pk
        row._state.adding = False
        row._state.db = connection.alias


def record_many(events: Iterable[Event]) -> list[AuditEvent]:
    """Append events in one lock of the head and one insert, in the caller's transaction."""
    events = list(events)
    if not events:
        return []
    for event in events:
        if event.object_type not in OBJECT_TYPES:
            raise ValueError(f"unknown audit object type {event.object_type!r}")
    with transaction.atomic():
        head = _locked_head()
        # Microseconds are what the database keeps and what the hash shows.
        moment = timezone.now()
        at_text = format_time(moment)
        rows = []
        seq, prev_hash = head.seq, head.hash
        for event in events:
            seq += 1
            fields = {
                "seq": seq,
                "at": at_text,
                "actor": _actor_id(event.actor),
                "action": event.action,
                "object_type": event.object_type,
                "object_id": str(event.object_id),
                "data": _clean(event.data),
                "prev_hash": prev_hash,
            }
            digest = event_hash(fields)
            row = AuditEvent(
                seq=seq,
                at=moment,
                actor=fields["actor"],
                action=fields["action"],
                object_type=fields["object_type"],
                object_id=fields["object_id"],
                data=fields["data"],
                prev_hash=prev_hash,
                hash=digest,
            )
            prev_hash = digest
            rows.append(row)
        _insert(rows)
        AuditHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev_hash)
    return rows


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
