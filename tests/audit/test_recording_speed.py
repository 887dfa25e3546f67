"""The fast path of `record_many` (issue 16's cost target): each event's canonical JSON written
from parts encoded once, a bulk appended with COPY. It must store and hash exactly what the
plain path of DESIGN.md §13 does: `json.dumps(fields, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)` over the fields, and the row's values as given."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from applications.enums import ApplicationStatus
from audit import services
from audit.models import AuditEvent, AuditHead
from audit.services import (
    COPY_FROM,
    Event,
    canonical_json,
    event_hash,
    format_time,
    hashed_fields,
    record,
    record_many,
)
from audit.verification import verify_chain

pytestmark = pytest.mark.django_db

AWKWARD = [
    "plain",
    'quote " and backslash \\ and slash /',
    "tab\tnewline\ncarriage\rreturn",
    "control \x01\x1f and NUL-free",
    "香港 澳門 「引號」 emoji 🚀",
    "\\N",
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("actor", [None, 0, 7, 2**62])
def test_the_hashed_text_is_the_canonical_json(text, actor):
    data = {"b": text, "a": [1, text, None, True], "n": {"z": False, "é": text}}
    fields = {
        "seq": 12,
        "at": "2026-12-01T08:00:00.000000Z",
        "actor": actor,
        "action": "round.changed",
        "object_type": "round",
        "object_id": text,
        "data": data,
        "prev_hash": "a" * 64,
    }
    written = services._hashed_text(
        12,
        "2026-12-01T08:00:00.000000Z",
        "null" if actor is None else str(actor),
        "round.changed",
        "round",
        text,
        canonical_json(data).decode(),
        "a" * 64,
    )
    assert written.encode() == canonical_json(fields)


def test_clean_data_gives_what_the_general_cleaning_gives():
    moment = datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=UTC)
    for data in [
        {"a": 1, "b": "x", "c": None, "d": True},
        {"status": ApplicationStatus.UNDER_REVIEW, "score": Decimal("72.50"), "at": moment},
        {"nested": {"list": [1, (2, 3)]}, 5: "int key"},
    ]:
        cleaned = services._clean_data(data)
        assert cleaned == services._clean(data)
        assert cleaned is not data  # never the caller's own dict
    with pytest.raises(TypeError, match=r"data\.x: floats"):
        services._clean_data({"x": 1.5})


def test_format_time_is_utc_with_microseconds_whatever_the_zone():
    moment = datetime(2026, 12, 1, 16, 0, 0, 5, tzinfo=ZoneInfo("Asia/Hong_Kong"))
    assert format_time(moment) == "2026-12-01T08:00:00.000005Z"
    assert format_time(moment.astimezone(UTC)) == "2026-12-01T08:00:00.000005Z"


def bulk(size: int, text: str = "x") -> list[Event]:
    return [
        Event(
            actor=n % 3 or None,
            action="assignment.created",
            object_type="assignment",
            object_id=f"{n}{text}",
            data={"application": n, "text": text, "status": ApplicationStatus.SUBMITTED},
        )
        for n in range(size)
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("text", AWKWARD)
def test_a_bulk_copy_stores_every_value_as_given_and_verifies(text):
    record(action="round.created", object_type="round", object_id=1, data={"a": text})
    appended = record_many(bulk(COPY_FROM + 3, text))
    assert len(appended) == COPY_FROM + 3
    stored = list(AuditEvent.objects.filter(action="assignment.created").order_by("seq"))
    assert [event.seq for event in stored] == list(range(2, COPY_FROM + 5))
    for n, event in enumerate(stored):
        assert event.object_id == f"{n}{text}"
        assert event.actor == (n % 3 or None)
        assert event.data == {"application": n, "text": text, "status": "submitted"}
        assert event_hash(hashed_fields(event)) == event.hash
    assert [event.pk for event in appended] == [event.pk for event in stored]
    assert appended[-1].hash == AuditHead.objects.get().hash
    result = verify_chain(chunk_size=7)
    assert result.ok, result.reason
    assert result.length == COPY_FROM + 4


@pytest.mark.postgres
def test_a_bulk_and_single_events_interleave_in_one_chain():
    record(action="round.created", object_type="round", object_id=1)
    record_many(bulk(COPY_FROM))
    record(action="round.changed", object_type="round", object_id=1, data={"k": "v"})
    record_many(bulk(COPY_FROM * 2, "y"))
    assert AuditEvent.objects.count() == 3 * COPY_FROM + 2
    assert verify_chain().ok


@pytest.mark.postgres
def test_a_bulk_costs_the_same_few_queries_whatever_its_size(django_assert_max_num_queries):
    record(action="round.created", object_type="round", object_id=1)
    # The savepoint, the head's lock, the head's update and the savepoint's release (the COPY
    # goes below Django's cursor: the count below proves it ran); the same for 60 or 6,000.
    for size in (60, 6000):
        with django_assert_max_num_queries(4):
            record_many(bulk(size))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone()[0] == 6061
    assert verify_chain().ok
