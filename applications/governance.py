"""A start-up's own data (DESIGN.md §13): its applications' audit events, everything held about
it as one JSON document, and anonymisation after the retention period.

The audit trail holds personal data only as HMACs, so anonymising the rows it speaks of leaves
every hash of the chain intact: `verify_audit` still passes afterwards.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from audit.models import AuditEvent
from audit.services import Event, format_time, hashed_fields, record_many
from incubator.models import Round
from incubator.permissions import is_coordinator
from notifications.models import Notification

from .enums import ApplicationStatus as Status
from .models import Application, Attachment, ConsentChange, Startup, StatusChange
from .selectors import team

# What a start-up's members read of their applications' trail: the applications' own events and
# their files'. Assignments, reviews and conflicts stay out: they would tell a start-up who its
# blind reviewers are (their user ids) and when each one worked.
MEMBER_OBJECT_TYPES = ("application", "attachment")


def events_of(application_ids: Iterable[int], *, object_types: Iterable[str] | None) -> Q:
    ids = [str(pk) for pk in application_ids]
    numbers = [int(pk) for pk in ids]
    own = Q(object_type="application", object_id__in=ids)
    related = Q(data__application__in=numbers) & ~Q(object_type="application")
    if object_types is not None:
        related &= Q(object_type__in=[t for t in object_types if t != "application"])
    return own | related


def application_events(*, application: Application, reader: AbstractBaseUser) -> QuerySet:
    """The audit events of one application as `reader` may read them, in seq order: a
    coordinator every event about it (its assignments, reviews and exports' included), its
    start-up's members only the application's and its attachments' (MEMBER_OBJECT_TYPES).

    Events are shown exactly as hashed, so a member can recompute each one; they hold people's
    text and addresses only as HMACs, and actors only as user ids, never names."""
    types = None if is_coordinator(reader) else MEMBER_OBJECT_TYPES
    return AuditEvent.objects.filter(events_of([application.pk], object_types=types)).order_by(
        "seq"
    )


def event_dict(event: AuditEvent) -> dict:
    return {**hashed_fields(event), "hash": event.hash}


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def startup_export(startup: Startup) -> dict:
    """Everything held about a start-up, as one JSON-ready document (a constant number of
    queries, whatever the number of applications)."""
    memberships = list(team(startup=startup))
    members = [membership.user for membership in memberships]
    member_ids = {member.pk for member in members}
    applications = list(
        Application.objects.filter(startup=startup).select_related("round").order_by("pk")
    )
    ids = [a.pk for a in applications]
    attachments: dict[int, list[dict]] = {pk: [] for pk in ids}
    for attachment in Attachment.objects.filter(application_id__in=ids).order_by("pk"):
        attachments[attachment.application_id].append(
            {
                "id": attachment.pk,
                "kind": attachment.kind,
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "sha256": attachment.sha256,
                "uploaded_at": _time(attachment.uploaded_at),
            }
        )
    consent_history: dict[int, list[dict]] = {pk: [] for pk in ids}
    for consent in ConsentChange.objects.filter(application_id__in=ids).order_by(
        "created_at", "pk"
    ):
        consent_history[consent.application_id].append(
            {
                "share_with_before": consent.share_with_before,
                "share_with_after": consent.share_with_after,
                "text_version": consent.text_version,
                "at": _time(consent.created_at),
                "by_member": consent.actor_id in member_ids,
                "reason": consent.reason,
            }
        )
    history: dict[int, list[dict]] = {pk: [] for pk in ids}
    for change in StatusChange.objects.filter(application_id__in=ids).order_by("created_at", "pk"):
        history[change.application_id].append(
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "at": _time(change.created_at),
                "message_to_applicant": change.message_to_applicant,
            }
        )
    addresses = {startup.contact_email.lower(), *(m.email.lower() for m in members if m.email)}
    addresses.discard("")
    notifications = (
        Notification.objects.annotate(address=Lower("recipient"))
        .filter(Q(address__in=addresses) | Q(user__in=members))
        .order_by("pk")
    )
    return {
        "profile": {
            "id": startup.pk,
            "name": startup.name,
            "region": startup.region,
            "founded_on": startup.founded_on.isoformat() if startup.founded_on else None,
            "website": startup.website,
            "team_size": startup.team_size,
            "description": startup.description,
            "contact_email": startup.contact_email,
            "language": startup.language,
            "created_at": _time(startup.created_at),
        },
        "members": [
            {
                "user": membership.user.pk,
                "username": membership.user.get_username(),
                "email": membership.user.email,
                "first_name": membership.user.first_name,
                "last_name": membership.user.last_name,
                "role": membership.role,
                "joined_at": _time(membership.joined_at),
                "date_joined": _time(membership.user.date_joined),
            }
            for membership in memberships
        ],
        "applications": [
            {
                "id": application.pk,
                "round": application.round_id,
                "round_name": application.round.name,
                "project_name": application.project_name,
                "track": application.track,
                "stage": application.stage,
                "summary": application.summary,
                "funding_amount": None
                if application.funding_amount is None
                else str(application.funding_amount),
                "funding_currency": application.funding_currency,
                "needs": application.needs,
                "status": application.status,
                "created_at": _time(application.created_at),
                "submitted_at": _time(application.submitted_at),
                "decided_at": _time(application.decided_at),
                "answers": application.answers,
                "share_with": application.share_with,
                "attachments": attachments[application.pk],
                "status_history": history[application.pk],
                "consent_history": consent_history[application.pk],
            }
            for application in applications
        ],
        "notifications": [
            {
                "id": row.pk,
                "event": row.event,
                "channel": row.channel,
                "recipient": row.recipient,
                "status": row.status,
                "created_at": _time(row.created_at),
                "sent_at": _time(row.sent_at),
            }
            for row in notifications
        ],
        "audit_events": [
            event_dict(event)
            for event in AuditEvent.objects.filter(
                events_of(ids, object_types=MEMBER_OBJECT_TYPES)
                | Q(object_type="startup", object_id=str(startup.pk))
            ).order_by("seq")
        ],
    }


# --- Anonymisation after retention ------------------------------------------------------------

DECIDED_STATUSES = (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN)
PLACEHOLDER = "[anonymised]"


@dataclass
class AnonymisationResult:
    applications: list[int] = field(default_factory=list)
    startups: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    files: int = 0


def applications_past_retention(*, round_: Round, before: datetime) -> QuerySet[Application]:
    """Decided (accepted, rejected, withdrawn) applications of the round whose last status
    change is before `before`, and not anonymised yet."""
    changes = StatusChange.objects.filter(application=OuterRef("pk"))
    return (
        Application.objects.filter(round=round_, status__in=DECIDED_STATUSES)
        .filter(Exists(changes), ~Exists(changes.filter(created_at__gte=before)))
        .exclude(project_name=PLACEHOLDER)
        .order_by("pk")
    )


def anonymise_applications(
    *, round_: Round, before: datetime, actor: AbstractBaseUser | None = None
) -> AnonymisationResult:
    """Replace the personal data of the round's decided applications past `before` with
    placeholders and delete their files (after commit). Their start-up goes too when none of its
    applications is left un-anonymised; its members' accounts when they belong to no other
    start-up and are not staff. Each application gets an `application.updated` event with
    `{"anonymised": true}` (one lock, one insert), so the trail says when it happened."""
    result = AnonymisationResult()
    user_model = get_user_model()
    with transaction.atomic():
        chosen = list(
            applications_past_retention(round_=round_, before=before).select_for_update(
                of=("self",)
            )
        )
        if not chosen:
            return result
        ids = [a.pk for a in chosen]
        result.applications = ids
        files = [
            name
            for name in Attachment.objects.filter(application_id__in=ids).values_list(
                "file", flat=True
            )
            if name
        ]
        result.files = len(files)
        Attachment.objects.filter(application_id__in=ids).update(original_name=PLACEHOLDER, file="")
        # The round's answers are people's own text too; the consent's reasons go with them.
        Application.objects.filter(pk__in=ids).update(
            project_name=PLACEHOLDER, summary="", answers={}, dropped_answers=[]
        )
        ConsentChange.objects.filter(application_id__in=ids).update(reason="")
        StatusChange.objects.filter(application_id__in=ids).update(note="", message_to_applicant="")
        startup_ids = {a.startup_id for a in chosen}
        still_live = set(
            Application.objects.filter(startup_id__in=startup_ids)
            .exclude(project_name=PLACEHOLDER)
            .values_list("startup_id", flat=True)
        )
        gone = sorted(startup_ids - still_live)
        result.startups = gone
        member_ids = set(
            Startup.members.through.objects.filter(startup_id__in=gone).values_list(
                "user_id", flat=True
            )
        )
        elsewhere = set(
            Startup.members.through.objects.filter(user_id__in=member_ids)
            .exclude(startup_id__in=gone)
            .values_list("user_id", flat=True)
        )
        users = list(
            user_model.objects.filter(pk__in=member_ids - elsewhere, is_staff=False).order_by("pk")
        )
        addresses = {u.email.lower() for u in users if u.email}
        addresses |= {
            email.lower()
            for email in Startup.objects.filter(pk__in=gone).values_list("contact_email", flat=True)
        }
        for startup_id in gone:
            Startup.objects.filter(pk=startup_id).update(
                name=f"{PLACEHOLDER} {startup_id}",
                contact_email=f"anonymised-{startup_id}@anonymised.invalid",
                description="",
                website="",
            )
        for user in users:
            user.username = f"anonymised-{user.pk}"
            user.email = ""
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save(
                update_fields=[
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "is_active",
                    "password",
                ]
            )
        result.users = [u.pk for u in users]
        if addresses:
            Notification.objects.annotate(address=Lower("recipient")).filter(
                address__in=addresses
            ).update(recipient="anonymised@anonymised.invalid", payload={})
        record_many(
            Event(
                actor=actor,
                action="application.updated",
                object_type="application",
                object_id=pk,
                data={"anonymised": True, "files_deleted": True},
            )
            for pk in ids
        )
        transaction.on_commit(lambda: _delete_files(files))
    return result


def _delete_files(names: list[str]) -> None:
    # A file already gone is no error.
    for name in names:
        default_storage.delete(name)
