"""The Celery wiring: task names, the beat schedule, and the tasks run in-process (eager)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from incubator.celery import app, consume_redispatch_with_deliveries
from notifications import tasks
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

REDISPATCH_QUEUE = settings.NOTIFICATIONS_REDISPATCH_QUEUE
ROOT = Path(__file__).resolve().parents[2]


def test_notification_tasks_are_registered_under_their_names():
    app.loader.import_default_modules()

    assert {
        "notifications.deliver",
        "notifications.redispatch_due",
        "reviews.send_review_reminders",
        "reviews.send_provider_digests",
    } <= set(app.tasks)


def test_beat_schedule_runs_reminders_and_digests_on_the_notifications_queue():
    schedule = settings.CELERY_BEAT_SCHEDULE

    reminders = schedule["reviews-review-reminders"]["schedule"]
    digests = schedule["reviews-weekly-provider-digest"]["schedule"]
    assert (reminders.hour, reminders.minute) == ({9}, {0})
    assert (digests.day_of_week, digests.hour) == ({1}, {9})
    for name in ["reviews-review-reminders", "reviews-weekly-provider-digest"]:
        assert schedule[name]["options"] == {"queue": settings.NOTIFICATIONS_QUEUE}


def test_beat_schedule_runs_redispatch_every_minute_on_its_own_queue_without_expiry():
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-redispatch-due"]

    assert (entry["task"], entry["schedule"]) == ("notifications.redispatch_due", 60)
    # No "expires": a run that waited behind other work still runs.
    assert entry["options"] == {"queue": REDISPATCH_QUEUE}
    assert f"{settings.NOTIFICATIONS_QUEUE}.redispatch" == REDISPATCH_QUEUE


def test_worker_without_queue_option_consumes_deliveries_and_redispatch():
    declared = app.amqp.queues

    # What `celery worker` without -Q consumes: every declared queue.
    assert set(declared.consume_from) == {"celery", settings.NOTIFICATIONS_QUEUE, REDISPATCH_QUEUE}
    route = app.amqp.router.route
    assert route({}, "notifications.redispatch_due")["queue"].name == REDISPATCH_QUEUE


def test_worker_told_to_consume_the_notifications_queue_consumes_redispatch_too():
    queues = app.amqp.queues
    queues.select([settings.NOTIFICATIONS_QUEUE])  # what `celery worker -Q <queue>` does
    try:
        consume_redispatch_with_deliveries(sender="worker@test", instance=SimpleNamespace(app=app))
        consumed = set(queues.consume_from)
    finally:
        queues._consume_from = None  # back to every declared queue

    assert consumed == {settings.NOTIFICATIONS_QUEUE, REDISPATCH_QUEUE}


def test_worker_told_to_consume_other_queues_only_is_left_alone():
    queues = app.amqp.queues
    queues.select(["reports"])  # declared on the fly, as the worker does
    try:
        consume_redispatch_with_deliveries(sender="worker@test", instance=SimpleNamespace(app=app))
        consumed = set(queues.consume_from)
    finally:
        queues._consume_from = None
        del queues["reports"]

    assert consumed == {"reports"}


def test_redispatch_due_task_delivers_due_rows(mailoutbox, django_capture_on_commit_callbacks):
    row = NotificationFactory(next_attempt_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.redispatch_due() == 1

    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert len(mailoutbox) == 1


def test_deliver_notifications_task_delivers_each_row_once(mailoutbox):
    rows = [NotificationFactory(), NotificationFactory()]
    ids = [row.pk for row in rows]

    assert tasks.deliver_notifications(ids) == {ids[0]: "sent", ids[1]: "sent"}
    assert tasks.deliver_notifications(ids) == {ids[0]: "skipped", ids[1]: "skipped"}
    assert len(mailoutbox) == 2
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_deliver_notifications_task_records_a_template_bug_and_fails_the_row():
    row = NotificationFactory(payload={"template": "no_such_template", "data": {}})

    assert tasks.deliver_notifications([row.pk]) == {row.pk: "failed"}

    row.refresh_from_db()
    assert row.last_error.startswith("TemplateDoesNotExist")


def test_a_web_process_has_the_delivery_task_registered():
    # A fresh process that only sets Django up, like gunicorn: Celery imports task modules only
    # in a worker, and the after-commit dispatch looks the task up by name.
    code = (
        "import django; django.setup(); from celery import current_app; "
        "print(sorted(n for n in current_app.tasks if n.startswith('notifications.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == (
        "['notifications.audit_checkpoint', 'notifications.deliver', "
        "'notifications.redispatch_due']"
    )
