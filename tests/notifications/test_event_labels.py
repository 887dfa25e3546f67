"""The outbox's admin names events in the reader's language, not by their codes."""

import pytest
from django.urls import reverse
from django.utils import translation

from notifications import enums
from tests.factories import CoordinatorFactory, NotificationFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def test_event_labels_cover_every_event():
    assert sorted(enums.EVENT_LABELS) == sorted(enums.EVENTS)


def test_event_label_in_each_language():
    with translation.override("en"):
        assert enums.event_label("application.shortlisted") == "Application shortlisted"
    with translation.override("zh-hans"):
        assert enums.event_label("application.shortlisted") == "申请已入围"
    with translation.override("zh-hant"):
        assert enums.event_label("application.shortlisted") == "申請已入圍"
    assert enums.event_label("unknown.code") == "unknown.code"


def test_event_labels_in_the_notification_list(client):
    superuser = CoordinatorFactory(username="root", is_superuser=True)
    force_login_verified(client, superuser)
    NotificationFactory(event="application.shortlisted")
    page = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert ">Application shortlisted<" in page
    assert ">application.shortlisted<" not in page
    filtered = client.get(
        reverse("admin:notifications_notification_changelist"),
        {"event": "application.shortlisted"},
    )
    assert len(filtered.context["cl"].result_list) == 1
