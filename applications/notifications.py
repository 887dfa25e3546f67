"""Who is told what about an application's own events, as outbox rows (DESIGN.md §7).

The functions here are called by this app's services inside their transaction; they freeze
everything a message needs into its row (template, language, data) and hand the rows to the
outbox below, which knows nothing of applications.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from incubator.enums import ServiceKind
from incubator.models import DEFAULT_PROGRAMME_NAME, ServiceProvider
from notifications import enums as events
from notifications import screening
from notifications.enums import NotificationChannel, NotificationStatus
from notifications.models import Notification
from notifications.outbox import (
    active_providers,
    build_row,
    email_row,
    provider_rows,
    write_outbox,
)
from notifications.sealing import SEALED_KEY, seal

from .answers import shared_answers
from .enums import ApplicationStatus
from .models import Application, Invitation

# The scores a provider reads beside a start-up are those of its latest shortlist entry, which
# the reviewing above this app keeps. It names where to find them at start-up
# (ReviewsConfig.ready); until it does, providers get the start-up without scores.
ScoreLookup = Callable[[Application], tuple[Decimal | float | None, ...]]
_score_lookups: list[ScoreLookup] = []


def provide_shortlist_scores(lookup: ScoreLookup) -> None:
    """Register the function that gives an application's (raw, normalised, calibrated)
    shortlist scores."""
    if lookup not in _score_lookups:
        _score_lookups.append(lookup)


def shortlist_scores(application: Application) -> tuple[Decimal | float | None, ...]:
    for lookup in _score_lookups:
        return lookup(application)
    return None, None, None


def provider_matches(provider: ServiceProvider, application: Application) -> bool:
    """A provider hears of a start-up that needs its kind, consented to share with it
    (DESIGN.md §12), in a track it follows (none = all). Consent is asked again at delivery
    (`consent_screen`), so a withdrawal between writing and sending is respected."""
    return (
        provider.active
        and provider.kind in application.needs
        and provider.kind in application.share_with
        and (not provider.tracks or application.track in provider.tracks)
    )


def _number(value: float | Decimal | None) -> float | None:
    return None if value is None else float(value)


def startup_payload(
    application: Application,
    *,
    raw_score: float | Decimal | None = None,
    normalized_score: float | Decimal | None = None,
    calibrated_score: float | Decimal | None = None,
) -> dict:
    """The start-up as providers receive it (DESIGN.md §8), with the scores it was ranked by:
    `application` and `startup` are ids, as everywhere in the API; `startup_name` is the name;
    `answers` only those of the round's questions marked `share_with_providers`."""
    return {
        "application": application.pk,
        "startup": application.startup_id,
        "startup_name": application.startup.name,
        "project_name": application.project_name,
        "region": application.startup.region,
        "track": application.track,
        "stage": application.stage,
        "needs": application.needs,
        "funding_amount": (
            None if application.funding_amount is None else str(application.funding_amount)
        ),
        "funding_currency": application.funding_currency,
        "raw_score": _number(raw_score),
        "normalized_score": _number(normalized_score),
        "calibrated_score": _number(calibrated_score),
        "contact_email": application.startup.contact_email,
        "answers": shared_answers(application),
    }


def applicant_row(
    *, application: Application, event: str, template: str, now: datetime, extra=None
) -> Notification:
    """An e-mail to the start-up about its application, in the start-up's language."""
    startup = application.startup
    data = {
        "application": application.pk,
        "startup": startup.pk,
        "startup_name": startup.name,
        "project_name": application.project_name,
        "round": application.round.name,
        **(extra or {}),
    }
    return email_row(
        event=event,
        subject=f"application:{application.pk}",
        recipient=startup.contact_email,
        language=startup.language,
        payload={
            "template": template,
            "programme": application.round.programme.name,
            "data": data,
        },
        now=now,
    )


def _load(application: Application) -> Application:
    return Application.objects.select_related("startup", "round__programme").get(pk=application.pk)


def application_submitted(*, application: Application) -> None:
    """A receipt to the applicant."""
    application = _load(application)
    submitted_at = application.submitted_at or timezone.now()
    row = applicant_row(
        application=application,
        event=events.APPLICATION_SUBMITTED,
        template="application_submitted",
        now=timezone.now(),
        extra={"submitted_at": submitted_at.isoformat()},
    )
    write_outbox([row])


APPLICANT_DECISION_EVENTS = {
    ApplicationStatus.WAITLISTED: (events.APPLICATION_WAITLISTED, "application_waitlisted"),
    ApplicationStatus.REJECTED: (events.APPLICATION_REJECTED, "application_rejected"),
    ApplicationStatus.SHORTLISTED: (events.APPLICATION_SHORTLISTED, "application_shortlisted"),
}


