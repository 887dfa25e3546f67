"""Every change of an application's state goes through these functions."""

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Event, canonical_json, personal, record, record_many
from incubator.enums import Region, ServiceKind
from incubator.exceptions import WorkflowError
from incubator.models import Round
from incubator.permissions import is_coordinator
from incubator.services import new_account_errors
from incubator.text import check_text

from . import consent, notifications
from .answers import check_answers_size, clean_answers, missing_answers, round_questions
from .enums import ApplicationStatus as Status
from .enums import AttachmentKind, MembershipRole, SystemNote
from .models import Application, Attachment, Startup, StatusChange
from .permissions import is_member

# DESIGN.md section 4: who may move an application from where to where is decided by the named
# services; this table says which moves exist at all.
ALLOWED_TRANSITIONS: dict[Status, set[Status]] = {
    Status.DRAFT: {Status.SUBMITTED, Status.WITHDRAWN},
    Status.SUBMITTED: {Status.UNDER_REVIEW, Status.REJECTED, Status.WITHDRAWN},
    Status.UNDER_REVIEW: {
        Status.SHORTLISTED,
        Status.WAITLISTED,
        Status.REJECTED,
        Status.WITHDRAWN,
    },
    Status.SHORTLISTED: {Status.ACCEPTED, Status.WAITLISTED, Status.REJECTED, Status.WITHDRAWN},
    Status.WAITLISTED: {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN},
    Status.ACCEPTED: set(),
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
}

DECISION_STATUSES = frozenset(
    {Status.SHORTLISTED, Status.ACCEPTED, Status.WAITLISTED, Status.REJECTED}
)

# The decisions as (value, label) choices, in the status machine's order (API and admin).
DECISION_CHOICES = [(s.value, s.label) for s in Status if s in DECISION_STATUSES]
DECISION_NOTE_MAX_LENGTH = 2000


class InvalidTransition(WorkflowError):
    """The application's current status does not allow the requested one."""


class ApplicationGone(WorkflowError):
    """The application was deleted by another request while this one waited for its lock."""


def lock_application(application: Application) -> Application:
    """The application's row, locked until the transaction ends; refused if it is gone.

    A draft deleted by a concurrent request is still in hand (it was read before the wait),
    but the lock finds no row once the deleting transaction commits.
    """
    try:
        return Application.objects.select_for_update().get(pk=application.pk)
    except Application.DoesNotExist as error:
        raise ApplicationGone(
            _("This application no longer exists: it was deleted in the meantime.")
        ) from error


def describe_refusal(current: Status, requested: Status) -> str:
    allowed = [status for status in Status if status in ALLOWED_TRANSITIONS[current]]
    if allowed:
        options = ", ".join(f"“{Status(s).label}”" for s in allowed)
        return _(
            "The application is “%(current)s” and cannot become “%(requested)s”; "
            "from “%(current)s” it can become %(options)s."
        ) % {"current": current.label, "requested": requested.label, "options": options}
    return _(
        "The application is “%(current)s”, a final status: "
        "it cannot become “%(requested)s” or change any more."
    ) % {"current": current.label, "requested": requested.label}


def transition_application(
    *,
    application: Application,
    to_status: Status,
    actor: AbstractBaseUser | None,
    note: str = "",
    system_note: SystemNote | str = "",
    system_note_params: dict | None = None,
    message_to_applicant: str = "",
    check: Callable[[Application], None] | None = None,
) -> Application:
    """Move an application to `to_status`, recording who did it, or refuse and change nothing.

    The row is locked first, so of two concurrent moves exactly one happens. `check`, when
    given, runs on the locked row before the move (a named service's own rule) and may raise.
    `note` is internal (coordinators read it); `system_note` is the system's own note, a code
    worded in the reader's language when shown; `message_to_applicant` is what the start-up reads.
    """
    to_status = Status(to_status)
    with transaction.atomic():
        locked = lock_application(application)
        current = Status(locked.status)
        if to_status not in ALLOWED_TRANSITIONS[current]:
            raise InvalidTransition(describe_refusal(current, to_status))
        if check is not None:
            check(locked)
        now = timezone.now()
        locked.status = to_status
        update_fields = ["status", "updated_at"]
        if to_status == Status.SUBMITTED:
            locked.submitted_at = now
            update_fields.append("submitted_at")
        if to_status in DECISION_STATUSES:
            locked.decided_at = now
            update_fields.append("decided_at")
        locked.save(update_fields=update_fields)
        StatusChange.objects.create(
            application=locked,
            from_status=current,
            to_status=to_status,
            actor=actor,
            note=note,
            system_note=system_note,
            system_note_params=system_note_params or {},
            message_to_applicant=message_to_applicant,
        )
        record(
            actor=actor,
            action="application.status_changed",
            object_type="application",
            object_id=locked.pk,
            data=_status_change_data(current, to_status, note, system_note, message_to_applicant),
        )
    # Keep the caller's instance in step with the database.
    application.status = locked.status
    application.submitted_at = locked.submitted_at
    application.decided_at = locked.decided_at
    application.updated_at = locked.updated_at
    return application


