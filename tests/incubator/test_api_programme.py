"""Registration, tokens, rounds with their rubric, reviewer accounts (issue 3)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Startup
from audit.models import AuditEvent
from incubator.models import Criterion, Round
from reviews.models import ReviewerProfile
from tests.applications.conftest import client_for
from tests.factories import (
    CriterionFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ROUNDS = "/api/v1/rounds/"
REVIEWERS = "/api/v1/reviewers/"

GOOD = {
    "username": "alice",
    "email": "alice@ledger.example",
    "password": "Pearl-River-2026",
    "startup_name": "Pearl River Ledger",
    "region": "hong_kong",
}


# --- register and token ---------------------------------------------------------------------


def test_register_201_creates_user_startup_token():
    response = client_for().post(REGISTER, GOOD, format="json")
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="alice")
    startup = Startup.objects.get()
    assert body["user"] == {"id": user.pk, "username": "alice", "email": "alice@ledger.example"}
    assert body["startup"] == {
        "id": startup.pk,
        "name": "Pearl River Ledger",
        "region": "hong_kong",
    }
    assert list(startup.members.all()) == [user]
    assert startup.contact_email == "alice@ledger.example"
    assert startup.language == "en"
    me = client_for()
    me.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.get("/api/v1/startups/").json()["count"] == 1


def test_register_in_chinese_sets_startup_language():
    response = client_for().post(REGISTER, GOOD, format="json", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 201
    assert Startup.objects.get().language == "zh-hant"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "has space"),
        ("username", "x" * 151),
        ("email", "nope"),
        ("password", "123"),
        ("password", "password"),
        ("startup_name", ""),
        ("region", "tokyo"),
        ("startup_name", "\u0097"),
        ("startup_name", "Pearl\u202eRiver"),
        ("username", "alice\u0097"),
        ("email", "alice\u200b@ledger.example"),
    ],
)
def test_register_bad_value_400_nothing_created(field, value):
    response = client_for().post(REGISTER, {**GOOD, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0
    assert Startup.objects.count() == 0


def test_register_taken_username_400():
    UserFactory(username="Alice")
    response = client_for().post(REGISTER, GOOD, format="json")
    assert response.status_code == 400
    assert response.json()["username"] == ["This user name is taken."]
    assert Startup.objects.count() == 0


def test_token_200_and_bad_password_400():
    UserFactory(username="bob")
    response = client_for().post(TOKEN, {"username": "bob", "password": "pw"}, format="json")
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40
    bad = client_for().post(TOKEN, {"username": "bob", "password": "no"}, format="json")
    assert bad.status_code == 400
    assert "non_field_errors" in bad.json()


# --- rounds ---------------------------------------------------------------------------------


def round_body(**overrides):
    now = timezone.now()
    body = {
        "name": "2027 Spring intake",
        "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=31)).isoformat(),
        "review_deadline": (now + timedelta(days=61)).isoformat(),
        "reviews_per_application": 2,
        "criteria": [
            {"name": "Team", "description": "Who builds it", "weight": "2.00", "max_score": 10},
            {"name": "Market", "weight": "1.50", "max_score": 5},
        ],
    }
    body.update(overrides)
    return body


def test_rounds_list_anonymous_200_with_criteria_and_is_open():
    round_ = RoundFactory(name="Open now")
    CriterionFactory(round=round_, name="Team", weight="2.00", max_score=10)
    RoundFactory(
        name="Past",
        opens_at=timezone.now() - timedelta(days=60),
        closes_at=timezone.now() - timedelta(days=30),
    )
    response = client_for().get(ROUNDS)
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["Open now"]["is_open"] is True
    assert rows["Past"]["is_open"] is False
    assert rows["Open now"]["criteria"][0] == {
        "id": round_.criteria.get().pk,
        "name": "Team",
        "description": "",
        "weight": "2.00",
        "max_score": 10,
        "levels": {},
    }
    assert client_for().get(f"{ROUNDS}{round_.pk}/").status_code == 200


def test_rounds_list_query_count_same_for_1_and_50(django_assert_num_queries):
    CriterionFactory(round=RoundFactory())
    client = client_for()
    with CaptureQueriesContext(connection) as one:
        client.get(ROUNDS)
    for _ in range(49):
        CriterionFactory(round=RoundFactory())
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(ROUNDS, {"page_size": 200}).json()["count"] == 50


def test_round_create_coordinator_201(coordinator):
    response = client_for(coordinator).post(ROUNDS, round_body(), format="json")
    assert response.status_code == 201
    round_ = Round.objects.get(name="2027 Spring intake")
    assert response.json()["programme"] == round_.programme_id
    assert response.json()["is_open"] is False
    assert list(round_.criteria.values_list("name", "max_score", "order")) == [
        ("Team", 10, 0),
        ("Market", 5, 1),
    ]


def test_round_panel_rule_defaults_to_none_and_is_written_on_create_and_patch(coordinator):
    client = client_for(coordinator)
    plain = client.post(ROUNDS, round_body(), format="json").json()
    assert plain["panel_rule"] == "none"
    mixed = client.post(ROUNDS, round_body(name="Mixed", panel_rule="mixed"), format="json")
    assert (mixed.status_code, mixed.json()["panel_rule"]) == (201, "mixed")
    assert client_for().get(f"{ROUNDS}{plain['id']}/").json()["panel_rule"] == "none"
    patched = client.patch(f"{ROUNDS}{plain['id']}/", {"panel_rule": "outside"}, format="json")
    assert (patched.status_code, patched.json()["panel_rule"]) == (200, "outside")
    # One event for the change, holding the settings it changed (DESIGN.md §13: round.changed).
    event = AuditEvent.objects.get(action="round.changed", object_id=str(plain["id"]))
    assert event.data == {"fields": {"panel_rule": "outside"}}
    assert event.actor == coordinator.pk
    refused = client.patch(f"{ROUNDS}{plain['id']}/", {"panel_rule": "nobody"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["panel_rule"]
    assert Round.objects.get(pk=plain["id"]).panel_rule == "outside"
    # A patch that leaves the rule alone records what it did change, not the rule.
    client.patch(f"{ROUNDS}{plain['id']}/", {"name": "Renamed"}, format="json")
    last = AuditEvent.objects.filter(action="round.changed").latest("seq")
    assert last.data == {"fields": {"name": "Renamed"}}


@pytest.mark.parametrize("role", ["anonymous", "founder", "reviewer"])
def test_round_create_forbidden(request, role):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    response = client_for(user).post(ROUNDS, round_body(), format="json")
    assert response.status_code == (401 if user is None else 403)
    assert Round.objects.filter(name="2027 Spring intake").count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closes_at": (timezone.now() - timedelta(days=5)).isoformat()}, "closes_at"),
        ({"review_deadline": timezone.now().isoformat()}, "review_deadline"),
        ({"reviews_per_application": 0}, "reviews_per_application"),
        ({"criteria": [{"name": "A", "weight": "0"}]}, "criteria"),
        ({"criteria": [{"name": "A"}, {"name": "A"}]}, "criteria"),
        ({"criteria": [{"name": "A", "max_score": 0}]}, "criteria"),
        ({"name": ""}, "name"),
        ({"panel_rule": "balanced"}, "panel_rule"),
        ({"panel_rule": None}, "panel_rule"),
    ],
)
def test_round_create_bad_value_400(coordinator, overrides, field):
    response = client_for(coordinator).post(ROUNDS, round_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Round.objects.filter(name="2027 Spring intake").count() == 0


def test_round_patch_rubric_replaces_criteria(coordinator):
    round_ = RoundFactory()
    keep = CriterionFactory(round=round_, name="Team")
    CriterionFactory(round=round_, name="Dropped")
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"id": keep.pk, "name": "Team and advisors"}, {"name": "Impact"}]},
        format="json",
    )
    assert response.status_code == 200
    assert list(round_.criteria.order_by("order").values_list("name", flat=True)) == [
        "Team and advisors",
        "Impact",
    ]


def test_round_patch_scored_rubric_409(coordinator):
    review = ReviewFactory()
    round_ = review.assignment.application.round
    criterion = CriterionFactory(round=round_, name="Team", max_score=10)
    review.scores.create(criterion=criterion, value=7)
    client = client_for(coordinator)
    response = client.patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"id": criterion.pk, "name": "Team", "max_score": 5}]},
        format="json",
    )
    assert response.status_code == 409
    assert "already scored" in response.json()["detail"]
    criterion.refresh_from_db()
    assert criterion.max_score == 10
    removed = client.patch(f"{ROUNDS}{round_.pk}/", {"criteria": []}, format="json")
    assert removed.status_code == 409
    assert Criterion.objects.filter(pk=criterion.pk).exists()
    renamed = client.patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"id": criterion.pk, "name": "Founding team"}]},
        format="json",
    )
    assert renamed.status_code == 200


def test_round_patch_forbidden(founder):
    round_ = RoundFactory(name="Keep")
    assert client_for(founder).patch(f"{ROUNDS}{round_.pk}/", {"name": "x"}).status_code == 403
    assert client_for().patch(f"{ROUNDS}{round_.pk}/", {"name": "x"}).status_code == 401
    round_.refresh_from_db()
    assert round_.name == "Keep"


# --- reviewers ------------------------------------------------------------------------------


def test_reviewers_create_201(coordinator):
    response = client_for(coordinator).post(
        REVIEWERS,
        {
            "username": "kelvin",
            "email": "kelvin@panel.example",
            "password": "Review-Panel-77",
            "expertise": ["finance", "tourism"],
            "max_load": 8,
            "jurisdiction": "hong_kong",
        },
        format="json",
    )
    assert response.status_code == 201
    user = User.objects.get(username="kelvin")
    assert response.json() == {
        "id": user.pk,
        "username": "kelvin",
        "email": "kelvin@panel.example",
        "expertise": ["finance", "tourism"],
        "max_load": 8,
        "jurisdiction": "hong_kong",
    }
    assert ReviewerProfile.objects.get(user=user).jurisdiction == "hong_kong"
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["Reviewers"]
    assert ReviewerProfile.objects.get(user=user).max_load == 8


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expertise", ["cooking"]),
        ("max_load", 0),
        ("password", "short"),
        ("email", "x"),
        ("jurisdiction", "taiwan"),
        ("jurisdiction", ""),
        ("jurisdiction", None),
    ],
)
def test_reviewers_create_bad_value_400(coordinator, field, value):
    body = {
        "username": "kelvin",
        "email": "k@panel.example",
        "password": "Review-Panel-77",
        "jurisdiction": "macau",
    }
    response = client_for(coordinator).post(REVIEWERS, {**body, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.filter(username="kelvin").exists()


def test_reviewers_create_without_jurisdiction_400_naming_it(coordinator):
    body = {"username": "kelvin", "email": "k@panel.example", "password": "Review-Panel-77"}
    response = client_for(coordinator).post(REVIEWERS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["jurisdiction"]
    assert not User.objects.filter(username="kelvin").exists()


def test_reviewers_list_shows_jurisdiction_null_when_unknown(coordinator):
    ReviewerProfile.objects.filter(user=ReviewerFactory(username="old")).update(jurisdiction="")
    ReviewerProfile.objects.filter(user=ReviewerFactory(username="new")).update(
        jurisdiction="mainland"
    )
    rows = client_for(coordinator).get(REVIEWERS).json()["results"]
    assert [(row["username"], row["jurisdiction"]) for row in rows] == [
        ("new", "mainland"),
        ("old", None),
    ]


def test_reviewers_list_coordinator_only(coordinator, founder, reviewer):
    response = client_for(coordinator).get(REVIEWERS)
    assert [row["username"] for row in response.json()["results"]] == ["mei"]
    assert client_for(founder).get(REVIEWERS).status_code == 403
    assert client_for(reviewer).get(REVIEWERS).status_code == 403
    assert client_for().get(REVIEWERS).status_code == 401
    assert client_for(founder).post(REVIEWERS, {}, format="json").status_code == 403


def test_reviewers_list_query_count_same_for_1_and_50(coordinator, django_assert_num_queries):
    ReviewerFactory()
    client = client_for(coordinator)
    with CaptureQueriesContext(connection) as one:
        client.get(REVIEWERS)
    ReviewerFactory.create_batch(49)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(REVIEWERS, {"page_size": 200}).json()["count"] == 50
