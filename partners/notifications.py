"""Who is told what about partners' own events, as outbox rows (DESIGN.md §12): the start-up
when a provider is interested, the provider's users when the start-up answers."""

from django.utils import timezone

from applications.models import Application
from incubator.models import PartnerAccount
from notifications import enums as events
from notifications.outbox import email_row, write_outbox

from .models import Interest


def provider_interested(*, interest: Interest) -> None:
    """An introduction to the start-up, in its language: the provider's name, contact and
    note. Once per provider and application, whatever the later answers."""
    application = Application.objects.select_related("startup", "round__programme").get(
        pk=interest.application_id
    )
    startup = application.startup
    provider = interest.provider
    write_outbox(
        [
            email_row(
                event=events.PARTNER_INTERESTED,
                subject=f"interest:{provider.pk}:{application.pk}",
                recipient=startup.contact_email,
                language=startup.language,
                payload={
                    "template": "partner_interested",
                    "programme": application.round.programme.name,
                    "data": {
                        "application": application.pk,
                        "startup": startup.pk,
                        "startup_name": startup.name,
                        "project_name": application.project_name,
                        "provider": provider.pk,
                        "provider_name": provider.name,
                        "provider_kind": provider.kind,
                        "provider_email": provider.email,
                        "note": interest.note,
                    },
                },
                now=timezone.now(),
            )
        ]
    )


def startup_replied(*, interest: Interest) -> None:
    """The start-up's answer, to each partner user of the provider (their own address)."""
    application = Application.objects.select_related("startup", "round__programme").get(
        pk=interest.application_id
    )
    startup = application.startup
    accounts = PartnerAccount.objects.filter(provider_id=interest.provider_id).select_related(
        "user", "provider"
    )
    now = timezone.now()
    rows = [
        email_row(
            event=events.PARTNER_REPLIED,
            subject=f"interest:{interest.pk}:reply:{interest.replied_at.isoformat()}",
            recipient=account.user.email,
            language=account.provider.language,
            user=account.user,
            payload={
                "template": "partner_replied",
                "programme": application.round.programme.name,
                "data": {
                    "application": application.pk,
                    "startup_name": startup.name,
                    "project_name": application.project_name,
                    "contact_email": startup.contact_email,
                    "reply": interest.reply,
                },
            },
            now=now,
        )
        for account in accounts
        if account.user.email
    ]
    write_outbox(rows)
