"""The admin login page renders and a coordinator gets in (proves the browser set-up)."""

import pytest

from tests.factories import CoordinatorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_login_as_coordinator(page, screenshot):
    CoordinatorFactory(username="grace")
    page.goto("/admin/login/")
    page.fill("#id_username", "grace")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    screenshot(page, "admin-index")
    assert page.locator("a", has_text="Applications").first.is_visible()
