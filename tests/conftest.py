"""Fixtures shared by every test, and the rule for tests that need a real service.

A test marked `postgres` or `redis` skips with a reason when the service is not configured, and
fails instead under CI=true, where a missing service is a broken build, not a reason to pass.
"""

import json
import os
import socket
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.utils import translation

from applications.models import Startup
from audit.models import AuditEvent
from incubator.models import ApiToken, ServiceProvider
from incubator.permissions import COORDINATORS_GROUP, REVIEWERS_GROUP
from tests.notifications.receiver import WebhookReceiver
from tests.notifications.smtp_server import SMTPServer
from tests.twofactor import force_login_verified

UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_url() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://…"
    if item.get_closest_marker("redis"):
        url = _redis_url()
        if url is None:
            return "needs Redis: set CELERY_BROKER_URL=redis://…"
        if not _reachable(url):
            return f"needs Redis, but nothing answers at {url}"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A transactional test empties every table afterwards, including the rows that migrations
    # made (the role groups, the default programme); serialized rollback puts them back.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction"):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if UNDER_CI:
        pytest.fail(f"{reason} (CI=true: a missing service fails the build)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as migrated, except that the audit table lets TRUNCATE through: the
    flush after each transactional test truncates every table. UPDATE and DELETE stay refused
    (audit/migrations/0002), and tests/audit/test_append_only.py switches the TRUNCATE trigger
    back on inside its own transaction to prove production refuses it."""
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_truncate")


DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}
# Shorter strings (a user name like "user1") could match an id or a code by chance.
MIN_PERSONAL_LENGTH = 6


def _personal_strings() -> set[str]:
    """What the test database holds that is personal or secret: every e-mail address, person's
    and start-up's name, provider address, webhook URL and secret, and API token."""

    found: set[str] = set()
    for row in get_user_model().objects.values_list("email", "first_name", "last_name"):
        found.update(row)
    for row in Startup.objects.values_list("name", "contact_email", "description"):
        found.update(row)
    for email, url, secret in ServiceProvider.objects.values_list(
        "email", "webhook_url", "webhook_secret"
    ):
        found.update({email, url, secret, secret.removeprefix("whsec_")})
    found.update(ApiToken.objects.values_list("key", flat=True))
    return {text for text in found if text and len(text) >= MIN_PERSONAL_LENGTH}


@pytest.fixture(autouse=True)
def _audit_events_hold_no_personal_data(request):
    """After every test that used the database: no audit event written during it holds an
    e-mail address, a name, a webhook secret or a token of the test's objects in clear
    (DESIGN.md §13: personal data only as HMACs, secrets never)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not DB_FIXTURES & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # tear down after this check
    yield
    if connection.in_atomic_block and connection.needs_rollback:
        return
    leaked = leaked_personal_data()
    assert not leaked, f"audit events hold personal data or secrets in clear: {leaked}"


def leaked_personal_data() -> list[str]:
    """The personal strings and secrets of the test database found in any audit event's data."""
    texts = [
        json.dumps(data, ensure_ascii=False)
        for data in AuditEvent.objects.values_list("data", flat=True)
    ]
    if not texts:
        return []
    return sorted({secret for secret in _personal_strings() for text in texts if secret in text})


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttles and lock-outs count in the cache: every test starts with none counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in the site's default language: a request in Chinese through
    the test client leaves its language active in the thread, which would change the messages
    later tests read."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def coordinator(django_user_model):

    user = django_user_model.objects.create_user(
        "coordinator", "coordinator@example.org", "pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    return user


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's superuser client, its session verified as after a real log-in's second
    step (the admin asks a superuser for one)."""
    force_login_verified(client, admin_user)
    return client


@pytest.fixture
def reviewer_group():

    return Group.objects.get(name=REVIEWERS_GROUP)


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Local servers a test may need, shared by the unit and the integration tests.


@pytest.fixture
def receiver():
    """A webhook receiver of the test's own on a free local port; stopped afterwards."""
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    """Starts a local SMTP server with the given behaviour (see SMTPServer); stopped afterwards."""
    started: list[SMTPServer] = []

    def start(**behaviour) -> SMTPServer:
        server = SMTPServer(**behaviour).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
