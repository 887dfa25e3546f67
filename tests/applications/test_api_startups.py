"""/api/v1/startups/: members read and change their own; coordinators read all; reviewers read the
start-ups of their assigned, non-conflicted applications, and only what their workplace shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Startup
from tests.applications.conftest import client_for
from tests.factories import AssignmentFactory, ConflictFactory, StartupFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/startups/"


def test_list_member_sees_own(founder, startup, other_founder):
    response = client_for(founder).get(LIST)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [startup.pk]
    assert set(response.json()["results"][0]) == {
        "id",
        "name",
        "region",
        "founded_on",
        "website",
        "team_size",
        "description",
        "contact_email",
        "language",
    }


def test_list_coordinator_sees_all(coordinator_user, founder, other_founder):
    assert client_for(coordinator_user).get(LIST).json()["count"] == 2


# What the reviewer's workplace shows of a start-up, and no more (DESIGN.md §6).
REVIEWER_FIELDS = {"id", "name", "region", "website", "team_size"}


def test_list_reviewer_sees_only_assigned_startups_and_their_public_profile(
    reviewer, founder, startup, other_founder
):
    AssignmentFactory(reviewer=reviewer, application__startup=startup)
    conflicted = AssignmentFactory(reviewer=reviewer).application.startup
    ConflictFactory(reviewer=reviewer, startup=conflicted)

    response = client_for(reviewer).get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [startup.pk]
    assert set(rows[0]) == REVIEWER_FIELDS


def test_retrieve_reviewer_sees_the_public_profile_of_an_assigned_startup(reviewer, startup):
    AssignmentFactory(reviewer=reviewer, application__startup=startup)

    body = client_for(reviewer).get(f"{LIST}{startup.pk}/").json()

    assert set(body) == REVIEWER_FIELDS
    assert "contact_email" not in body


def test_reviewer_who_is_a_member_reads_their_own_startup_in_full(reviewer, startup):
    startup.members.add(reviewer)
    body = client_for(reviewer).get(f"{LIST}{startup.pk}/").json()
    assert body["contact_email"] == startup.contact_email


def test_list_anonymous_401():
    assert client_for().get(LIST).status_code == 401


def test_list_query_count_same_for_1_and_50(django_assert_num_queries, coordinator_user):
    StartupFactory()
    client = client_for(coordinator_user)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    StartupFactory.create_batch(49)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(LIST, {"page_size": 200}).json()["count"] == 50


def test_list_query_count_same_for_1_and_20_as_reviewer(django_assert_num_queries, reviewer):
    AssignmentFactory(reviewer=reviewer)
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(19):
        AssignmentFactory(reviewer=reviewer)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(LIST, {"page_size": 200}).json()["count"] == 20


def test_retrieve_roles(founder, other_founder, reviewer, coordinator_user, startup):
    url = f"{LIST}{startup.pk}/"
    assert client_for(founder).get(url).status_code == 200
    # A reviewer with no assignment to it does not know it exists.
    assert client_for(reviewer).get(url).status_code == 404
    assert client_for(coordinator_user).get(url).status_code == 200
    assert client_for(other_founder).get(url).status_code == 404
    assert client_for().get(url).status_code == 401


def test_patch_member_200(founder, startup):
    response = client_for(founder).patch(
        f"{LIST}{startup.pk}/",
        {"website": "https://ledger.example", "team_size": 12, "founded_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 200
    startup.refresh_from_db()
    assert (startup.website, startup.team_size, str(startup.founded_on)) == (
        "https://ledger.example",
        12,
        "2024-03-01",
    )


def test_patch_roles(other_founder, reviewer, coordinator_user, startup):
    url = f"{LIST}{startup.pk}/"
    assert client_for().patch(url, {"name": "x"}).status_code == 401
    assert client_for(other_founder).patch(url, {"name": "x"}).status_code == 404
    assert client_for(reviewer).patch(url, {"name": "x"}).status_code == 404
    AssignmentFactory(reviewer=reviewer, application__startup=startup)
    assert client_for(reviewer).patch(url, {"name": "x"}).status_code == 403
    assert client_for(coordinator_user).patch(url, {"name": "x"}).status_code == 403
    startup.refresh_from_db()
    assert startup.name == "Pearl River Ledger"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("website", "not a url"),
        ("website", "javascript:alert(1)"),
        ("region", "tokyo"),
        ("team_size", 0),
        ("team_size", 10**9),
        ("founded_on", "2999-01-01"),
        ("contact_email", "nobody"),
        ("name", ""),
        ("description", "d" * 5001),
        ("name", "a\x00b"),
        ("name", "\u0097"),
        ("name", "Acme\u202e"),
        ("description", "Bell\x07"),
        ("website", "https://acme.example/\u200b"),
    ],
)
def test_patch_bad_value_400_nothing_changed(founder, startup, field, value):
    before = Startup.objects.values().get(pk=startup.pk)
    response = client_for(founder).patch(f"{LIST}{startup.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Startup.objects.values().get(pk=startup.pk) == before
