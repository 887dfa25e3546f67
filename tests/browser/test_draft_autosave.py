"""The draft form saves itself as the founder types and warns before leaving unsaved changes."""

import pytest

from applications.models import Application
from tests.factories import ApplicationFactory, RoundFactory, StartupFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def founder_page(page):
    founder = UserFactory(username="lin")
    startup = StartupFactory(name="Pearl River Ledger", members=[founder])
    page.goto("/login/")
    page.fill("#id_username", "lin")
    page.fill("#id_password", "pw")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    page.dialogs = []

    def answer(dialog):
        page.dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.startup = startup
    return page


def test_autosave_saves_as_founder_types_and_shows_saved(founder_page, screenshot):
    page = founder_page
    draft = ApplicationFactory(startup=page.startup, round=RoundFactory(), summary="")
    page.goto(f"/applications/{draft.pk}/edit/")
    page.type("#id_summary", "Letters of credit on a ledger.", delay=20)
    page.wait_for_selector("#autosave-status[data-state='saved']")
    assert page.inner_text("#autosave-status").startswith("Saved at ")
    draft.refresh_from_db()
    assert draft.summary == "Letters of credit on a ledger."
    screenshot(page, "saved")

    page.click("a:has-text('Cancel')")  # everything is saved: no warning
    page.wait_for_url(f"**/applications/{draft.pk}/")
    assert page.dialogs == []


def test_autosave_new_application_becomes_the_draft(founder_page):
    page = founder_page
    round_ = RoundFactory()
    page.goto(f"/applications/new/?round={round_.pk}")
    page.fill("#id_project_name", "Harbour pass")
    page.wait_for_selector("#autosave-status[data-state='saved']")
    draft = Application.objects.get()
    assert draft.project_name == "Harbour pass"
    page.wait_for_url(f"**/applications/{draft.pk}/edit/")
    page.select_option("#id_track", "tourism")
    page.wait_for_selector("#autosave-status[data-state='saved']")  # "dirty" until then
    draft.refresh_from_db()
    assert draft.track == "tourism"
    assert Application.objects.count() == 1
    page.click("form.stacked button[type=submit]")  # "Save draft" still works, on the draft
    page.wait_for_url(f"**/applications/{draft.pk}/")
    assert page.dialogs == []


def test_leaving_with_unsaved_changes_warns(founder_page, screenshot):
    page = founder_page
    draft = ApplicationFactory(startup=page.startup, round=RoundFactory(), project_name="Ledger")
    page.goto(f"/applications/{draft.pk}/edit/")
    # A draft needs its project name: emptying it cannot be saved, so the change stays unsaved.
    page.fill("#id_project_name", "")
    page.wait_for_selector("#autosave-status[data-state='error']")
    assert page.inner_text("#autosave-status") == "Not saved: This field is required."
    screenshot(page, "not-saved")

    page.click("a:has-text('Cancel')")
    page.wait_for_timeout(500)
    assert page.dialogs == ["beforeunload"]
    assert page.url.endswith(f"/applications/{draft.pk}/edit/")  # dismissed: still here
    draft.refresh_from_db()
    assert draft.project_name == "Ledger"
