"""`attempts` counts every attempt ever made; the retry schedule's position moves to its own
field, which a coordinator's retry resets. Until now a retry reset `attempts` itself, so for
every existing row the two are the same."""

from django.db import migrations, models
from django.db.models import F


def copy_attempts(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(attempts_since_retry=F("attempts"))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_email_template")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="attempts_since_retry",
            field=models.PositiveSmallIntegerField(
                default=0, verbose_name="attempts since the last retry"
            ),
        ),
        migrations.RunPython(copy_attempts, migrations.RunPython.noop),
    ]
