"""A founder builds a team of three in Traditional Chinese: two invitations by e-mail, one
accepted by a user who logs in, one by a newcomer who signs up through the link."""

import re

import pytest
from django.db import connections

from notifications.emails import render_row
from notifications.models import Notification
from tests.factories import StartupFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pearl-River-2026"


@pytest.fixture
def new_page(browser, live_server):
    """`new_page()`: a page in a browser of its own (one person), reading Traditional Chinese."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"Accept-Language": "zh-hant"},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()
    # As the `page` fixture does: the queries ran on a connection of Playwright's context.
    connections.close_all()


def link_for(address: str) -> str:
    """The link of the invitation e-mail to `address`, as its reader gets it."""
    row = Notification.objects.filter(event="invitation.sent", recipient=address).latest("pk")
    _subject, text, _html = render_row(row).parts()
    return re.search(r"https?://\S+/invitations/[\w-]+/", text).group(0)


def log_in(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")


def test_team_of_three_in_traditional_chinese(new_page, live_server, screenshot, settings):
    settings.SITE_URL = live_server.url
    founder = UserFactory(username="founder", password=PASSWORD)
    StartupFactory(name="Pearl River Ledger", members=[founder], language="zh-hant")
    UserFactory(username="mei", email="mei@ledger.example", password=PASSWORD)

    owner = new_page()
    owner.goto("/login/")
    log_in(owner, "founder")
    owner.wait_for_url("**/dashboard/")
    owner.click("nav a[href='/startup/team/']")
    for address in ("mei@ledger.example", "kit@ledger.example"):
        owner.fill("#id_email", address)
        owner.click("form.stacked button[type=submit]")
        owner.wait_for_selector(f"[data-invitation='{address}']")
    screenshot(owner, "1-owner-invited-two")

    # An existing user opens the link, logs in and accepts.
    mei = new_page()
    mei.goto(link_for("mei@ledger.example"))
    assert "你獲邀加入初創企業 Pearl River Ledger 的團隊" in mei.content()
    mei.click("main a[href^='/login/']")
    log_in(mei, "mei")
    mei.wait_for_selector("text=接受邀請")
    screenshot(mei, "2-existing-user-accepts")
    mei.click("main form button[type=submit]")
    mei.wait_for_url("**/startup/team/")

    # A newcomer signs up through the link and joins in the same step.
    kit = new_page()
    kit.goto(link_for("kit@ledger.example"))
    kit.fill("#id_username", "kit")
    kit.fill("#id_password1", PASSWORD)
    kit.fill("#id_password2", PASSWORD)
    screenshot(kit, "3-newcomer-signs-up")
    kit.click("form.stacked button[type=submit]")
    kit.wait_for_url("**/startup/team/")
    assert "歡迎加入 Pearl River Ledger！" in kit.content()

    owner.goto("/startup/team/")
    rows = owner.locator("tr[data-member]")
    assert rows.count() == 3
    assert sorted(rows.nth(i).get_attribute("data-member") for i in range(3)) == [
        "founder",
        "kit",
        "mei",
    ]
    assert owner.locator("html").get_attribute("lang") == "zh-hant"
    assert owner.locator("[data-role='owner']").inner_text() == "負責人"
    assert owner.locator("[data-role='member']").all_inner_texts() == ["成員", "成員"]
    assert "沒有待接受的邀請。" in owner.content()
    screenshot(owner, "4-team-of-three")