def application_decided(*, application: Application, message_to_applicant: str = "") -> None:
    """Tell whoever needs to know of the application's current status: the applicant (with the
    coordinator's message, if any), and on acceptance every matching provider."""
    application = _load(application)
    now = timezone.now()
    status = application.status
    # Only the message meant for the applicant travels; a decision's internal note never does.
    to_applicant = {"message_to_applicant": message_to_applicant}
    if status == ApplicationStatus.ACCEPTED:
        raw_score, normalized_score, calibrated_score = shortlist_scores(application)
        payload = {
            "template": "application_accepted_provider",
            "programme": application.round.programme.name,
            "data": {
                "startup": startup_payload(
                    application,
                    raw_score=raw_score,
                    normalized_score=normalized_score,
                    calibrated_score=calibrated_score,
                )
            },
        }
        rows: list[Notification] = []
        for provider in active_providers():
            if provider_matches(provider, application):
                rows += provider_rows(
                    provider=provider,
                    event=events.APPLICATION_ACCEPTED,
                    subject=f"application:{application.pk}",
                    payload=payload,
                    now=now,
                )
        rows.append(
            applicant_row(
                application=application,
                event=events.APPLICATION_ACCEPTED,
                template="application_accepted",
                now=now,
                extra=to_applicant,
            )
        )
        write_outbox(rows)
        return
    if status in APPLICANT_DECISION_EVENTS:
        event, template = APPLICANT_DECISION_EVENTS[status]
        write_outbox(
            [
                applicant_row(
                    application=application,
                    event=event,
                    template=template,
                    now=now,
                    extra=to_applicant,
                )
            ]
        )


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/{token}/"


def invitation_sent(*, invitation: Invitation, token: str) -> None:
    """The one-time link to the invited address, in the start-up's (or provider's) language.

    The link is sealed in the row (notifications.sealing): the e-mail carries it, the database
    holds only the token's SHA-256 and this sealed copy, which needs the site's secret key."""
    target = invitation.startup or invitation.provider
    is_startup = invitation.startup_id is not None
    data = {
        "invitation": invitation.pk,
        "kind": "startup" if is_startup else "provider",
        "team": target.name,
        "invited_by": invitation.created_by.get_username() if invitation.created_by else "",
        "expires_at": invitation.expires_at.isoformat(),
        SEALED_KEY: {"link": seal(invitation_link(token))},
    }
    row = email_row(
        event=events.INVITATION_SENT,
        subject=f"invitation:{invitation.pk}",
        recipient=invitation.email,
        language=target.language,
        payload={"template": "invitation", "programme": DEFAULT_PROGRAMME_NAME, "data": data},
        now=timezone.now(),
    )
    write_outbox([row])


# --- Consent at delivery (DESIGN.md §12) --------------------------------------------------
# A provider's row carries start-ups as `data.startups` (shortlists, digests) or `data.startup`
# (acceptance), each the `startup_payload` above. The outbox asks, once per chunk of rows it
# delivers, which of them still consent to the provider's kind (notifications.screening); the
# answer is registered in ApplicationsConfig.ready.


def payload_applications(payload: dict) -> set[int]:
    """The ids of the applications whose start-ups a provider's payload carries."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return set()
    items = list(data.get("startups") or []) if isinstance(data.get("startups"), list) else []
    if isinstance(data.get("startup"), dict):
        items.append(data["startup"])
    return {
        item["application"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("application"), int)
    }


def consenting(application_ids: set[int]) -> set[tuple[int, str]]:
    """(application id, provider kind) for each kind the application shares with now: one
    query, whatever the number."""
    if not application_ids:
        return set()
    pairs = set()
    for pk, *flags in Application.objects.filter(pk__in=application_ids).values_list(
        "pk", *(f"share_{kind}" for kind in ServiceKind.values)
    ):
        kinds = zip(ServiceKind.values, flags, strict=True)
        pairs.update((pk, kind) for kind, shared in kinds if shared)
    return pairs


def keep_startups(payload: dict, allowed: set[int]) -> dict:
    """The payload with only the start-ups of `allowed` applications (perhaps none: the row is
    then completed without being sent)."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return payload
    data = dict(data)
    if isinstance(data.get("startups"), list):
        data["startups"] = [
            item
            for item in data["startups"]
            if isinstance(item, dict) and item.get("application") in allowed
        ]
    if isinstance(data.get("startup"), dict) and data["startup"].get("application") not in allowed:
        del data["startup"]
    return {**payload, "data": data}


def _carrying(application: Application) -> Q:
    """Provider rows whose payload carries the application's start-up."""
    return Q(payload__contains={"data": {"startups": [{"application": application.pk}]}}) | Q(
        payload__contains={"data": {"startup": {"application": application.pk}}}
    )


def consent_withdrawn(*, application: Application, kinds: list[str], change) -> None:
    """Called in the withdrawing transaction, the application locked. Rows not yet sent to a
    provider of a withdrawn kind lose the start-up now (waiting for a row a worker is sending
    at this moment, so it is either sent before, with consent valid, or after, without it); every
    provider of those kinds that received it is told, by webhook, with ids only."""
    carrying = Notification.objects.filter(_carrying(application), provider__kind__in=kinds)
    for row in carrying.filter(status=NotificationStatus.PENDING).select_for_update(of=("self",)):
        allowed = payload_applications(row.payload) - {application.pk}
        row.payload = keep_startups(row.payload, allowed)
        if allowed:
            row.save(update_fields=["payload"])
        else:
            screening.withhold(row)
    providers = list(
        ServiceProvider.objects.filter(
            pk__in=carrying.filter(status=NotificationStatus.SENT).values("provider")
        ).order_by("pk")
    )
    now = timezone.now()
    rows = [
        build_row(
            event=events.CONSENT_WITHDRAWN,
            subject=f"consent:{change.pk}",
            channel=NotificationChannel.WEBHOOK,
            recipient=provider.webhook_url,
            language=provider.language,
            payload={
                "template": "consent_withdrawn",
                "data": {"application": application.pk, "startup": application.startup_id},
            },
            provider=provider,
            now=now,
        )
        for provider in providers
        if provider.webhook_url
    ]
    write_outbox(rows)
