"""No generated input makes a providers or notifications endpoint fail (5xx) or answer something
the schema does not document, for a coordinator and for a start-up member."""

import pytest

from tests.api_fuzz import CHECKS, FUZZ, schema, token_headers
from tests.factories import (
    CoordinatorFactory,
    NotificationFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)

notifications = schema.include(path_regex=r"^/api/v1/(providers|notifications)/")
pytestmark = pytest.mark.usefixtures("keep_test_connection")


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
