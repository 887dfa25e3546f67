"""The outbox moves from the `incubator` app into this one, keeping every row.

The tables are taken over as they are (the models are only re-declared in this app's state),
renamed to this app's names, and the content types follow, so the permissions granted on them
(and the admin's log entries) keep pointing at the same models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from incubator.migrations._content_types import relabel_content_types, reversed_moves

MOVED = [("notification", "incubator", "notifications"), ("notificationattempt", "incubator", "notifications")]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("incubator", "0003_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event", models.CharField(max_length=64, verbose_name="event")),
                        ("channel", models.CharField(choices=[("email", "E-mail"), ("webhook", "Webhook")], max_length=16, verbose_name="channel")),
                        ("recipient", models.CharField(max_length=500, verbose_name="recipient")),
                        ("subject", models.CharField(max_length=100, verbose_name="subject")),
                        ("dedup_key", models.CharField(max_length=255, unique=True, verbose_name="deduplication key")),
                        ("language", models.CharField(default="en", max_length=10, verbose_name="language")),
                        ("payload", models.JSONField(blank=True, default=dict, verbose_name="payload")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")], default="pending", max_length=16, verbose_name="status")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt at")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("provider", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="notifications", to="incubator.serviceprovider", verbose_name="provider")),
                        ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="notifications", to=settings.AUTH_USER_MODEL, verbose_name="user")),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "incubator_notification",
                        "indexes": [
                            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
                            models.Index(fields=["event", "created_at"], name="notification_event_idx"),
                        ],
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(("status__in", ["pending", "sent", "failed"])), name="notification_status_known"),
                            models.CheckConstraint(condition=models.Q(("channel__in", ["email", "webhook"])), name="notification_channel_known"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationAttempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("started_at", models.DateTimeField(verbose_name="started at")),
                        ("duration_ms", models.PositiveIntegerField(verbose_name="duration (ms)")),
                        ("succeeded", models.BooleanField(verbose_name="succeeded")),
                        ("http_status", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="HTTP status")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("notification", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attempt_log", to="notifications.notification")),
                    ],
                    options={
                        "verbose_name": "delivery attempt",
                        "verbose_name_plural": "delivery attempts",
                        "ordering": ["-started_at", "-id"],
                        "db_table": "incubator_notificationattempt",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="notification", table=None),
        migrations.AlterModelTable(name="notificationattempt", table=None),
        migrations.RunPython(
            relabel_content_types(MOVED),
            relabel_content_types(reversed_moves(MOVED)),
        ),
    ]
