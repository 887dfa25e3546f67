"""A status change keeps its internal note apart from the message to the applicant (issue 11).

Notes written before this migration stay notes: they were written without knowing who would
read them, so none is shown to a start-up now.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='statuschange',
            name='message_to_applicant',
            field=models.TextField(blank=True, verbose_name='message to the applicant'),
        ),
        migrations.AlterField(
            model_name='statuschange',
            name='note',
            field=models.TextField(blank=True, verbose_name='internal note'),
        ),
    ]
