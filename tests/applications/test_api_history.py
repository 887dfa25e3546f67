"""GET /api/v1/applications/{id}/history/: the status changes, with the internal note for
coordinators only and no staff names for anyone else (issue 11, item 3)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.enums import SystemNote
from applications.services import decide_application, submit_application, transition_application
from tests.applications.conftest import client_for
from tests.factories import AssignmentFactory, AttachmentFactory, CoordinatorFactory

pytestmark = pytest.mark.django_db


def history_url(application) -> str:
    return f"/api/v1/applications/{application.pk}/history/"


@pytest.fixture
def decided(founder, draft):
    """Submitted by the founder, moved on by the system, decided by a coordinator."""
    AttachmentFactory(application=draft)
    submit_application(actor=founder, application=draft)
    transition_application(
        application=draft,
        to_status="under_review",
        actor=None,
        system_note=SystemNote.FIRST_REVIEWER_ASSIGNED,
    )
    decide_application(
        application=draft,
        status="waitlisted",
        actor=CoordinatorFactory(username="ada"),
        note="Reviewer 2 scored the team 2/10.",
        message_to_applicant="You are on our waiting list.",
    )
    return draft


def rows(response) -> list[tuple]:
    return [
        (row["from_status"], row["to_status"], row["actor_label"], row["message_to_applicant"])
        for row in response.json()
    ]


def test_history_member_sees_messages_and_no_staff_names(founder, decided):
    response = client_for(founder).get(history_url(decided))

    assert response.status_code == 200
    assert rows(response) == [
        ("draft", "submitted", "founder", ""),
        ("submitted", "under_review", "The programme", ""),
        ("under_review", "waitlisted", "The programme", "You are on our waiting list."),
    ]
    assert {frozenset(row) for row in response.json()} == {
        frozenset({"from_status", "to_status", "at", "actor_label", "message_to_applicant"})
    }
    assert "ada" not in response.text
    assert "Reviewer 2" not in response.text


def test_history_coordinator_sees_names_and_notes(coordinator_user, decided):
    response = client_for(coordinator_user).get(history_url(decided))

    assert response.status_code == 200
    body = response.json()
    assert [(row["actor_label"], row["note"]) for row in body] == [
        ("founder", ""),
        ("The programme", "First reviewer assigned."),
        ("ada", "Reviewer 2 scored the team 2/10."),
    ]
    assert body[0]["at"].endswith("+08:00")


def test_history_assigned_reviewer_sees_no_note_and_no_names(decided):
    reviewer = AssignmentFactory(application=decided).reviewer

    response = client_for(reviewer).get(history_url(decided))

    assert response.status_code == 200
    assert [row["actor_label"] for row in response.json()] == [
        "The start-up",
        "The programme",
        "The programme",
    ]
    assert "note" not in response.json()[0]
    assert "founder" not in response.text


def test_history_labels_follow_the_language(founder, decided):
    response = client_for(founder).get(history_url(decided), HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert [row["actor_label"] for row in response.json()][1:] == ["計劃團隊", "計劃團隊"]


def test_history_of_a_draft_is_empty(founder, draft):
    response = client_for(founder).get(history_url(draft))
    assert (response.status_code, response.json()) == (200, [])


def test_history_forbidden_roles(other_founder, reviewer, decided):
    assert client_for().get(history_url(decided)).status_code == 401
    assert client_for(other_founder).get(history_url(decided)).status_code == 404
    assert client_for(reviewer).get(history_url(decided)).status_code == 404
    assert client_for(other_founder).get("/api/v1/applications/abc/history/").status_code == 404


def test_history_query_count_does_not_grow(coordinator_user, decided, django_assert_num_queries):
    client = client_for(coordinator_user)
    with CaptureQueriesContext(connection) as three:
        client.get(history_url(decided))
    decide_application(application=decided, status="accepted", actor=coordinator_user)
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(client.get(history_url(decided)).json()) == 4
