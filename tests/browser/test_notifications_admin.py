"""A coordinator adds a provider in the admin (the secret shown once), reads the delivery log and
retries a failed notification; and the HTML e-mails look like finished e-mails."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incubator.models import ServiceProvider
from notifications.delivery import render_email
from notifications.models import EmailTemplate, Notification, NotificationAttempt
from tests.factories import CoordinatorFactory, NotificationFactory
from tests.notifications.test_templates import PROGRAMME_IN, SHORTLIST, message
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page) -> None:
    """Both steps of the admin's log-in: the password, then a code of the coordinator's app."""
    device = totp_device(CoordinatorFactory(username="grace"))
    admin_login_in_browser(page, "grace", "pw", totp_code(device))


def test_admin_provider_added_shows_secret_once(page, screenshot):
    log_in(page)
    page.goto("/admin/incubator/serviceprovider/add/")
    page.fill("#id_name", "Bay Area Blockchain Fund")
    page.select_option("#id_kind", "fund")
    page.fill("#id_email", "deals@gba-fund.example")
    page.fill("#id_webhook_url", "http://127.0.0.1:9/hooks")
    page.check("input[name=tracks][value=finance]")
    screenshot(page, "provider-form")
    page.click("input[name=_save]")

    # The secret is shown in the body of the page after saving, never in a cookie.
    page.wait_for_selector("#provider-secrets")
    secret = ServiceProvider.objects.get().webhook_secret
    assert page.locator("code.provider-secret").inner_text() == secret
    assert all(secret not in cookie["value"] for cookie in page.context.cookies())
    screenshot(page, "provider-secret-shown")
    page.reload()
    assert secret not in page.content()


def test_admin_delivery_log_and_retry(page, screenshot, mailoutbox):
    failed = NotificationFactory(status="failed", attempts=3, last_error="HTTP 503: busy")
    started = timezone.now() - timedelta(minutes=5)
    for index in range(3):
        NotificationAttempt.objects.create(
            notification=failed,
            started_at=started + timedelta(minutes=index),
            duration_ms=120 + index,
            succeeded=False,
            http_status=503,
            error="HTTP 503: busy",
        )
    log_in(page)
    page.goto(f"/admin/notifications/notification/{failed.pk}/change/")
    assert page.locator("text=HTTP 503: busy").first.is_visible()
    screenshot(page, "delivery-log")

    page.goto("/admin/notifications/notification/")
    page.check(f"input[name=_selected_action][value='{failed.pk}']")
    page.select_option("select[name=action]", "retry")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    screenshot(page, "after-retry")

    assert "1 notification is queued for delivery." in page.locator(".messagelist").inner_text()
    failed.refresh_from_db()
    # Tasks run in-process in these tests: the retry has already delivered it.
    assert failed.status == "sent"
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_html_email_looks_finished(page, screenshot, language):
    _subject, _text, html = render_email(
        message("shortlist_published_provider", SHORTLIST, language)
    )

    page.set_content(html)

    assert page.locator("td", has_text=PROGRAMME_IN[language]).first.is_visible()
    screenshot(page, f"email-{language}")


def test_admin_email_text_edited_previewed_saved_and_reset(page, screenshot):
    NotificationFactory(language="zh-hant")  # a recent receipt: the preview's data
    log_in(page)
    page.goto("/admin/notifications/emailtemplate/")
    page.click("#email-templates tr:has-text('application_submitted') td:nth-child(4) a")
    assert page.locator("#placeholders").inner_text().count("data.startup_name") == 1
    screenshot(page, "email-text-shipped")

    page.fill("#id_text_body", "{{ data.startup_name }}：\n\n已收到「{{ data.project_name }}」。")
    page.click("input[name=_preview]")
    assert page.locator("#preview-text").inner_text().strip() == "Acme：\n\n已收到「Ledger」。"
    assert page.frame_locator("#preview-html").locator("p").first.inner_text() == "Acme："
    screenshot(page, "email-text-preview")
    page.click("input[name=_save]")
    assert "Saved" in page.locator(".messagelist").inner_text()
    assert EmailTemplate.objects.get().language == "zh-hant"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("input[name=_reset]")
    assert "shipped text is used again" in page.locator(".messagelist").inner_text()
    assert EmailTemplate.objects.count() == 0
