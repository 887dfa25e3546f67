"""Every change of an application's state goes through these functions."""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from incubator.exceptions import WorkflowError
from incubator.permissions import is_coordinator

from .enums import ApplicationStatus as Status
from .models import Application, StatusChange

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


def describe_refusal(current: Status, requested: Status) -> str:
    allowed = [status for status in Status if status in ALLOWED_TRANSITIONS[current]]
    if allowed:
        options = ", ".join(f"“{Status(s).label}”" for s in allowed)
        return (
            f"The application is “{current.label}” and cannot become “{requested.label}”; "
            f"from “{current.label}” it can become {options}."
        )
    return (
        f"The application is “{current.label}”, a final status: "
        f"it cannot become “{requested.label}” or change any more."
    )


def transition_application(
    *,
    application: Application,
    to_status: Status,
    actor: AbstractBaseUser | None,
    note: str = "",
    check: Callable[[Application], None] | None = None,
) -> Application:
    """Move an application to `to_status`, recording who did it, or refuse and change nothing.

    The row is locked first, so of two concurrent moves exactly one happens. `check`, when
    given, runs on the locked row before the move (a named service's own rule) and may raise.
    """
    to_status = Status(to_status)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
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
        )
    # Keep the caller's instance in step with the database.
    application.status = locked.status
    application.submitted_at = locked.submitted_at
    application.decided_at = locked.decided_at
    application.updated_at = locked.updated_at
    return application


def decide_application(
    *,
    application: Application,
    status: Status | str,
    actor: AbstractBaseUser,
    note: str = "",
) -> Application:
    """A coordinator's decision: shortlisted, accepted, waitlisted or rejected, with a note.

    A value that is not a decision is a bad value (ValidationError on `status`); a decision the
    application's current status does not allow is a workflow rule (InvalidTransition).
    """
    if not is_coordinator(actor):
        raise PermissionDenied("Only coordinators decide on applications.")
    if status not in {s.value for s in DECISION_STATUSES}:
        choices = ", ".join(s.value for s in Status if s in DECISION_STATUSES)
        raise ValidationError({"status": f"“{status}” is not a decision; choose one of {choices}."})
    if len(note) > DECISION_NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": f"The note is longer than {DECISION_NOTE_MAX_LENGTH} characters."}
        )
    with transaction.atomic():
        transition_application(
            application=application, to_status=Status(status), actor=actor, note=note.strip()
        )
        # Notifications join this transaction (the outbox): the integrator calls
        # notify_application_decided(application=application) here.
    return application