def _status_change_data(
    from_status: str,
    to_status: str,
    note: str = "",
    system_note: str = "",
    message_to_applicant: str = "",
) -> dict:
    """An audit event's `data` for a status change: statuses as values, people's text as HMACs."""
    data: dict = {"from": str(from_status), "to": str(to_status)}
    if note:
        data["note"] = personal(note)
    if system_note:
        data["system_note"] = str(system_note)
    if message_to_applicant:
        data["message_to_applicant"] = personal(message_to_applicant)
    return data


def transition_applications(
    *,
    application_ids: Iterable[int],
    to_status: Status,
    actor: AbstractBaseUser | None,
    note: str = "",
    system_note: SystemNote | str = "",
    system_note_params: dict | None = None,
    audit_events: list[Event] | None = None,
) -> int:
    """The same move for many applications in a few queries (automatic assignment moves
    thousands at once): all of them move, each with its StatusChange, or none does.

    Each move is an `application.status_changed` event. Given `audit_events`, the events are
    appended to that list instead, for the caller to record with its own in the same
    transaction: one lock of the chain's head and one insert for the whole service."""
    to_status = Status(to_status)
    with transaction.atomic():
        locked = list(
            Application.objects.select_for_update()
            .filter(pk__in=list(application_ids))
            .order_by("pk")
            .values_list("pk", "status")
        )
        for _pk, status in locked:
            if to_status not in ALLOWED_TRANSITIONS[Status(status)]:
                raise InvalidTransition(describe_refusal(Status(status), to_status))
        if not locked:
            return 0
        now = timezone.now()
        changes: dict[str, object] = {"status": to_status, "updated_at": now}
        if to_status == Status.SUBMITTED:
            changes["submitted_at"] = now
        if to_status in DECISION_STATUSES:
            changes["decided_at"] = now
        Application.objects.filter(pk__in=[pk for pk, _status in locked]).update(**changes)
        StatusChange.objects.bulk_create(
            [
                StatusChange(
                    application_id=pk,
                    from_status=status,
                    to_status=to_status,
                    actor=actor,
                    note=note,
                    system_note=system_note,
                    system_note_params=system_note_params or {},
                )
                for pk, status in locked
            ],
            batch_size=2000,
        )
        events = [
            Event(
                actor=actor,
                action="application.status_changed",
                object_type="application",
                object_id=pk,
                data=_status_change_data(status, to_status, note, system_note),
            )
            for pk, status in locked
        ]
        if audit_events is None:
            record_many(events)
        else:
            audit_events.extend(events)
    return len(locked)


# ---------------------------------------------------------------------------------------------
# Intake: registration, drafts, attachments, submission and withdrawal (issue 3).
# Each service checks its own rule and raises ValidationError (400, naming the field) for a bad
# value, a WorkflowError subclass (409) for a rule of the workflow, PermissionDenied (403) when
# the actor may not act; it changes nothing when it refuses.
# ---------------------------------------------------------------------------------------------

# Statuses a start-up may withdraw from: before any decision (issue 3).
WITHDRAWABLE_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW})

