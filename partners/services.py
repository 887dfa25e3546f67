"""Every change the partners' side makes (DESIGN.md §12): one transaction each, with its audit
row and outbox rows."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from applications.permissions import is_member
from audit import services as audit
from incubator.models import ServiceProvider
from incubator.text import check_text

from . import notifications
from .enums import InterestStatus
from .models import Interest, ListVisit, StartupView

NOTE_MAX_LENGTH = 2000


def _check_note(field: str, value: str) -> str:
    value = (value or "").strip()
    if len(value) > NOTE_MAX_LENGTH:
        raise ValidationError({field: _("At most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}})
    check_text({field: value}, long={field})
    return value


def record_list_visit(*, provider: ServiceProvider) -> None:
    """One of the provider's users looked at its list now."""
    now = timezone.now()
    ListVisit.objects.bulk_create(
        [ListVisit(provider=provider, first_at=now, last_at=now)],
        update_conflicts=True,
        unique_fields=["provider"],
        update_fields=["last_at"],
    )


def record_view(
    *, provider: ServiceProvider, application: Application, user: AbstractBaseUser
) -> None:
    """The provider opened this start-up's page (the first time counts; later ones change
    nothing)."""
    StartupView.objects.bulk_create(
        [StartupView(provider=provider, application=application, user=user)],
        ignore_conflicts=True,
    )


def set_interest(
    *,
    actor: AbstractBaseUser,
    provider: ServiceProvider,
    application: Application,
    status: str,
    note: str = "",
) -> Interest:
    """The provider's answer about a start-up in its list (the caller found it there):
    interested (the start-up gets an introduction, once), declined or engaged (work started)."""
    if status not in InterestStatus.values:
        raise ValidationError(
            {
                "status": _("Unknown status “%(status)s”. Choose among: %(known)s.")
                % {"status": status, "known": ", ".join(InterestStatus.values)}
            }
        )
    note = _check_note("note", note)
    with transaction.atomic():
        # The application's row orders this answer against a consent change.
        Application.objects.select_for_update().get(pk=application.pk)
        interest = (
            Interest.objects.select_for_update()
            .filter(provider=provider, application=application)
            .first()
        )
        now = timezone.now()
        if interest is None:
            interest = Interest.objects.create(
                provider=provider,
                application=application,
                status=status,
                note=note,
                by=actor,
                at=now,
            )
        else:
            interest.status, interest.note, interest.by, interest.at = status, note, actor, now
            interest.save(update_fields=["status", "note", "by", "at"])
        audit.record(
            action="partner.interest",
            object_type="application",
            object_id=application.pk,
            data={
                "provider": provider.pk,
                "application": application.pk,
                "status": status,
                "note": audit.personal(note) if note else None,
            },
            actor=actor,
        )
        if status == InterestStatus.INTERESTED:
            interest.provider = provider
            notifications.provider_interested(interest=interest)
    return interest


def reply_to_interest(*, actor: AbstractBaseUser, interest: Interest, reply: str) -> Interest:
    """The start-up answers a provider's interest; the provider's users are told by e-mail."""
    if not is_member(actor, interest.application.startup):
        raise PermissionDenied(_("Only the start-up's own members may do this."))
    reply = _check_note("reply", reply)
    if not reply:
        raise ValidationError({"reply": _("Write a reply.")})
    with transaction.atomic():
        locked = Interest.objects.select_for_update().get(pk=interest.pk)
        locked.reply = reply
        locked.replied_at = timezone.now()
        locked.save(update_fields=["reply", "replied_at"])
        notifications.startup_replied(interest=locked)
    return locked
