"""The outbox's own writes: provider endpoints (their webhook URL and signing secret), a
coordinator's retry of a row, a test webhook, and an endpoint that is gone (DESIGN.md §7).

Also the e-mail texts coordinators edit (`save_email_template`, `reset_email_template`).

The events themselves are written by the apps that own them (`applications/notifications.py`,
`reviews/notifications.py`) through `outbox`.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import personal, record
from incubator.enums import Track
from incubator.exceptions import WorkflowError
from incubator.models import DEFAULT_PROGRAMME_NAME, ServiceProvider, new_webhook_secret
from incubator.permissions import COORDINATORS_GROUP
from incubator.text import text_errors

from . import emails
from .enums import PROVIDER_TEST, PROVIDER_WEBHOOK_GONE, NotificationChannel, NotificationStatus
from .models import EmailTemplate, Notification
from .outbox import build_row, dispatch_notifications, email_row, write_outbox
from .urlsafety import validate_webhook_url

logger = logging.getLogger(__name__)

PROVIDER_FIELDS = {
    "name",
    "kind",
    "email",
    "webhook_url",
    "tracks",
    "language",
    "active",
    "witness",
}


def _provider_audit(provider: ServiceProvider, fields: Iterable[str]) -> dict:
    """A provider's fields as the audit trail holds them: the contact address and the URL (which
    may carry a token) as HMACs, the signing secret never, not even hashed."""
    values: dict = {}
    for name in sorted(fields):
        if name == "webhook_secret":
            continue
        value = getattr(provider, name)
        if name in {"email", "webhook_url"}:
            value = personal(value) if value else ""
        values[name] = value
    return values


class NotificationAlreadySent(WorkflowError):
    """A sent notification cannot be retried."""


# --- Providers ---------------------------------------------------------------------------------


def _clean_provider(provider: ServiceProvider) -> None:
    errors: dict[str, list[str]] = text_errors({"name": provider.name})
    if not isinstance(provider.tracks, list) or any(
        track not in Track.values for track in provider.tracks
    ):
        errors["tracks"] = [
            _("Give a list of tracks, each one of: %(tracks)s.")
            % {"tracks": ", ".join(Track.values)}
        ]
    else:
        provider.tracks = [track for track in Track.values if track in provider.tracks]
    try:
        provider.full_clean(exclude=["tracks"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "webhook_url" not in errors:
        try:
            validate_webhook_url(provider.webhook_url)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def create_provider(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    kind: str,
    email: str,
    webhook_url: str = "",
    tracks: Iterable[str] = (),
    language: str = "en",
    active: bool = True,
    witness: bool = False,
) -> ServiceProvider:
    """A new provider with a fresh signing secret (the caller shows it once)."""
    provider = ServiceProvider(
        name=name,
        kind=kind,
        email=email,
        webhook_url=webhook_url or "",
        tracks=list(tracks) if not isinstance(tracks, str) else tracks,
        language=language,
        active=active,
        witness=witness,
        webhook_secret=new_webhook_secret(),
    )
    _clean_provider(provider)
    with transaction.atomic():
        provider.save()
        record(
            actor=actor,
            action="provider.created",
            object_type="provider",
            object_id=provider.pk,
            data={"fields": _provider_audit(provider, PROVIDER_FIELDS)},
        )
    logger.info("provider %s created by %s", provider.pk, getattr(actor, "pk", None))
    return provider


def update_provider(
    *, actor: AbstractBaseUser | None, provider: ServiceProvider, **changes: object
) -> ServiceProvider:
    """Change any of name, kind, email, webhook_url, tracks, language, active.

    A provider's first webhook URL comes with a fresh signing secret, which the caller shows
    once (the returned provider's secret then differs from the one it had): the secret made with
    an e-mail-only provider signed nothing and may never have been shown.
    """
    unknown = set(changes) - PROVIDER_FIELDS
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in unknown})
    with transaction.atomic():
        locked = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        had_url = bool(locked.webhook_url)
        for field, value in changes.items():
            setattr(locked, field, "" if field == "webhook_url" and value is None else value)
        _clean_provider(locked)
        update_fields = sorted(changes)
        if not had_url and locked.webhook_url:
            locked.webhook_secret = new_webhook_secret()
            update_fields.append("webhook_secret")
        locked.save(update_fields=update_fields)
        record(
            actor=actor,
            action="provider.changed",
            object_type="provider",
            object_id=locked.pk,
            data={
                "fields": _provider_audit(locked, changes),
                "secret_issued": "webhook_secret" in update_fields,
            },
        )
    logger.info("provider %s changed by %s", locked.pk, getattr(actor, "pk", None))
    return locked


def rotate_provider_secret(
    *, actor: AbstractBaseUser | None, provider: ServiceProvider
) -> ServiceProvider:
    """Replace the signing secret; webhooks sent from now on are signed with the new one."""
    with transaction.atomic():
        locked = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        locked.webhook_secret = new_webhook_secret()
        locked.save(update_fields=["webhook_secret"])
        record(
            actor=actor,
            action="provider.secret_rotated",
            object_type="provider",
            object_id=locked.pk,
            data={},
        )
    logger.info("provider %s secret rotated by %s", locked.pk, getattr(actor, "pk", None))
    return locked


def retry_notification(
    *, actor: AbstractBaseUser | None, notification: Notification
) -> Notification:
    """Send a pending or failed row now, at the start of the retry schedule again; `attempts`
    keeps counting every attempt ever made. A sent row is final."""
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status == NotificationStatus.SENT:
            raise NotificationAlreadySent(
                _("This notification was already sent; it cannot be sent again.")
            )
        locked.status = NotificationStatus.PENDING
        locked.attempts_since_retry = 0
        locked.next_attempt_at = timezone.now() + timedelta(
            seconds=settings.NOTIFICATIONS_DISPATCH_LEASE_SECONDS
        )
        locked.save(update_fields=["status", "attempts_since_retry", "next_attempt_at"])
        notification_id = locked.pk
        transaction.on_commit(lambda: dispatch_notifications(notification_ids=[notification_id]))
    logger.info("notification %s retried by %s", locked.pk, getattr(actor, "pk", None))
    return locked


def send_test_webhook(*, actor: AbstractBaseUser | None, provider: ServiceProvider) -> Notification:
    """Queue a `provider.test` webhook to the provider's endpoint; its delivery log shows whether
    the endpoint answered 2xx."""
    if not provider.webhook_url:
        raise ValidationError(
            {"webhook_url": [_("This provider has no webhook URL to send a test to.")]}
        )
    now = timezone.now()
    row = build_row(
        event=PROVIDER_TEST,
        subject=f"test:{now.isoformat()}",
        channel=NotificationChannel.WEBHOOK,
        recipient=provider.webhook_url,
        language=provider.language,
        provider=provider,
        payload={
            "template": "provider_test",
            "data": {"provider": {"id": provider.pk, "name": provider.name}, "test": True},
        },
        now=now,
    )
    with transaction.atomic():
        [notification_id] = write_outbox([row])
    logger.info("test webhook to provider %s by %s", provider.pk, getattr(actor, "pk", None))
    return Notification.objects.get(pk=notification_id)


# --- E-mail texts ------------------------------------------------------------------------------


def save_email_template(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    language: str,
    subject: str,
    text_body: str,
    html_body: str = "",
) -> EmailTemplate:
    """Store the coordinators' text of one e-mail in one language; from now on it is sent
    instead of the shipped one. Refused, naming the field and line, when a part does not
    compile, names what the sandbox does not hold, or fails with a recent row's data."""
    errors: dict[str, list[str]] = {}
    if name not in emails.template_names():
        errors["name"] = [_("There is no e-mail template “%(name)s”.") % {"name": name}]
    if language not in {code for code, _label in settings.LANGUAGES}:
        errors["language"] = [_("Unknown language “%(code)s”.") % {"code": language}]
    for field, value in (("subject", subject), ("text_body", text_body)):
        if not (value or "").strip():
            errors[field] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    html_body = html_body or ""
    errors = emails.validate_sources(
        name=name, language=language, subject=subject, text_body=text_body, html_body=html_body
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template, created = EmailTemplate.objects.select_for_update().update_or_create(
            name=name,
            language=language,
            defaults={
                "subject": subject.strip(),
                "text_body": text_body,
                "html_body": html_body,
                "updated_by": actor,
            },
        )
    logger.info(
        "e-mail text %s (%s) %s by %s",
        name,
        language,
        "written" if created else "changed",
        getattr(actor, "pk", None),
    )
    return template


def reset_email_template(*, actor: AbstractBaseUser | None, name: str, language: str) -> bool:
    """Go back to the shipped text of one e-mail in one language. Returns whether there was an
    edited text to remove."""
    with transaction.atomic():
        deleted, _counts = EmailTemplate.objects.filter(name=name, language=language).delete()
    if deleted:
        logger.info("e-mail text %s (%s) reset by %s", name, language, getattr(actor, "pk", None))
    return bool(deleted)


def remove_gone_webhook(
    *, provider: ServiceProvider, url: str, notification: Notification, answer: str
) -> bool:
    """The provider's endpoint `url` answered 410 Gone to `notification`: clear the provider's
    webhook URL (it stays active and keeps receiving e-mails) and tell every active coordinator
    by e-mail. Returns False, changing nothing, when the URL was changed meanwhile."""
    with transaction.atomic():
        locked = ServiceProvider.objects.select_for_update().get(pk=provider.pk)
        if not url or locked.webhook_url != url:
            return False
        try:
            update_provider(actor=None, provider=locked, webhook_url="")
        except ValidationError:
            # The provider's other fields no longer pass (data older than a rule): its row
            # failed and shows so; a coordinator fixes the provider by hand.
            logger.exception(
                "provider %s: webhook %s is gone, but the provider cannot be saved",
                provider.pk,
                url,
            )
            return False
        write_outbox(
            _webhook_gone_rows(provider=locked, url=url, notification=notification, answer=answer)
        )
    logger.warning(
        "provider %s: webhook %s answered 410 Gone to notification %s and was removed",
        provider.pk,
        url,
        notification.pk,
    )
    return True


def _webhook_gone_rows(
    *, provider: ServiceProvider, url: str, notification: Notification, answer: str
) -> list[Notification]:
    # A coordinator's language is the one their latest e-mail from the outbox was written in
    # (the apps above freeze a person's language into each row); without one, English.
    latest_language = (
        Notification.objects.filter(user=OuterRef("pk"), channel=NotificationChannel.EMAIL)
        .order_by("-created_at", "-pk")
        .values("language")[:1]
    )
    coordinators = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=COORDINATORS_GROUP)
        .exclude(email="")
        .annotate(latest_language=Subquery(latest_language))
        .order_by("pk")
    )
    payload = {
        "template": "provider_webhook_gone",
        "programme": notification.payload.get("programme") or DEFAULT_PROGRAMME_NAME,
        "data": {
            "provider": {"id": provider.pk, "name": provider.name},
            "url": url,
            "notification": notification.pk,
            "event": notification.event,
            "answer": answer,
        },
    }
    now = timezone.now()
    return [
        email_row(
            event=PROVIDER_WEBHOOK_GONE,
            subject=f"notification:{notification.pk}",
            recipient=coordinator.email,
            language=coordinator.latest_language or "en",
            payload=payload,
            user=coordinator,
            now=now,
        )
        for coordinator in coordinators
    ]