# The kinds of file each attachment kind accepts, by the type found in the bytes.
ACCEPTED_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    # kind: {detected extension: file name extensions that agree with it}
    "pitch_deck": {"pdf": ("pdf",), "pptx": ("pptx",)},
    "business_licence": {"pdf": ("pdf",), "jpg": ("jpg", "jpeg"), "png": ("png",)},
    "other": {"pdf": ("pdf",)},
}
# Kinds of which an application keeps one file: a new upload replaces the old one.
SINGLE_FILE_KINDS = frozenset({"pitch_deck", "business_licence"})
MAX_OTHER_ATTACHMENTS = 10

APPLICATION_FIELDS = (
    "project_name",
    "track",
    "stage",
    "summary",
    "funding_amount",
    "funding_currency",
)
STARTUP_FIELDS = (
    "name",
    "region",
    "founded_on",
    "website",
    "team_size",
    "description",
    "contact_email",
    # The language of its e-mails (DESIGN.md §11): en, zh-hans or zh-hant.
    "language",
)
MAX_TEAM_SIZE = 100_000


class RoundNotOpen(WorkflowError):
    """The round does not take applications now (server time)."""


class NotADraft(WorkflowError):
    """Only a draft can be changed, deleted or given files."""


class SubmissionIncomplete(WorkflowError):
    """Something that submitting needs is missing; `missing` names each thing."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


class WithdrawalNotAllowed(WorkflowError):
    """A decision has been made: the application can no longer be withdrawn."""


def _format_moment(moment) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d %H:%M") + f" ({local.tzname()})"


def ensure_round_open(round_: Round) -> None:
    """Refuse unless `round_` takes applications now, saying when it closed or opens."""
    now = timezone.now()
    if now < round_.opens_at:
        raise RoundNotOpen(
            _("The round “%(round)s” is not open yet: it opens on %(moment)s.")
            % {"round": round_.name, "moment": _format_moment(round_.opens_at)}
        )
    if now >= round_.closes_at:
        raise RoundNotOpen(
            _("The round “%(round)s” closed on %(moment)s: it no longer takes applications.")
            % {"round": round_.name, "moment": _format_moment(round_.closes_at)}
        )


# Long text keeps line breaks and tabs; everything else people type here is one line, without
# control characters (incubator/text.py). A password may hold any character it could be typed
# with, except what the database cannot store.
LONG_TEXT_FIELDS = frozenset({"summary", "description", "note"})
FREE_TEXT_FIELDS = frozenset({"password"})


def _check_text(field: str, value: object) -> None:
    """Refuse text that is not acceptable for `field`, with the field named."""
    if not isinstance(value, str):
        return
    if field not in FREE_TEXT_FIELDS:
        check_text({field: value}, long=LONG_TEXT_FIELDS)
        return
    if "\x00" in value:
        raise ValidationError({field: _("Null characters are not allowed.")})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError({field: _("The text contains invalid characters.")}) from error


def _check_needs(needs: Iterable[str]) -> set[str]:
    needs = set(needs)
    unknown = sorted(str(n) for n in needs if n not in ServiceKind.values)
    if unknown:
        raise ValidationError(
            {
                "needs": _("Unknown needs: %(unknown)s. Choose among: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(ServiceKind.values)}
            }
        )
    return needs


def _ensure_member(actor: AbstractBaseUser, startup: Startup) -> None:
    if not is_member(actor, startup):
        raise PermissionDenied(_("Only the start-up's own members may do this."))


def _ensure_draft(application: Application, action: str) -> None:
    if application.status == Status.DRAFT:
        return
    messages = {
        "change": _("Only a draft can be changed; this application is “%(status)s”."),
        "delete": _("Only a draft can be deleted; this application is “%(status)s”."),
        "attach": _("Files can be added only to a draft; this application is “%(status)s”."),
        "submit": _("Only a draft can be submitted; this application is “%(status)s”."),
    }
    raise NotADraft(messages[action] % {"status": Status(application.status).label})


def _apply_fields(application: Application, fields: dict) -> list[str]:
    changed = []
    for name in APPLICATION_FIELDS:
        if name in fields:
            value = fields[name]
            if value is None and name != "funding_amount":
                value = ""
            _check_text(name, value)
            setattr(application, name, value)
            changed.append(name)
    if "needs" in fields:
        needs = _check_needs(fields["needs"] or [])
        for kind in ServiceKind.values:
            setattr(application, f"needs_{kind}", kind in needs)
            changed.append(f"needs_{kind}")
    if "answers" in fields:
        # The whole object: answers left out are no longer given.
        answers = fields["answers"] if fields["answers"] is not None else {}
        application.answers = clean_answers(
            questions=round_questions(application.round), answers=answers
        )
        changed.append("answers")
    return changed


# Fields whose values people write: the audit trail keeps only their HMAC (DESIGN.md §13).
PERSONAL_APPLICATION_FIELDS = frozenset({"project_name", "summary"})
ANSWER_FIELDS = frozenset({"answers", "dropped_answers"})


def _apply_fields_names(fields: dict) -> list[str]:
    names = [name for name in APPLICATION_FIELDS if name in fields]
    if "needs" in fields:
        names.append("needs")
    return names


def _audit_fields(application: Application, changed: Iterable[str]) -> dict:
    """The changed fields of an application as its audit event holds them."""
    values: dict = {}
    for name in changed:
        if name in ANSWER_FIELDS:
            continue  # recorded as `answers.changed`, the answers only as an HMAC
        if name.startswith("needs"):
            values["needs"] = list(application.needs)
            continue
        value = getattr(application, name)
        if name == "funding_amount" and value is not None:
            value = str(value)
        values[name] = personal(value) if name in PERSONAL_APPLICATION_FIELDS and value else value
    return values


def _record_answers(
    *, application: Application, before: dict, actor: AbstractBaseUser | None
) -> None:
    """`answers.changed` when the answers differ from `before`: the keys changed, and the
    answers themselves only as personal data (people write them)."""
    after = application.answers or {}
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not keys:
        return
    record(
        action="answers.changed",
        object_type="application",
        object_id=application.pk,
        actor=actor,
        data={"keys": keys, "answers": personal(canonical_json(after).decode())},
    )


def _validate_application(application: Application) -> None:
    # Field rules (choices, lengths, decimals, ≥ 0) come from the model; constraints that span
    # rows are checked by the services themselves.
    application.full_clean(exclude=["round", "startup"], validate_constraints=False)


def _ensure_one_per_round(startup: Startup, round_: Round) -> None:
    if Application.objects.filter(startup=startup, round=round_).exists():
        raise ValidationError(
            {
                "round": _(
                    "One application per start-up per round: “%(startup)s” already has an "
                    "application in “%(round)s”."
                )
                % {"startup": startup.name, "round": round_.name}
            }
        )


def create_draft(
    *,
    actor: AbstractBaseUser,
    startup: Startup,
    round: Round,
    project_name: str,
    **fields: object,
) -> Application:
    """Start a draft application of `startup` in an open `round`."""
    if "answers" in fields:
        check_answers_size(fields["answers"])
    _ensure_member(actor, startup)
    with transaction.atomic():
        Startup.objects.select_for_update().get(pk=startup.pk)
        ensure_round_open(round)
        _ensure_one_per_round(startup, round)
        share_with = fields.pop("share_with", None)
        application = Application(round=round, startup=startup)
        _apply_fields(application, {"project_name": project_name, **fields})
        _validate_application(application)
        if share_with is not None:
            consent.check_share_with(share_with, needs=application.needs)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as error:  # a concurrent create won the race
            raise ValidationError(
                {"round": _("One application per start-up per round.")}
            ) from error
        record(
            actor=actor,
            action="application.created",
            object_type="application",
            object_id=application.pk,
            data={
                "round": round.pk,
                "startup": startup.pk,
                "fields": _audit_fields(
                    application, ["project_name", *_apply_fields_names(fields)]
                ),
            },
        )
        _record_answers(application=application, before={}, actor=actor)
        if share_with:
            consent.apply_consent(locked=application, share_with=share_with, actor=actor)
    return application


def update_draft(
    *, actor: AbstractBaseUser, application: Application, **fields: object
) -> Application:
    """Change a draft's fields; only the given ones change (`answers` as a whole). Saving
    clears the notice of answers dropped by a change of the round's questions."""
    if "answers" in fields:
        check_answers_size(fields["answers"])
    _ensure_member(actor, application.startup)
    with transaction.atomic():
        locked = lock_application(application)
        _ensure_draft(locked, "change")
        before = dict(locked.answers or {})
        share_with = fields.pop("share_with", None)
        changed = _apply_fields(locked, fields)
        _validate_application(locked)
        if locked.dropped_answers:
            locked.dropped_answers = []
            changed.append("dropped_answers")
        if share_with is not None or "needs" in fields:
            # Consent stays among the needs: a `share_with` given outside them is refused; when
            # only the needs narrow, the consent narrows with them (recorded as a change).
            if share_with is None:
                share_with = [kind for kind in locked.share_with if kind in locked.needs]
            consent.apply_consent(
                locked=locked,
                share_with=share_with,
                actor=actor,
                also_save=[*changed, "updated_at"],
            )
        elif changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if changed:
            record(
                actor=actor,
                action="application.updated",
                object_type="application",
                object_id=locked.pk,
                data={"fields": _audit_fields(locked, changed)},
            )
        _record_answers(application=locked, before=before, actor=actor)
    return locked


