"""Consent at delivery (DESIGN.md §12): a provider's row carries only start-ups that consent to
the provider's kind when it is sent; a row left with none is withheld, and the check costs the
same number of queries whatever the number of start-ups in the chunk."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import notifications as application_notifications
from applications.models import Application
from notifications.models import Notification, NotificationAttempt
from notifications.screening import WITHHELD_NOTE
from notifications.sending import deliver_notifications
from tests.factories import ApplicationFactory, NotificationFactory, ServiceProviderFactory

pytestmark = pytest.mark.django_db


def row_for(provider, applications, *, event="shortlist.published"):
    startups = [application_notifications.startup_payload(a) for a in applications]
    return NotificationFactory(
        event=event,
        subject=f"shortlist:{len(applications)}:{provider.pk}",
        provider=provider,
        channel="email",
        recipient=provider.email,
        payload={
            "template": "shortlist_published_provider",
            "programme": "P",
            "data": {"shortlist": {"id": 1, "name": "Finalists", "round": 1}, "startups": startups},
        },
    )


def withdraw_behind_the_service(application):
    """Consent changed after the row was written (the service also cuts pending rows; this
    shows the decision made at delivery on its own)."""
    Application.objects.filter(pk=application.pk).update(share_fund=False)


def test_delivery_drops_a_startup_whose_consent_no_longer_covers_the_kind():
    provider = ServiceProviderFactory(kind="fund")
    stays, leaves = ApplicationFactory(), ApplicationFactory()
    row = row_for(provider, [stays, leaves])
    withdraw_behind_the_service(leaves)
    assert deliver_notifications(notification_ids=[row.pk]) == {row.pk: "sent"}
    row.refresh_from_db()
    assert [s["application"] for s in row.payload["data"]["startups"]] == [stays.pk]
    assert len(mail.outbox) == 1
    assert stays.project_name in mail.outbox[0].body
    assert leaves.project_name not in mail.outbox[0].body


def test_delivery_withholds_a_row_left_without_startups():
    provider = ServiceProviderFactory(kind="fund")
    leaves = ApplicationFactory()
    row = row_for(provider, [leaves])
    withdraw_behind_the_service(leaves)
    deliver_notifications(notification_ids=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 0, WITHHELD_NOTE)
    assert row.payload["data"]["startups"] == []
    assert not NotificationAttempt.objects.exists()
    assert mail.outbox == []


def test_delivery_checks_the_kind_of_the_row_provider():
    training = ServiceProviderFactory(kind="training")
    application = ApplicationFactory(needs_training=True, share_fund=True, share_training=False)
    row = row_for(training, [application])
    deliver_notifications(notification_ids=[row.pk])
    row.refresh_from_db()
    assert row.last_error == WITHHELD_NOTE


def test_acceptance_row_withheld_after_withdrawal():
    provider = ServiceProviderFactory(kind="fund")
    application = ApplicationFactory()
    row = NotificationFactory(
        event="application.accepted",
        provider=provider,
        recipient=provider.email,
        payload={
            "template": "application_accepted_provider",
            "programme": "P",
            "data": {"startup": application_notifications.startup_payload(application)},
        },
    )
    withdraw_behind_the_service(application)
    deliver_notifications(notification_ids=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("sent", WITHHELD_NOTE)
    assert "startup" not in row.payload["data"]


def test_rows_without_provider_are_not_screened():
    row = NotificationFactory()  # an applicant's e-mail
    assert deliver_notifications(notification_ids=[row.pk]) == {row.pk: "sent"}
    assert len(mail.outbox) == 1


def test_writing_rows_leaves_out_startups_without_consent():
    provider = ServiceProviderFactory(kind="fund")
    application = ApplicationFactory(share_fund=False)
    assert not application_notifications.provider_matches(provider, application)
    application.share_fund = True
    assert application_notifications.provider_matches(provider, application)


def queries_to_deliver(startups: int) -> int:
    provider = ServiceProviderFactory(kind="fund")
    applications = [ApplicationFactory() for _ in range(startups)]
    withdraw_behind_the_service(applications[0])
    rows = [row_for(provider, applications), row_for(provider, applications, event="x")]
    with CaptureQueriesContext(connection) as queries:
        deliver_notifications(notification_ids=[row.pk for row in rows])
    assert Notification.objects.filter(pk__in=[r.pk for r in rows], status="sent").count() == 2
    return len(queries)


def test_consent_check_adds_no_query_per_startup():
    assert queries_to_deliver(2) == queries_to_deliver(30)
