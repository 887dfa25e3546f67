"""The admin's log-in in a browser: a coordinator's second step, and enrolment with a QR code."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp

from tests.factories import CoordinatorFactory, ReviewerFactory
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_login_as_coordinator_asks_for_the_apps_code(page, screenshot):
    device = totp_device(CoordinatorFactory(username="grace"))
    page.goto("/admin/login/")
    page.fill("#id_username", "grace")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#two-factor-form")
    screenshot(page, "second-step")
    assert page.url.endswith("/admin/login/verify/")

    page.fill("#id_code", totp_code(device))
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#site-name")
    screenshot(page, "admin-index")
    assert page.locator("a", has_text="Applications").first.is_visible()
    assert page.locator("#two-factor-link").is_visible()


def test_admin_login_coordinator_without_a_device_enrols_with_the_qr_page(page, screenshot):
    CoordinatorFactory(username="grace")
    page.goto("/admin/login/")
    page.fill("#id_username", "grace")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#totp-qr-code svg")
    screenshot(page, "enrolment")
    box = page.locator("#totp-qr-code svg").bounding_box()
    assert box["width"] >= 100
    assert box["height"] >= 100

    # What a person types into an app that cannot scan: the secret shown as text.
    secret = re.sub(r"\s", "", page.locator("#totp-secret").inner_text())
    code = f"{totp(b32decode(secret)):06d}"
    page.fill("#id_code", code)
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#recovery-codes")
    screenshot(page, "recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10

    page.click("#continue")
    page.wait_for_selector("#site-name")
    assert page.locator("a", has_text="Applications").first.is_visible()


def test_admin_login_reviewer_with_password_alone(page):
    ReviewerFactory(username="ada")
    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.locator("#two-factor-link").is_visible()


def test_admin_login_helper_goes_through_both_steps(page):
    device = totp_device(CoordinatorFactory(username="lin"))

    admin_login_in_browser(page, "lin", "pw", totp_code(device))

    assert page.url.endswith("/admin/")