def delete_draft(*, actor: AbstractBaseUser, application: Application) -> None:
    _ensure_member(actor, application.startup)
    with transaction.atomic():
        locked = lock_application(application)
        _ensure_draft(locked, "delete")
        names = list(locked.attachments.values_list("file", flat=True))
        record(
            actor=actor,
            action="application.updated",
            object_type="application",
            object_id=locked.pk,
            data={"deleted": True, "status": str(locked.status)},
        )
        locked.delete()
        transaction.on_commit(lambda: _delete_files(names))


def missing_fields(application: Application) -> list[str]:
    """The form's fields that submitting still needs, each named for the applicant."""
    missing = []
    if not application.track:
        missing.append(_("the track"))
    if not application.stage:
        missing.append(_("the stage"))
    if not application.summary.strip():
        missing.append(_("a summary"))
    if application.funding_amount is None:
        missing.append(_("the funding amount"))
    if not application.funding_currency:
        missing.append(_("the funding currency"))
    if not application.needs:
        missing.append(_("at least one need (fund, training or testing)"))
    missing.extend(missing_answers(application))
    return missing


def has_pitch_deck(application: Application) -> bool:
    """Whether a pitch deck is uploaded (reads prefetched attachments when there are some)."""
    return any(a.kind == AttachmentKind.PITCH_DECK for a in application.attachments.all())


