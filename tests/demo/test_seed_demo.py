import os
import shlex
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from standardwebhooks import Webhook

from applications.enums import ApplicationStatus, MembershipRole
from applications.models import Application, Membership
from applications.services import missing_requirements
from demo.management.commands.webhook_receiver import make_server
from incubator.models import Question, ServiceProvider, new_webhook_secret
from notifications.sending import deliver_notification
from notifications.services import create_provider, send_test_webhook
from reviews.models import Review
from tests.ours import MODEL_APPS

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for config in apps.get_app_configs()
        if config.label in MODEL_APPS | {"auth"}
        for model in config.get_models()
    }


def test_seed_demo_builds_every_status_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = row_counts()
    call_command("seed_demo")

    assert row_counts() == first
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatus.values
    )
    assert first["applications.Startup"] == 40
    assert first["incubator.ServiceProvider"] == 6
    assert first["incubator.Criterion"] == 5
    assert "founder" in capsys.readouterr().out
    # Each start-up with a founder account: that founder is its owner (DESIGN.md §11).
    memberships = Membership.objects.all()
    assert memberships.exists()
    assert set(memberships.values_list("role", flat=True)) == {MembershipRole.OWNER}


def test_seed_demo_prints_a_recovery_code_for_the_coordinator(capsys, client):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    again = capsys.readouterr().out
    code = first.split("recovery code ")[1].split()[0]
    assert code in again  # unused: the same code again

    step = client.post("/admin/login/", {"username": "coordinator", "password": "coordinator-demo"})
    assert step["Location"] == "/admin/login/verify/"
    assert client.post("/admin/login/verify/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    call_command("seed_demo")
    assert code not in capsys.readouterr().out  # used: a new one


def test_seed_demo_applications_past_draft_have_what_submitting_needs():
    call_command("seed_demo")
    handed_in = Application.objects.exclude(status=ApplicationStatus.DRAFT)
    assert handed_in.count() == 35  # 40 start-ups, 5 drafts
    assert {a.project_name: missing_requirements(a) for a in handed_in} == {
        a.project_name: [] for a in handed_in
    }


def test_seed_demo_reviewers_comments_differ():
    call_command("seed_demo")
    comments = list(
        Review.objects.exclude(comment="").values_list("assignment__application_id", "comment")
    )
    by_application: dict[int, list[str]] = {}
    for application_id, comment in comments:
        by_application.setdefault(application_id, []).append(comment)
    assert len(comments) > 60
    assert [c for c in by_application.values() if len(set(c)) != len(c)] == []
    assert len({comment for _, comment in comments}) > 30


def test_seed_demo_summaries_read_as_sentences():
    call_command("seed_demo")
    summaries = list(Application.objects.values_list("summary", flat=True))
    assert [s for s in summaries if "platform on a permissioned blockchain" in s] == []
    assert [s for s in summaries if not (s[0].isupper() and s.endswith("."))] == []
    assert len(set(summaries)) >= 10


def test_seed_demo_webhook_provider_points_at_the_receiver(capsys):
    call_command("seed_demo", "--webhook-port", "8123")
    with_webhooks = list(
        ServiceProvider.objects.exclude(webhook_url="").values_list("name", "webhook_url")
    )
    assert with_webhooks == [
        ("Bay Area Blockchain Fund", "http://127.0.0.1:8123/webhooks/bay-area-blockchain-fund")
    ]


@pytest.fixture
def receiver():
    lines: list[str] = []
    server = make_server("127.0.0.1", 0, lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, lines
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    connections.close_all()


def signed_post(url: str, secret: str, body: bytes, *, tamper: bool = False) -> int:
    """A webhook signed by the `standardwebhooks` library, as another sender would."""
    msg_id = "msg_2026"
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, now, body.decode())
    request = urllib.request.Request(  # noqa: S310 (a local test server's http URL)
        url,
        data=body + (b" " if tamper else b""),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_webhook_receiver_verifies_a_standard_webhooks_signature(receiver):
    server, lines = receiver
    url = f"http://127.0.0.1:{server.server_port}/webhooks/fund"
    provider = create_provider(
        actor=None, name="Harbour Fund", kind="fund", email="f@fund.example", webhook_url=url
    )
    body = b'{"id":"7","type":"shortlist.published","data":{"startups":[{},{}]}}'
    assert signed_post(url, provider.webhook_secret, body) == 204
    assert signed_post(url, provider.webhook_secret, body, tamper=True) == 401
    assert signed_post(url, new_webhook_secret(), body) == 401
    assert lines == [
        "Webhook shortlist.published (id 7, 2 start-up(s)) for Harbour Fund: signature verified.",
        "Webhook shortlist.published (id 7, 2 start-up(s)): signature NOT verified (no "
        "provider's secret gives this signature).",
        "Webhook shortlist.published (id 7, 2 start-up(s)): signature NOT verified (no "
        "provider's secret gives this signature).",
    ]


@pytest.mark.django_db(transaction=True)
def test_webhook_receiver_gets_the_demo_providers_test_webhook(receiver):
    server, lines = receiver
    call_command("seed_demo", "--webhook-port", str(server.server_port))
    provider = ServiceProvider.objects.get(name="Bay Area Blockchain Fund")
    notification = send_test_webhook(actor=None, provider=provider)
    deliver_notification(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert lines == [
        f"Webhook provider.test (id {notification.pk}) for Bay Area Blockchain Fund: "
        "signature verified."
    ]


def demo_environment() -> dict[str, str]:
    """The Makefile's DEMO_ENV, as `make demo` runs its commands."""
    text = Path("Makefile").read_text().replace("\\\n", " ")
    line = next(row for row in text.splitlines() if row.startswith("DEMO_ENV :="))
    return {
        key: value.strip('"')
        for key, value in (
            pair.split("=", 1) for pair in shlex.split(line.removeprefix("DEMO_ENV :="))
        )
    }


@pytest.mark.django_db(transaction=True)
def test_demo_seed_prints_only_the_logins_under_the_demo_environment(tmp_path):
    database = connections["default"].settings_dict
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CACHE_URL"}
    }
    env.update(demo_environment())
    env.update(
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        EMAIL_URL=f"filemail:///{tmp_path}/sent-emails",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    assert env["DJANGO_LOG_LEVEL"] == "WARNING"
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert seeded.stderr == ""
    lines = seeded.stdout.splitlines()
    assert lines[0] == "Demonstration data is ready. Logins:"
    assert len(lines) == 7
    assert Application.objects.count() == 40


def test_seed_demo_round_asks_four_questions_answered_by_the_applications():
    call_command("seed_demo")
    questions = list(Question.objects.order_by("order"))
    assert [(q.key, q.kind) for q in questions] == [
        ("chain", "choice"),
        ("issues_token", "boolean"),
        ("licences", "multi_choice"),
        ("pilot_partner", "text"),
    ]
    assert all(q.label.keys() == {"en", "zh-hans", "zh-hant"} for q in questions)
    applications = list(Application.objects.all())
    assert all("chain" in a.answers and "issues_token" in a.answers for a in applications)
    assert any(a.answers.get("licences") for a in applications)
    assert any(a.answers.get("pilot_partner") for a in applications)
    first = Question.objects.count(), sorted(str(a.answers) for a in applications)
    call_command("seed_demo")
    assert (
        Question.objects.count(),
        sorted(str(a.answers) for a in Application.objects.all()),
    ) == first
