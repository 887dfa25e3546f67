"""The partners' journey (DESIGN.md §12, issue 15): a founder consents to fund providers only;
the shortlist is published; the fund partner logs in, sees the start-up and marks it interested;
the founder sees the introduction; the training partner sees nothing of it; the founder withdraws
consent; the fund partner's list no longer shows it and its receiver got `consent.withdrawn`."""

import pytest
from django.db import connections
from standardwebhooks import Webhook

from applications.enums import ApplicationStatus
from reviews.shortlists import publish_shortlist
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    PartnerFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, username: str):
    """A browser context of its own for one person, logged in through the portal's log-in."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("main form.stacked button[type=submit]")
    page.wait_for_load_state()
    return page


def test_partner_journey(browser, live_server, screenshot, receiver):
    founder = UserFactory(username="founder")
    startup = StartupFactory(name="Pearl River Ledger", members=[founder])
    round_ = RoundFactory(name="2026 Autumn intake")
    application = ApplicationFactory(
        startup=startup,
        round=round_,
        project_name="Trade ledger",
        status=ApplicationStatus.UNDER_REVIEW,
        needs_fund=True,
        needs_training=True,
        share_fund=False,
        share_training=False,
    )
    shortlist = ShortlistFactory(round=round_, name="Finalists")
    ShortlistEntryFactory(shortlist=shortlist, application=application, rank=1)
    fund = ServiceProviderFactory(
        name="Bay Capital", kind="fund", webhook_url=f"{receiver.url}/fund"
    )
    training = ServiceProviderFactory(name="Skills Hub", kind="training")
    PartnerFactory(username="fiona", provider=fund)
    PartnerFactory(username="tom", provider=training)

    # The founder consents to fund providers only.
    founder_page = signed_in(browser, live_server, "founder")
    founder_page.goto(f"/applications/{application.pk}/consent/")
    assert founder_page.locator("#consent-text").is_visible()
    founder_page.check("#consent-form input[value=fund]")
    screenshot(founder_page, "consent")
    founder_page.click("#consent-form button[type=submit]")
    founder_page.wait_for_url(f"**/applications/{application.pk}/consent/")
    application.refresh_from_db()
    assert application.share_with == ["fund"]

    publish_shortlist(shortlist=shortlist, actor=CoordinatorFactory())

    # The fund partner, from the log-in page's link, sees it and marks it interested.
    fund_page = browser.new_context(base_url=live_server.url).new_page()
    fund_page.goto("/login/")
    fund_page.click("#partner-portal-link")
    fund_page.fill("#id_username", "fiona")
    fund_page.fill("#id_password", "pw")
    fund_page.click("main form.stacked button[type=submit]")
    fund_page.wait_for_url("**/partners/")
    row = fund_page.locator(f"tr[data-application='{application.pk}']")
    assert row.is_visible()
    screenshot(fund_page, "partner-list")
    row.locator("a").click()
    fund_page.check("#interest-form input[value=interested]")
    fund_page.fill("#id_note", "We fund trade ledgers: coffee next week?")
    fund_page.click("#interest-form button[type=submit]")
    fund_page.wait_for_selector("#current-interest")
    screenshot(fund_page, "partner-interested")

    # The founder sees the introduction on the application's page.
    founder_page.goto(f"/applications/{application.pk}/")
    interests = founder_page.locator("#provider-interests")
    assert "Bay Capital" in interests.inner_text()
    assert "We fund trade ledgers" in interests.inner_text()
    screenshot(founder_page, "introduction")

    # The training partner sees nothing of it.
    training_page = signed_in(browser, live_server, "tom")
    training_page.goto("/partners/")
    assert training_page.locator("#no-startups").is_visible()
    assert "Pearl River Ledger" not in training_page.content()
    assert training_page.goto(f"/partners/startups/{application.pk}/").status == 404

    # The founder withdraws consent.
    founder_page.goto(f"/applications/{application.pk}/consent/")
    founder_page.uncheck("#consent-form input[value=fund]")
    founder_page.click("#consent-form button[type=submit]")
    founder_page.wait_for_url(f"**/applications/{application.pk}/consent/")
    screenshot(founder_page, "withdrawn")

    fund_page.goto("/partners/")
    assert fund_page.locator("#no-startups").is_visible()
    screenshot(fund_page, "partner-list-after-withdrawal")

    requests = receiver.wait_for(2)
    bodies = [Webhook(fund.webhook_secret).verify(r.body, r.headers) for r in requests]
    assert [body["type"] for body in bodies] == ["shortlist.published", "consent.withdrawn"]
    assert bodies[1]["data"] == {"application": application.pk, "startup": startup.pk}
    for page in (founder_page, fund_page, training_page):
        page.context.close()
    # The queries ran beside Playwright's event loop, on connections of their own (conftest).
    connections.close_all()
