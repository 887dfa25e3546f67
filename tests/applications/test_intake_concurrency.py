"""Two requests create the same start-up's application in one round at once: one draft only."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applications.models import Application
from applications.services import create_draft
from tests.factories import RoundFactory, StartupFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_create_draft_concurrent_one_per_round():
    user = UserFactory(username="twin")
    startup = StartupFactory(members=[user])
    round_ = RoundFactory()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def create(name: str) -> None:
        start.wait()
        try:
            create_draft(actor=user, startup=startup, round=round_, project_name=name)
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(next(iter(error.message_dict)))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(f"P{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "round"]
    assert Application.objects.filter(startup=startup, round=round_).count() == 1
