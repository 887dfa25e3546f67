"""Answers to a round's own questions through the applications API (DESIGN.md §11, issue 14)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from applications.answers import (
    MAX_ANSWERS_BYTES,
    answers_size,
    clean_answers,
    missing_answers,
    shared_answers,
)
from applications.enums import ApplicationStatus
from applications.models import Application, StatusChange
from audit.models import AuditEvent
from audit.services import canonical_json, personal
from incubator.models import Question
from incubator.services import update_round
from tests.applications.conftest import client_for
from tests.factories import ApplicationFactory, AttachmentFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


def detail(application) -> str:
    return f"/api/v1/applications/{application.pk}/"


def ask(round_):
    """The round's questions: one of each kind."""
    definitions = [
        ("pilot", "text", {"max_length": 20, "share_with_providers": True}),
        ("plan", "long_text", {}),
        ("staff", "number", {"min_value": Decimal("1"), "max_value": Decimal("500.5")}),
        (
            "chain",
            "choice",
            {
                "required": True,
                "share_with_providers": True,
                "choices": [
                    {"value": "ethereum", "label": {"en": "Ethereum", "zh-hant": "以太坊"}},
                    {"value": "fisco-bcos", "label": {"en": "FISCO BCOS"}},
                ],
            },
        ),
        (
            "licences",
            "multi_choice",
            {
                "choices": [
                    {"value": "sfc-1", "label": {"en": "SFC Type 1"}},
                    {"value": "sfc-4", "label": {"en": "SFC Type 4"}},
                    {"value": "vasp", "label": {"en": "VASP"}},
                ]
            },
        ),
        ("token", "boolean", {"required": True}),
        ("site", "url", {}),
        ("launch", "date", {}),
    ]
    for order, (key, kind, extra) in enumerate(definitions):
        Question.objects.create(
            round=round_,
            key=key,
            kind=kind,
            label={"en": key.title(), "zh-hant": f"問題 {key}"},
            order=order,
            **extra,
        )


GOOD = {
    "pilot": "Bank of Macau",
    "plan": "Line one\nline two",
    "staff": "12.5",
    "chain": "fisco-bcos",
    "licences": ["vasp", "sfc-1"],
    "token": False,
    "site": "https://ledger.example/",
    "launch": "2027-03-01",
}


@pytest.fixture
def asked(draft):
    ask(draft.round)
    return draft


def test_patch_answers_200_stored_normalised_and_read_back(founder, asked):
    response = client_for(founder).patch(detail(asked), {"answers": GOOD}, format="json")
    assert response.status_code == 200, response.json()
    expected = {**GOOD, "staff": 12.5, "licences": ["sfc-1", "vasp"]}
    assert response.json()["answers"] == expected
    asked.refresh_from_db()
    assert asked.answers == expected
    assert client_for(founder).get(detail(asked)).json()["answers"] == expected