def missing_requirements(application: Application) -> list[str]:
    """What submitting still needs, each named for the applicant (empty when complete)."""
    missing = missing_fields(application)
    if not has_pitch_deck(application):
        missing.append(_("a pitch deck (PDF or PPTX)"))
    return missing


@dataclass(frozen=True)
class ProgressStep:
    key: str
    label: str
    done: bool


def application_progress(application: Application) -> list[ProgressStep]:
    """The founder's four steps: profile, application form, pitch deck, submitted."""
    submitted = application.status != Status.DRAFT
    return [
        ProgressStep(
            "profile", _("Start-up profile"), bool(application.startup.description.strip())
        ),
        ProgressStep(
            "application", _("Application form"), submitted or not missing_fields(application)
        ),
        ProgressStep("pitch_deck", _("Pitch deck"), submitted or has_pitch_deck(application)),
        ProgressStep("submitted", _("Submitted"), submitted),
    ]


def submit_application(*, actor: AbstractBaseUser, application: Application) -> Application:
    """Hand in a complete draft while its round is open."""
    _ensure_member(actor, application.startup)

    def check(locked: Application) -> None:
        ensure_round_open(locked.round)
        missing = missing_requirements(locked)
        if missing:
            raise SubmissionIncomplete(
                _("The application cannot be submitted yet. Missing: %(missing)s.")
                % {"missing": "; ".join(str(m) for m in missing)},
                missing=[str(m) for m in missing],
            )

    if application.status != Status.DRAFT:
        _ensure_draft(application, "submit")
    with transaction.atomic():
        # The round first (as a change of its questions locks it): a submission and a change of
        # the questions happen one after the other, so no answer is given to a question that
        # changes under it.
        Round.objects.select_for_update(no_key=True).get(pk=application.round_id)
        transition_application(
            application=application, to_status=Status.SUBMITTED, actor=actor, check=check
        )
        record(
            actor=actor,
            action="application.submitted",
            object_type="application",
            object_id=application.pk,
            data={"status": str(application.status), "round": application.round_id},
        )
        notifications.application_submitted(application=application)
    return application


