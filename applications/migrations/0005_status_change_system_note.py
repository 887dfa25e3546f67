"""Notes the system writes into an application's history become codes (issue 13), worded in the
reader's language when shown. Existing English system notes that are recognisable are converted;
any other note is a person's and stays as written.
"""

import re

from django.db import migrations, models

FIRST_REVIEWER = "First reviewer assigned."
SHORTLIST = re.compile(r"^Shortlist “(?P<shortlist>.*)” published\.$", re.DOTALL)


def notes_to_codes(apps, schema_editor):
    StatusChange = apps.get_model("applications", "StatusChange")
    StatusChange.objects.filter(note=FIRST_REVIEWER).update(
        note="", system_note="first_reviewer_assigned", system_note_params={}
    )
    for change in StatusChange.objects.filter(note__startswith="Shortlist “").only("pk", "note"):
        match = SHORTLIST.match(change.note)
        if match is None:
            continue
        StatusChange.objects.filter(pk=change.pk).update(
            note="",
            system_note="shortlist_published",
            system_note_params={"shortlist": match["shortlist"]},
        )


def codes_to_notes(apps, schema_editor):
    StatusChange = apps.get_model("applications", "StatusChange")
    StatusChange.objects.filter(system_note="first_reviewer_assigned", note="").update(
        note=FIRST_REVIEWER
    )
    for change in StatusChange.objects.filter(system_note="shortlist_published", note=""):
        name = (change.system_note_params or {}).get("shortlist", "")
        StatusChange.objects.filter(pk=change.pk).update(note=f"Shortlist “{name}” published.")


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0004_verbose_names_for_links'),
    ]

    operations = [
        migrations.AddField(
            model_name='statuschange',
            name='system_note',
            field=models.CharField(blank=True, choices=[('first_reviewer_assigned', 'First reviewer assigned.'), ('shortlist_published', 'Shortlist “%(shortlist)s” published.')], max_length=32, verbose_name='system note'),
        ),
        migrations.AddField(
            model_name='statuschange',
            name='system_note_params',
            field=models.JSONField(blank=True, default=dict, verbose_name="system note's parameters"),
        ),
        migrations.RunPython(notes_to_codes, codes_to_notes),
    ]
