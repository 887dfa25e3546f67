"""A withdrawal of consent racing a publication, with a real Celery worker on Redis, PostgreSQL
and an HTTP receiver (DESIGN.md §12): the start-up is either in the delivered payload, sent while
its consent was valid (and the provider is then told `consent.withdrawn`), or not in it at all."""

import json
import time

import pytest
from standardwebhooks import Webhook

from applications.consent import change_consent
from applications.models import Application
from incubator.enums import ServiceKind
from notifications.models import Notification
from tests.factories import ShortlistEntryFactory, UserFactory
from tests.integration.test_notifications import (
    all_settled,
    live,  # noqa: F401  (the fixture)
    provider_for,
    publish,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def bodies(receiver, secret: str, kind: str) -> list[dict]:
    return [
        Webhook(secret).verify(request.body, request.headers)
        for request in receiver.received()
        if request.path == f"/hooks/{kind}"
    ]


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1, 0.5])
def test_withdrawal_racing_a_publication(live, receiver, delay):  # noqa: F811
    founder = UserFactory()
    entry = ShortlistEntryFactory(application__startup__members=[founder])
    application = entry.application
    provider = provider_for(receiver, ServiceKind.FUND)
    live()

    publish(entry.shortlist)
    time.sleep(delay)
    change_consent(actor=founder, application=application, share_with=[])

    wait_until(all_settled)
    received = bodies(receiver, provider.webhook_secret, ServiceKind.FUND)
    published = [body for body in received if body["type"] == "shortlist.published"]
    withdrawn = [body for body in received if body["type"] == "consent.withdrawn"]
    carried = [startup["application"] for body in published for startup in body["data"]["startups"]]
    assert Application.objects.get(pk=application.pk).share_with == []
    # Every provider row that went out (e-mail or webhook) carried it only if sent before the
    # withdrawal committed; a row that had nothing left was withheld, not sent.
    sent_rows = Notification.objects.filter(
        provider=provider, event="shortlist.published", status="sent"
    )
    carried_by_rows = {
        row.channel: [s["application"] for s in row.payload["data"]["startups"]]
        for row in sent_rows
    }
    for row in sent_rows:
        if not carried_by_rows[row.channel]:
            assert row.last_error.startswith("withheld")
    assert carried == carried_by_rows.get("webhook", [])
    if any(carried_by_rows.values()):
        # The provider received it before the withdrawal: it is told of the withdrawal.
        assert [body["data"] for body in withdrawn] == [
            {"application": application.pk, "startup": application.startup_id}
        ]
    else:
        assert published == []
        assert withdrawn == []
    # What the outbox says the webhook carried is what the receiver got.
    for body in published:
        row = Notification.objects.get(pk=int(body["id"]))
        assert json.loads(json.dumps(body["data"])) == row.payload["data"]
