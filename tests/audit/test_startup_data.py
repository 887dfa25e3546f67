"""A start-up's data (DESIGN.md §13): the export for its owner, and anonymisation after
retention that deletes files and personal data while the chain still verifies."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from applications import consent
from applications import services as intake
from applications.enums import ApplicationStatus
from applications.models import Application, Attachment, StatusChange
from audit.verification import verify_chain
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AttachmentFactory,
    CoordinatorFactory,
    NotificationFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)

from .conftest import client_for, last

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    founder = UserFactory(username="ada", email="ada@ledger.example")
    startup = StartupFactory(
        name="Pearl River Ledger", contact_email="hello@ledger.example", members=[founder]
    )
    application = ApplicationFactory(startup=startup, project_name="Trade ledger")
    intake.add_attachment(
        actor=founder,
        application=application,
        kind="pitch_deck",
        uploaded=SimpleUploadedFile("deck.pdf", MINIMAL_PDF),
    )
    intake.submit_application(actor=founder, application=application)
    # Consent withdrawn after submitting: the history holds the change.
    consent.change_consent(actor=founder, application=application, share_with=[])
    NotificationFactory(recipient="someone@else.example")
    return {"founder": founder, "startup": startup, "application": application}


def test_the_owner_exports_everything_held(team, django_assert_max_num_queries):
    startup = team["startup"]
    client = client_for(team["founder"])
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/startups/{startup.pk}/export/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["profile", "members", "applications", "notifications", "audit_events"]
    assert body["profile"]["name"] == "Pearl River Ledger"
    assert body["profile"]["contact_email"] == "hello@ledger.example"
    assert [(m["username"], m["role"]) for m in body["members"]] == [("ada", "owner")]
    [application] = body["applications"]
    assert application["answers"] == {}
    assert application["share_with"] == []
    assert [
        (c["share_with_before"], c["share_with_after"]) for c in application["consent_history"]
    ] == [(["fund"], [])]
    assert application["project_name"] == "Trade ledger"
    assert application["attachments"][0]["sha256"]
    assert [h["to_status"] for h in application["status_history"]] == ["submitted"]
    assert [n["recipient"] for n in body["notifications"]] == ["hello@ledger.example"]
    actions = [e["action"] for e in body["audit_events"]]
    assert actions == [
        "attachment.added",
        "application.status_changed",
        "application.submitted",
        "consent.changed",
    ]


def test_export_roles(team):
    url = f"/api/v1/startups/{team['startup'].pk}/export/"
    assert client_for().get(url).status_code == 401
    # A member who is not an owner belongs to the team but does not take its data away.
    teammate = UserFactory()
    team["startup"].members.add(teammate)
    assert client_for(teammate).get(url).status_code == 403
    assert client_for(CoordinatorFactory()).get(url).status_code == 403
    stranger = UserFactory()
    StartupFactory(members=[stranger])
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(ReviewerFactory()).get(url).status_code == 404


def decided(round_, *, days_ago: int, status=ApplicationStatus.REJECTED, members=()):
    startup = StartupFactory(members=list(members))
    application = ApplicationFactory(round=round_, startup=startup, status=status)
    AttachmentFactory(application=application)
    change = StatusChange.objects.create(
        application=application,
        from_status=ApplicationStatus.UNDER_REVIEW,
        to_status=status,
        note="Weak market",
        message_to_applicant="Sorry",
    )
    StatusChange.objects.filter(pk=change.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return application


def test_anonymise_past_retention_keeps_the_chain_verifying(
    capsys, django_capture_on_commit_callbacks
):
    round_ = RoundFactory()
    founder = UserFactory(username="old-founder", email="old@founder.example")
    old = decided(round_, days_ago=400, members=[founder])
    intake.update_startup_profile(actor=founder, startup=old.startup, description="About us")
    recent = decided(round_, days_ago=10)
    live = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    [file_name] = Attachment.objects.filter(application=old).values_list("file", flat=True)
    assert default_storage.exists(file_name)
    before = (timezone.now() - timedelta(days=365)).date().isoformat()
    assert verify_chain().ok

    with django_capture_on_commit_callbacks(execute=True):
        call_command("anonymise", "--round", str(round_.pk), "--before", before)

    assert "Anonymised 1 applications, 1 start-ups and 1 accounts" in capsys.readouterr().out
    old.refresh_from_db()
    assert old.project_name == "[anonymised]"
    assert old.summary == ""
    assert old.startup.name.startswith("[anonymised]")
    assert "founder" not in old.startup.contact_email
    assert old.startup.description == ""
    founder.refresh_from_db()
    assert (founder.email, founder.is_active) == ("", False)
    assert not founder.has_usable_password()
    assert StatusChange.objects.get(application=old).note == ""
    assert not default_storage.exists(file_name)
    for kept in (recent, live):
        kept.refresh_from_db()
        assert kept.project_name != "[anonymised]"
    event = last("application.updated")
    assert event.object_id == str(old.pk)
    assert event.data == {"anonymised": True, "files_deleted": True}
    assert verify_chain().ok
    # Running it again finds nothing more to do.
    call_command("anonymise", "--round", str(round_.pk), "--before", before)
    assert "Anonymised 0 applications" in capsys.readouterr().out


def test_anonymise_keeps_a_member_of_another_start_up():
    round_ = RoundFactory()
    founder = UserFactory(email="serial@founder.example")
    decided(round_, days_ago=400, members=[founder])
    StartupFactory(members=[founder])
    call_command("anonymise", "--round", str(round_.pk), "--before", "2026-01-01")
    founder.refresh_from_db()
    assert founder.email == "serial@founder.example"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--round", "999999", "--before", "2020-01-01"], "no round"),
        (["--before", "not-a-date"], "not a date"),
        (["--before", "2999-01-01"], "future"),
    ],
)
def test_anonymise_refuses_bad_arguments(args, message):
    round_ = RoundFactory()
    if "--round" not in args:
        args = ["--round", str(round_.pk), *args]
    with pytest.raises(CommandError, match=message):
        call_command("anonymise", *args)
    assert not Application.objects.filter(project_name="[anonymised]").exists()
