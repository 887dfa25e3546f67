"""The OpenAPI schema is valid; no generated input makes an intake endpoint fail (5xx) or
answer something the schema does not document."""

import pytest
import schemathesis
from django.core.management import call_command
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

from tests.factories import ApplicationFactory, RoundFactory, StartupFactory, UserFactory

# Loaded at import time: schemathesis' pytest fixture loader breaks under pytest 9 (ENVIRONMENT.md).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
intake = schema.include(path_regex=r"^/api/v1/(auth/|rounds/|reviewers/|startups/|applications/)")

# No 5xx for any input; and every answer is one the schema documents (status, type, body), so a
# client generated from the schema understands it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/rounds/{id}/",
        "/api/v1/reviewers/",
        "/api/v1/startups/{id}/",
        "/api/v1/applications/{id}/attachments/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/applications/{id}/withdraw/",
    ):
        assert f"  {path}:" in text
    for enum in ("RegionEnum", "TrackEnum", "StageEnum", "CurrencyEnum", "ApplicationStatusEnum"):
        assert f"    {enum}:" in text


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def member_headers(db):
    user = UserFactory(username="fuzzer")
    startup = StartupFactory(members=[user])
    ApplicationFactory(startup=startup, round=RoundFactory())
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.django_db
@intake.parametrize()
@FUZZ
def test_intake_api_never_5xx_anonymous(case):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@intake.parametrize()
@FUZZ
def test_intake_api_never_5xx_as_startup_member(case, member_headers):
    case.call_and_validate(headers=member_headers, checks=CHECKS)
