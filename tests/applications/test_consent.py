"""Consent to share with providers (DESIGN.md §12): the endpoint, the draft's fields, the rules,
the history, the audit row, withdrawal's notifications and the import command."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from applications.consent import CONSENT_TEXT_VERSION
from applications.enums import ApplicationStatus
from applications.models import ConsentChange
from audit.models import AuditEvent
from notifications.models import Notification
from notifications.screening import WITHHELD_NOTE
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    NotificationFactory,
    PartnerFactory,
    ServiceProviderFactory,
)

pytestmark = pytest.mark.django_db


def url(application) -> str:
    return f"/api/v1/applications/{application.pk}/consent/"


def post(user, application, share_with):
    return client_for(user).post(url(application), {"share_with": share_with}, format="json")


@pytest.fixture
def needy(draft):
    """A draft that needs fund and training and has consented to nothing yet."""
    draft.needs_training = True
    draft.share_fund = False
    draft.save()
    return draft


def test_consent_member_sets_share_with(founder, needy):
    response = post(founder, needy, ["training", "fund"])
    assert response.status_code == 200
    body = response.json()
    assert body["application"] == needy.pk
    assert body["share_with"] == ["fund", "training"]
    assert body["text_version"] == CONSENT_TEXT_VERSION
    assert body["current_text_version"] == CONSENT_TEXT_VERSION
    assert body["can_widen"] is True
    assert [(h["share_with_before"], h["share_with_after"]) for h in body["history"]] == [
        ([], ["fund", "training"])
    ]
    change = ConsentChange.objects.get()
    assert change.actor == founder
    assert change.text_version == CONSENT_TEXT_VERSION
    event = AuditEvent.objects.get(action="consent.changed")
    assert (event.object_type, event.object_id, event.actor) == (
        "application",
        str(needy.pk),
        founder.pk,
    )
    assert event.data == {
        "application": needy.pk,
        "before": [],
        "after": ["fund", "training"],
        "text_version": CONSENT_TEXT_VERSION,
    }


def test_consent_outside_needs_400_names_share_with(founder, needy):
    response = post(founder, needy, ["testing"])
    assert response.status_code == 400
    assert set(response.json()) == {"share_with"}
    needy.refresh_from_db()
    assert needy.share_with == []
    assert not ConsentChange.objects.exists()


def test_consent_unknown_kind_400(founder, needy):
    response = post(founder, needy, ["banking"])
    assert response.status_code == 400
    assert set(response.json()) == {"share_with"}


def test_consent_same_again_records_nothing(founder, needy):
    post(founder, needy, ["fund"])
    post(founder, needy, ["fund"])
    assert ConsentChange.objects.count() == 1


def test_consent_under_a_new_text_version_is_recorded_again(founder, needy):
    """A consent given under an older text is not silently carried over: giving the same kinds
    under the current text records a change with the current version."""
    needy.share_fund = True
    needy.save()
    ConsentChange.objects.create(
        application=needy, share_with_after=["fund"], text_version="2020-01-01"
    )
    response = post(founder, needy, ["fund"])
    assert response.json()["text_version"] == CONSENT_TEXT_VERSION
    assert list(ConsentChange.objects.values_list("text_version", flat=True)) == [
        "2020-01-01",
        CONSENT_TEXT_VERSION,
    ]


@pytest.mark.parametrize("final", [ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED])
def test_consent_after_decision_narrows_but_never_widens(founder, needy, final):
    needy.share_fund = True
    needy.status = final
    needy.save()
    response = post(founder, needy, ["fund", "training"])
    assert response.status_code == 409
    assert "detail" in response.json()
    needy.refresh_from_db()
    assert needy.share_with == ["fund"]
    response = post(founder, needy, [])
    assert response.status_code == 200
    assert response.json()["share_with"] == []
    assert response.json()["can_widen"] is False


def test_consent_widening_allowed_while_shortlisted(founder, needy):
    needy.status = ApplicationStatus.SHORTLISTED
    needy.save()
    assert post(founder, needy, ["fund", "training"]).status_code == 200


def test_consent_roles(founder, needy, other_founder, coordinator_user, reviewer):
    assert client_for().post(url(needy), {"share_with": []}, format="json").status_code == 401
    assert post(other_founder, needy, ["fund"]).status_code == 404
    assert post(PartnerFactory(), needy, ["fund"]).status_code == 404
    assert post(coordinator_user, needy, ["fund"]).status_code == 403
    assert not ConsentChange.objects.exists()
    assert client_for(coordinator_user).get(url(needy)).status_code == 200


def test_draft_create_and_patch_carry_share_with(founder, open_round):
    client = client_for(founder)
    response = client.post(
        "/api/v1/applications/",
        {"round": open_round.pk, "project_name": "P", "needs": ["fund"], "share_with": ["fund"]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["share_with"] == ["fund"]
    pk = response.json()["id"]
    response = client.patch(
        f"/api/v1/applications/{pk}/", {"needs": [], "share_with": ["fund"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"share_with"}
    # Narrowing the needs alone narrows the consent with them, as a recorded change.
    response = client.patch(f"/api/v1/applications/{pk}/", {"needs": []}, format="json")
    assert response.status_code == 200
    assert response.json()["share_with"] == []
    changes = ConsentChange.objects.filter(application_id=pk)
    assert [(c.share_with_before, c.share_with_after) for c in changes] == [
        ([], ["fund"]),
        (["fund"], []),
    ]


def test_draft_create_share_with_outside_needs_400(founder, open_round):
    response = client_for(founder).post(
        "/api/v1/applications/",
        {"round": open_round.pk, "project_name": "P", "needs": ["fund"], "share_with": ["testing"]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"share_with"}


def test_new_applications_share_with_no_one_by_default(founder, open_round):
    response = client_for(founder).post(
        "/api/v1/applications/",
        {"round": open_round.pk, "project_name": "P", "needs": ["fund"]},
        format="json",
    )
    assert response.json()["share_with"] == []


# --- withdrawal and the outbox --------------------------------------------------------------------


def provider_row(provider, payload_startups, *, status, event="shortlist.published"):
    return NotificationFactory(
        event=event,
        provider=provider,
        channel="email",
        recipient=provider.email,
        status=status,
        payload={
            "template": "shortlist_published_provider",
            "programme": "P",
            "data": {"shortlist": {"id": 1, "name": "S", "round": 1}, "startups": payload_startups},
        },
    )


def test_withdrawal_tells_the_providers_that_received_it(founder, needy):
    needy.share_fund = needy.share_training = True
    needy.save()
    told = ServiceProviderFactory(kind="fund", webhook_url="https://hooks.example/a")
    not_received = ServiceProviderFactory(kind="fund", webhook_url="https://hooks.example/b")
    other_kind = ServiceProviderFactory(kind="training", webhook_url="https://hooks.example/c")
    item = {"application": needy.pk, "startup": needy.startup_id}
    provider_row(told, [item], status="sent")
    provider_row(other_kind, [item], status="sent")
    provider_row(not_received, [{"application": needy.pk + 1000}], status="sent")
    assert post(founder, needy, ["training"]).status_code == 200
    rows = Notification.objects.filter(event="consent.withdrawn")
    assert [(r.provider_id, r.channel, r.recipient) for r in rows] == [
        (told.pk, "webhook", "https://hooks.example/a")
    ]
    assert rows[0].payload["data"] == {"application": needy.pk, "startup": needy.startup_id}


def test_withdrawal_cuts_rows_not_yet_sent(founder, needy):
    needy.share_fund = True
    needy.save()
    provider = ServiceProviderFactory(kind="fund")
    other = ApplicationFactory(share_fund=True)
    shared_row = provider_row(
        provider,
        [{"application": needy.pk}, {"application": other.pk}],
        status="pending",
    )
    only_row = provider_row(provider, [{"application": needy.pk}], status="pending", event="x")
    post(founder, needy, [])
    shared_row.refresh_from_db()
    only_row.refresh_from_db()
    assert shared_row.status == "pending"
    assert shared_row.payload["data"]["startups"] == [{"application": other.pk}]
    assert (only_row.status, only_row.last_error, only_row.attempts) == ("sent", WITHHELD_NOTE, 0)
    assert only_row.payload["data"]["startups"] == []
    # Nobody had received it: nobody is told.
    assert not Notification.objects.filter(event="consent.withdrawn").exists()


# --- the import command ----------------------------------------------------------------------


def test_import_consent_records_the_reason(needy):
    call_command(
        "import_consent",
        application=needy.pk,
        share_with="fund,training",
        reason="Signed form of 2026-10-02, file 17",
    )
    change = ConsentChange.objects.get()
    assert (change.share_with_after, change.actor, change.reason) == (
        ["fund", "training"],
        None,
        "Signed form of 2026-10-02, file 17",
    )
    event = AuditEvent.objects.get(action="consent.changed")
    assert event.actor is None
    assert "Signed form" not in str(event.data)


def test_import_consent_refuses_kinds_outside_needs(needy):
    with pytest.raises(CommandError, match="not among your needs"):
        call_command("import_consent", application=needy.pk, share_with="testing", reason="x")
    assert not ConsentChange.objects.exists()


def test_import_consent_unknown_application():
    with pytest.raises(CommandError, match="no application"):
        call_command("import_consent", application=999999, share_with="fund", reason="x")


def test_consent_history_times_are_recorded(founder, needy):
    before = timezone.now()
    post(founder, needy, ["fund"])
    assert ConsentChange.objects.get().created_at >= before
