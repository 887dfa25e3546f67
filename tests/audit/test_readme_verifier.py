"""The standalone verifier of the README works on what the API gives anyone who holds a
checkpoint, and fails on a rewritten chain."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audit.checkpoints import as_dict, make_checkpoint
from audit.services import Event, record_many
from tests.factories import CoordinatorFactory

from .conftest import client_for, tamper

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def verifier() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("this standalone verifier") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run(tmp_path, checkpoint, public_key, events) -> subprocess.CompletedProcess:
    script = tmp_path / "verify.py"
    script.write_text(verifier())
    names = []
    for name, value in (("c", checkpoint), ("k", public_key), ("e", events)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(value, ensure_ascii=False))
        names.append(str(path))
    return subprocess.run(
        [sys.executable, str(script), *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fetch_events(client) -> list[dict]:
    events, url = [], "/api/v1/audit/events/?page_size=2"
    while url:
        body = client.get(url).json()
        events.extend(body["results"])
        url = body["next"]
    return events


def test_the_readme_verifier_proves_a_checkpoint(tmp_path):
    record_many(
        Event(action="round.changed", object_type="round", object_id=n, data={"名": n})
        for n in range(5)
    )
    checkpoint = as_dict(make_checkpoint())
    client = client_for(CoordinatorFactory())
    public_key = client_for().get("/api/v1/audit/public-key/").json()
    result = run(tmp_path, checkpoint, public_key, fetch_events(client))
    assert result.returncode == 0, result.stderr
    assert "events 1 to 5 are as they were when signed" in result.stdout


@pytest.mark.postgres
def test_the_readme_verifier_refuses_an_edited_event(tmp_path):
    record_many(
        Event(action="round.changed", object_type="round", object_id=n, data={"n": n})
        for n in range(3)
    )
    checkpoint = as_dict(make_checkpoint())
    tamper("UPDATE audit_auditevent SET data = '{\"n\": 9}' WHERE seq = 2")
    client = client_for(CoordinatorFactory())
    public_key = client_for().get("/api/v1/audit/public-key/").json()
    result = run(tmp_path, checkpoint, public_key, fetch_events(client))
    assert result.returncode != 0
    assert "bad seq 2" in result.stderr
