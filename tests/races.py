"""Helpers for tests that race two real PostgreSQL transactions from two threads."""

import threading
import time
from collections.abc import Callable

from django.db import connection, transaction


def wait_until_a_query_waits_for_a_lock(timeout: float = 30) -> None:
    """Return once another connection to this database is blocked on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"no query waited for a lock within {timeout} s")


def in_thread(work: Callable[[], None]) -> threading.Thread:
    """Run `work` in a thread with its own database connection, closed afterwards."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def hold_open_while_another_waits(change: Callable[[], None], other: Callable[[], None]) -> None:
    """`change` runs in a transaction that stays open until `other`, started after it, is
    blocked on one of the rows it locked; then `change` commits and `other` carries on."""
    changed, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                change()
                changed.set()
                if not release.wait(60):
                    raise AssertionError("the second request never waited")
        except BaseException as error:
            failures.append(error)
            changed.set()

    def second() -> None:
        changed.wait(60)
        if not failures:
            other()

    threads = [in_thread(first), in_thread(second)]
    try:
        changed.wait(60)
        if not failures:
            wait_until_a_query_waits_for_a_lock()
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
    if failures:
        raise failures[0]
