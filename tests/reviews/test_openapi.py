"""No generated input makes a reviewing, ranking, shortlist or decision endpoint fail (5xx) or
answer something the schema does not document, for a coordinator and for a reviewer."""

import pytest

from applications.enums import ApplicationStatus
from tests.api_fuzz import CHECKS, FUZZ, schema, token_headers
from tests.factories import (
    AssignmentFactory,
    CoordinatorFactory,
    CriterionFactory,
    ReviewFactory,
    ShortlistEntryFactory,
)

reviewing = schema.include(
    path_regex=(
        r"^/api/v1/(assignments|reviews|conflicts|shortlists)/"
        r"|^/api/v1/rounds/\{id\}/(assign|ranking)/"
        r"|^/api/v1/applications/\{id\}/decision/"
    )
)
pytestmark = pytest.mark.usefixtures("keep_test_connection")


@pytest.fixture
def reviewing_data(db):
    """Rows with small ids, so fuzzed ids find something to act on."""
    review = ReviewFactory(
        pk=1,
        assignment=AssignmentFactory(pk=1, application__status=ApplicationStatus.UNDER_REVIEW),
    )
    CriterionFactory(pk=1, round=review.assignment.application.round)
    ShortlistEntryFactory(shortlist__pk=1, shortlist__round=review.assignment.application.round)
    return review


@pytest.fixture
def coordinator_headers(reviewing_data):
    return token_headers(CoordinatorFactory(username="fuzz-coordinator"))


@pytest.fixture
def reviewer_headers(reviewing_data):
    return token_headers(reviewing_data.assignment.reviewer)


@pytest.mark.django_db
@reviewing.parametrize()
@FUZZ
def test_reviewing_api_never_5xx_as_coordinator(case, coordinator_headers):
    case.call_and_validate(headers=coordinator_headers, checks=CHECKS)


@pytest.mark.django_db
@reviewing.parametrize()
@FUZZ
def test_reviewing_api_never_5xx_as_reviewer(case, reviewer_headers):
    case.call_and_validate(headers=reviewer_headers, checks=CHECKS)
