"""A round's rubric (Criterion) now belongs to the `incubator` app (incubator 0004 took over its
table): scores point at it there. State only: the database does not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incubator", "0004_outbox_out_rubric_in"),
        ("reviews", "0002_reviewer_workplace_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="score",
                    name="criterion",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="scores", to="incubator.criterion"),
                ),
                migrations.DeleteModel(name="Criterion"),
            ],
            database_operations=[],
        ),
    ]
