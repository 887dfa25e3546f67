"""The incubator endpoints decide who may act before they read the body, and every write
operation of the API has its forbidden roles tried (issue 11, item 5)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api_permission_first import BODIES, CASES, OPEN_TO_ANYONE, build_world, call

pytestmark = pytest.mark.django_db

OWN = [case for case in CASES if case.app == "incubator"]


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("case", OWN, ids=str)
def test_forbidden_role_is_refused_whatever_the_body(case, body):
    world = build_world()

    response = call(case, world, body)

    assert response.status_code == case.expected, response.content


def test_every_write_operation_of_the_schema_has_its_forbidden_roles_listed():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }
    listed = {case.operation for case in CASES}

    assert writes - OPEN_TO_ANYONE - listed == set()
    assert listed - writes == set()
