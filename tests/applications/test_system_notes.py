"""Notes the system writes into an application's history are stored as codes and worded in the
reader's language: the history API, the admin, and the migration that converts old English notes
(issue 13, item 1)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from applications.enums import SystemNote
from applications.models import StatusChange
from applications.services import transition_application
from reviews.services import assign_reviewer
from reviews.shortlists import create_shortlist, publish_shortlist
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    ReviewerFactory,
    RoundFactory,
)
from tests.reviews.scoring import scored_application
from tests.twofactor import force_login_verified

LANGUAGES = ["en", "zh-hans", "zh-hant"]

SHORTLISTED = {
    "en": "Shortlist “Finance top 10” published.",
    "zh-hans": "入围名单“Finance top 10”已发布。",
    "zh-hant": "入圍名單「Finance top 10」已發布。",
}
FIRST_REVIEWER = {
    "en": "First reviewer assigned.",
    "zh-hans": "已分配首位评审员。",
    "zh-hant": "已分配首位評審員。",
}


@pytest.fixture(autouse=True)
def _language_restored():
    """A test client's request activates the reader's language in this thread: give the next
    test the language this one started with."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def shortlisted(db):
    application = ApplicationFactory(status="under_review")
    transition_application(
        application=application,
        to_status="shortlisted",
        actor=None,
        system_note=SystemNote.SHORTLIST_PUBLISHED,
        system_note_params={"shortlist": "Finance top 10"},
    )
    return application


def test_assign_reviewer_stores_the_first_reviewer_note_as_a_code(db):
    application = ApplicationFactory(status="submitted")

    assign_reviewer(application=application, reviewer=ReviewerFactory(), actor=CoordinatorFactory())

    change = StatusChange.objects.get(application=application)
    assert (change.system_note, change.system_note_params, change.note) == (
        "first_reviewer_assigned",
        {},
        "",
    )


def test_publish_shortlist_stores_its_note_as_a_code_with_the_shortlist_name(db):
    round_ = RoundFactory()
    application = scored_application(round_, [9, 9])
    coordinator = CoordinatorFactory()
    shortlist = create_shortlist(round=round_, name="Finance top 10", actor=coordinator, size=1)

    publish_shortlist(shortlist=shortlist, actor=coordinator)

    change = StatusChange.objects.get(application=application, to_status="shortlisted")
    assert (change.system_note, change.system_note_params, change.note) == (
        "shortlist_published",
        {"shortlist": "Finance top 10"},
        "",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_note_text_is_worded_in_the_active_language(shortlisted, language):
    change = StatusChange.objects.get(application=shortlisted)

    with translation.override(language):
        assert change.note_text == SHORTLISTED[language]


def test_note_text_keeps_a_person_s_note_after_the_system_s(db):
    change = StatusChange(system_note=SystemNote.FIRST_REVIEWER_ASSIGNED, note="Fast-tracked.")

    with translation.override("zh-hant"):
        assert change.note_text == "已分配首位評審員。\nFast-tracked."


@pytest.mark.parametrize("language", LANGUAGES)
def test_history_api_gives_coordinators_the_system_note_in_their_language(shortlisted, language):
    coordinator = CoordinatorFactory()

    response = client_for(coordinator).get(
        f"/api/v1/applications/{shortlisted.pk}/history/", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert [row["note"] for row in response.json()] == [SHORTLISTED[language]]
    assert set(response.json()[0]) == {
        "from_status",
        "to_status",
        "at",
        "actor_label",
        "message_to_applicant",
        "note",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_application_page_shows_the_system_note_in_the_reader_s_language(
    client, shortlisted, language
):
    force_login_verified(client, CoordinatorFactory())
    client.cookies["django_language"] = language

    page = client.get(f"/admin/applications/application/{shortlisted.pk}/change/")

    assert page.status_code == 200
    assert SHORTLISTED[language] in page.content.decode()
    assert "%(shortlist)s" not in page.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_status_change_page_shows_the_system_note_in_the_reader_s_language(
    client, shortlisted, language
):
    force_login_verified(client, CoordinatorFactory())
    client.cookies["django_language"] = language
    change = StatusChange.objects.get(application=shortlisted)

    page = client.get(f"/admin/applications/statuschange/{change.pk}/change/")

    assert page.status_code == 200
    assert SHORTLISTED[language] in page.content.decode()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_converts_recognisable_english_system_notes_to_codes():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # Made with today's model, before the schema goes back to a state without its newer columns.
    application = ApplicationFactory()
    try:
        old = migrate([("applications", "0002_status_change_message_to_applicant")])
        old_change = old.get_model("applications", "StatusChange")
        ids = [
            old_change.objects.create(
                application_id=application.pk, from_status="a", to_status="b", note=note
            ).pk
            for note in (
                "First reviewer assigned.",
                "Shortlist “Finance top 10” published.",
                "Decided at the panel meeting.",
            )
        ]
        migrate(latest)
    finally:
        migrate(latest)

    changes = [StatusChange.objects.get(pk=pk) for pk in ids]
    assert [(c.system_note, c.system_note_params, c.note) for c in changes] == [
        ("first_reviewer_assigned", {}, ""),
        ("shortlist_published", {"shortlist": "Finance top 10"}, ""),
        ("", {}, "Decided at the panel meeting."),
    ]
    with translation.override("zh-hant"):
        assert [c.note_text for c in changes] == [
            FIRST_REVIEWER["zh-hant"],
            SHORTLISTED["zh-hant"],
            "Decided at the panel meeting.",
        ]
