"""The OpenAPI schema is valid; no generated input makes an intake endpoint fail (5xx) or
answer something the schema does not document."""

import pytest
from django.core.management import call_command

from tests.api_fuzz import CHECKS, FUZZ, schema, token_headers
from tests.factories import ApplicationFactory, RoundFactory, StartupFactory, UserFactory

intake = schema.include(path_regex=r"^/api/v1/(auth/|rounds/|reviewers/|startups/|applications/)")
pytestmark = pytest.mark.usefixtures("keep_test_connection")


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


@pytest.fixture
def member_headers(db):
    user = UserFactory(username="fuzzer")
    startup = StartupFactory(members=[user])
    ApplicationFactory(startup=startup, round=RoundFactory())
    return token_headers(user)


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
