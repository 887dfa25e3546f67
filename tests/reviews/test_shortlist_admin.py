"""The shortlist admin and the decision actions: coordinators only, everything via services."""

import csv
import io

import pytest
from django.test import Client

from applications.enums import ApplicationStatus
from applications.models import StatusChange
from reviews.enums import ShortlistChangeKind
from reviews.models import Shortlist, ShortlistChange
from reviews.shortlists import create_shortlist
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

CHANGELIST = "/admin/reviews/shortlist/"


@pytest.fixture
def round_():
    return RoundFactory(name="Autumn")


@pytest.fixture
def ranked(round_):
    return [scored_application(round_, [v]) for v in (9, 7, 5)]


@pytest.fixture
def shortlist(round_, ranked, coordinator):
    return create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)


@pytest.fixture
def admin_client(client, coordinator):
    force_login_verified(client, coordinator)
    return client


def test_admin_creates_a_shortlist_from_the_ranking(admin_client, round_, ranked, coordinator):
    response = admin_client.post(
        f"{CHANGELIST}add/", {"round": round_.pk, "name": "Best two", "method": "raw", "size": 2}
    )

    shortlist = Shortlist.objects.get(name="Best two")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{shortlist.pk}/change/"
    assert list(shortlist.entries.values_list("application_id", flat=True)) == [
        ranked[0].pk,
        ranked[1].pk,
    ]
    assert shortlist.created_by == coordinator


def test_admin_create_form_shows_the_services_errors(admin_client, round_, shortlist):
    missing = admin_client.post(f"{CHANGELIST}add/", {"round": round_.pk, "name": "X"})
    taken = admin_client.post(
        f"{CHANGELIST}add/", {"round": round_.pk, "name": "Top 2", "method": "raw", "size": 1}
    )

    assert missing.status_code == taken.status_code == 200
    assert missing.context["form"].errors == {
        "method": ["This field is required."],
        "size": ["Give a size (the top N), a minimum score, or both."],
    }
    assert taken.context["form"].errors == {
        "name": ["This round already has a shortlist of that name."]
    }
    assert Shortlist.objects.count() == 1


def test_admin_add_and_remove_entries_with_a_reason(admin_client, shortlist, ranked):
    added = admin_client.post(
        f"{CHANGELIST}{shortlist.pk}/entries/add/",
        {"application": ranked[2].pk, "reason": "Strong pilot"},
    )
    removed = admin_client.post(
        f"{CHANGELIST}{shortlist.pk}/entries/remove/",
        {"application": ranked[0].pk, "reason": "Conflict"},
    )
    no_reason = admin_client.post(
        f"{CHANGELIST}{shortlist.pk}/entries/remove/", {"application": ranked[1].pk}
    )

    assert added.status_code == removed.status_code == 302
    assert no_reason.status_code == 200
    assert list(ShortlistChange.objects.values_list("kind", "reason")) == [
        (ShortlistChangeKind.ADDED, "Strong pilot"),
        (ShortlistChangeKind.REMOVED, "Conflict"),
    ]
    assert sorted(shortlist.entries.values_list("application_id", flat=True)) == [
        ranked[1].pk,
        ranked[2].pk,
    ]


def test_admin_publish_page_then_publish_once(admin_client, shortlist, ranked):
    page = admin_client.get(f"{CHANGELIST}{shortlist.pk}/publish/")
    admin_client.post(f"{CHANGELIST}{shortlist.pk}/publish/")
    admin_client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [shortlist.pk]}
    )

    assert page.status_code == 200
    assert ranked[0].project_name in page.content.decode()
    shortlist.refresh_from_db()
    assert shortlist.is_published
    assert StatusChange.objects.filter(to_status=ApplicationStatus.SHORTLISTED).count() == 2


