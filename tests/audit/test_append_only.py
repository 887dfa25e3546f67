"""The table refuses UPDATE, DELETE and TRUNCATE in PostgreSQL (a trigger installed by a
migration), and the model refuses a save or delete of an existing row everywhere."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def event():
    return record(action="round.created", object_type="round", object_id=1, data={"a": 1})


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET data = '{\"a\": 2}'",
        "UPDATE audit_auditevent SET hash = repeat('0', 64)",
        "DELETE FROM audit_auditevent",
    ],
)
def test_raw_sql_update_and_delete_are_refused(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    event.refresh_from_db()
    assert event.data == {"a": 1}


def test_truncate_is_refused_in_production(event):
    # The test database lets TRUNCATE through for the runner's flush (tests/conftest.py); the
    # trigger as production has it is switched back on inside this transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_truncate")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("TRUNCATE audit_auditevent")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_truncate")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_production_has_every_trigger_enabled_after_migrating():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = dict(cursor.fetchall())
    # The only difference of the test database: the TRUNCATE trigger is off ('D').
    assert triggers == {"audit_append_only": "O", "audit_no_truncate": "D"}


def test_the_model_refuses_to_rewrite_or_delete(event):
    event.data = {"a": 3}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_the_queryset_delete_and_update_are_refused_by_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.get(pk=event.pk).action == "round.created"