def test_numbers_accept_json_numbers_and_decimal_strings(founder, asked):
    client = client_for(founder)
    for given, stored in ((7, 7), ("500.5", 500.5), (1.25, 1.25), ("3.0", 3)):
        response = client.patch(detail(asked), {"answers": {"staff": given}}, format="json")
        assert response.status_code == 200
        assert response.json()["answers"] == {"staff": stored}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pilot", "x" * 21),
        ("pilot", 5),
        ("pilot", "a\u0000b"),
        ("plan", "y" * 5001),
        ("staff", "0.5"),
        ("staff", 500.51),
        ("staff", "twelve"),
        ("staff", True),
        ("staff", "NaN"),
        ("chain", "solana"),
        ("chain", ["ethereum"]),
        ("licences", "vasp"),
        ("licences", ["vasp", "vasp"]),
        ("licences", ["vasp", "hkma"]),
        ("token", "yes"),
        ("token", 1),
        ("site", "ftp://ledger.example/"),
        ("site", "javascript:alert(1)"),
        ("site", "not a url"),
        ("launch", "01/03/2027"),
        ("launch", "2027-02-30"),
        ("launch", 20270301),
        ("unknown", "what"),
    ],
)
def test_bad_answer_400_names_the_key_nothing_saved(founder, asked, key, value):
    client_for(founder).patch(detail(asked), {"answers": {"pilot": "Kept"}}, format="json")
    before = Application.objects.get(pk=asked.pk).answers
    body = {"answers": {"chain": "ethereum", key: value}, "project_name": "Changed"}
    response = client_for(founder).patch(detail(asked), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [f"answers.{key}"]
    fresh = Application.objects.get(pk=asked.pk)
    assert fresh.answers == before == {"pilot": "Kept"}
    assert fresh.project_name == "Trade ledger"


def test_answers_not_an_object_400(founder, asked):
    response = client_for(founder).patch(detail(asked), {"answers": ["a"]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["answers"]


def test_answers_too_big_400_before_any_work(founder, asked, django_assert_max_num_queries):
    huge = {"plan": "z" * (MAX_ANSWERS_BYTES + 10)}
    assert answers_size(huge) > MAX_ANSWERS_BYTES
    client = client_for(founder)
    # Authentication and the visible application only: the service refuses before it locks.
    with django_assert_max_num_queries(4):
        response = client.patch(detail(asked), {"answers": huge}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["answers"]
    assert "200 KB" in response.json()["answers"][0]


def test_create_draft_with_answers_201(founder, open_round):
    ask(open_round)
    body = {"round": open_round.pk, "project_name": "Ledger", "answers": {"token": True}}
    response = client_for(founder).post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["answers"] == {"token": True}
    bad = client_for(founder).post(
        LIST, {**body, "answers": {"token": "no"}}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 400


def test_draft_may_leave_answers_out_and_null_clears(founder, asked):
    client = client_for(founder)
    client.patch(detail(asked), {"answers": {"pilot": "Bank"}}, format="json")
    response = client.patch(detail(asked), {"answers": {"pilot": None, "plan": ""}}, format="json")
    assert response.status_code == 200
    assert response.json()["answers"] == {}


def test_answers_changed_audited_with_keys_and_personal_hash(founder, asked):
    client_for(founder).patch(detail(asked), {"answers": GOOD}, format="json")
    client_for(founder).patch(
        detail(asked), {"answers": {**GOOD, "pilot": "Other bank"}}, format="json"
    )
    events = list(AuditEvent.objects.filter(action="answers.changed").order_by("seq"))
    assert len(events) == 2
    stored = Application.objects.get(pk=asked.pk).answers
    assert events[1].data == {
        "keys": ["pilot"],
        "answers": personal(canonical_json(stored).decode()),
    }
    assert events[1].object_type == "application"
    assert events[1].object_id == str(asked.pk)
    assert events[1].actor == founder.pk
    assert "Other bank" not in str(events[1].data)
    # Nothing changes, nothing is recorded.
    client_for(founder).patch(detail(asked), {"answers": stored}, format="json")
    assert AuditEvent.objects.filter(action="answers.changed").count() == 2


def test_submit_needs_required_answers_409_lists_them(founder, asked):
    AttachmentFactory(application=asked)
    client = client_for(founder)
    response = client.post(detail(asked) + "submit/")
    assert response.status_code == 409
    text = response.json()["detail"]
    assert "answers.chain" in text
    assert "answers.token" in text
    assert "answers.pilot" not in text
    assert StatusChange.objects.count() == 0
    client.patch(detail(asked), {"answers": {"chain": "ethereum", "token": False}}, format="json")
    assert client.post(detail(asked) + "submit/").status_code == 200


def test_submit_409_in_the_applicants_language(founder, asked):
    AttachmentFactory(application=asked)
    response = client_for(founder).post(detail(asked) + "submit/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 409
    assert "問題 chain" in response.json()["detail"]
    assert "answers.chain" in response.json()["detail"]


def test_list_200_applications_with_answers_same_queries_as_one(
    coordinator_user, open_round, django_assert_max_num_queries
):
    ask(open_round)
    ApplicationFactory(round=open_round, answers=GOOD)
    client = client_for(coordinator_user)
    with django_assert_max_num_queries(20) as one:
        assert client.get(LIST + "?page_size=200").json()["count"] == 1
    for _n in range(199):
        ApplicationFactory(round=open_round, answers=GOOD)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(LIST + "?page_size=200").json()
    assert len(body["results"]) == 200
    assert all(row["answers"] == GOOD for row in body["results"])


def test_removing_a_question_drops_its_answers_from_drafts(coordinator_user, founder, asked):
    client_for(founder).patch(detail(asked), {"answers": GOOD}, format="json")
    kept = [q.definition() for q in Question.objects.filter(round=asked.round).order_by("order")]
    definitions = [d for d in kept if d["key"] != "pilot"]
    # "chain" loses the choice this draft gave.
    for d in definitions:
        if d["key"] == "chain":
            d["choices"] = d["choices"][:1]
    update_round(actor=coordinator_user, round=asked.round, questions=definitions)
    asked.refresh_from_db()
    assert "pilot" not in asked.answers
    assert "chain" not in asked.answers
    assert asked.answers["plan"] == GOOD["plan"]
    assert [n["key"] for n in asked.dropped_answers] == ["chain", "pilot"]
    assert asked.dropped_answers[1]["label"]["en"] == "Pilot"
    event = AuditEvent.objects.filter(action="answers.changed").order_by("-seq").first()
    assert event.data["keys"] == ["chain", "pilot"]
    assert event.actor == coordinator_user.pk
    # The draft's page tells its owners; their next save clears the notice.
    client_for(founder).patch(detail(asked), {"project_name": "Again"}, format="json")
    asked.refresh_from_db()
    assert asked.dropped_answers == []


def test_service_clean_answers_and_shared_answers(asked):
    questions = list(Question.objects.filter(round=asked.round))
    cleaned = clean_answers(questions=questions, answers=GOOD)
    asked.answers = cleaned
    assert shared_answers(asked) == {"pilot": "Bank of Macau", "chain": "fisco-bcos"}
    assert [str(m) for m in missing_answers(asked)] == []
    asked.answers = {}
    assert len(missing_answers(asked)) == 2


def test_submitted_application_answers_cannot_change_409(founder, asked):
    Application.objects.filter(pk=asked.pk).update(
        status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    response = client_for(founder).patch(detail(asked), {"answers": GOOD}, format="json")
    assert response.status_code == 409
