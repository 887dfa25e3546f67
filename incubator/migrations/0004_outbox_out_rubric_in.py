"""The house (DESIGN.md §3): the outbox leaves for the `notifications` app, and a round's rubric
(Criterion) comes here from `reviews`, since a round owns its rubric.

State only for the outbox (its tables were taken over by notifications 0001). The rubric's table
is taken over as it is, renamed to this app's name, and its content type follows, so the
permissions granted on it keep working. No row is copied or lost.
"""

import django.db.models.deletion
from django.db import migrations, models

from incubator.migrations._content_types import relabel_content_types, reversed_moves

MOVED = [("criterion", "reviews", "incubator")]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("incubator", "0003_roles"),
        ("notifications", "0001_initial"),
        ("reviews", "0002_reviewer_workplace_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="NotificationAttempt"),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Criterion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        ("weight", models.DecimalField(decimal_places=2, default=1, max_digits=6, verbose_name="weight")),
                        ("max_score", models.PositiveSmallIntegerField(default=10, verbose_name="maximum score")),
                        ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                        ("round", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="criteria", to="incubator.round", verbose_name="round")),
                    ],
                    options={
                        "verbose_name": "criterion",
                        "verbose_name_plural": "criteria",
                        "ordering": ["round", "order", "id"],
                        "db_table": "reviews_criterion",
                        "constraints": [
                            models.UniqueConstraint(fields=("round", "name"), name="criterion_unique_name"),
                            models.CheckConstraint(condition=models.Q(("weight__gt", 0)), name="criterion_weight_positive"),
                            models.CheckConstraint(condition=models.Q(("max_score__gte", 1)), name="criterion_max_score_min"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="criterion", table=None),
        migrations.RunPython(
            relabel_content_types(MOVED),
            relabel_content_types(reversed_moves(MOVED)),
        ),
    ]
