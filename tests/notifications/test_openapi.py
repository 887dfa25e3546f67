"""No generated input makes a providers or notifications endpoint fail (5xx) or answer something
the schema does not document, for a coordinator and for a start-up member."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import (
    CoordinatorFactory,
    NotificationFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)

# Loaded at import time: schemathesis' pytest fixture loader breaks under pytest 9 (ENVIRONMENT.md).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
notifications = schema.include(path_regex=r"^/api/v1/(providers|notifications)/")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_headers(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def coordinator_headers(db, settings):
    # Fuzzed webhook URLs must not make the test resolve host names on the internet.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    provider = ServiceProviderFactory(pk=1)
    NotificationFactory(pk=1, provider=provider, status="failed")
    return token_headers(CoordinatorFactory(username="fuzz-coordinator"))


@pytest.fixture
def member_headers(db):
    user = UserFactory(username="fuzz-member")
    StartupFactory(members=[user])
    return token_headers(user)


@pytest.mark.django_db
@notifications.parametrize()
@FUZZ
def test_notifications_api_never_5xx_as_coordinator(case, coordinator_headers):
    case.call_and_validate(headers=coordinator_headers, checks=CHECKS)


@pytest.mark.django_db
@notifications.parametrize()
@FUZZ
def test_notifications_api_never_5xx_as_startup_member(case, member_headers):
    case.call_and_validate(headers=member_headers, checks=CHECKS)
