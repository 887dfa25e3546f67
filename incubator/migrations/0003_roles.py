"""The two roles of DESIGN.md section 6 as groups with model permissions.

The admin's querysets narrow what a reviewer sees further; these permissions only open the doors.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COORDINATOR_APPS = ("incubator", "applications", "reviews")
COORDINATOR_EXTRA = [("auth", "view_user"), ("auth", "add_user"), ("auth", "change_user")]
REVIEWER_PERMISSIONS = [
    ("applications", "view_startup"),
    ("applications", "view_application"),
    ("applications", "view_attachment"),
    ("reviews", "view_criterion"),
    ("reviews", "view_assignment"),
    ("reviews", "view_review"),
    ("reviews", "change_review"),
    ("reviews", "view_score"),
    ("reviews", "add_score"),
    ("reviews", "change_score"),
    ("reviews", "view_conflictofinterest"),
    ("reviews", "add_conflictofinterest"),
]


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrating; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        found = []
        for app_label, codename in pairs:
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return found

    coordinators, _ = Group.objects.get_or_create(name="Coordinators")
    coordinators.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=COORDINATOR_APPS),
        *permissions(COORDINATOR_EXTRA),
    )
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.add(*permissions(REVIEWER_PERMISSIONS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Coordinators", "Reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incubator", "0002_default_programme"),
        ("applications", "0001_initial"),
        ("reviews", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
