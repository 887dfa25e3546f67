"""Browser tests: Playwright driving Debian's Chromium against the live test server.

Screenshots go to test-artifacts/screenshots/ (git-ignored) for a person to look at.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from tests.conftest import UNDER_CI

# Playwright's sync API runs an event loop; the ORM in the same test must be allowed beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser(transactional_db) -> Iterator:
    # Function-scoped on purpose: Playwright's event loop gives Django's connection handler a
    # new context, so it must start after the database has been prepared for the test.
    if not CHROMIUM.exists():
        reason = (
            "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
        )
        if UNDER_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    # The test's queries ran in Playwright's context, on a connection of their own: close it, or
    # it keeps the test database busy when it is dropped.
    connections.close_all()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "name")` saves a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, live_server):
    """`new_page()`: a page in a browser of its own (one person), reading Traditional Chinese."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"Accept-Language": "zh-hant"},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()
    # As the `page` fixture does: the queries ran on a connection of Playwright's context.
    connections.close_all()
