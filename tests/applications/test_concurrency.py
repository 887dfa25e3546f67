"""Two connections move one application at once: the row lock lets exactly one through."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus as Status
from applications.models import Application, StatusChange
from applications.services import (
    ApplicationGone,
    InvalidTransition,
    delete_draft,
    submit_application,
    transition_application,
)
from tests.factories import ApplicationFactory, StartupFactory, UserFactory
from tests.races import hold_open_while_another_waits


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transition_concurrent_moves_exactly_one_wins():
    application = ApplicationFactory(status=Status.UNDER_REVIEW)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(target: Status) -> None:
        start.wait()
        try:
            transition_application(
                application=Application.objects.get(pk=application.pk),
                to_status=target,
                actor=None,
            )
            outcomes.append(f"moved to {target}")
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    # under_review → waitlisted then → waitlisted again is illegal, so the loser must be refused.
    threads = [threading.Thread(target=decide, args=(Status.WAITLISTED,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["moved to waitlisted", "refused"]
    assert Application.objects.get(pk=application.pk).status == Status.WAITLISTED
    assert StatusChange.objects.filter(application=application).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_update_draft_while_it_is_deleted_answers_409():
    founder = UserFactory()
    draft = ApplicationFactory(startup=StartupFactory(members=[founder]))
    answers: list = []

    def delete() -> None:
        delete_draft(actor=founder, application=Application.objects.get(pk=draft.pk))

    def edit() -> None:
        client = APIClient()
        client.force_authenticate(founder)
        answers.append(
            client.patch(
                f"/api/v1/applications/{draft.pk}/", {"project_name": "Renamed"}, format="json"
            )
        )

    hold_open_while_another_waits(delete, edit)

    [answer] = answers
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "This application no longer exists: it was deleted in the meantime."
    }
    assert not Application.objects.filter(pk=draft.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submit_while_the_draft_is_deleted_is_refused_cleanly():
    founder = UserFactory()
    draft = ApplicationFactory(startup=StartupFactory(members=[founder]))
    outcomes: list[str] = []

    def delete() -> None:
        delete_draft(actor=founder, application=Application.objects.get(pk=draft.pk))

    def submit() -> None:
        try:
            submit_application(actor=founder, application=Application.objects.get(pk=draft.pk))
        except ApplicationGone as error:
            outcomes.append(error.message)

    hold_open_while_another_waits(delete, submit)

    assert outcomes == ["This application no longer exists: it was deleted in the meantime."]
