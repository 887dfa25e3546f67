"""Helpers for the tests of who each event tells: they stand in for the services that call the
event builders inside their transaction, and read the outbox back."""

from django.db import transaction
from django.utils import timezone

from applications import notifications as application_notifications
from notifications.models import Notification
from reviews import notifications as review_notifications


def publish(shortlist) -> None:
    """Stands in for reviews' publish_shortlist service, which calls the hook in its transaction."""
    with transaction.atomic():
        review_notifications.shortlist_published(shortlist=shortlist)


def decide(application, status) -> None:
    """Stands in for the decision service: the status changes, then the hook runs."""
    with transaction.atomic():
        application.status = status
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_at"])
        application_notifications.application_decided(application=application)


def rows(**filters) -> list[tuple[str, str, str]]:
    return sorted(
        Notification.objects.filter(**filters).values_list("event", "channel", "recipient")
    )
