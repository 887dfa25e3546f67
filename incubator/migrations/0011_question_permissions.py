"""Coordinators manage a round's questions in the admin; reviewers read them (DESIGN.md §6)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COORDINATOR = ["add_question", "change_question", "delete_question", "view_question"]
REVIEWER = ["view_question"]


def grant(apps, schema_editor):
    # Only this app's: another app's historical models may be mid-move at this point.
    app_config = apps.get_app_config("incubator")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Coordinators", COORDINATOR), ("Reviewers", REVIEWER)):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="incubator", codename__in=codenames
                )
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="incubator", codename__in=COORDINATOR
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incubator", "0010_round_questions")]

    operations = [migrations.RunPython(grant, revoke)]
