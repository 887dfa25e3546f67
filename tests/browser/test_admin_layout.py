"""At 1,366 × 768 (a common laptop) the key columns of the notification and application lists
are on screen without scrolling sideways, in every language (issue 13, the newcomer's fixes)."""

import pytest
from django.db import connections

from applications.enums import ApplicationStatus
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    NotificationFactory,
    StartupFactory,
)
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1366
KEY_COLUMNS = {
    "/admin/notifications/notification/": ["status", "attempts", "sent_at"],
    "/admin/applications/application/": ["stage", "status", "submitted_at"],
}


@pytest.fixture
def laptop(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": 768}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield context, page
    context.close()
    connections.close_all()


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_admin_lists_show_key_columns_within_1366_px(laptop, screenshot, live_server, language):
    context, page = laptop
    for n in range(3):
        NotificationFactory(
            recipient=f"a-rather-long-partner-mailbox-{n}@cross-border-services.example.org"
        )
        ApplicationFactory(
            project_name=f"Cross-border trade finance ledger for Greater Bay Area SMEs {n}",
            startup=StartupFactory(name=f"Qianhai Settlement and Custody Laboratories {n}"),
            status=ApplicationStatus.SUBMITTED,
        )
    device = totp_device(CoordinatorFactory(username="grace"))
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    admin_login_in_browser(page, "grace", "pw", totp_code(device))

    for url, columns in KEY_COLUMNS.items():
        page.goto(url)
        page.wait_for_selector("#result_list")
        screenshot(page, url.strip("/").replace("/", "-"))
        for column in columns:
            for cell in (f"#result_list th.column-{column}", f"#result_list td.field-{column}"):
                box = page.locator(cell).first.bounding_box()
                assert box is not None, cell
                assert box["x"] >= 0, (url, cell, box)
                assert box["x"] + box["width"] <= WIDTH, (url, cell, box)
