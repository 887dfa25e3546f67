"""E-mail texts that coordinators edit in the admin, per template and language; the
Coordinators group may view, add, change and delete them (reviewers may not)."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


CODENAMES = ["view_emailtemplate", "add_emailtemplate", "change_emailtemplate", "delete_emailtemplate"]


def grant_coordinators(apps, schema_editor):
    # Permissions are normally made after migrating; the grant needs them now.
    app_config = apps.get_app_config("notifications")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    coordinators = Group.objects.filter(name="Coordinators").first()
    if coordinators is not None:
        coordinators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="notifications", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0001_initial'),
        ('incubator', '0003_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EmailTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='template')),
                ('language', models.CharField(choices=[('en', 'English'), ('zh-hans', '简体中文'), ('zh-hant', '繁體中文')], max_length=10, verbose_name='language')),
                ('subject', models.CharField(max_length=500, verbose_name='subject')),
                ('text_body', models.TextField(verbose_name='text body')),
                ('html_body', models.TextField(blank=True, help_text='Optional: left empty, the HTML part is made from the text body.', verbose_name='HTML body')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'e-mail text',
                'verbose_name_plural': 'e-mail texts',
                'ordering': ['name', 'language'],
                'constraints': [models.UniqueConstraint(fields=('name', 'language'), name='email_template_one_per_language'), models.CheckConstraint(condition=models.Q(('language__in', ['en', 'zh-hans', 'zh-hant'])), name='email_template_language_known')],
            },
        ),
        migrations.RunPython(grant_coordinators, migrations.RunPython.noop),
    ]