def withdraw_application(
    *, actor: AbstractBaseUser, application: Application, note: str = ""
) -> Application:
    """Take an application out of the round, before any decision on it."""
    _ensure_member(actor, application.startup)
    _check_text("note", note)

    def check(locked: Application) -> None:
        if locked.status not in WITHDRAWABLE_STATUSES:
            raise WithdrawalNotAllowed(
                _(
                    "The application is “%(status)s”: a decision has been made, so it can no "
                    "longer be withdrawn."
                )
                % {"status": Status(locked.status).label}
            )

    with transaction.atomic():
        transition_application(
            application=application,
            to_status=Status.WITHDRAWN,
            actor=actor,
            note=note,
            check=check,
        )
        record(
            actor=actor,
            action="application.withdrawn",
            object_type="application",
            object_id=application.pk,
            data={"status": str(application.status), "note": personal(note) if note else None},
        )
    return application


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def _client_file_name(name: str) -> str:
    """The last part of the client's file name: never a path."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    return base[-200:] or "upload"


def _detect_type(uploaded: UploadedFile) -> tuple[str, str] | None:
    """(extension, MIME type) decided from the file's bytes, or None when unknown."""
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.extension == "zip" or kind.extension in {"pptx", "docx", "xlsx"}:
        # An Office file is a zip; only a zip holding ppt/ is a presentation.
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            uploaded.seek(0)
        if "[Content_Types].xml" in names and any(n.startswith("ppt/") for n in names):
            return "pptx", PPTX_MIME
        return kind.extension, kind.mime
    return kind.extension, kind.mime


PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _check_upload(kind: str, uploaded: UploadedFile) -> tuple[str, str, str]:
    """Validate an upload; return (original name, extension, MIME type)."""
    if kind not in ACCEPTED_TYPES:
        raise ValidationError(
            {
                "kind": _("Unknown kind “%(kind)s”. Choose among: %(known)s.")
                % {"kind": kind, "known": ", ".join(ACCEPTED_TYPES)}
            }
        )
    limit_mb = settings.MAX_UPLOAD_MB
    if not uploaded.size:
        raise ValidationError({"file": _("The file is empty.")})
    if uploaded.size > limit_mb * 1024 * 1024:
        raise ValidationError(
            {
                "file": _("The file is %(size).1f MB; the largest allowed is %(limit)d MB.")
                % {"size": uploaded.size / 1024 / 1024, "limit": limit_mb}
            }
        )
    name = _client_file_name(uploaded.name)
    _check_text("file", name)
    accepted = ACCEPTED_TYPES[kind]
    allowed_names = ", ".join(ext.upper() for ext in accepted)
    detected = _detect_type(uploaded)
    if detected is None or detected[0] not in accepted:
        raise ValidationError(
            {
                "file": _(
                    "This file's content is not an accepted type for a %(kind)s "
                    "(accepted: %(allowed)s)."
                )
                % {"kind": AttachmentKind(kind).label.lower(), "allowed": allowed_names}
            }
        )
    extension, mime = detected
    name_extension = PurePath(name).suffix.lower().lstrip(".")
    if name_extension not in accepted[extension]:
        raise ValidationError(
            {
                "file": _(
                    "The file name ends in “.%(given)s” but its content is %(detected)s: "
                    "rename it to “.%(expected)s”."
                )
                % {
                    "given": name_extension,
                    "detected": extension.upper(),
                    "expected": accepted[extension][0],
                }
            }
        )
    return name, accepted[extension][0], mime


