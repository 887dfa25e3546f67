"""No escalation through accounts (DESIGN.md §6; issue 11).

Coordinators lose the model permissions on Django's users (view, add, change) that migration 0003
gave them: with them, the stock user admin let a coordinator make themself a superuser. They
manage reviewers' accounts on a page of their own instead (reviews.ReviewerAccount), which the
role, not a model permission, opens. API tokens get a proxy that the admin names by user, never
by key.
"""

from django.db import migrations

USER_PERMISSIONS = ("view_user", "add_user", "change_user")


def _user_permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="auth", codename__in=USER_PERMISSIONS)


def withdraw(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Coordinators").first()
    if group is not None:
        group.permissions.remove(*_user_permissions(apps))


def restore(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Coordinators").first()
    if group is not None:
        group.permissions.add(*_user_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("incubator", "0004_outbox_out_rubric_in"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("authtoken.tokenproxy",),
        ),
        migrations.RunPython(withdraw, restore),
    ]
