"""A coordinator sees on the dashboard that notifications are stuck or failed, and follows the
card to the list of them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.factories import CoordinatorFactory, NotificationFactory
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_outbox_card_leads_to_the_stale_rows(page, screenshot):
    stale = NotificationFactory(
        recipient="stuck@acme.example", next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    Notification.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=2))
    NotificationFactory(recipient="waiting@acme.example")
    NotificationFactory(recipient="gave-up@acme.example", status="failed", attempts=7)
    device = totp_device(CoordinatorFactory(username="grace"))
    admin_login_in_browser(page, "grace", "pw", totp_code(device))  # password, then the code
    page.goto("/admin/dashboard/")

    card = page.locator("section.outbox")
    card.wait_for()
    assert card.locator(".tile .figure").all_inner_texts() == ["2", "1", "1"]
    screenshot(page, "dashboard")
    card.locator("a.tile.warn", has_text="stale").click()

    page.wait_for_selector("#result_list")
    screenshot(page, "stale-list")
    assert "stale=yes" in page.url
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == 1
    assert "stuck@acme.example" in rows[0]
