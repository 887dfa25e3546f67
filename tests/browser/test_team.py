"""A founder builds a team of three in Traditional Chinese: two invitations by e-mail, one
accepted by a user who logs in, one by a newcomer who signs up through the link."""

import pytest

from tests.browser.helpers import (
    PASSWORD,
    accept,
    fill_sign_up,
    invite,
    link_for,
    log_in,
    sign_up_and_join,
)
from tests.factories import StartupFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
        invite(owner, address)
    screenshot(owner, "1-owner-invited-two")

    # An existing user opens the link, logs in and accepts.
    mei = new_page()
    mei.goto(link_for("mei@ledger.example"))
    assert "你獲邀加入初創企業 Pearl River Ledger 的團隊" in mei.content()
    mei.click("main a[href^='/login/']")
    log_in(mei, "mei")
    mei.wait_for_selector("text=接受邀請")
    screenshot(mei, "2-existing-user-accepts")
    accept(mei)

    # A newcomer signs up through the link and joins in the same step.
    kit = new_page()
    fill_sign_up(kit, "kit@ledger.example", "kit")
    screenshot(kit, "3-newcomer-signs-up")
    sign_up_and_join(kit)
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