def test_admin_change_page_offers_the_tools(admin_client, shortlist):
    content = admin_client.get(f"{CHANGELIST}{shortlist.pk}/change/").content.decode()

    for link in ("export/csv/", "export/xlsx/", "entries/add/", "entries/remove/", "publish/"):
        assert f"{CHANGELIST}{shortlist.pk}/{link}" in content
    assert 'name="_save"' not in content


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_admin_export_action_and_link(admin_client, shortlist, export_format):
    by_action = admin_client.post(
        CHANGELIST, {"action": f"export_{export_format}", "_selected_action": [shortlist.pk]}
    )
    by_link = admin_client.get(f"{CHANGELIST}{shortlist.pk}/export/{export_format}/")

    assert by_action.status_code == by_link.status_code == 200
    assert b"".join(by_action.streaming_content)[:2] in {b"\xef\xbb", b"PK"}
    assert f"Autumn - Top 2.{export_format}" in by_link["Content-Disposition"]


def test_admin_export_csv_headers_in_the_admins_language(admin_client, shortlist):
    response = admin_client.get(
        f"{CHANGELIST}{shortlist.pk}/export/csv/", HTTP_ACCEPT_LANGUAGE="zh-hant"
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text)))[:2] == ["排名", "申請編號"]


def test_admin_export_action_needs_one_shortlist(admin_client, shortlist, round_, coordinator):
    other = create_shortlist(round=round_, name="Other", actor=coordinator, size=1)

    response = admin_client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [shortlist.pk, other.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Select exactly one shortlist to export."
    ]


def shortlist_admin_urls(pk):
    return [
        CHANGELIST,
        f"{CHANGELIST}add/",
        f"{CHANGELIST}{pk}/change/",
        f"{CHANGELIST}{pk}/export/csv/",
        f"{CHANGELIST}{pk}/export/xlsx/",
        f"{CHANGELIST}{pk}/publish/",
        f"{CHANGELIST}{pk}/entries/add/",
    ]


def test_admin_shortlists_are_forbidden_to_reviewers(shortlist):
    client = Client()
    client.force_login(ReviewerFactory())
    for url in shortlist_admin_urls(shortlist.pk):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{CHANGELIST}{shortlist.pk}/publish/").status_code == 403
    assert "/admin/reviews/shortlist/" not in client.get("/admin/").content.decode()
    shortlist.refresh_from_db()
    assert not shortlist.is_published


def test_admin_shortlists_send_startup_members_to_log_in(shortlist):
    member = UserFactory()
    StartupFactory(members=[member])
    client = Client()
    client.force_login(member)
    for url in shortlist_admin_urls(shortlist.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def test_admin_decision_action_asks_for_a_note_first(admin_client, coordinator):
    applications = [ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW) for _ in range(2)]
    selected = [a.pk for a in applications]

    asked = admin_client.post(
        "/admin/applications/application/",
        {"action": "mark_rejected", "_selected_action": selected},
    )
    assert asked.status_code == 200
    assert "admin/applications/application/decide.html" in [t.name for t in asked.templates]
    assert StatusChange.objects.count() == 0

    admin_client.post(
        "/admin/applications/application/",
        {
            "action": "mark_rejected",
            "_selected_action": selected,
            "apply": "1",
            "note": "Outside the programme's scope.",
        },
    )
    changes = StatusChange.objects.order_by("application_id")
    assert [(c.application_id, c.to_status, c.note, c.actor) for c in changes] == [
        (pk, "rejected", "Outside the programme's scope.", coordinator) for pk in sorted(selected)
    ]


def test_admin_decision_actions_are_not_offered_to_reviewers():
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    client = Client()
    client.force_login(ReviewerFactory())

    response = client.post(
        "/admin/applications/application/",
        {
            "action": "mark_accepted",
            "_selected_action": [application.pk],
            "apply": "1",
            "note": "x",
        },
    )

    # Reviewers may only read applications: the changelist refuses the action outright.
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert StatusChange.objects.count() == 0


def test_admin_superuser_acts_as_coordinator(shortlist):
    client = Client()
    force_login_verified(client, UserFactory(is_staff=True, is_superuser=True))

    assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize("field", ["size", "min_reviews"])
def test_admin_create_form_number_beyond_the_column_names_it(admin_client, round_, field):
    data = {"round": round_.pk, "name": "Huge", "method": "raw", "size": 2, field: 2**31}

    response = admin_client.post(f"{CHANGELIST}add/", data)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        field: ["Ensure this value is less than or equal to 2147483647."]
    }
    assert Shortlist.objects.count() == 0
