"""/api/v1/applications/: every endpoint, each role, each rule (issue 3)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application, StatusChange
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    ConflictFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


def detail(application) -> str:
    return f"/api/v1/applications/{application.pk}/"


def snapshot(application) -> dict:
    application.refresh_from_db()
    return {f.attname: getattr(application, f.attname) for f in Application._meta.concrete_fields}


# --- list -----------------------------------------------------------------------------------


def test_list_anonymous_401():
    assert client_for().get(LIST).status_code == 401


def test_list_member_sees_only_own_startup(founder, draft, other_founder):
    ApplicationFactory(startup=other_founder.startups.get())
    response = client_for(founder).get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 1
    row = response.json()["results"][0]
    assert row["id"] == draft.pk
    assert row["startup_name"] == "Pearl River Ledger"
    assert row["needs"] == ["fund"]
    assert row["status"] == "draft"
    assert set(row) >= {"round", "startup", "submitted_at", "attachments", "funding_amount"}


def test_list_reviewer_sees_assigned_not_conflicted(reviewer, draft):
    AssignmentFactory(application=draft, reviewer=reviewer)
    conflicted = AssignmentFactory(reviewer=reviewer).application
    ConflictFactory(reviewer=reviewer, startup=conflicted.startup)
    ApplicationFactory()  # not assigned
    response = client_for(reviewer).get(LIST)
    assert [row["id"] for row in response.json()["results"]] == [draft.pk]


def test_list_coordinator_sees_all(coordinator_user, draft):
    ApplicationFactory()
    assert client_for(coordinator_user).get(LIST).json()["count"] == 2


def test_list_filters(founder, startup, draft):
    other_round = RoundFactory()
    second = ApplicationFactory(
        startup=startup,
        round=other_round,
        track="healthcare",
        needs_fund=False,
        needs_testing=True,
    )
    client = client_for(founder)
    assert [r["id"] for r in client.get(LIST, {"round": other_round.pk}).json()["results"]] == [
        second.pk
    ]
    assert [r["id"] for r in client.get(LIST, {"track": "healthcare"}).json()["results"]] == [
        second.pk
    ]
    assert [r["id"] for r in client.get(LIST, {"needs": "fund"}).json()["results"]] == [draft.pk]
    assert client.get(LIST, {"status": "submitted"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("param", "value"), [("round", "x"), ("status", "nope"), ("needs", "money"), ("track", "zz")]
)
def test_list_bad_filter_400_names_it(founder, param, value):
    response = client_for(founder).get(LIST, {param: value})
    assert response.status_code == 400
    assert param in response.json()


def test_list_page_size_capped_at_200(founder):
    response = client_for(founder).get(LIST, {"page_size": 5000})
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def _queries_for_list(django_assert_num_queries, client, expected):
    with django_assert_num_queries(expected):
        response = client.get(LIST, {"page_size": 200})
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("role", ["member", "reviewer", "coordinator"])
def test_list_query_count_same_for_1_and_50(
    django_assert_num_queries, role, coordinator_user, reviewer
):
    user = UserFactory(username="counting")
    startup = StartupFactory(members=[user])
    viewer = {"member": user, "reviewer": reviewer, "coordinator": coordinator_user}[role]
    first = ApplicationFactory(startup=startup)
    AttachmentFactory(application=first)
    AssignmentFactory(application=first, reviewer=reviewer)
    client = client_for(viewer)
    client.get(LIST)  # warm the token

    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).json()["count"] == 1
    for _ in range(49):
        application = ApplicationFactory(startup=StartupFactory(members=[user]))
        AttachmentFactory(application=application)
        AssignmentFactory(application=application, reviewer=reviewer)
    _queries_for_list(django_assert_num_queries, client, len(one.captured_queries))
    assert client.get(LIST, {"page_size": 200}).json()["count"] == 50


# --- create ---------------------------------------------------------------------------------


def test_create_draft_201(founder, startup, open_round):
    response = client_for(founder).post(
        LIST,
        {
            "round": open_round.pk,
            "project_name": "供应链金融 ledger",
            "track": "supply_chain",
            "stage": "pilot",
            "funding_amount": "1200000.50",
            "funding_currency": "HKD",
            "needs": ["fund", "testing"],
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["startup"] == startup.pk
    assert body["needs"] == ["fund", "testing"]
    assert body["funding_amount"] == "1200000.50"
    application = Application.objects.get(pk=body["id"])
    assert application.project_name == "供应链金融 ledger"
    assert application.needs_testing is True


def test_create_anonymous_401(open_round):
    response = client_for().post(LIST, {"round": open_round.pk, "project_name": "x"})
    assert response.status_code == 401
    assert Application.objects.count() == 0


@pytest.mark.parametrize("role", ["reviewer", "coordinator_user"])
def test_create_without_startup_403(request, role, open_round):
    user = request.getfixturevalue(role)
    response = client_for(user).post(
        LIST, {"round": open_round.pk, "project_name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert Application.objects.count() == 0


def test_create_for_another_startup_403(founder, other_founder, open_round):
    response = client_for(founder).post(
        LIST,
        {
            "round": open_round.pk,
            "project_name": "x",
            "startup": other_founder.startups.get().pk,
        },
        format="json",
    )
    assert response.status_code == 403
    assert Application.objects.count() == 0


def test_create_second_in_round_400_names_rule(founder, draft, open_round):
    response = client_for(founder).post(
        LIST, {"round": open_round.pk, "project_name": "Again"}, format="json"
    )
    assert response.status_code == 400
    assert "One application per start-up per round" in response.json()["round"][0]
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("opens", "closes", "words"),
    [(5, 20, "opens on"), (-20, -5, "closed on")],
)
def test_create_in_round_not_open_409_says_when(founder, opens, closes, words):
    now = timezone.now()
    round_ = RoundFactory(
        opens_at=now + timedelta(days=opens), closes_at=now + timedelta(days=closes)
    )
    response = client_for(founder).post(
        LIST, {"round": round_.pk, "project_name": "Late"}, format="json"
    )
    assert response.status_code == 409
    assert words in response.json()["detail"]
    assert Application.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("funding_amount", "-1"),
        ("funding_amount", "10.123"),
        ("funding_amount", "1e20"),
        ("funding_currency", "EUR"),
        ("track", "mining"),
        ("stage", "unicorn"),
        ("needs", ["fund", "money"]),
        ("project_name", "x" * 201),
        ("project_name", ""),
        ("summary", "y" * 10001),
        ("project_name", "nul\x00byte"),
        ("round", 999999),
    ],
)
def test_create_bad_value_400_names_field(founder, open_round, field, value):
    data = {"round": open_round.pk, "project_name": "Ok", field: value}
    response = client_for(founder).post(LIST, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Application.objects.count() == 0


def test_create_odd_unicode_stored_verbatim(founder, open_round):
    name = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 RTL שלום 😀 區塊鏈 e\u0301 Ａ\u00a0Ｂ"
    response = client_for(founder).post(
        LIST, {"round": open_round.pk, "project_name": name}, format="json"
    )
    assert response.status_code == 201
    assert Application.objects.get().project_name == name


ONE_LINE = "Use a single line of text without control characters (found {})."
LONG_TEXT = "Control characters such as {} are not allowed; only line breaks and tabs are."


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("project_name", "Ledger\u0097", "U+0097"),  # a C1 control (category Cc)
        ("project_name", "Ledger\u202eRTL", "U+202E"),  # a bidirectional override (Cf)
        ("project_name", "Zero\u200bwidth", "U+200B"),
        ("project_name", "Bell\x07", "U+0007"),
        ("summary", "Line one\x1b[31m red", "U+001B"),
        ("summary", "Soft\u00adhyphen", "U+00AD"),
    ],
)
def test_create_control_character_400_names_field(founder, open_round, field, value, code):
    data = {"round": open_round.pk, "project_name": "Ok", field: value}

    response = client_for(founder).post(LIST, data, format="json")

    assert response.status_code == 400
    message = (ONE_LINE if field == "project_name" else LONG_TEXT).format(code)
    assert response.json() == {field: [message]}
    assert Application.objects.count() == 0


def test_create_long_text_keeps_line_breaks_and_tabs(founder, open_round):
    summary = "First line\r\nSecond\tcolumn\nThird"
    data = {"round": open_round.pk, "project_name": "Ok", "summary": summary}

    response = client_for(founder).post(LIST, data, format="json")

    assert response.status_code == 201
    assert Application.objects.get().summary == summary


def test_patch_project_name_with_a_line_break_is_400(founder, draft):
    response = client_for(founder).patch(
        detail(draft), {"project_name": "Two\nlines"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"project_name": [ONE_LINE.format("U+000A")]}


def test_create_lone_surrogate_400_names_field(founder, open_round):
    body = f'{{"round": {open_round.pk}, "project_name": "bad \\ud800 text"}}'
    response = client_for(founder).post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "project_name" in response.json()
    assert Application.objects.count() == 0


@pytest.mark.parametrize("query", ["?round=99999999999999999999999", "?page=999999", "?page=x"])
def test_list_odd_query_never_5xx(founder, query):
    assert client_for(founder).get(LIST + query).status_code in {200, 400, 404}


# --- retrieve / patch / delete ---------------------------------------------------------------


def test_retrieve_roles(founder, other_founder, reviewer, coordinator_user, draft):
    assert client_for(founder).get(detail(draft)).status_code == 200
    assert client_for().get(detail(draft)).status_code == 401
    assert client_for(other_founder).get(detail(draft)).status_code == 404
    assert client_for(reviewer).get(detail(draft)).status_code == 404
    assert client_for(coordinator_user).get(detail(draft)).status_code == 200
    assert client_for(founder).get("/api/v1/applications/999999/").status_code == 404


def test_retrieve_assigned_reviewer_200_unless_conflicted(assigned_reviewer, draft):
    assert client_for(assigned_reviewer).get(detail(draft)).status_code == 200
    ConflictFactory(reviewer=assigned_reviewer, startup=draft.startup)
    assert client_for(assigned_reviewer).get(detail(draft)).status_code == 404


def test_patch_draft_200(founder, draft):
    response = client_for(founder).patch(
        detail(draft), {"summary": "New summary", "needs": ["training"]}, format="json"
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.summary == "New summary"
    assert draft.needs == ["training"]
    assert draft.project_name == "Trade ledger"


def test_patch_roles(other_founder, assigned_reviewer, coordinator_user, draft):
    before = snapshot(draft)
    assert client_for().patch(detail(draft), {"summary": "x"}).status_code == 401
    assert client_for(other_founder).patch(detail(draft), {"summary": "x"}).status_code == 404
    assert client_for(assigned_reviewer).patch(detail(draft), {"summary": "x"}).status_code == 403
    assert client_for(coordinator_user).patch(detail(draft), {"summary": "x"}).status_code == 403
    assert snapshot(draft) == before


def test_patch_submitted_409_nothing_changed(founder, startup, open_round):
    application = ApplicationFactory(
        startup=startup, round=open_round, status=ApplicationStatus.SUBMITTED
    )
    before = snapshot(application)
    response = client_for(founder).patch(detail(application), {"summary": "x"}, format="json")
    assert response.status_code == 409
    assert "Only a draft can be changed" in response.json()["detail"]
    assert snapshot(application) == before


def test_patch_bad_value_400(founder, draft):
    before = snapshot(draft)
    response = client_for(founder).patch(detail(draft), {"funding_amount": "-5"}, format="json")
    assert response.status_code == 400
    assert "funding_amount" in response.json()
    assert snapshot(draft) == before


def test_put_not_allowed_405(founder, draft):
    assert client_for(founder).put(detail(draft), {}, format="json").status_code == 405


def test_delete_draft_204(founder, draft):
    assert client_for(founder).delete(detail(draft)).status_code == 204
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_delete_roles(other_founder, assigned_reviewer, coordinator_user, draft):
    assert client_for().delete(detail(draft)).status_code == 401
    assert client_for(other_founder).delete(detail(draft)).status_code == 404
    assert client_for(assigned_reviewer).delete(detail(draft)).status_code == 403
    assert client_for(coordinator_user).delete(detail(draft)).status_code == 403
    assert Application.objects.filter(pk=draft.pk).exists()


def test_delete_submitted_409(founder, startup, open_round):
    application = ApplicationFactory(
        startup=startup, round=open_round, status=ApplicationStatus.SUBMITTED
    )
    assert client_for(founder).delete(detail(application)).status_code == 409
    assert Application.objects.filter(pk=application.pk).exists()


# --- submit ---------------------------------------------------------------------------------


def test_submit_complete_draft_200(founder, draft):
    AttachmentFactory(application=draft)
    response = client_for(founder).post(detail(draft) + "submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_at"] is not None
    change = StatusChange.objects.get(application=draft)
    assert (change.from_status, change.to_status, change.actor) == ("draft", "submitted", founder)


def test_submit_names_everything_missing_409(founder, startup, open_round):
    application = ApplicationFactory(
        startup=startup,
        round=open_round,
        track="",
        stage="",
        summary="",
        funding_amount=None,
        funding_currency="",
        needs_fund=False,
    )
    before = snapshot(application)
    response = client_for(founder).post(detail(application) + "submit/")
    assert response.status_code == 409
    detail_text = response.json()["detail"]
    for missing in (
        "the track",
        "the stage",
        "a summary",
        "the funding amount",
        "the funding currency",
        "at least one need",
        "a pitch deck",
    ):
        assert missing in detail_text
    assert snapshot(application) == before
    assert StatusChange.objects.count() == 0


def test_submit_without_pitch_deck_409(founder, draft):
    response = client_for(founder).post(detail(draft) + "submit/")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The application cannot be submitted yet. Missing: a pitch deck (PDF or PPTX)."
    )


def test_submit_round_closed_409_says_when(founder, startup):
    now = timezone.now()
    round_ = RoundFactory(opens_at=now - timedelta(days=30), closes_at=now - timedelta(hours=1))
    application = ApplicationFactory(startup=startup, round=round_)
    AttachmentFactory(application=application)
    response = client_for(founder).post(detail(application) + "submit/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"The round “{round_.name}” closed on ")
    application.refresh_from_db()
    assert application.status == "draft"


def test_submit_twice_409(founder, draft):
    AttachmentFactory(application=draft)
    client = client_for(founder)
    assert client.post(detail(draft) + "submit/").status_code == 200
    response = client.post(detail(draft) + "submit/")
    assert response.status_code == 409
    assert StatusChange.objects.count() == 1


def test_submit_roles(other_founder, assigned_reviewer, coordinator_user, draft):
    AttachmentFactory(application=draft)
    assert client_for().post(detail(draft) + "submit/").status_code == 401
    assert client_for(other_founder).post(detail(draft) + "submit/").status_code == 404
    assert client_for(assigned_reviewer).post(detail(draft) + "submit/").status_code == 403
    assert client_for(coordinator_user).post(detail(draft) + "submit/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- withdraw -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "submitted", "under_review"])
def test_withdraw_before_decision_200(founder, startup, open_round, status):
    application = ApplicationFactory(startup=startup, round=open_round, status=status)
    response = client_for(founder).post(
        detail(application) + "withdraw/", {"note": "Pivoting"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert StatusChange.objects.get(application=application).note == "Pivoting"


@pytest.mark.parametrize("status", ["shortlisted", "waitlisted", "accepted", "rejected"])
def test_withdraw_after_decision_409(founder, startup, open_round, status):
    application = ApplicationFactory(startup=startup, round=open_round, status=status)
    response = client_for(founder).post(detail(application) + "withdraw/")
    assert response.status_code == 409
    application.refresh_from_db()
    assert application.status == status
    assert StatusChange.objects.count() == 0


def test_withdraw_roles(other_founder, assigned_reviewer, coordinator_user, draft):
    assert client_for().post(detail(draft) + "withdraw/").status_code == 401
    assert client_for(other_founder).post(detail(draft) + "withdraw/").status_code == 404
    assert client_for(assigned_reviewer).post(detail(draft) + "withdraw/").status_code == 403
    assert client_for(coordinator_user).post(detail(draft) + "withdraw/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_withdraw_note_too_long_400(founder, draft):
    response = client_for(founder).post(
        detail(draft) + "withdraw/", {"note": "n" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()


def test_amount_with_two_decimals_kept_exactly(founder, draft):
    client_for(founder).patch(detail(draft), {"funding_amount": "0.10"}, format="json")
    draft.refresh_from_db()
    assert draft.funding_amount == Decimal("0.10")
