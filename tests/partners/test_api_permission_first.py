"""The partner endpoints decide who may act before they read the body (issue 11, item 5)."""

import pytest

from tests.api_permission_first import BODIES, CASES, build_world, call

pytestmark = pytest.mark.django_db

OWN = [case for case in CASES if case.app == "partners"]


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("case", OWN, ids=str)
def test_forbidden_role_is_refused_whatever_the_body(case, body):
    world = build_world()

    response = call(case, world, body)

    assert response.status_code == case.expected, response.content
