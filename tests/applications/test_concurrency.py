"""Two connections move one application at once: the row lock lets exactly one through."""

import threading

import pytest
from django.db import connection

from applications.enums import ApplicationStatus as Status
from applications.models import Application, StatusChange
from applications.services import InvalidTransition, transition_application
from tests.factories import ApplicationFactory


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
