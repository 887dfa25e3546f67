"""Appends are serialised on the chain's head: concurrent transactions never fork the chain
or leave a gap in seq (DESIGN.md §13)."""

import threading

import pytest
from django.db import connection

from applications import services as intake
from audit.models import AuditEvent
from audit.verification import verify_chain
from tests.factories import ApplicationFactory, StartupFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

THREADS = 20


def test_twenty_concurrent_state_changes_make_twenty_consecutive_links():
    founders, applications = [], []
    for _ in range(THREADS):
        founder = UserFactory()
        founders.append(founder)
        applications.append(ApplicationFactory(startup=StartupFactory(members=[founder])))
    start = AuditEvent.objects.count()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def change(founder, application, n):
        try:
            barrier.wait(timeout=30)
            intake.update_draft(actor=founder, application=application, stage="pilot")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=(founder, application, n))
        for n, (founder, application) in enumerate(zip(founders, applications, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, start + THREADS + 1))
    updated = AuditEvent.objects.filter(action="application.updated")
    assert sorted(int(e.object_id) for e in updated) == sorted(a.pk for a in applications)
    result = verify_chain()
    assert result.ok
    assert result.length == start + THREADS
