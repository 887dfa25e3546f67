"""Issue 14 end to end: a coordinator writes a round's questions in the admin in three
languages, a founder answers them through the portal in Traditional Chinese, a reviewer reads
the answers in the workplace, the export shows them, and a provider's webhook (a real HTTP
receiver) gets only the shared ones."""

import csv
import io
import json

import pytest

from applications.enums import ApplicationStatus
from applications.models import Application
from applications.services import decide_application, submit_application, transition_application
from incubator.models import Question
from notifications.models import Notification
from notifications.sending import deliver_notification
from tests.factories import (
    AssignmentFactory,
    AttachmentFactory,
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


def test_questions_from_admin_to_portal_workplace_export_and_webhook(
    page, browser, live_server, screenshot, receiver, tmp_path
):
    round_ = RoundFactory(name="2026 Autumn intake")
    coordinator = CoordinatorFactory(username="grace")

    # 1. The coordinator writes two questions in three languages: one shared, one not.
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
    screenshot(page, "1-admin-questions")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert [q.key for q in Question.objects.filter(round=round_).order_by("order")] == [
        "chain",
        "burn",
    ]
    page.goto(f"/admin/incubator/round/{round_.pk}/preview/zh-hant/")
    assert "你基於哪條鏈開發？" in page.locator("#content").inner_text()
    screenshot(page, "2-preview-zh-hant")

    # 2. A founder answers them in Traditional Chinese through the portal.
    founder = UserFactory(username="mei")
    startup = StartupFactory(name="Pearl River Ledger", members=[founder])
    portal = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    portal.add_cookies([{"name": "django_language", "value": "zh-hant", "url": live_server.url}])
    founder_page = portal.new_page()
    founder_page.set_default_timeout(30_000)
    founder_page.goto("/login/")
    founder_page.fill("#id_username", "mei")
    founder_page.fill("#id_password", "pw")
    founder_page.click("form.stacked button[type=submit]")
    founder_page.wait_for_url("**/dashboard/")
    founder_page.goto(f"/applications/new/?round={round_.pk}")
    assert "你基於哪條鏈開發？" in founder_page.locator("main").inner_text()
    founder_page.fill("#id_project_name", "Cross-border trade ledger")
    founder_page.select_option("#id_track", "finance")
    founder_page.select_option("#id_stage", "pilot")
    founder_page.fill("#id_summary", "Letters of credit settled on a permissioned ledger.")
    founder_page.fill("#id_funding_amount", "800000")
    founder_page.select_option("#id_funding_currency", "HKD")
    founder_page.check("#id_needs_0")
    founder_page.select_option("#id_answer_chain", "fisco-bcos")
    founder_page.fill("#id_answer_burn", "150000.50")
    screenshot(founder_page, "3-portal-form-zh-hant")
    founder_page.click("form.stacked button[type=submit]")
    founder_page.wait_for_selector("[data-status='draft']")
    assert founder_page.locator("dd[data-answer='chain']").inner_text() == "FISCO BCOS"
    screenshot(founder_page, "4-portal-draft")
    portal.close()
    application = Application.objects.get(startup=startup)
    assert application.answers == {"chain": "fisco-bcos", "burn": 150000.5}

    # Submitted (with a pitch deck), then under review.
    AttachmentFactory(application=application)
    submit_application(actor=founder, application=application)

    # 3. A reviewer reads the answers under the fixed fields.
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
    screenshot(reviewer_page, "5-workplace")
    workplace.close()

    # 4. The export shows one column per question.
    shortlist = ShortlistFactory(round=round_, name="Panel")
    ShortlistEntryFactory(shortlist=shortlist, application=application, rank=1)
    page.goto(f"/admin/reviews/shortlist/{shortlist.pk}/change/")
    with page.expect_download() as download_info:
        page.click("a.export-csv")
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Which chain do you build on?", "Monthly burn (HKD)"]
    assert rows[1][-2:] == ["FISCO BCOS", "150000.5"]

    # 5. On acceptance, a fund provider's webhook carries only the shared answer.
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
    assert body["data"]["startup"]["answers"] == {"chain": "fisco-bcos"}
