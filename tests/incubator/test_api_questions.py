"""A round's own questions through the round API (DESIGN.md §11, issue 14)."""

import pytest
from django.utils import timezone

from applications.enums import ApplicationStatus
from audit.models import AuditEvent
from audit.services import canonical_json, content_hash
from incubator.models import Question
from incubator.services import question_fingerprint
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    QuestionFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)
from tests.incubator.test_api_programme import round_body

pytestmark = pytest.mark.django_db

ROUNDS = "/api/v1/rounds/"


def chain(**overrides):
    return {
        "key": "chain",
        "kind": "choice",
        "label": {"en": "Chain", "zh-hans": "区块链", "zh-hant": "區塊鏈"},
        "required": True,
        "choices": [
            {"value": "ethereum", "label": {"en": "Ethereum"}},
            {"value": "fisco-bcos", "label": {"en": "FISCO BCOS", "zh-hans": "FISCO BCOS"}},
        ],
        "share_with_providers": True,
        **overrides,
    }


def questions():
    return [
        chain(),
        {"key": "token", "kind": "boolean", "label": {"en": "Do you issue a token?"}},
        {"key": "staff", "kind": "number", "label": {"en": "Staff"}, "min": 1, "max": "500.5"},
        {"key": "pilot", "kind": "text", "label": {"en": "Pilot partner"}, "max_length": 120},
    ]


def test_round_create_with_questions_201_and_read_back(coordinator):
    response = client_for(coordinator).post(
        ROUNDS, round_body(questions=questions()), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [q["key"] for q in body["questions"]] == ["chain", "token", "staff", "pilot"]
    first = body["questions"][0]
    assert first["label"] == {"en": "Chain", "zh-hans": "区块链", "zh-hant": "區塊鏈"}
    assert first["choices"][1] == {
        "value": "fisco-bcos",
        "label": {"en": "FISCO BCOS", "zh-hans": "FISCO BCOS"},
    }
    assert first["required"] is True
    assert first["share_with_providers"] is True
    assert first["order"] == 0
    staff = body["questions"][2]
    assert (staff["min"], staff["max"], staff["max_length"]) == (1, 500.5, None)
    assert body["questions"][3]["max_length"] == 120
    assert body["questions"][1]["help"] == {}
    anonymous = client_for().get(f"{ROUNDS}{body['id']}/").json()
    assert anonymous["questions"] == body["questions"]


def test_round_questions_change_is_audited_with_keys_and_hash(coordinator):
    round_ = RoundFactory()
    client = client_for(coordinator)
    response = client.patch(f"{ROUNDS}{round_.pk}/", {"questions": questions()}, format="json")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="round.changed")
    stored = [q.definition() for q in Question.objects.filter(round=round_).order_by("order")]
    assert event.object_type == "round"
    assert event.object_id == str(round_.pk)
    assert event.actor == coordinator.pk
    assert event.data == {
        "questions": ["chain", "token", "staff", "pilot"],
        "questions_hash": content_hash(canonical_json(question_fingerprint(stored))),
    }
    # The same list again changes nothing and records nothing.
    again = client.patch(f"{ROUNDS}{round_.pk}/", {"questions": questions()}, format="json")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="round.changed").count() == 1


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"kind": "colour"}, "kind"),
        ({"label": {"zh-hans": "只有中文"}}, "label"),
        ({"label": {"en": "x", "fr": "y"}}, "label"),
        ({"label": {"en": "a\u0000b"}}, "label"),
        ({"choices": []}, "choices"),
        (
            {
                "choices": [
                    {"value": "a", "label": {"en": "A"}},
                    {"value": "a", "label": {"en": "B"}},
                ]
            },
            "choices",
        ),
        ({"choices": [{"value": "a", "label": {}}]}, "choices"),
        ({"kind": "text", "max_length": 5000}, "max_length"),
        ({"kind": "number", "choices": [], "min": 5, "max": 1}, "max"),
        ({"kind": "text", "choices": [], "min": 1}, "min"),
        ({"kind": "number", "choices": [], "max_length": 10}, "max_length"),
        ({"kind": "boolean"}, "choices"),
    ],
)
def test_round_bad_question_400_names_questions_index_field(coordinator, question, field):
    round_ = RoundFactory()
    body = {"questions": [questions()[1], chain(**question)]}
    response = client_for(coordinator).patch(f"{ROUNDS}{round_.pk}/", body, format="json")
    assert response.status_code == 400
    names = list(response.json())
    assert any(name.startswith(f"questions[1].{field}") for name in names), response.json()
    assert not Question.objects.exists()


def test_round_duplicate_question_keys_400(coordinator):
    round_ = RoundFactory()
    body = {"questions": [chain(), chain()]}
    response = client_for(coordinator).patch(f"{ROUNDS}{round_.pk}/", body, format="json")
    assert response.status_code == 400
    assert "questions[1].key" in response.json()


def test_round_more_than_100_questions_400(coordinator):
    round_ = RoundFactory()
    many = [{"key": f"q{n}", "kind": "text", "label": {"en": f"Question {n}"}} for n in range(101)]
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/", {"questions": many}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["questions"]
    ok = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/", {"questions": many[:100]}, format="json"
    )
    assert ok.status_code == 200
    assert Question.objects.filter(round=round_).count() == 100


def test_round_questions_frozen_after_first_submission_409(coordinator):
    round_ = RoundFactory()
    client = client_for(coordinator)
    client.patch(f"{ROUNDS}{round_.pk}/", {"questions": questions()}, format="json")
    ApplicationFactory(
        round=round_, status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    for changed in (
        questions()[:3],
        [*questions(), {"key": "new", "kind": "date", "label": {"en": "When"}}],
        [chain(required=False), *questions()[1:]],
    ):
        response = client.patch(f"{ROUNDS}{round_.pk}/", {"questions": changed}, format="json")
        assert response.status_code == 409
        assert "submitted application" in response.json()["detail"]
    assert [q.key for q in Question.objects.filter(round=round_)] == [
        "chain",
        "token",
        "staff",
        "pilot",
    ]
    # Sending them unchanged (a client that PATCHes the whole round) is no change: 200.
    same = client.patch(
        f"{ROUNDS}{round_.pk}/", {"name": "Renamed", "questions": questions()}, format="json"
    )
    assert same.status_code == 200


def test_round_questions_forbidden_to_others():
    founder = UserFactory()
    StartupFactory(members=[founder])
    round_ = RoundFactory()
    response = client_for(founder).patch(
        f"{ROUNDS}{round_.pk}/", {"questions": questions()}, format="json"
    )
    assert response.status_code == 403
    assert not Question.objects.exists()


def test_rounds_list_query_count_same_with_questions(django_assert_max_num_queries):
    for n in range(20):
        round_ = RoundFactory(name=f"R{n}")
        QuestionFactory.create_batch(3, round=round_)
    with django_assert_max_num_queries(4):
        response = client_for().get(ROUNDS)
    assert response.json()["count"] == 20
