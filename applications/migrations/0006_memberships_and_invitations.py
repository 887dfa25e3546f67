"""Teams (issue 14): `Startup.members` gets a through model, Membership, with a role and a join
time, and start-ups and providers get e-mailed invitations.

No row is lost: Membership takes over the many-to-many table Django made for `members`
(`applications_startup_members`: same id, columns, foreign keys and unique pair), and the
database only gains two columns. Existing teams: each start-up's earliest member (the lowest id
in that table: the one who registered it) becomes its owner, the others members, and everyone's
join time is the start-up's creation time (the only time known for them).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery

TABLE = "applications_startup_members"


def owners_and_join_times(apps, schema_editor):
    """Each start-up's earliest member (lowest id) owns it; everyone joined when it was made."""
    Membership = apps.get_model("applications", "Membership")
    Startup = apps.get_model("applications", "Startup")
    Membership.objects.update(
        joined_at=Subquery(
            Startup.objects.filter(pk=OuterRef("startup_id")).values("created_at")[:1]
        )
    )
    earliest = Membership.objects.values("startup_id").annotate(first=Min("pk")).values("first")
    Membership.objects.filter(pk__in=earliest).update(role="owner")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_status_change_system_note"),
        ("incubator", "0008_partner_accounts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The table is there already: only the state learns that Membership is its model.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "startup",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="applications.startup",
                                verbose_name="start-up",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "membership",
                        "verbose_name_plural": "memberships",
                        "db_table": TABLE,
                        "ordering": ["startup", "joined_at", "id"],
                        "unique_together": {("startup", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="startup",
                    name="members",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="startups",
                        through="applications.Membership",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="members",
                    ),
                ),
            ],
            database_operations=[],
        ),
        # Then the two columns, for every database; existing rows get the defaults, which
        # owners_and_join_times corrects last (on PostgreSQL, no ALTER TABLE may follow the
        # updates in this transaction: their deferred foreign-key checks are still pending).
        migrations.AddField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("member", "Member")],
                default="member",
                max_length=8,
                verbose_name="role",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="joined_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="joined at"
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["owner", "member"])),
                name="membership_role_known",
            ),
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254, verbose_name="e-mail")),
                (
                    "token_hash",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="token hash"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        editable=False,
                        verbose_name="created at",
                    ),
                ),
                ("expires_at", models.DateTimeField(verbose_name="expires at")),
                (
                    "accepted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="accepted at"),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
                ),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="accepted by",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="invited by",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="incubator.serviceprovider",
                        verbose_name="service provider",
                    ),
                ),
                (
                    "startup",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="applications.startup",
                        verbose_name="start-up",
                    ),
                ),
            ],
            options={
                "verbose_name": "invitation",
                "verbose_name_plural": "invitations",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("provider__isnull", True), ("startup__isnull", False)),
                            models.Q(("provider__isnull", False), ("startup__isnull", True)),
                            _connector="OR",
                        ),
                        name="invitation_one_target",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PartnerInvitation",
            fields=[],
            options={
                "verbose_name": "partner user invitation",
                "verbose_name_plural": "partner user invitations",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("applications.invitation",),
        ),
        migrations.RunPython(owners_and_join_times, migrations.RunPython.noop),
    ]
