"""Signed checkpoints (DESIGN.md §13): Ed25519 over the canonical JSON of {seq, hash, at}, made
daily by beat and on demand (admin, API), listed for anyone with the public key, sent to the
witnesses, and proved against the chain later."""

import base64
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.management import call_command

from audit.checkpoints import make_checkpoint, verify_checkpoint
from audit.models import AuditEvent, AuditHead, Checkpoint
from audit.services import Event, canonical_json, event_hash, hashed_fields, record_many
from audit.verification import verify_chain
from notifications.enums import AUDIT_CHECKPOINT
from notifications.models import Notification
from notifications.tasks import audit_checkpoint
from tests.factories import (
    CoordinatorFactory,
    ReviewerFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

from .conftest import client_for, tamper

pytestmark = pytest.mark.django_db

AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def chain(length: int = 4):
    return record_many(
        Event(action="round.changed", object_type="round", object_id=n, data={"n": n})
        for n in range(length)
    )


def test_keygen_prints_one_line_with_32_raw_bytes(capsys):
    call_command("audit_keygen")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    name, _, value = out.strip().partition("=")
    assert name == "AUDIT_SIGNING_KEY"
    assert len(base64.b64decode(value, validate=True)) == 32


def test_a_checkpoint_signs_the_head_over_canonical_json():
    rows = chain(3)
    checkpoint = make_checkpoint()
    assert (checkpoint.seq, checkpoint.hash) == (3, rows[-1].hash)
    assert AT.match(checkpoint.at)
    public = client_for().get("/api/v1/audit/public-key/").json()
    assert public["algorithm"] == "Ed25519"
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public["public_key"]))
    message = json.dumps(
        {"seq": 3, "hash": rows[-1].hash, "at": checkpoint.at},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    key.verify(base64.b64decode(checkpoint.signature), message)  # raises when wrong


def test_anyone_lists_the_checkpoints():
    chain(2)
    first = make_checkpoint()
    chain(1)
    second = make_checkpoint()
    response = client_for().get("/api/v1/audit/checkpoints/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {"seq": 2, "hash": first.hash, "at": first.at, "signature": first.signature},
        {"seq": 3, "hash": second.hash, "at": second.at, "signature": second.signature},
    ]


def test_a_coordinator_makes_one_on_demand_and_witnesses_are_sent_it():
    rows = chain(2)
    witness = ServiceProviderFactory(witness=True, webhook_url="http://127.0.0.1:9/hook")
    ServiceProviderFactory(witness=False, webhook_url="http://127.0.0.1:9/other")
    ServiceProviderFactory(witness=True, active=False, webhook_url="http://127.0.0.1:9/off")
    response = client_for(CoordinatorFactory()).post("/api/v1/audit/checkpoints/")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"seq", "hash", "at", "signature"}
    assert (body["seq"], body["hash"]) == (2, rows[-1].hash)
    [row] = Notification.objects.filter(event=AUDIT_CHECKPOINT)
    assert row.provider == witness
    assert row.channel == "webhook"
    assert row.payload["data"] == body


def test_only_a_coordinator_makes_one():
    assert client_for().post("/api/v1/audit/checkpoints/").status_code == 401
    member = UserFactory()
    StartupFactory(members=[member])
    for user in (member, ReviewerFactory()):
        assert client_for(user).post("/api/v1/audit/checkpoints/").status_code == 403
    assert not Checkpoint.objects.exists()


def test_without_a_key_a_checkpoint_is_refused_409(settings):
    settings.AUDIT_SIGNING_KEY = ""
    response = client_for(CoordinatorFactory()).post("/api/v1/audit/checkpoints/")
    assert response.status_code == 409
    assert "AUDIT_SIGNING_KEY" in response.json()["detail"]
    assert client_for().get("/api/v1/audit/public-key/").status_code == 404
    assert audit_checkpoint() is None
    assert not Checkpoint.objects.exists()


