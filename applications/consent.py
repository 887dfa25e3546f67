"""The consent text a start-up is shown before it shares its details with providers (DESIGN.md
§12), and its version.

Every ConsentChange stores the version in force when it was made. A new wording gets a new
version: consents given under an older one stay what they were (recorded with their version) and
are not extended by the new text; only changes made after it carry the new version.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from incubator.enums import ServiceKind
from incubator.exceptions import WorkflowError

from . import notifications
from .enums import ApplicationStatus
from .models import Application, ConsentChange
from .permissions import is_member

# A decision has been made: consent may still narrow, never widen.
DECIDED_STATUSES = frozenset(
    {ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
)

CONSENT_TEXT_VERSION = "2026-12-01"

CONSENT_TITLE = _("Sharing your details with service providers")

CONSENT_TEXT = [
    _(
        "The programme works with fund, training and testing service providers. Tick a kind of "
        "provider only if you agree that the programme may send your start-up's details to the "
        "providers of that kind, and only among the services you say you need."
    ),
    _(
        "What they receive: your start-up's name, region and contact e-mail address, your "
        "project's name, track, stage, funding requested, needs and scores, and your answers to "
        "the questions marked for providers. They receive it only if your application is "
        "shortlisted or accepted."
    ),
    _(
        "What for: so that a provider can offer you its fund, training or testing services and "
        "contact you about them. The providers are third parties, separate from the programme; "
        "each one sees only what you allowed for its kind."
    ),
    _(
        "Withdrawing: you may untick a kind at any time on your application's consent page. "
        "From then on it is no longer sent to new providers, it disappears from the providers' "
        "portal at once, and the providers that received it are told that you withdrew it. "
        "Widening your consent is possible until a decision is made on your application."
    ),
]


def text_context() -> dict:
    """The consent text as the portal's templates show it (applications/_consent_text.html)."""
    return {
        "consent_title": CONSENT_TITLE,
        "consent_text": CONSENT_TEXT,
        "consent_version": CONSENT_TEXT_VERSION,
    }


class ConsentNotWidenable(WorkflowError):
    """After a decision, consent may be narrowed or withdrawn, never widened."""


def check_share_with(share_with: Iterable[str], *, needs: Iterable[str]) -> list[str]:
    """The kinds, in the usual order, if each is known and among the needs; else a 400 naming
    `share_with`."""
    kinds = {str(kind) for kind in share_with}
    unknown = sorted(kinds - set(ServiceKind.values))
    if unknown:
        raise ValidationError(
            {
                "share_with": gettext("Unknown kinds: %(unknown)s. Choose among: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(ServiceKind.values)}
            }
        )
    outside = sorted(kinds - set(needs))
    if outside:
        raise ValidationError(
            {
                "share_with": gettext(
                    "You can share only with the kinds of providers you need; not among your "
                    "needs: %(outside)s."
                )
                % {"outside": ", ".join(outside)}
            }
        )
    return [kind for kind in ServiceKind.values if kind in kinds]


def apply_consent(
    *,
    locked: Application,
    share_with: Iterable[str],
    actor: AbstractBaseUser | None,
    reason: str = "",
    also_save: Iterable[str] = (),
) -> ConsentChange | None:
    """Set the locked application's consent inside the caller's transaction: the rules, the
    history row, the audit row, and on withdrawal the outbox rows. None when nothing changed
    (the same kinds, given under the current text version). `also_save`: fields the caller
    changed on `locked` (its needs), saved in the same statement so that the database's check
    (shared only if needed) holds at every step."""
    also_save = list(also_save)
    after = check_share_with(share_with, needs=locked.needs)
    before = locked.share_with
    widened = set(after) - set(before)
    if widened and locked.status in DECIDED_STATUSES:
        raise ConsentNotWidenable(
            gettext(
                "The application is “%(status)s”: after a decision, consent can be narrowed or "
                "withdrawn but not widened."
            )
            % {"status": ApplicationStatus(locked.status).label}
        )
    last = locked.consent_changes.order_by("-created_at", "-id").first()
    unchanged = after == before and (
        not after or (last is not None and last.text_version == CONSENT_TEXT_VERSION)
    )
    if unchanged:
        if also_save:
            locked.save(update_fields=also_save)
        return None
    for kind in ServiceKind.values:
        setattr(locked, f"share_{kind}", kind in after)
    locked.save(update_fields=[*also_save, *(f"share_{kind}" for kind in ServiceKind.values)])
    change = ConsentChange.objects.create(
        application=locked,
        share_with_before=before,
        share_with_after=after,
        text_version=CONSENT_TEXT_VERSION,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason,
    )
    data = {
        "application": locked.pk,
        "before": before,
        "after": after,
        "text_version": CONSENT_TEXT_VERSION,
    }
    if reason:
        data["reason"] = audit.personal(reason)
    audit.record(
        action="consent.changed",
        object_type="application",
        object_id=locked.pk,
        data=data,
        actor=actor,
    )
    withdrawn = [kind for kind in before if kind not in after]
    if withdrawn:
        notifications.consent_withdrawn(application=locked, kinds=withdrawn, change=change)
    return change


def change_consent(
    *, actor: AbstractBaseUser, application: Application, share_with: Iterable[str]
) -> Application:
    """A start-up member sets which provider kinds may receive the application's details:
    narrowing (withdrawing) at any time, widening until a decision (409 after)."""
    if not is_member(actor, application.startup):
        raise PermissionDenied(gettext("Only the start-up's own members may do this."))
    with transaction.atomic():
        locked = _lock(application)
        apply_consent(locked=locked, share_with=share_with, actor=actor)
    return locked


def import_consent(
    *, application: Application, share_with: Iterable[str], reason: str, actor=None
) -> ConsentChange | None:
    """A coordinator records a consent the start-up gave outside this system (on paper, by
    e-mail), with the documented reason; the same rules and records as the start-up's own."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why this consent is imported.")})
    with transaction.atomic():
        locked = _lock(application)
        return apply_consent(locked=locked, share_with=share_with, actor=actor, reason=reason)


def _lock(application: Application) -> Application:
    try:
        return Application.objects.select_for_update().get(pk=application.pk)
    except Application.DoesNotExist as error:
        raise ValidationError({"application": gettext("No such application.")}) from error


def consent_history(application: Application) -> list[ConsentChange]:
    return list(application.consent_changes.select_related("actor").order_by("created_at", "id"))
