"""Issue 14 end to end, in one test: a coordinator writes a round's questions in the admin in
three languages; a founder's team of three (the owner invites two people on the team page, they
accept through the e-mails' links) answers them on one draft through the portal in Traditional
Chinese, each member some of them, and one submits; a reviewer reads the answers in the
workplace; the export (a download) shows them; and a provider's webhook (a real HTTP receiver)
gets only the shared ones, the start-up having consented to share with the provider's kind."""

import csv
import io
import json

import pytest

from applications.enums import ApplicationStatus
from applications.models import Application
from applications.services import decide_application, transition_application
from incubator.models import Question
from notifications.models import Notification
from notifications.sending import deliver_notification
from tests.browser.helpers import (
    PASSWORD,
    accept,
    fill_sign_up,
    invite,
    log_in,
    open_invitation_and_log_in,
    sign_up_and_join,
)
from tests.factories import (
    MINIMAL_PDF,
    AssignmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PILOT = "=九龍倉, 「試點」"  # typed by a member: a formula's start, a comma, Chinese quotes


def add_question(page, index: int, values: dict) -> None:
    page.click("#questions-group .add-row a")
    prefix = f"#id_questions-{index}-"
    for name, value in values.items():
        field = page.locator(prefix + name)
        if name == "kind":
            field.select_option(value)
        elif value is True:
            field.check()
        else:
            field.fill(value)


def edit_draft(member, application_id: int) -> None:
    """A member opens the team's draft for editing (from its page, as a person would)."""
    member.goto(f"/applications/{application_id}/")
    member.click(f"main a[href='/applications/{application_id}/edit/']")
    member.wait_for_selector("#questions-heading")


def save_draft(member) -> None:
    member.click("form.stacked button[type=submit]")
    member.wait_for_selector("[data-status='draft']")


def test_questions_from_admin_to_a_team_of_three_workplace_export_and_webhook(
    page, new_page, browser, live_server, screenshot, receiver, tmp_path, settings
):
    settings.SITE_URL = live_server.url  # the invitation e-mails' links
    round_ = RoundFactory(name="2026 Autumn intake")
    coordinator = CoordinatorFactory(username="grace")

    # 1. The coordinator writes three questions in three languages: two shared, one not.
    admin_login_in_browser(page, "grace", "pw", totp_code(totp_device(coordinator)))
    page.goto(f"/admin/incubator/round/{round_.pk}/change/")
    add_question(
        page,
        0,
        {
            "order": "1",
            "key": "chain",
            "kind": "choice",
            "required": True,
            "share_with_providers": True,
            "label_en": "Which chain do you build on?",
            "label_zh_hans": "你基于哪条链开发？",
            "label_zh_hant": "你基於哪條鏈開發？",
            "choices_text": "ethereum | Ethereum | 以太坊 | 以太坊\nfisco-bcos | FISCO BCOS",
        },
    )
    add_question(
        page,
        1,
        {
            "order": "2",
            "key": "burn",
            "kind": "number",
            "label_en": "Monthly burn (HKD)",
            "label_zh_hans": "每月开支（港元）",
            "label_zh_hant": "每月開支（港元）",
            "min_value": "0",
        },
    )
    add_question(
        page,
        2,
        {
            "order": "3",
            "key": "pilot",
            "kind": "text",
            "share_with_providers": True,
            "label_en": "Who is your pilot partner?",
            "label_zh_hans": "你的试点伙伴是谁？",
            "label_zh_hant": "你的試點夥伴是誰？",
        },
    )
    screenshot(page, "1-admin-questions")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert [q.key for q in Question.objects.filter(round=round_).order_by("order")] == [
        "chain",
        "burn",
        "pilot",
    ]
    page.goto(f"/admin/incubator/round/{round_.pk}/preview/zh-hant/")
    preview = page.locator("#content").inner_text()
    assert "你基於哪條鏈開發？" in preview
    assert "你的試點夥伴是誰？" in preview
    screenshot(page, "2-preview-zh-hant")

    # 2. The founder builds a team of three through the team page and the e-mails' links.
    founder = UserFactory(username="founder", password=PASSWORD)
    startup = StartupFactory(name="Pearl River Ledger", members=[founder], language="zh-hant")
    UserFactory(username="mei", email="mei@ledger.example", password=PASSWORD)
    owner = new_page()
    owner.goto("/login/")
    log_in(owner, "founder")
    owner.wait_for_url("**/dashboard/")
    owner.click("nav a[href='/startup/team/']")
    for address in ("mei@ledger.example", "kit@ledger.example"):
        invite(owner, address)
    mei = new_page()
    open_invitation_and_log_in(mei, "mei@ledger.example", "mei")
    accept(mei)
    kit = new_page()
    fill_sign_up(kit, "kit@ledger.example", "kit")
    sign_up_and_join(kit)
    owner.goto("/startup/team/")
    assert owner.locator("tr[data-member]").count() == 3
    screenshot(owner, "3-team-of-three")

    # 3. The owner starts the draft in Traditional Chinese: the fixed fields, the chain, and the
    # consent to share with fund providers.
    owner.goto(f"/applications/new/?round={round_.pk}")
    assert owner.locator("html").get_attribute("lang") == "zh-hant"
    assert "你基於哪條鏈開發？" in owner.locator("main").inner_text()
    owner.fill("#id_project_name", "Cross-border trade ledger")
    owner.select_option("#id_track", "finance")
    owner.select_option("#id_stage", "pilot")
    owner.fill("#id_summary", "Letters of credit settled on a permissioned ledger.")
    owner.fill("#id_funding_amount", "800000")
    owner.select_option("#id_funding_currency", "HKD")
    owner.check("#id_needs_0")
    owner.select_option("#id_answer_chain", "fisco-bcos")
    owner.check("input[name=share_with][value=fund]")
    screenshot(owner, "4-owner-starts-the-draft")
    save_draft(owner)
    application = Application.objects.get(startup=startup)
    assert application.answers == {"chain": "fisco-bcos"}
    assert application.share_with == ["fund"]

    # Mei answers the burn on the same draft; Kit the pilot partner, adds the deck and submits.
    edit_draft(mei, application.pk)
    assert mei.locator("#id_answer_chain").input_value() == "fisco-bcos"
    mei.fill("#id_answer_burn", "150000.50")
    screenshot(mei, "5-mei-answers-the-burn")
    save_draft(mei)
    edit_draft(kit, application.pk)
    assert kit.locator("#id_answer_burn").input_value() == "150000.5"
    kit.fill("#id_answer_pilot", PILOT)
    save_draft(kit)
    assert kit.locator("dd[data-answer='chain']").inner_text() == "FISCO BCOS"
    assert kit.locator("dd[data-answer='pilot']").inner_text() == PILOT
    screenshot(kit, "6-kit-sees-every-answer")
    deck = tmp_path / "pitch-deck.pdf"
    deck.write_bytes(MINIMAL_PDF)
    kit.click("a[href$='/files/']")
    kit.set_input_files("#id_file", str(deck))
    kit.click("form.stacked button[type=submit]")
    kit.wait_for_selector("a[href^='/files/']")
    kit.click("main .actions a[href$='/submit/']")
    kit.click("form.actions button[type=submit]")
    kit.wait_for_url("**/dashboard/")
    assert kit.locator("[data-status='submitted']").inner_text() == "已提交"
    screenshot(kit, "7-kit-submitted")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.answers == {"chain": "fisco-bcos", "burn": 150000.5, "pilot": PILOT}

    # 4. A reviewer reads the answers under the fixed fields.
    reviewer = ReviewerFactory(username="ada")
    review = ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer))
    transition_application(
        application=application, to_status=ApplicationStatus.UNDER_REVIEW, actor=coordinator
    )
    workplace = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    reviewer_page = workplace.new_page()
    reviewer_page.goto("/admin/login/")
    reviewer_page.fill("#id_username", "ada")
    reviewer_page.fill("#id_password", "pw")
    reviewer_page.click("input[type=submit]")
    reviewer_page.wait_for_selector("#site-name")
    reviewer_page.goto(f"/admin/reviews/review/{review.pk}/change/")
    assert (
        reviewer_page.locator("dt[data-question='chain']").text_content()
        == "Which chain do you build on?"
    )
    assert reviewer_page.locator("dd[data-answer='chain']").inner_text() == "FISCO BCOS"
    assert reviewer_page.locator("dd[data-answer='burn']").inner_text() == "150000.5"
    assert reviewer_page.locator("dd[data-answer='pilot']").inner_text() == PILOT
    screenshot(reviewer_page, "8-workplace")
    workplace.close()

    # 5. The export shows one column per question, the typed text neutralised.
    shortlist = ShortlistFactory(round=round_, name="Panel")
    ShortlistEntryFactory(shortlist=shortlist, application=application, rank=1)
    page.goto(f"/admin/reviews/shortlist/{shortlist.pk}/change/")
    with page.expect_download() as download_info:
        page.click("a.export-csv")
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert rows[0][-3:] == [
        "Which chain do you build on?",
        "Monthly burn (HKD)",
        "Who is your pilot partner?",
    ]
    assert rows[1][-3:] == ["FISCO BCOS", "150000.5", "'" + PILOT]

    # 6. On acceptance, the fund provider's webhook carries only the shared answers.
    ServiceProviderFactory(kind="fund", webhook_url=f"{receiver.url}/fund")
    transition_application(
        application=application, to_status=ApplicationStatus.SHORTLISTED, actor=coordinator
    )
    decide_application(application=application, status="accepted", actor=coordinator)
    webhook = Notification.objects.get(event="application.accepted", channel="webhook")
    deliver_notification(notification_id=webhook.pk)
    (received,) = receiver.wait_for(1)
    body = json.loads(received.body)
    assert body["type"] == "application.accepted"
    assert body["data"]["startup"]["answers"] == {"chain": "fisco-bcos", "pilot": PILOT}