def test_the_daily_task_is_scheduled_and_makes_one():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-daily-checkpoint"]
    assert entry["task"] == "notifications.audit_checkpoint"
    chain(1)
    assert audit_checkpoint() == 1
    assert Checkpoint.objects.get().seq == 1


def test_the_admin_button_for_coordinators(client):
    chain(1)
    coordinator = CoordinatorFactory()
    force_login_verified(client, coordinator)
    page = client.get("/admin/audit/checkpoint/")
    assert page.status_code == 200
    assert b"/admin/audit/checkpoint/make/" in page.content
    response = client.post("/admin/audit/checkpoint/make/")
    assert response.status_code == 302
    assert Checkpoint.objects.get().seq == 1
    # Read-only: no add, change or delete pages.
    checkpoint = Checkpoint.objects.get()
    assert client.get("/admin/audit/checkpoint/add/").status_code == 403
    assert client.post(f"/admin/audit/checkpoint/{checkpoint.pk}/delete/").status_code == 403


def test_the_admin_button_is_not_for_reviewers(client):
    reviewer = ReviewerFactory()
    force_login_verified(client, reviewer)
    assert client.post("/admin/audit/checkpoint/make/").status_code == 403
    assert client.get("/admin/audit/checkpoint/").status_code == 403
    assert not Checkpoint.objects.exists()


def test_a_checkpoint_proves_an_intact_chain(tmp_path, capsys):
    chain(3)
    checkpoint = make_checkpoint()
    chain(2)  # the chain grows after it: still proved
    document = {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at,
        "signature": checkpoint.signature,
    }
    assert verify_checkpoint(document).ok
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(document))
    public_key = client_for().get("/api/v1/audit/public-key/").json()["public_key"]
    call_command("verify_audit", "--checkpoint", str(path), "--public-key", public_key)
    assert "CHECKPOINT OK" in capsys.readouterr().out


def test_a_forged_signature_fails():
    chain(2)
    checkpoint = make_checkpoint()
    forged = {
        "seq": checkpoint.seq,
        "hash": "a" * 64,
        "at": checkpoint.at,
        "signature": checkpoint.signature,
    }
    assert not verify_checkpoint(forged).ok


@pytest.mark.postgres
def test_a_rewritten_chain_fails_against_an_earlier_checkpoint(tmp_path, capsys):
    """An attacker edits event 2 and recomputes every later hash and the head: the chain verifies
    on its own, but no longer matches what the witnesses hold."""
    chain(4)
    checkpoint = make_checkpoint()
    document = {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at,
        "signature": checkpoint.signature,
    }
    prev_hash = AuditEvent.objects.get(seq=1).hash
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        data = {"n": 99} if event.seq == 2 else event.data
        fields = {**hashed_fields(event), "data": data, "prev_hash": prev_hash}
        new_hash = event_hash(fields)
        tamper(
            "UPDATE audit_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [json.dumps(data), prev_hash, new_hash, event.seq],
        )
        prev_hash = new_hash
    AuditHead.objects.filter(pk=1).update(hash=prev_hash)
    assert verify_chain().ok  # the rewrite is consistent in itself
    check = verify_checkpoint(document)
    assert not check.ok
    assert check.first_bad_seq == 4
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps({"type": "audit.checkpoint", "data": document}))
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--checkpoint", str(path))
    assert exit_info.value.code == 1
    assert "CHECKPOINT FAILS" in capsys.readouterr().err


def test_canonical_json_is_the_contracts():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_providers_api_writes_and_shows_witness():
    client = client_for(CoordinatorFactory())
    response = client.post(
        "/api/v1/providers/",
        {"name": "Notary", "kind": "testing", "email": "n@notary.example", "witness": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["witness"] is True
    pk = response.json()["id"]
    response = client.patch(f"/api/v1/providers/{pk}/", {"witness": False}, format="json")
    assert response.status_code == 200
    assert response.json()["witness"] is False
    assert client.get(f"/api/v1/providers/{pk}/").json()["witness"] is False
    response = client.patch(f"/api/v1/providers/{pk}/", {"witness": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "witness" in response.json()
