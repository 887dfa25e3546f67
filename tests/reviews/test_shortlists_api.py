"""The shortlist, export and decision endpoints: the allowed path and every forbidden role."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from applications.enums import ApplicationStatus
from applications.models import StatusChange
from reviews.shortlists import create_shortlist, publish_shortlist
from tests.factories import (
    ApplicationFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)
from tests.reviews.scoring import scored_application
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return RoundFactory(name="Autumn 秋季")


@pytest.fixture
def ranked(round_):
    return [scored_application(round_, [v, v]) for v in (9, 7, 5)]


@pytest.fixture
def shortlist(round_, ranked, coordinator):
    return create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)


@pytest.fixture
def as_coordinator(client, coordinator):
    force_login_verified(client, coordinator)
    return client


def founder():
    user = UserFactory()
    StartupFactory(members=[user])
    return user


def other_roles():
    return {"reviewer": ReviewerFactory(), "startup member": founder()}


def shortlist_urls(pk):
    return [
        ("get", "/api/v1/shortlists/"),
        ("post", "/api/v1/shortlists/"),
        ("get", f"/api/v1/shortlists/{pk}/"),
        ("post", f"/api/v1/shortlists/{pk}/publish/"),
        ("post", f"/api/v1/shortlists/{pk}/add/"),
        ("post", f"/api/v1/shortlists/{pk}/remove/"),
        ("get", f"/api/v1/shortlists/{pk}/export.csv"),
        ("get", f"/api/v1/shortlists/{pk}/export.xlsx"),
    ]


def test_shortlist_endpoints_answer_401_to_anonymous(shortlist, ranked):
    client = Client()
    urls = [
        *shortlist_urls(shortlist.pk),
        ("post", f"/api/v1/applications/{ranked[0].pk}/decision/"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"


def test_shortlist_endpoints_answer_403_to_other_roles(shortlist, ranked):
    urls = [
        *shortlist_urls(shortlist.pk),
        ("post", f"/api/v1/applications/{ranked[0].pk}/decision/"),
    ]
    for role, user in other_roles().items():
        client = Client()
        client.force_login(user)
        for method, url in urls:
            response = getattr(client, method)(url, {"status": "accepted"})
            assert response.status_code == 403, (role, url)
    assert StatusChange.objects.count() == 0
    assert shortlist.entries.count() == 2


def test_shortlist_token_authentication_works(shortlist, coordinator):
    token = Token.objects.create(user=coordinator)
    response = Client().get("/api/v1/shortlists/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_shortlist_create_returns_201_with_the_snapshot(as_coordinator, round_, ranked):
    response = as_coordinator.post(
        "/api/v1/shortlists/",
        {"round": round_.pk, "name": "Best", "size": 2, "method": "raw", "track": "finance"},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["method"], body["filters"]) == ("Best", "raw", {"track": "finance"})
    assert body["published_at"] is None
    assert [(e["rank"], e["application"], e["raw_score"]) for e in body["entries"]] == [
        (1, ranked[0].pk, 90.0),
        (2, ranked[1].pk, 70.0),
    ]
    assert body["entries"][0]["startup_name"] == ranked[0].startup.name


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x"}, "size"),
        ({"name": "x", "size": 0}, "size"),
        ({"name": "x", "size": 2, "track": "space"}, "track"),
        ({"name": "x", "size": 2, "method": "median"}, "method"),
        ({"name": "x", "size": 2, "round": 99999}, "round"),
        ({"name": "x", "size": "ten"}, "size"),
    ],
)
def test_shortlist_create_bad_value_is_400_naming_the_field(
    as_coordinator, round_, ranked, payload, field
):
    response = as_coordinator.post(
        "/api/v1/shortlists/", {"round": round_.pk, **payload}, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert round_.shortlists.count() == 0


def test_shortlist_create_duplicate_name_is_400(as_coordinator, shortlist, round_):
    response = as_coordinator.post(
        "/api/v1/shortlists/",
        {"round": round_.pk, "name": "Top 2", "size": 1},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_shortlist_detail_and_missing(as_coordinator, shortlist):
    assert as_coordinator.get(f"/api/v1/shortlists/{shortlist.pk}/").json()["id"] == shortlist.pk
    assert as_coordinator.get("/api/v1/shortlists/99999/").status_code == 404


def test_shortlist_list_query_count_is_constant(
    as_coordinator, coordinator, django_assert_num_queries
):
    def make(count, size):
        round_ = RoundFactory()
        for index in range(size):
            scored_application(round_, [1 + index % 10])
        for number in range(count):
            create_shortlist(round=round_, name=f"S{number}", actor=coordinator, size=size)

    make(1, 1)
    # 7 with the device that verified the session (django-otp).
    with django_assert_num_queries(7) as one:
        assert as_coordinator.get("/api/v1/shortlists/").json()["count"] == 1
    make(6, 8)
    with django_assert_num_queries(7) as many:
        assert as_coordinator.get("/api/v1/shortlists/").json()["count"] == 7
    assert len(one.captured_queries) == len(many.captured_queries)


def test_shortlist_publish_twice_answers_200_and_changes_once(as_coordinator, shortlist, ranked):
    first = as_coordinator.post(f"/api/v1/shortlists/{shortlist.pk}/publish/")
    second = as_coordinator.post(f"/api/v1/shortlists/{shortlist.pk}/publish/")

    assert first.status_code == second.status_code == 200
    assert first.json()["published_at"] == second.json()["published_at"] is not None
    assert [e["status"] for e in second.json()["entries"]] == ["shortlisted", "shortlisted"]
    assert StatusChange.objects.count() == 2


def test_shortlist_publish_with_a_withdrawn_entry_is_409(as_coordinator, shortlist, ranked):
    ApplicationFactory._meta.model.objects.filter(pk=ranked[0].pk).update(
        status=ApplicationStatus.WITHDRAWN
    )

    response = as_coordinator.post(f"/api/v1/shortlists/{shortlist.pk}/publish/")

    assert response.status_code == 409
    assert ranked[0].project_name in response.json()["detail"]


def test_shortlist_add_and_remove_with_a_reason(as_coordinator, shortlist, ranked):
    added = as_coordinator.post(
        f"/api/v1/shortlists/{shortlist.pk}/add/",
        {"application": ranked[2].pk, "reason": "Pilot with the port"},
        content_type="application/json",
    )
    removed = as_coordinator.post(
        f"/api/v1/shortlists/{shortlist.pk}/remove/",
        {"application": ranked[0].pk, "reason": "Conflict"},
        content_type="application/json",
    )

    assert added.status_code == removed.status_code == 200
    assert [e["application"] for e in removed.json()["entries"]] == [ranked[1].pk, ranked[2].pk]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"reason": "x"}, "application"), ({"application": 1}, "reason")],
)
def test_shortlist_add_bad_value_is_400(as_coordinator, shortlist, payload, field):
    response = as_coordinator.post(
        f"/api/v1/shortlists/{shortlist.pk}/add/", payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_shortlist_add_unknown_application_is_400(as_coordinator, shortlist):
    response = as_coordinator.post(
        f"/api/v1/shortlists/{shortlist.pk}/add/",
        {"application": 99999, "reason": "x"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["application"]


def test_shortlist_add_after_publishing_is_409(as_coordinator, shortlist, ranked, coordinator):
    publish_shortlist(shortlist=shortlist, actor=coordinator)

    response = as_coordinator.post(
        f"/api/v1/shortlists/{shortlist.pk}/add/",
        {"application": ranked[2].pk, "reason": "late"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert shortlist.entries.count() == 2


def test_shortlist_export_csv_streams_with_bom_and_safe_name(as_coordinator, shortlist, ranked):
    response = as_coordinator.get(f"/api/v1/shortlists/{shortlist.pk}/export.csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Autumn%20%E7%A7%8B%E5%AD%A3%20-%20Top%202.csv"
    )
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [str(ranked[0].pk), str(ranked[1].pk)]


def test_shortlist_export_csv_accepts_text_csv(as_coordinator, shortlist):
    response = as_coordinator.get(
        f"/api/v1/shortlists/{shortlist.pk}/export.csv", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200


def test_shortlist_export_xlsx(as_coordinator, shortlist):

    response = as_coordinator.get(f"/api/v1/shortlists/{shortlist.pk}/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 3


def test_shortlist_export_headers_follow_the_language(as_coordinator, shortlist):
    response = as_coordinator.get(
        f"/api/v1/shortlists/{shortlist.pk}/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text)))[0] == "排名"


def test_shortlist_export_missing_is_404(as_coordinator):
    assert as_coordinator.get("/api/v1/shortlists/99999/export.csv").status_code == 404


def test_decision_moves_the_application_with_a_note(as_coordinator, ranked, coordinator):
    response = as_coordinator.post(
        f"/api/v1/applications/{ranked[0].pk}/decision/",
        {"status": "waitlisted", "note": "Strong, but later."},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "waitlisted"
    assert response.json()["decided_at"] is not None
    change = StatusChange.objects.get()
    assert (change.to_status, change.note, change.actor) == (
        "waitlisted",
        "Strong, but later.",
        coordinator,
    )


def test_decision_separates_the_note_from_the_message_to_the_applicant(
    as_coordinator, ranked, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_coordinator.post(
            f"/api/v1/applications/{ranked[0].pk}/decision/",
            {
                "status": "rejected",
                "note": "Reviewer 2 scored the team 2/10.",
                "message_to_applicant": "Thank you; please apply again next year.",
            },
            content_type="application/json",
        )

    assert response.status_code == 200
    change = StatusChange.objects.get()
    assert (change.note, change.message_to_applicant) == (
        "Reviewer 2 scored the team 2/10.",
        "Thank you; please apply again next year.",
    )
    [email] = mailoutbox
    assert "Thank you; please apply again next year." in email.body
    assert "Reviewer 2" not in email.body + email.alternatives[0][0]


def test_decision_message_too_long_is_400(as_coordinator, ranked):
    response = as_coordinator.post(
        f"/api/v1/applications/{ranked[0].pk}/decision/",
        {"status": "rejected", "message_to_applicant": "x" * 2001},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["message_to_applicant"]
    assert StatusChange.objects.count() == 0


@pytest.mark.parametrize("value", ["submitted", "withdrawn", "maybe", ""])
def test_decision_bad_status_is_400(as_coordinator, ranked, value):
    response = as_coordinator.post(
        f"/api/v1/applications/{ranked[0].pk}/decision/",
        {"status": value},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_decision_not_allowed_now_is_409(as_coordinator):
    final = ApplicationFactory(status=ApplicationStatus.REJECTED)

    response = as_coordinator.post(
        f"/api/v1/applications/{final.pk}/decision/",
        {"status": "accepted"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert "final status" in response.json()["detail"]
    assert StatusChange.objects.count() == 0


def test_decision_missing_application_is_404(as_coordinator):
    response = as_coordinator.post(
        "/api/v1/applications/99999/decision/",
        {"status": "accepted"},
        content_type="application/json",
    )

    assert response.status_code == 404


def test_shortlist_endpoints_are_in_the_schema(as_coordinator):
    schema = as_coordinator.get("/api/schema/?format=json").json()

    paths = schema["paths"]
    for path in [
        "/api/v1/shortlists/",
        "/api/v1/shortlists/{id}/",
        "/api/v1/shortlists/{id}/publish/",
        "/api/v1/shortlists/{id}/add/",
        "/api/v1/shortlists/{id}/remove/",
        "/api/v1/shortlists/{id}/export.csv",
        "/api/v1/shortlists/{id}/export.xlsx",
        "/api/v1/applications/{id}/decision/",
    ]:
        assert path in paths, path
    decision = paths["/api/v1/applications/{id}/decision/"]["post"]["responses"]
    assert sorted(decision) == ["200", "400", "401", "403", "404", "406", "409", "415"]
    assert schema["components"]["schemas"]["DecisionStatusEnum"]["enum"] == [
        "shortlisted",
        "accepted",
        "waitlisted",
        "rejected",
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"size": 2**31}, "size"),
        ({"size": 2**63}, "size"),
        ({"size": 10**40}, "size"),
        ({"size": 2, "min_reviews": 2**31}, "min_reviews"),
    ],
)
def test_shortlist_create_number_beyond_the_column_is_400_naming_it(
    as_coordinator, round_, ranked, payload, field
):
    response = as_coordinator.post(
        "/api/v1/shortlists/",
        {"round": round_.pk, "name": "Huge", **payload},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert round_.shortlists.count() == 0


def test_shortlist_create_largest_size_takes_everyone(as_coordinator, round_, ranked):
    response = as_coordinator.post(
        "/api/v1/shortlists/",
        {"round": round_.pk, "name": "All", "size": 2**31 - 1},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["entry_count"] == 3


def test_shortlist_create_name_with_a_control_character_is_400(as_coordinator, round_, ranked):
    response = as_coordinator.post(
        "/api/v1/shortlists/",
        {"round": round_.pk, "name": "Top\u0097", "size": 2},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "name": ["Use a single line of text without control characters (found U+0097)."]
    }
    assert round_.shortlists.count() == 0
