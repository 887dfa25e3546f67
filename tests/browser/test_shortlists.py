"""A coordinator builds a shortlist in the admin, exports it and opens the dashboard."""

import csv
import io

import pytest
from django.core.management import call_command

from applications.enums import ApplicationStatus
from applications.models import Application, StatusChange
from incubator.models import Round
from reviews.models import Shortlist
from tests.factories import CoordinatorFactory
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    """Both steps of the admin's log-in: the password, then a code of the coordinator's app."""
    admin_login_in_browser(page, user.username, "pw", totp_code(totp_device(user)))


def test_coordinator_builds_exports_and_sees_the_dashboard(page, screenshot, tmp_path):
    call_command("seed_demo")
    coordinator = CoordinatorFactory(username="ada")
    round_ = Round.objects.get()
    log_in(page, coordinator)

    page.goto("/admin/reviews/shortlist/add/")
    page.select_option("#id_round", str(round_.pk))
    page.fill("#id_name", "Panel shortlist 区块链 🚀")
    page.fill("#id_size", "5")
    screenshot(page, "create-form")
    page.click("input[name=_save]")
    page.wait_for_url("**/change/")
    screenshot(page, "shortlist")

    shortlist = Shortlist.objects.get(name="Panel shortlist 区块链 🚀")
    assert shortlist.entries.count() == 5
    assert page.locator(".inline-related tbody tr.has_original").count() == 5

    with page.expect_download() as download_info:
        page.click("a.export-csv")
    download = download_info.value
    assert download.suggested_filename == f"{round_.name} - Panel shortlist 区块链 🚀.csv"
    saved = tmp_path / "export.csv"
    download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Rank", "Application ID"]
    assert [int(row[1]) for row in rows[1:]] == list(
        shortlist.entries.order_by("rank").values_list("application_id", flat=True)
    )

    page.click("a.publish")
    page.wait_for_selector("text=It cannot be undone")
    screenshot(page, "publish-confirm")
    page.click("input[value='Yes, publish']")
    page.wait_for_url("**/change/")
    shortlist.refresh_from_db()
    assert shortlist.is_published
    assert page.locator("a.publish").count() == 0

    page.goto("/admin/")
    page.click("#coordinator-dashboard-link")
    page.wait_for_selector("svg.chart")
    screenshot(page, "dashboard")
    assert page.locator("svg.chart").count() == 6
    assert page.locator("h1", has_text="Coordinator dashboard").is_visible()


def test_coordinator_decides_with_a_note(page, screenshot):
    call_command("seed_demo")
    coordinator = CoordinatorFactory(username="ada")
    waiting = list(
        Application.objects.filter(status=ApplicationStatus.UNDER_REVIEW).order_by("pk")[:2]
    )
    log_in(page, coordinator)

    page.goto("/admin/applications/application/?status__exact=under_review")
    for application in waiting:
        page.check(f"input.action-select[value='{application.pk}']")
    page.select_option("select[name=action]", "mark_waitlisted")
    page.click("button[name=index]")
    page.wait_for_selector("#id_note")
    page.fill("#id_note", "Strong teams; the panel wants the next cohort.")
    screenshot(page, "decision-note")
    page.click("input.default")
    page.wait_for_selector(".messagelist")
    screenshot(page, "decided")

    notes = StatusChange.objects.filter(
        to_status=ApplicationStatus.WAITLISTED, application__in=waiting
    ).values_list("application_id", "note")
    assert sorted(notes) == [
        (a.pk, "Strong teams; the panel wants the next cohort.") for a in waiting
    ]
