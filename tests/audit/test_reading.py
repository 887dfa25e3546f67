"""Reading the trail (DESIGN.md §13, §6): coordinators filter every event (API and admin); a
start-up's members read their own applications' events; everyone else is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as intake
from applications.enums import ApplicationStatus
from audit.models import AuditEvent
from audit.services import Event, event_hash, record, record_many
from reviews import services as reviewing
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AttachmentFactory,
    CoordinatorFactory,
    CriterionFactory,
    ReviewerFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

from .conftest import client_for

pytestmark = pytest.mark.django_db

EVENT_FIELDS = [
    "seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "data",
    "prev_hash",
    "hash",
]


@pytest.fixture
def coordinator_user():
    return CoordinatorFactory()


def test_events_are_shown_exactly_as_hashed(coordinator_user):
    record(
        actor=coordinator_user,
        action="round.changed",
        object_type="round",
        object_id=7,
        data={"weight": "2.50", "name": "市場"},
    )
    response = client_for(coordinator_user).get("/api/v1/audit/events/")
    assert response.status_code == 200
    [shown] = response.json()["results"]
    assert list(shown) == EVENT_FIELDS
    assert shown["at"].endswith("Z")
    assert len(shown["at"]) == len("2026-12-01T08:00:00.000000Z")
    assert shown["actor"] == coordinator_user.pk
    assert shown["object_id"] == "7"
    assert shown["prev_hash"] == "0" * 64
    recomputed = event_hash({k: v for k, v in shown.items() if k != "hash"})
    assert recomputed == shown["hash"]


def test_every_event_of_a_page_recomputes_and_links(coordinator_user):
    record_many(
        Event(action="round.changed", object_type="round", object_id=n, data={"n": n})
        for n in range(5)
    )
    results = client_for(coordinator_user).get("/api/v1/audit/events/").json()["results"]
    prev = "0" * 64
    for shown in results:
        assert shown["prev_hash"] == prev
        assert event_hash({k: v for k, v in shown.items() if k != "hash"}) == shown["hash"]
        prev = shown["hash"]


def test_events_filters(coordinator_user):
    other = UserFactory()
    record_many(
        [
            Event(action="round.created", object_type="round", object_id=1, actor=other),
            Event(action="round.changed", object_type="round", object_id=1),
            Event(action="round.changed", object_type="round", object_id=2),
            Event(action="application.created", object_type="application", object_id=1),
        ]
    )
    client = client_for(coordinator_user)

    def seqs(query: str) -> list[int]:
        response = client.get(f"/api/v1/audit/events/?{query}")
        assert response.status_code == 200, response.content
        return [e["seq"] for e in response.json()["results"]]

    assert seqs("") == [1, 2, 3, 4]
    assert seqs("object_type=round&object_id=1") == [1, 2]
    assert seqs("action=round.changed") == [2, 3]
    assert seqs(f"actor={other.pk}") == [1]
    assert seqs("after_seq=2") == [3, 4]
    assert seqs("object_type=application") == [4]


@pytest.mark.parametrize("query", ["actor=x", "after_seq=1.5", "page=abc"])
def test_events_bad_filter_is_400_or_404_never_5xx(coordinator_user, query):
    response = client_for(coordinator_user).get(f"/api/v1/audit/events/?{query}")
    assert response.status_code in {400, 404}
    if response.status_code == 400:
        assert query.split("=")[0] in response.json()


def test_events_are_paginated_with_a_constant_number_of_queries(
    coordinator_user, django_assert_max_num_queries
):
    record_many(Event(action="round.changed", object_type="round", object_id=n) for n in range(60))
    client = client_for(coordinator_user)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/audit/events/?page_size=50").json()
    assert body["count"] == 60
    assert len(body["results"]) == 50
    assert body["next"]


def test_events_refused_to_everyone_else():
    assert client_for().get("/api/v1/audit/events/").status_code == 401
    member = UserFactory()
    StartupFactory(members=[member])
    for user in (member, ReviewerFactory()):
        assert client_for(user).get("/api/v1/audit/events/").status_code == 403


# --- an application's own events -----------------------------------------------------------


@pytest.fixture
def reviewed():
    """A submitted application with a file, an assignment and a saved review."""
    founder = UserFactory(username="ada")
    startup = StartupFactory(members=[founder])
    application = ApplicationFactory(startup=startup)
    AttachmentFactory(application=application)
    intake.update_draft(actor=founder, application=application, stage="pilot")
    intake.submit_application(actor=founder, application=application)
    criterion = CriterionFactory(round=application.round)
    reviewer = ReviewerFactory()
    reviewing.assign_reviewer(
        application=application, reviewer=reviewer, actor=CoordinatorFactory()
    )
    review = application.assignments.get().review
    reviewing.save_review(review=review, actor=reviewer, scores={criterion.pk: 5})
    # Another application's events stay out.
    other_founder = UserFactory()
    other = ApplicationFactory(startup=StartupFactory(members=[other_founder]))
    intake.update_draft(actor=other_founder, application=other, stage="idea")
    return {"founder": founder, "application": application, "reviewer": reviewer}


def test_members_read_their_applications_events_without_reviews(reviewed):
    application = reviewed["application"]
    response = client_for(reviewed["founder"]).get(f"/api/v1/applications/{application.pk}/audit/")
    assert response.status_code == 200
    results = response.json()["results"]
    actions = [e["action"] for e in results]
    assert actions == [
        "application.updated",
        "application.status_changed",
        "application.submitted",
        "application.status_changed",
    ]
    assert all(e["object_id"] == str(application.pk) for e in results)
    assert reviewed["reviewer"].pk not in {e["actor"] for e in results}
    for shown in results:
        assert event_hash({k: v for k, v in shown.items() if k != "hash"}) == shown["hash"]


def test_coordinators_read_everything_about_the_application(reviewed, coordinator_user):
    application = reviewed["application"]
    response = client_for(coordinator_user).get(f"/api/v1/applications/{application.pk}/audit/")
    assert response.status_code == 200
    actions = {e["action"] for e in response.json()["results"]}
    assert {"assignment.created", "review.saved", "application.submitted"} <= actions


def test_application_audit_roles(reviewed):
    application = reviewed["application"]
    url = f"/api/v1/applications/{application.pk}/audit/"
    assert client_for().get(url).status_code == 401
    # The assigned reviewer may see the application, not its trail.
    assert client_for(reviewed["reviewer"]).get(url).status_code == 403
    # Another start-up and an unassigned reviewer do not know it exists.
    stranger = UserFactory()
    StartupFactory(members=[stranger])
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(ReviewerFactory()).get(url).status_code == 404


def test_members_see_attachment_events_of_their_application():
    founder = UserFactory()
    startup = StartupFactory(members=[founder])
    application = ApplicationFactory(startup=startup)
    intake.add_attachment(
        actor=founder,
        application=application,
        kind="pitch_deck",
        uploaded=SimpleUploadedFile("deck.pdf", MINIMAL_PDF),
    )
    results = (
        client_for(founder).get(f"/api/v1/applications/{application.pk}/audit/").json()["results"]
    )
    assert [e["action"] for e in results] == ["attachment.added"]


# --- the admin ------------------------------------------------------------------------------


def test_admin_event_list_filters_for_coordinators(client, coordinator_user):
    record_many(
        [
            Event(action="round.created", object_type="round", object_id=1),
            Event(action="application.created", object_type="application", object_id=5),
        ]
    )
    force_login_verified(client, coordinator_user)
    response = client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    response = client.get("/admin/audit/auditevent/?q=application:5")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(
        AuditEvent.objects.filter(object_type="application")
    )
    response = client.get("/admin/audit/auditevent/?action=round.created")
    assert [e.seq for e in response.context["cl"].result_list] == [1]
    event = AuditEvent.objects.get(seq=1)
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403


def test_admin_event_list_refused_to_reviewers(client):
    force_login_verified(client, ReviewerFactory())
    assert client.get("/admin/audit/auditevent/").status_code == 403


def test_admin_application_page_lists_its_events(client, coordinator_user):
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    intake.decide_application(application=application, status="shortlisted", actor=coordinator_user)
    force_login_verified(client, coordinator_user)
    response = client.get(f"/admin/applications/application/{application.pk}/change/")
    assert response.status_code == 200
    assert b"decision.made" in response.content
    assert b"application.status_changed" in response.content
