"""The applicant's whole journey in the portal, in English and in Traditional Chinese."""

import pytest

from applications.models import Application, Startup
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "switch_label", "submitted_label"),
    [("en", None, "Submitted"), ("zh-hant", "繁體中文", "已提交")],
    ids=["en", "zh-hant"],
)
def test_applicant_journey_signup_to_submitted(
    page, screenshot, tmp_path, language, switch_label, submitted_label
):
    RoundFactory(name="2026 Autumn intake")
    deck = tmp_path / "pitch-deck.pdf"
    deck.write_bytes(MINIMAL_PDF)
    page.set_default_timeout(20_000)

    page.goto("/")
    if switch_label:
        page.click(f".language-switcher button:has-text('{switch_label}')")
        page.wait_for_selector(f"html[lang='{language}']")
    screenshot(page, "1-landing")
    page.click("main a[href='/signup/']")

    page.fill("#id_username", f"founder-{language}")
    page.fill("#id_email", f"founder-{language}@ledger.example")
    page.fill("#id_password1", "Pearl-River-2026")
    page.fill("#id_password2", "Pearl-River-2026")
    page.fill("#id_startup_name", "Pearl River Ledger")
    page.select_option("#id_region", "hong_kong")
    screenshot(page, "2-signup")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/dashboard/")
    screenshot(page, "3-dashboard-empty")

    page.click("a[href^='/applications/new/']")
    page.fill("#id_project_name", "Cross-border trade ledger")
    page.select_option("#id_track", "finance")
    page.select_option("#id_stage", "pilot")
    page.fill("#id_summary", "Letters of credit settled on a permissioned ledger.")
    page.fill("#id_funding_amount", "800000")
    page.select_option("#id_funding_currency", "HKD")
    page.check("#id_needs_0")
    page.check("#id_needs_2")
    screenshot(page, "4-draft-form")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("[data-status='draft']")
    screenshot(page, "5-draft-detail")

    page.click("a[href$='/files/']")
    fake = tmp_path / "not-really.pdf"
    fake.write_bytes(b"<!doctype html><script>alert(1)</script>")
    page.set_input_files("#id_file", str(fake))
    page.click("form.stacked button[type=submit]")
    error = page.wait_for_selector("#id_file_errors")  # after the refused upload's page loads
    assert error.is_visible()
    assert page.locator("#id_file").get_attribute("aria-describedby") == (
        "id_file_errors id_file_helptext"
    )
    screenshot(page, "6-upload-refused")
    page.set_input_files("#id_file", str(deck))
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("a[href^='/files/']")
    screenshot(page, "6b-detail-with-deck")

    page.click("main .actions a[href$='/submit/']")
    screenshot(page, "7-confirm")
    page.click("form.actions button[type=submit]")
    page.wait_for_url("**/dashboard/")
    badge = page.locator("[data-status='submitted']")
    assert badge.inner_text() == submitted_label
    screenshot(page, "8-dashboard-submitted")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "9-dashboard-phone")

    application = Application.objects.get()
    assert application.status == "submitted"
    assert application.needs == ["fund", "testing"]
    assert application.attachments.get().original_name == "pitch-deck.pdf"
    assert Startup.objects.get().language == language


def test_submit_confirmation_lists_what_is_missing(page, screenshot, live_server):

    user = UserFactory(username="lin")
    application = ApplicationFactory(
        startup=StartupFactory(members=[user]), summary="", funding_amount=None
    )
    page.goto("/login/")
    page.fill("#id_username", "lin")
    page.fill("#id_password", "pw")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/dashboard/")
    page.goto(f"/applications/{application.pk}/submit/")
    items = page.locator(".notice li").all_inner_texts()
    screenshot(page, "missing")
    assert items == ["a summary", "the funding amount", "a pitch deck (PDF or PPTX)"]
    assert page.locator("form.actions button[type=submit]").count() == 0
