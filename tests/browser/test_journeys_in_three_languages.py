"""Each role's journey in English, Simplified and Traditional Chinese, a screenshot at each step
(issue 13, "Done when"). The language is the reader's choice, kept in the `django_language`
cookie as the language switcher sets it; the key texts are read from the catalogues, and in
Chinese they must not be the English words.

Screenshots: test-artifacts/screenshots/test_<role>_journey[<language>]-<step>.png.
"""

import pytest
from django.core.management import call_command
from django.utils import translation

from applications.enums import ApplicationStatus
from applications.models import Application, Startup
from incubator.models import Criterion, Round
from reviews.enums import ReviewStatus
from reviews.models import Review, Shortlist
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
)
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hans", "zh-hant"]


def text(language: str, message: str) -> str:
    """`message` as the catalogue of `language` words it; in Chinese, never the English."""
    with translation.override(language):
        translated = str(translation.gettext(message))
    if language != "en":
        assert translated != message, f"{message!r} is not translated into {language}"
    return translated


def choose_language(page, live_server, language: str) -> None:
    page.set_default_timeout(30_000)  # the machine may be busy: correctness, not speed
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_founder_journey(page, screenshot, live_server, tmp_path, language):
    RoundFactory(name="2026 Autumn intake")
    deck = tmp_path / "pitch-deck.pdf"
    deck.write_bytes(MINIMAL_PDF)
    choose_language(page, live_server, language)

    page.goto("/")
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
    screenshot(page, "3-dashboard")

    page.click("a[href^='/applications/new/']")
    page.fill("#id_project_name", "Cross-border trade ledger")
    page.select_option("#id_track", "finance")
    page.select_option("#id_stage", "pilot")
    page.fill("#id_summary", "Letters of credit settled on a permissioned ledger.")
    page.fill("#id_funding_amount", "800000")
    page.select_option("#id_funding_currency", "HKD")
    page.check("#id_needs_0")
    screenshot(page, "4-draft-form")
    page.click("form.stacked button[type=submit]")
    badge = page.wait_for_selector("[data-status='draft']")
    assert badge.inner_text() == text(language, "Draft")
    screenshot(page, "5-draft")

    page.click("a[href$='/files/']")
    page.set_input_files("#id_file", str(deck))
    screenshot(page, "6-upload")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("a[href^='/files/']")
    assert text(language, "Pitch deck") in page.locator("main").inner_text()
    screenshot(page, "7-with-deck")

    page.click("main .actions a[href$='/submit/']")
    screenshot(page, "8-confirm")
    page.click("form.actions button[type=submit]")
    page.wait_for_url("**/dashboard/")
    badge = page.locator("[data-status='submitted']")
    assert badge.inner_text() == text(language, "Submitted")
    screenshot(page, "9-submitted")

    application = Application.objects.get()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.attachments.get().original_name == "pitch-deck.pdf"
    assert Startup.objects.get().language == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_reviewer_journey(page, screenshot, live_server, language):
    round_ = RoundFactory(name="2026 Autumn intake")
    team = Criterion.objects.create(round=round_, name="Team", weight=2, max_score=10, order=1)
    market = Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2)
    application = ApplicationFactory(
        round=round_,
        project_name="Cross-border trade ledger",
        startup=StartupFactory(name="Qianhai Settlement Labs"),
        status=ApplicationStatus.UNDER_REVIEW,
    )
    AttachmentFactory(application=application, original_name="qianhai-pitch-2026.pdf")
    mine = ReviewFactory(
        assignment=AssignmentFactory(
            application=application, reviewer=ReviewerFactory(username="ada")
        )
    )
    choose_language(page, live_server, language)

    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.locator("html").get_attribute("lang") == language
    screenshot(page, "1-admin-home")
    page.goto("/admin/reviews/assignment/")
    assert text(language, "Your assignments") in page.locator("#content h1").inner_text()
    screenshot(page, "2-assignments")
    page.click("a.button")
    page.wait_for_selector("#review-form")
    assert page.locator("#review-status").inner_text() == text(language, "Draft")
    page.fill(f"#id_criterion_{team.pk}", "8")
    page.fill(f"#id_criterion_{market.pk}", "4")
    page.select_option("#id_recommendation", "accept")
    page.select_option("#id_confidence", "4")
    page.fill("#id_comment", "A strong team with a live pilot at Qianhai.")
    screenshot(page, "3-scoring")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert text(language, "Draft saved.") in page.locator(".messagelist").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())  # "Submitting is final"
    with page.expect_navigation():
        page.click("input[name=_submit]")
    page.wait_for_selector("#review-status")
    assert page.locator("#review-status").inner_text() == text(language, "Submitted")
    screenshot(page, "4-submitted")

    assert Review.objects.get(pk=mine.pk).status == ReviewStatus.SUBMITTED


@pytest.mark.parametrize("language", LANGUAGES)
def test_coordinator_journey(page, screenshot, live_server, language):
    call_command("seed_demo")
    round_ = Round.objects.get()
    coordinator = CoordinatorFactory(username="grace")
    choose_language(page, live_server, language)

    # Both steps of the log-in: the password, then a code of the coordinator's app.
    admin_login_in_browser(page, "grace", "pw", totp_code(totp_device(coordinator)))
    assert page.locator("html").get_attribute("lang") == language
    screenshot(page, "1-admin-home")
    page.click("#coordinator-dashboard-link")
    page.wait_for_selector("svg.chart")
    assert page.locator("h1", has_text=text(language, "Coordinator dashboard")).is_visible()
    screenshot(page, "2-dashboard")

    page.goto(f"/admin/reviews/review/ranking/?round={round_.pk}")
    page.wait_for_selector("table.ranking tbody tr")
    assert text(language, "Ranking") in page.title()
    screenshot(page, "3-ranking")

    page.goto("/admin/reviews/shortlist/add/")
    page.select_option("#id_round", str(round_.pk))
    page.fill("#id_name", "Panel shortlist")
    page.fill("#id_size", "3")
    screenshot(page, "4-shortlist-form")
    page.click("input[name=_save]")
    page.wait_for_url("**/change/")
    screenshot(page, "5-shortlist")
    shortlist = Shortlist.objects.get(name="Panel shortlist")
    assert shortlist.entries.count() == 3

    page.click("a.publish")
    page.wait_for_selector(f"input[value='{text(language, 'Yes, publish')}']")
    screenshot(page, "6-publish-confirm")
    page.click(f"input[value='{text(language, 'Yes, publish')}']")
    page.wait_for_url("**/change/")
    assert page.locator("a.publish").count() == 0
    screenshot(page, "7-published")

    shortlist.refresh_from_db()
    assert shortlist.is_published
