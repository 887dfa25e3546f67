"""The partner API (DESIGN.md §12) and the coordinators' engagement endpoint."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application, Startup
from audit.models import AuditEvent
from audit.services import personal
from notifications.models import Notification
from partners.models import Interest, StartupView
from reviews.models import ShortlistEntry
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    PartnerFactory,
    ReviewerFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/partner/me/"
LIST = "/api/v1/partner/startups/"

WEBHOOK_KEYS = {
    "application",
    "startup",
    "startup_name",
    "project_name",
    "region",
    "track",
    "stage",
    "needs",
    "funding_amount",
    "funding_currency",
    "raw_score",
    "normalized_score",
    "calibrated_score",
    "contact_email",
    "answers",
}


def one(application) -> str:
    return f"{LIST}{application.pk}/"


def interest_url(application) -> str:
    return f"{LIST}{application.pk}/interest/"


def post(user, url, body):
    return client_for(user).post(url, body, format="json")


# --- who may call it --------------------------------------------------------------------------


def test_me_partner_gets_user_and_provider(fund_partner, fund_provider):
    fund_provider.tracks = ["finance", "healthcare"]
    fund_provider.save()
    response = client_for(fund_partner).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": fund_partner.pk, "username": "fiona", "email": "fiona@example.org"},
        "provider": {
            "id": fund_provider.pk,
            "name": "Bay Capital",
            "kind": "fund",
            "tracks": ["finance", "healthcare"],
        },
    }


@pytest.mark.parametrize("url", [ME, LIST])
def test_partner_endpoints_anonymous_401(url):
    assert client_for().get(url).status_code == 401


@pytest.mark.parametrize("url", [ME, LIST])
def test_partner_endpoints_other_roles_403(url, founder, coordinator):
    for user in [founder, coordinator, ReviewerFactory()]:
        assert client_for(user).get(url).status_code == 403, user


def test_partner_detail_and_interest_other_roles_403(shared, founder, coordinator):
    for user in [founder, coordinator, ReviewerFactory()]:
        assert client_for(user).get(one(shared)).status_code == 403
        response = post(user, interest_url(shared), {"status": "interested"})
        assert response.status_code == 403
    assert not Interest.objects.exists()


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_consenting_shortlisted_startup_as_webhook_object(fund_partner, shared):
    response = client_for(fund_partner).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == WEBHOOK_KEYS | {"status", "interest"}
    assert row["application"] == shared.pk
    assert row["startup"] == shared.startup_id
    assert row["startup_name"] == "Pearl River Ledger"
    assert row["contact_email"] == "hi@ledger.example"
    assert row["needs"] == ["fund", "training"]
    assert row["raw_score"] == 80.5
    assert row["normalized_score"] == 0.75
    assert row["status"] == "shortlisted"
    assert row["interest"] is None


def test_list_hides_startup_not_consenting_to_the_kind(training_partner, shared):
    # It needs training but shares with fund providers only.
    assert client_for(training_partner).get(LIST).json()["count"] == 0
    assert client_for(training_partner).get(one(shared)).status_code == 404


def test_list_needs_a_published_shortlist_or_acceptance(fund_partner, round_, founder):
    draft_list = ShortlistFactory(round=round_, published_at=None)
    unpublished = ShortlistEntryFactory(shortlist=draft_list).application
    accepted = ApplicationFactory(round=round_, status=ApplicationStatus.ACCEPTED)
    ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    ids = [row["application"] for row in client_for(fund_partner).get(LIST).json()["results"]]
    assert ids == [accepted.pk]
    assert client_for(fund_partner).get(one(unpublished)).status_code == 404


def test_list_follows_the_provider_tracks(fund_partner, fund_provider, shared):
    fund_provider.tracks = ["healthcare"]
    fund_provider.save()
    assert client_for(fund_partner).get(LIST).json()["count"] == 0
    fund_provider.tracks = ["finance"]
    fund_provider.save()
    assert client_for(fund_partner).get(LIST).json()["count"] == 1


def test_list_needs_the_kind_among_needs(round_):
    testing = PartnerFactory(provider=ServiceProviderFactory(kind="testing"))
    ApplicationFactory(round=round_, status=ApplicationStatus.ACCEPTED)  # needs fund only
    assert client_for(testing).get(LIST).json()["count"] == 0


def test_withdrawn_consent_leaves_the_list_at_once(fund_partner, founder, shared):
    response = post(founder, f"/api/v1/applications/{shared.pk}/consent/", {"share_with": []})
    assert response.status_code == 200
    assert client_for(fund_partner).get(LIST).json()["count"] == 0
    assert client_for(fund_partner).get(one(shared)).status_code == 404


def test_an_inactive_provider_sees_no_startup(coordinator, fund_partner, fund_provider, shared):
    # Deactivated in the API as a coordinator does: its users keep their log-in, not the data.
    response = client_for(coordinator).patch(
        f"/api/v1/providers/{fund_provider.pk}/", {"active": False}, format="json"
    )
    assert response.status_code == 200
    partner = client_for(fund_partner)
    assert partner.get(LIST).json()["count"] == 0
    assert partner.get(one(shared)).status_code == 404
    assert post(fund_partner, interest_url(shared), {"status": "interested"}).status_code == 404
    assert partner.get("/api/v1/partner/me/").status_code == 200
    engagement = client_for(coordinator).get(f"/api/v1/rounds/{shared.round_id}/partners/")
    assert engagement.json()[0]["matched"] == 0

    fund_provider.refresh_from_db()
    fund_provider.active = True
    fund_provider.save()
    assert partner.get(LIST).json()["count"] == 1


@pytest.mark.parametrize("page_size", [1, 200])
def test_list_queries_constant_per_page(fund_partner, round_, published, page_size):
    """2,000 matched start-ups: the same number of queries for a page of 1 and of 200."""
    startups = Startup.objects.bulk_create(
        [
            Startup(name=f"S{i}", region="shenzhen", contact_email=f"s{i}@x.example")
            for i in range(2000)
        ]
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                round=round_,
                startup=startup,
                project_name=f"P{i}",
                track="finance",
                stage="pilot",
                needs_fund=True,
                share_fund=True,
                status=ApplicationStatus.SHORTLISTED,
            )
            for i, startup in enumerate(startups)
        ]
    )
    ShortlistEntry.objects.bulk_create(
        [
            ShortlistEntry(shortlist=published, application=application, rank=i + 1, raw_score=50)
            for i, application in enumerate(applications)
        ]
    )
    Interest.objects.create(
        provider=fund_partner.partner_account.provider,
        application=applications[-1],
        status="interested",
        at=timezone.now(),
    )
    client = client_for(fund_partner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"page_size": page_size})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2000
    assert len(body["results"]) == page_size
    assert body["results"][0]["interest"]["status"] == "interested"
    assert len(queries) == EXPECTED_LIST_QUERIES


# token, user, partner account, count, page, the rounds' questions, interests, visit (upsert);
# 2 savepoints
EXPECTED_LIST_QUERIES = 8


# --- one start-up ------------------------------------------------------------------------------


def test_detail_records_the_view(fund_partner, fund_provider, shared):
    response = client_for(fund_partner).get(one(shared))
    assert response.status_code == 200
    assert response.json()["application"] == shared.pk
    client_for(fund_partner).get(one(shared))
    assert list(StartupView.objects.values_list("provider", "application")) == [
        (fund_provider.pk, shared.pk)
    ]


def test_detail_unknown_or_foreign_application_404(fund_partner, shared):
    other = ApplicationFactory(status=ApplicationStatus.DRAFT)
    for pk in [other.pk, 999999]:
        response = client_for(fund_partner).get(f"{LIST}{pk}/")
        assert response.status_code == 404
        assert set(response.json()) == {"detail"}
    assert not StartupView.objects.exists()


# --- interest ----------------------------------------------------------------------------------


def test_interest_interested_introduces_the_provider_in_the_startup_language(
    fund_partner, fund_provider, shared
):
    startup = shared.startup
    startup.language = "zh-hant"
    startup.save()
    response = post(
        fund_partner, interest_url(shared), {"status": "interested", "note": "Let's talk"}
    )
    assert response.status_code == 200
    assert response.json()["interest"]["status"] == "interested"
    assert response.json()["interest"]["note"] == "Let's talk"
    rows = Notification.objects.filter(event="partner.interested")
    assert [(r.recipient, r.language, r.channel) for r in rows] == [
        ("hi@ledger.example", "zh-hant", "email")
    ]
    data = rows[0].payload["data"]
    assert data["provider_name"] == "Bay Capital"
    assert data["provider_email"] == "deals@bay.example"
    assert data["note"] == "Let's talk"
    event = AuditEvent.objects.get(action="partner.interest")
    assert event.object_type == "application"
    assert event.object_id == str(shared.pk)
    assert event.data == {
        "provider": fund_provider.pk,
        "application": shared.pk,
        "status": "interested",
        "note": personal("Let's talk"),
    }


def test_interest_changes_status_and_introduces_once(fund_partner, shared):
    post(fund_partner, interest_url(shared), {"status": "interested"})
    post(fund_partner, interest_url(shared), {"status": "engaged", "note": "Started"})
    post(fund_partner, interest_url(shared), {"status": "interested"})
    interest = Interest.objects.get()
    assert interest.status == "interested"
    assert Notification.objects.filter(event="partner.interested").count() == 1
    assert AuditEvent.objects.filter(action="partner.interest").count() == 3


def test_interest_unknown_status_400_names_status(fund_partner, shared):
    response = post(fund_partner, interest_url(shared), {"status": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"status"}
    assert not Interest.objects.exists()


def test_interest_outside_the_list_404(training_partner, shared):
    response = post(training_partner, interest_url(shared), {"status": "interested"})
    assert response.status_code == 404
    response = post(training_partner, f"{LIST}999999/interest/", {"status": "interested"})
    assert response.status_code == 404
    assert not Interest.objects.exists()


def test_partner_never_sees_another_provider_interest(fund_partner, fund_provider, shared):
    other_fund = PartnerFactory(provider=ServiceProviderFactory(kind="fund", name="Other"))
    post(other_fund, interest_url(shared), {"status": "declined", "note": "No"})
    row = client_for(fund_partner).get(LIST).json()["results"][0]
    assert row["interest"] is None
    assert "review" not in str(row).lower()


# --- the coordinators' engagement --------------------------------------------------------------


def test_round_partners_counts_per_provider(
    coordinator, round_, published, shared, fund_partner, fund_provider, training_provider
):
    second = ApplicationFactory(round=round_, status=ApplicationStatus.ACCEPTED)
    third = ShortlistEntryFactory(shortlist=published).application
    client_for(fund_partner).get(one(shared))
    post(fund_partner, interest_url(shared), {"status": "interested"})
    post(fund_partner, interest_url(second), {"status": "engaged"})
    post(fund_partner, interest_url(third), {"status": "declined"})
    ApplicationFactory(status=ApplicationStatus.ACCEPTED)  # another round
    response = client_for(coordinator).get(f"/api/v1/rounds/{round_.pk}/partners/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "provider": {"id": fund_provider.pk, "name": "Bay Capital", "kind": "fund"},
            "matched": 3,
            "viewed": 1,
            "interested": 1,
            "engaged": 1,
            "declined": 1,
        },
        {
            "provider": {"id": training_provider.pk, "name": "Skills Hub", "kind": "training"},
            "matched": 0,
            "viewed": 0,
            "interested": 0,
            "engaged": 0,
            "declined": 0,
        },
    ]


def test_round_partners_other_roles(round_, founder, fund_partner):
    url = f"/api/v1/rounds/{round_.pk}/partners/"
    assert client_for().get(url).status_code == 401
    for user in [founder, fund_partner, ReviewerFactory()]:
        assert client_for(user).get(url).status_code == 403


def test_round_partners_unknown_round_404(coordinator):
    assert client_for(coordinator).get("/api/v1/rounds/999999/partners/").status_code == 404
