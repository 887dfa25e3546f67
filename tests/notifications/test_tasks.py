"""The Celery wiring: task names, the beat schedule, and the tasks run in-process (eager)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from incubator.celery import app
from notifications import tasks
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_notification_tasks_are_registered_under_their_names():
    app.loader.import_default_modules()

    assert {
        "notifications.deliver",
        "notifications.redispatch_due",
        "reviews.send_review_reminders",
        "reviews.send_provider_digests",
    } <= set(app.tasks)


def test_beat_schedule_runs_redispatch_reminders_and_digests_on_the_notifications_queue():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["notifications-redispatch-due"]["task"] == "notifications.redispatch_due"
    assert schedule["notifications-redispatch-due"]["schedule"] == 60
    reminders = schedule["reviews-review-reminders"]["schedule"]
    digests = schedule["reviews-weekly-provider-digest"]["schedule"]
    assert (reminders.hour, reminders.minute) == ({9}, {0})
    assert (digests.day_of_week, digests.hour) == ({1}, {9})
    for entry in schedule.values():
        assert entry["options"]["queue"] == settings.NOTIFICATIONS_QUEUE


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


def test_delivery_task_is_registered_in_a_process_that_only_set_django_up():
    # Web processes and management commands never import tasks.py themselves; the outbox finds
    # its delivery task by name in Celery's registry.
    script = (
        "import django; django.setup(); from celery import current_app; "
        "print('notifications.deliver' in current_app.tasks)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.strip() == "True", result.stderr
