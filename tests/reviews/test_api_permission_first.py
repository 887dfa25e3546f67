"""The reviews endpoints decide who may act before they read the body (issue 11, item 5)."""

import pytest
from rest_framework.test import APIClient

from reviews.models import ConflictOfInterest
from tests.api_permission_first import BODIES, CASES, build_world, call

pytestmark = pytest.mark.django_db

OWN = [case for case in CASES if case.app == "reviews"]


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("case", OWN, ids=str)
def test_forbidden_role_is_refused_whatever_the_body(case, body):
    world = build_world()

    response = call(case, world, body)

    assert response.status_code == case.expected, response.content


@pytest.mark.parametrize(
    "body",
    [
        {"startup": "x", "reason": 7},
        {"startup": ["x"]},
        {},
    ],
)
def test_reviewer_naming_another_reviewer_is_refused_before_the_rest_is_read(body):
    world = build_world()
    reviewer, other = world["users"]["reviewer"], world["users"]["other_reviewer"]
    client = APIClient()
    client.force_authenticate(reviewer)

    response = client.post("/api/v1/conflicts/", {**body, "reviewer": other.pk}, format="json")

    assert response.status_code == 403
    assert ConflictOfInterest.objects.count() == 0


@pytest.mark.parametrize("body", [["reviewer"], "reviewer", 5])
def test_conflict_body_that_is_not_an_object_is_a_400_not_a_500(body):
    world = build_world()
    client = APIClient()
    client.force_authenticate(world["users"]["reviewer"])

    response = client.post("/api/v1/conflicts/", body, format="json")

    assert response.status_code == 400
