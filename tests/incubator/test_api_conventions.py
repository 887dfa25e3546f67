"""What every endpoint shares (DESIGN.md §8), as a generated client relies on it: JSON bodies
only, optional enums as null, 405 for a method a path does not serve, malformed filters as 400
naming them, integer ids, one naming scheme, errors documented and answered as JSON."""

import json
import re

import pytest
from django.core.management import call_command

from applications.enums import ApplicationStatus
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    AttachmentFactory,
    CoordinatorFactory,
    RoundFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path) -> dict:
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    return json.loads(out.read_text())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_operation_ids_are_resource_and_action_and_unique(schema):
    ids = [operation["operationId"] for _path, _method, operation in operations(schema)]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", operation_id) for operation_id in ids), ids
    assert {"rounds_list", "applications_submit", "shortlists_export_csv", "auth_token"} <= set(ids)
    for path, _method, operation in operations(schema):
        assert operation["tags"] == [path.split("/")[3]]


def test_schema_path_ids_are_integers_and_query_enums_are_shared_components(schema):
    components = schema["components"]["schemas"]
    for _path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", parameter
            elif "enum" in parameter["schema"]:
                values = set(parameter["schema"]["enum"])
                assert not any(set(c.get("enum", ())) == values for c in components.values()), (
                    parameter
                )


def test_schema_documents_every_error_as_json_with_its_component(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert "406" in responses, (path, method)
        if "requestBody" in operation:
            assert "415" in responses, (path, method)
            assert set(operation["requestBody"]["content"]) in (
                {"application/json"},
                {"multipart/form-data"},
            ), (path, method)
        for code, response in responses.items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/json"], (path, method, code)
        if "400" in responses:
            schema_ref = responses["400"]["content"]["application/json"]["schema"]["$ref"]
            assert schema_ref == "#/components/schemas/ValidationError"


def test_optional_enums_are_null_in_reads_and_writes():
    founder = UserFactory()
    StartupFactory(members=[founder])
    open_round = RoundFactory()
    api = client_for(founder)

    draft = api.post(
        "/api/v1/applications/", {"round": open_round.pk, "project_name": "Bare"}, format="json"
    )
    assert draft.status_code == 201
    assert (draft.json()["track"], draft.json()["stage"], draft.json()["funding_currency"]) == (
        None,
        None,
        None,
    )
    url = f"/api/v1/applications/{draft.json()['id']}/"
    assert api.patch(url, {"track": "finance"}, format="json").json()["track"] == "finance"
    assert api.patch(url, {"track": None}, format="json").json()["track"] is None
    blank = api.patch(url, {"stage": ""}, format="json")
    assert blank.status_code == 400
    assert list(blank.json()) == ["stage"]


def test_bodies_are_json_only_and_files_multipart_only():
    founder = UserFactory()
    StartupFactory(members=[founder])
    open_round = RoundFactory()
    api = client_for(founder)

    form = api.post("/api/v1/applications/", {"round": open_round.pk, "project_name": "Form"})
    assert form.status_code == 415
    token = client_for().post(
        "/api/v1/auth/token/",
        "username=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert token.status_code == 415
    draft = ApplicationFactory(startup=founder.startups.get(), round=open_round)
    as_json = api.post(
        f"/api/v1/applications/{draft.pk}/attachments/", {"kind": "pitch_deck"}, format="json"
    )
    assert as_json.status_code == 415


@pytest.mark.parametrize("method", ["trace", "delete", "put"])
def test_a_method_a_path_does_not_serve_is_405_whoever_asks(method):
    for user in (None, UserFactory(), CoordinatorFactory()):
        response = client_for(user).generic(method.upper(), "/api/v1/rounds/1/")

        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
        assert response["Allow"] == "GET, HEAD, OPTIONS, PATCH"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/applications/", "round"),
        ("/api/v1/assignments/", "round"),
        ("/api/v1/assignments/", "reviewer"),
        ("/api/v1/shortlists/", "round"),
        ("/api/v1/notifications/", "provider"),
    ],
)
def test_id_filters_malformed_is_400_naming_it_and_unknown_is_an_empty_page(path, parameter):
    ShortlistFactory()
    api = client_for(CoordinatorFactory())

    for malformed in ("abc", "1.5", str(2**64)):
        response = api.get(path, {parameter: malformed})
        assert response.status_code == 400, (malformed, response.content)
        assert list(response.json()) == [parameter]
    for unknown in ("0", "99999", "-3"):
        response = api.get(path, {parameter: unknown})
        assert response.status_code == 200, (unknown, response.content)
        assert response.json()["count"] == 0


@pytest.mark.parametrize(
    ("suffix", "accept"),
    [
        ("export.csv", "text/csv"),
        ("export.csv", "*/*"),
        ("export.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("export.xlsx", "*/*"),
    ],
)
def test_export_errors_answer_json_whatever_accept_says(suffix, accept):
    shortlist = ShortlistFactory()

    anonymous = client_for().get(f"/api/v1/shortlists/{shortlist.pk}/{suffix}", HTTP_ACCEPT=accept)
    missing = client_for(CoordinatorFactory()).get(
        f"/api/v1/shortlists/999999/{suffix}", HTTP_ACCEPT=accept
    )

    assert (anonymous.status_code, anonymous["Content-Type"]) == (401, "application/json")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")
    assert "detail" in missing.json()


def test_export_asked_in_a_type_it_does_not_have_is_406_in_json():
    shortlist = ShortlistFactory()

    response = client_for(CoordinatorFactory()).get(
        f"/api/v1/shortlists/{shortlist.pk}/export.csv", HTTP_ACCEPT="application/pdf"
    )

    assert (response.status_code, response["Content-Type"]) == (406, "application/json")


def test_decision_answers_absolute_attachment_urls():
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    AttachmentFactory(application=application)

    response = client_for(CoordinatorFactory()).post(
        f"/api/v1/applications/{application.pk}/decision/",
        {"status": "rejected", "note": "Out of scope"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["attachments"][0]["url"].startswith("http://testserver/files/")
