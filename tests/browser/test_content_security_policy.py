"""Every kind of page runs under the enforced Content-Security-Policy without a violation, and
loads nothing from another origin (Swagger UI and Redoc included)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from applications.enums import ApplicationStatus
from incubator.models import Criterion
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page (injected by the browser, not subject to the policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def watched(browser, live_server):
    """A page that records CSP violations, console errors and every URL it requests."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.requested = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()
    connections.close_all()  # the test's own queries ran on a connection of this thread


@pytest.fixture
def people():
    round_ = RoundFactory(name="2026 Autumn intake")
    RoundFactory(name="2026 Spring intake")
    Criterion.objects.create(round=round_, name="Team", weight=1, max_score=10, order=1)
    founder = UserFactory(username="lin")
    startup = StartupFactory(name="Pearl River Ledger", members=[founder])
    ApplicationFactory(startup=startup, round=round_, project_name="Trade ledger")
    reviewer = ReviewerFactory(username="ada")
    reviewed = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    AttachmentFactory(application=reviewed)  # framed in the workplace as a PDF
    review = ReviewFactory(assignment=AssignmentFactory(application=reviewed, reviewer=reviewer))
    CoordinatorFactory(username="grace")
    return {"round": round_, "review": review}


def log_in(page, path: str, username: str) -> None:
    page.goto(path)
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def visit(page, live_server, path: str, ready: str) -> None:
    """Open `path`, wait until `ready` shows, and check the policy held and was obeyed."""
    response = page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert page.evaluate("window.__violations") == [], path
    assert [e for e in page.console_errors if "Content Security Policy" in e] == [], path
    # chrome:// and chrome-extension:// are the browser's own PDF viewer (a framed pitch deck),
    # not the network.
    internal = ("data:", "blob:", "chrome://", "chrome-extension://")
    foreign = [url for url in page.requested if not url.startswith((live_server.url, *internal))]
    assert foreign == [], path


def test_csp_portal_pages_run_without_violation(watched, live_server, people):
    visit(watched, live_server, "/", "main h1")
    visit(watched, live_server, "/login/", "#id_username")
    log_in(watched, "/login/", "lin")
    visit(watched, live_server, "/dashboard/", "main h1")
    visit(watched, live_server, f"/applications/new/?round={people['round'].pk}", "#id_summary")


def test_csp_admin_pages_run_without_violation(watched, live_server, people, screenshot):
    # A coordinator's log-in has a second step (the code an authenticator app shows).
    grace = get_user_model().objects.get(username="grace")
    admin_login_in_browser(watched, "grace", "pw", totp_code(totp_device(grace)))
    assert watched.evaluate("window.__violations") == []
    visit(watched, live_server, "/admin/", "#content-main")
    visit(watched, live_server, "/admin/applications/application/", "#result_list")
    visit(watched, live_server, "/admin/dashboard/", ".dashboard")
    # The round picker submits by a script file now, not an inline handler.
    watched.select_option("#round-select", label="2026 Spring intake")
    watched.wait_for_url("**/admin/dashboard/?round=*")
    assert watched.evaluate("window.__violations") == []
    chosen = f"?round={people['round'].pk}"
    visit(watched, live_server, f"/admin/reviews/review/reviewers/{chosen}", "progress.bar")
    visit(watched, live_server, f"/admin/reviews/review/ranking/{chosen}", ".ranking-filters")
    screenshot(watched, "ranking")


def test_csp_review_workplace_runs_without_violation(watched, live_server, people):
    log_in(watched, "/admin/login/", "ada")
    # The framed pitch deck and the workplace's script (live total, confirmation) included.
    visit(watched, live_server, f"/admin/reviews/review/{people['review'].pk}/change/", "form")
    assert watched.locator("#pitch-deck").count() == 1
    watched.fill("input.score-input", "7")
    assert watched.locator("#review-total").inner_text() == "70.0"
    assert watched.evaluate("window.__violations") == []


def test_csp_api_docs_run_offline_without_violation(watched, live_server, screenshot):
    visit(watched, live_server, "/api/docs/", ".swagger-ui .information-container")
    watched.get_by_text("/api/v1/rounds/", exact=True).first.click()
    watched.wait_for_selector(".opblock.is-open")
    assert watched.evaluate("window.__violations") == []
    screenshot(watched, "swagger")
    visit(watched, live_server, "/api/redoc/", "#redoc-container .api-content")
    assert watched.get_by_text("Incubator application tracking API").first.is_visible()
    screenshot(watched, "redoc")
