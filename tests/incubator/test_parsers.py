"""The API's JSON parser refuses hostile bodies with a 4xx (incubator/api/parsers.py)."""

import pytest
from rest_framework.test import APIClient

from incubator.api.parsers import MAX_DEPTH, nesting_depth
from tests.factories import ApplicationFactory, CoordinatorFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
DEPTH_MESSAGE = f"The JSON body nests arrays and objects deeper than {MAX_DEPTH} levels."


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/auth/register/"])
def test_json_parser_anonymous_deep_body_answers_400_naming_the_nesting(url, body):
    response = _client().post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": DEPTH_MESSAGE}


def test_json_parser_deep_body_to_authenticated_endpoints_answers_400():
    founder = UserFactory()
    draft = ApplicationFactory(startup=StartupFactory(members=[founder]))
    coordinator = CoordinatorFactory()

    responses = [
        _client(founder).patch(
            f"/api/v1/applications/{draft.pk}/", DEEP, content_type="application/json"
        ),
        _client(founder).post("/api/v1/applications/", DEEP, content_type="application/json"),
        _client(coordinator).post("/api/v1/rounds/", DEEP, content_type="application/json"),
        _client(coordinator).post("/api/v1/providers/", DEEP, content_type="application/json"),
    ]

    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert {r.json()["detail"] for r in responses} == {DEPTH_MESSAGE}


def test_json_parser_accepts_nesting_up_to_the_limit():
    # Parsed, then judged by the serializer: a 400 about the fields, not about the nesting.
    body = '{"username": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"

    response = _client().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_json_parser_brackets_inside_strings_are_text():
    body = '{"username": "' + "[" * 5000 + '\\"{", "password": "x"}'

    response = _client().post("/api/v1/auth/token/", body, content_type="application/json")

    # Parsed (no nesting error): the long user name is refused as a value, by its field.
    assert response.status_code == 400
    assert list(response.json()) == ["username"]


def test_json_parser_undecodable_body_answers_400():
    response = _client().post(
        "/api/v1/auth/token/", b'{"username": "\xff"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid utf-8."}


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "\\"[[[["]', 1),
        (DEEP, 5000),
    ],
)
def test_nesting_depth_counts_without_recursion(text, depth):
    assert nesting_depth(text) == depth
