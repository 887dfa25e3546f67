"""Verification (DESIGN.md §13): `manage.py verify_audit` and `GET /api/v1/audit/verify/`
recompute every hash, and name the first event that does not verify."""

import pytest
from django.core.management import call_command

from audit.models import AuditEvent, AuditHead
from audit.services import Event, record_many
from audit.verification import verify_chain
from tests.factories import CoordinatorFactory, ReviewerFactory, StartupFactory, UserFactory

from .conftest import client_for, tamper

pytestmark = pytest.mark.django_db


def chain(length: int = 5) -> list[AuditEvent]:
    return record_many(
        Event(action="round.changed", object_type="round", object_id=n, data={"n": n})
        for n in range(length)
    )


def test_an_intact_chain_verifies():
    rows = chain(5)
    result = verify_chain(chunk_size=2)
    assert result.as_dict() == {
        "ok": True,
        "length": 5,
        "head": rows[-1].hash,
        "first_bad_seq": None,
    }


def test_an_empty_chain_verifies():
    assert verify_chain().as_dict() == {
        "ok": True,
        "length": 0,
        "head": "0" * 64,
        "first_bad_seq": None,
    }


@pytest.mark.postgres
def test_an_edited_event_is_named():
    rows = chain(5)
    tamper("UPDATE audit_auditevent SET data = '{\"n\": 99}' WHERE seq = 3")
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.head == rows[1].hash


@pytest.mark.postgres
def test_a_deleted_event_is_a_gap():
    chain(5)
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    assert verify_chain().first_bad_seq == 2


@pytest.mark.postgres
def test_a_deleted_tail_is_caught_by_the_head_row():
    chain(5)
    tamper("DELETE FROM audit_auditevent WHERE seq >= 4")
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 4


def test_a_head_row_that_disagrees_is_caught():
    chain(3)
    AuditHead.objects.filter(pk=1).update(hash="f" * 64)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 3


@pytest.mark.postgres
def test_the_command_exits_1_naming_the_seq(capsys):
    chain(4)
    call_command("verify_audit")
    assert "OK: 4 events" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET action = 'review.saved' WHERE seq = 2")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--chunk-size", "1")
    assert exit_info.value.code == 1
    assert "BROKEN at seq 2" in capsys.readouterr().err


@pytest.mark.postgres
def test_the_api_answers_the_coordinator():
    rows = chain(3)
    coordinator = CoordinatorFactory()
    response = client_for(coordinator).get("/api/v1/audit/verify/")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "length": 3,
        "head": rows[-1].hash,
        "first_bad_seq": None,
    }
    tamper("UPDATE audit_auditevent SET object_id = '7' WHERE seq = 1")
    assert client_for(coordinator).get("/api/v1/audit/verify/").json() == {
        "ok": False,
        "length": 1,
        "head": "0" * 64,
        "first_bad_seq": 1,
    }


def test_the_api_refuses_everyone_else():
    assert client_for().get("/api/v1/audit/verify/").status_code == 401
    member = UserFactory()
    StartupFactory(members=[member])
    for user in (member, ReviewerFactory()):
        assert client_for(user).get("/api/v1/audit/verify/").status_code == 403
