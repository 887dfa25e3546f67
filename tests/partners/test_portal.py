"""The partner portal `/partners/`, the providers' interest on the start-up's page with its
reply, the consent page, and the coordinators' engagement card (DESIGN.md §12)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import ConsentChange
from notifications.models import Notification
from partners.models import Interest, ListVisit, StartupView
from partners.selectors import round_engagement
from tests.factories import PartnerFactory, ReviewerFactory, ServiceProviderFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

LIST = "/partners/"


def detail(application) -> str:
    return f"/partners/startups/{application.pk}/"


def test_portal_list_shows_the_consenting_startup(client, fund_partner, fund_provider, shared):
    client.force_login(fund_partner)
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pearl River Ledger" in html
    assert f'data-application="{shared.pk}"' in html
    assert ListVisit.objects.filter(provider=fund_provider).exists()


def test_portal_list_in_chinese(client, fund_partner, shared):
    client.force_login(fund_partner)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "Start-ups for you" not in html
    assert "Pearl River Ledger" in html


def test_portal_training_partner_sees_nothing(client, training_partner, shared):
    client.force_login(training_partner)
    assert "Pearl River Ledger" not in client.get(LIST).content.decode()
    assert client.get(detail(shared)).status_code == 404


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_portal_inactive_provider_is_told_why_its_list_is_empty(
    client, fund_partner, fund_provider, shared, language
):
    fund_provider.active = False
    fund_provider.save()
    client.force_login(fund_partner)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "Pearl River Ledger" not in html
    assert 'id="provider-inactive"' in html
    assert ("not active" in html) == (language == "en")
    assert client.get(detail(shared)).status_code == 404


def test_portal_detail_and_interest(client, fund_partner, fund_provider, shared):
    client.force_login(fund_partner)
    page = client.get(detail(shared))
    assert page.status_code == 200
    assert "hi@ledger.example" in page.content.decode()
    assert StartupView.objects.filter(provider=fund_provider, application=shared).exists()
    response = client.post(detail(shared), {"status": "interested", "note": "Coffee?"})
    assert response.status_code == 302
    interest = Interest.objects.get()
    assert (interest.status, interest.note, interest.provider) == (
        "interested",
        "Coffee?",
        fund_provider,
    )
    assert Notification.objects.filter(event="partner.interested").count() == 1


def test_portal_interest_unknown_status_shows_the_error(client, fund_partner, shared):
    client.force_login(fund_partner)
    response = client.post(detail(shared), {"status": "maybe"})
    assert response.status_code == 200
    assert response.context["form"].errors["status"]
    assert not Interest.objects.exists()


def test_portal_other_roles(client, founder, coordinator, shared):
    assert client.get(LIST).status_code == 302  # to the log-in
    for user in [founder, ReviewerFactory()]:
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(detail(shared)).status_code == 403
    force_login_verified(client, coordinator)
    assert client.get(LIST).status_code == 403


def test_login_page_links_to_the_partner_portal(client):
    html = client.get(reverse("login")).content.decode()
    assert 'href="/partners/"' in html


def test_partner_dashboard_goes_to_the_partner_portal(client, fund_partner):
    client.force_login(fund_partner)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == LIST


# --- the start-up's side ----------------------------------------------------------------------


def test_startup_page_shows_interest_and_takes_a_reply(
    client, founder, fund_partner, fund_provider, shared
):
    client.force_login(fund_partner)
    client.post(detail(shared), {"status": "interested", "note": "We fund ledgers"})
    client.force_login(founder)
    html = client.get(reverse("portal:application", args=[shared.pk])).content.decode()
    assert "Bay Capital" in html
    assert "deals@bay.example" in html
    assert "We fund ledgers" in html
    interest = Interest.objects.get()
    response = client.post(reverse("partners:reply", args=[interest.pk]), {"reply": "Gladly"})
    assert response.status_code == 302
    interest.refresh_from_db()
    assert interest.reply == "Gladly"
    rows = Notification.objects.filter(event="partner.replied")
    assert [row.recipient for row in rows] == [fund_partner.email]


def test_reply_by_someone_else_404(client, fund_partner, shared):
    interest = Interest.objects.create(
        provider=fund_partner.partner_account.provider,
        application=shared,
        status="interested",
        at=timezone.now(),
    )
    client.force_login(fund_partner)
    response = client.post(reverse("partners:reply", args=[interest.pk]), {"reply": "Me"})
    assert response.status_code == 404
    interest.refresh_from_db()
    assert interest.reply == ""


def test_declined_interest_is_not_shown_to_the_startup(client, founder, fund_partner, shared):
    client.force_login(fund_partner)
    client.post(detail(shared), {"status": "declined", "note": "Not for us"})
    client.force_login(founder)
    html = client.get(reverse("portal:application", args=[shared.pk])).content.decode()
    assert "Not for us" not in html


def test_consent_page_withdraws(client, founder, shared):
    client.force_login(founder)
    url = reverse("portal:application-consent", args=[shared.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="consent-text"' in page.content.decode()
    response = client.post(url, {"share_with": []})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.share_with == []
    assert ConsentChange.objects.get().share_with_after == []


def test_consent_page_refuses_widening_after_decision(client, founder, shared):
    shared.status = "accepted"
    shared.share_fund = False
    shared.save()
    client.force_login(founder)
    url = reverse("portal:application-consent", args=[shared.pk])
    response = client.post(url, {"share_with": ["fund"]})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    shared.refresh_from_db()
    assert shared.share_with == []


def test_draft_form_asks_for_consent(client, founder, round_):
    client.force_login(founder)
    url = reverse("portal:application-new") + f"?round={round_.pk}"
    html = client.get(url).content.decode()
    assert 'id="consent-text"' in html
    assert 'name="share_with"' in html
    response = client.post(
        url,
        {"round": round_.pk, "project_name": "P", "needs": ["fund"], "share_with": ["fund"]},
    )
    assert response.status_code == 302
    assert ConsentChange.objects.get().share_with_after == ["fund"]


# --- the coordinators' card --------------------------------------------------------------------


def test_dashboard_card_counts_and_flags(
    client, coordinator, round_, published, shared, fund_provider, training_provider
):
    """Two weeks after a publication: the fund provider never looked at its list (flagged),
    the training provider did since (not flagged)."""
    published.published_at = timezone.now() - timedelta(days=15)
    published.save()
    now = timezone.now()
    ListVisit.objects.create(provider=training_provider, first_at=now, last_at=now)
    force_login_verified(client, coordinator)
    html = client.get(reverse("coordinator-dashboard"), {"round": round_.pk}).content.decode()
    assert 'id="card-partners"' in html
    assert f'<tr data-provider="{fund_provider.pk}" class="warn">' in html
    assert f'<tr data-provider="{training_provider.pk}">' in html
    rows = {row["provider"].pk: row for row in round_engagement(round=round_)}
    assert (rows[fund_provider.pk]["matched"], rows[fund_provider.pk]["flagged"]) == (1, True)
    assert rows[training_provider.pk]["flagged"] is False


def test_no_flag_within_two_weeks_of_publication(round_, published, fund_provider):
    rows = round_engagement(round=round_, now=published.published_at + timedelta(days=13))
    assert [row["flagged"] for row in rows] == [False]
    rows = round_engagement(round=round_, now=published.published_at + timedelta(days=15))
    assert [row["flagged"] for row in rows] == [True]


def test_dashboard_card_queries_constant_in_providers(client, coordinator, round_, shared):
    force_login_verified(client, coordinator)
    url = reverse("coordinator-dashboard")
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"round": round_.pk})
    for index in range(6):
        partner = PartnerFactory(
            provider=ServiceProviderFactory(kind=["fund", "training"][index % 2])
        )
        client.force_login(partner)
        client.get(LIST)
        client.get(detail(shared))
    force_login_verified(client, coordinator)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url, {"round": round_.pk}).content.decode()
    assert html.count("<tr data-provider=") == 6
    assert len(many.captured_queries) == len(few.captured_queries)