def _sha256(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def add_attachment(
    *, actor: AbstractBaseUser, application: Application, kind: str, uploaded: UploadedFile
) -> Attachment:
    """Attach a checked file to a draft; a pitch deck or licence replaces the previous one."""
    _ensure_member(actor, application.startup)
    name, extension, mime = _check_upload(kind, uploaded)
    digest = _sha256(uploaded)
    with transaction.atomic():
        locked = lock_application(application)
        _ensure_draft(locked, "attach")
        previous = list(locked.attachments.filter(kind=kind))
        if kind not in SINGLE_FILE_KINDS and len(previous) >= MAX_OTHER_ATTACHMENTS:
            raise ValidationError(
                {
                    "kind": _("An application holds at most %(count)d other files.")
                    % {"count": MAX_OTHER_ATTACHMENTS}
                }
            )
        attachment = Attachment(
            application=locked,
            kind=kind,
            original_name=name,
            size=uploaded.size,
            content_type=mime,
            sha256=digest,
            uploaded_by=actor,
        )
        # The stored name is generated by upload_to; only the checked extension is kept.
        attachment.file.save(f"upload.{extension}", uploaded, save=False)
        stored = attachment.file.name
        try:
            attachment.save()
        except Exception:
            default_storage.delete(stored)
            raise
        record(
            actor=actor,
            action="attachment.added",
            object_type="attachment",
            object_id=attachment.pk,
            data={
                "application": locked.pk,
                "kind": kind,
                "name": personal(name),
                "size": attachment.size,
                "content_type": mime,
                "sha256": digest,
                "replaced": [a.pk for a in previous] if kind in SINGLE_FILE_KINDS else [],
            },
        )
        if kind in SINGLE_FILE_KINDS:
            old_names = [a.file.name for a in previous]
            Attachment.objects.filter(pk__in=[a.pk for a in previous]).delete()
            transaction.on_commit(lambda: _delete_files(old_names))
        locked.save(update_fields=["updated_at"])
    return attachment


replace_attachment = add_attachment


def register_startup(
    *,
    username: str,
    email: str,
    password: str,
    startup_name: str,
    region: str,
    language: str = "en",
) -> tuple[AbstractBaseUser, Startup]:
    """Create a user and the start-up they act for; the user is its first member."""
    user_model = get_user_model()
    for field, value in (
        ("username", username),
        ("email", email),
        ("startup_name", startup_name),
        ("password", password),
    ):
        _check_text(field, value)
    username = (username or "").strip()
    email = (email or "").strip()
    startup_name = (startup_name or "").strip()
    errors = new_account_errors(username=username, email=email, password=password)
    if not startup_name or len(startup_name) > 200:
        errors["startup_name"] = [_("Enter the start-up's name (at most 200 characters).")]
    if region not in Region.values:
        errors["region"] = [
            _("Unknown region “%(region)s”. Choose among: %(known)s.")
            % {"region": region, "known": ", ".join(Region.values)}
        ]
    if errors:
        raise ValidationError(errors)
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = user_model.objects.create_user(username, email, password)
        except IntegrityError as error:
            raise ValidationError({"username": [_("This user name is taken.")]}) from error
        startup = Startup.objects.create(
            name=startup_name, region=region, contact_email=email, language=language
        )
        # The one who registers a start-up is its owner (DESIGN.md §11).
        startup.members.add(user, through_defaults={"role": MembershipRole.OWNER})
    return user, startup


def update_startup_profile(
    *, actor: AbstractBaseUser, startup: Startup, **fields: object
) -> Startup:
    """Change a start-up's profile; only its members may."""
    _ensure_member(actor, startup)
    unknown = set(fields) - set(STARTUP_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    with transaction.atomic():
        locked = Startup.objects.select_for_update().get(pk=startup.pk)
        for name, value in fields.items():
            if value is None and name not in {"founded_on", "team_size"}:
                value = ""
            _check_text(name, value)
            setattr(locked, name, value)
        errors = {}
        if locked.founded_on and locked.founded_on > timezone.localdate():
            errors["founded_on"] = [_("The founding date cannot be in the future.")]
        if locked.team_size is not None and not 1 <= locked.team_size <= MAX_TEAM_SIZE:
            errors["team_size"] = [
                _("Enter a team size from 1 to %(max)d.") % {"max": MAX_TEAM_SIZE}
            ]
        if "name" in fields and not str(locked.name).strip():
            errors["name"] = [_("This field cannot be blank.")]
        try:
            locked.full_clean(exclude=["members"], validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        if fields:
            locked.save(update_fields=list(fields))
    return locked


def decide_application(
    *,
    application: Application,
    status: Status | str,
    actor: AbstractBaseUser,
    note: str = "",
    message_to_applicant: str = "",
) -> Application:
    """A coordinator's decision: shortlisted, accepted, waitlisted or rejected.

    `note` is internal: coordinators alone read it. `message_to_applicant`, optional, is shown on
    the start-up's application page and sent in the decision's e-mail.

    A value that is not a decision is a bad value (ValidationError on `status`); a decision the
    application's current status does not allow is a workflow rule (InvalidTransition).
    """
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators decide on applications."))
    if status not in {s.value for s in DECISION_STATUSES}:
        choices = ", ".join(s.value for s in Status if s in DECISION_STATUSES)
        raise ValidationError(
            {
                "status": _("“%(status)s” is not a decision; choose one of %(choices)s.")
                % {"status": status, "choices": choices}
            }
        )
    for field, text in (("note", note), ("message_to_applicant", message_to_applicant)):
        if len(text) > DECISION_NOTE_MAX_LENGTH:
            raise ValidationError(
                {
                    field: _("At most %(count)d characters; this text has %(length)d.")
                    % {"count": DECISION_NOTE_MAX_LENGTH, "length": len(text)}
                }
            )
    message_to_applicant = message_to_applicant.strip()
    check_text(
        {"note": note, "message_to_applicant": message_to_applicant},
        long=["note", "message_to_applicant"],
    )
    with transaction.atomic():
        transition_application(
            application=application,
            to_status=Status(status),
            actor=actor,
            note=note.strip(),
            message_to_applicant=message_to_applicant,
        )
        # The outbox rows commit with the decision, or not at all.
        record(
            actor=actor,
            action="decision.made",
            object_type="application",
            object_id=application.pk,
            data={
                "status": str(application.status),
                "note": personal(note.strip()) if note.strip() else None,
                "message_to_applicant": personal(message_to_applicant)
                if message_to_applicant
                else None,
            },
        )
        notifications.application_decided(
            application=application, message_to_applicant=message_to_applicant
        )
    return application


# --- The round's questions change (hooks of incubator.services, set in ApplicationsConfig) ----


def round_has_submission(round_: Round) -> bool:
    """Whether an application of the round has ever been submitted: its questions freeze then."""
    return Application.objects.filter(round=round_, submitted_at__isnull=False).exists()


def drop_stale_answers(
    *, round_: Round, questions: list, removed: list[dict], actor: AbstractBaseUser | None
) -> int:
    """After the round's questions changed (before any submission): drop from its drafts the
    answers of removed questions and those the new definitions refuse, and note on each draft
    which questions lost their answer, so its owners see what changed. Returns the drafts
    changed."""
    by_key = {q.key: q for q in questions}
    labels = {item["key"]: item["label"] for item in removed}
    labels.update({q.key: q.label for q in questions})
    drafts = (
        Application.objects.select_for_update()
        .filter(round=round_, status=Status.DRAFT)
        .exclude(answers={})
        .order_by("pk")
    )
    count = 0
    for draft in drafts:
        answers = dict(draft.answers or {})
        kept = {}
        for key, value in answers.items():
            question = by_key.get(key)
            if question is None:
                continue
            try:
                kept.update(clean_answers(questions=[question], answers={key: value}))
            except ValidationError:
                continue
        dropped = sorted(key for key in answers if key not in kept)
        if not dropped:
            continue
        before = answers
        draft.answers = {q.key: kept[q.key] for q in questions if q.key in kept}
        notes = [n for n in draft.dropped_answers or [] if n.get("key") not in dropped]
        draft.dropped_answers = notes + [{"key": k, "label": labels.get(k, {})} for k in dropped]
        draft.save(update_fields=["answers", "dropped_answers", "updated_at"])
        _record_answers(application=draft, before=before, actor=actor)
        count += 1
    return count
