"""Reviewers work only in the reviewing workplace of the admin.

Migration incubator 0003 let reviewers view start-ups, applications, attachments, criteria and
scores model-wide, which opened the admin's full lists of those models to them. The workplace
shows a reviewer the applications, attachments, criteria and scores of their own assignments,
so those model permissions are withdrawn: any other admin page answers 403.
"""

from django.db import migrations

WITHDRAWN = [
    ("applications", "view_startup"),
    ("applications", "view_application"),
    ("applications", "view_attachment"),
    ("reviews", "view_criterion"),
    ("reviews", "view_score"),
    ("reviews", "add_score"),
    ("reviews", "change_score"),
]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    for app_label, codename in WITHDRAWN:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            yield permission


def withdraw(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Reviewers").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


def restore(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Reviewers").first()
    if group is not None:
        group.permissions.add(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("incubator", "0003_roles"),
    ]

    operations = [migrations.RunPython(withdraw, restore)]
