"""/api/v1/providers/ and /api/v1/notifications/: coordinators only (DESIGN.md §8)."""

import pytest
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from incubator.models import ServiceProvider
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import (
    NotificationFactory,
    ReviewerFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROVIDER_FIELDS = [
    "id",
    "name",
    "kind",
    "email",
    "webhook_url",
    "tracks",
    "language",
    "active",
    "witness",
]


@pytest.fixture
def api(coordinator) -> APIClient:
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def startup_member():
    user = UserFactory()
    StartupFactory(members=[user])
    return user


@pytest.fixture(params=["anonymous", "reviewer", "startup_member"])
def outsider(request) -> tuple[APIClient, int]:
    client = APIClient()
    if request.param == "anonymous":
        return client, 401
    client.force_authenticate(
        ReviewerFactory() if request.param == "reviewer" else startup_member()
    )
    return client, 403


def test_providers_create_answers_201_with_the_secret_once(api, receiver):
    response = api.post(
        "/api/v1/providers/",
        {
            "name": "GBA Capital",
            "kind": "fund",
            "email": "deals@gba.example",
            "webhook_url": receiver.url,
            "tracks": ["finance", "infrastructure"],
        },
        format="json",
    )

    assert response.status_code == 201
    provider = ServiceProvider.objects.get()
    assert response.json() == {
        "id": provider.pk,
        "name": "GBA Capital",
        "kind": "fund",
        "email": "deals@gba.example",
        "webhook_url": receiver.url,
        "tracks": ["infrastructure", "finance"],
        "language": "en",
        "active": True,
        "witness": False,
        "secret": provider.webhook_secret,
    }
    assert provider.webhook_secret.startswith("whsec_")
    listed = api.get("/api/v1/providers/").json()["results"]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"/api/v1/providers/{provider.pk}/").json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "legal"),
        ("email", "not-an-address"),
        ("tracks", ["space"]),
        ("webhook_url", "http://10.0.0.5/hook"),
        ("webhook_url", "ftp://example.org/hook"),
    ],
)
def test_providers_create_bad_value_answers_400_naming_the_field(api, settings, field, value):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    data = {"name": "P", "kind": "fund", "email": "p@example.org", field: value}

    response = api.post("/api/v1/providers/", data, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert ServiceProvider.objects.count() == 0


def test_providers_patch_changes_fields_without_showing_the_secret(api):
    provider = ServiceProviderFactory(kind="fund")

    response = api.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"kind": "testing", "active": False, "language": "zh-hant"},
        format="json",
    )

    assert response.status_code == 200
    assert list(response.json()) == PROVIDER_FIELDS
    provider.refresh_from_db()
    assert (provider.kind, provider.active, provider.language) == ("testing", False, "zh-hant")


def test_providers_patch_adding_a_url_answers_with_the_new_secret_once(api):
    provider = ServiceProviderFactory(webhook_url="")
    old = provider.webhook_secret

    response = api.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"webhook_url": "http://127.0.0.1:9/hooks"},
        format="json",
    )

    assert response.status_code == 200
    provider.refresh_from_db()
    assert list(response.json()) == [*PROVIDER_FIELDS, "secret"]
    assert response.json()["secret"] == provider.webhook_secret != old
    again = api.patch(f"/api/v1/providers/{provider.pk}/", {"name": "Renamed"}, format="json")
    assert list(again.json()) == PROVIDER_FIELDS


def test_providers_patch_refuses_unsafe_url(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    provider = ServiceProviderFactory()

    response = api.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"webhook_url": "http://169.254.169.254/latest"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["webhook_url"]
    provider.refresh_from_db()
    assert provider.webhook_url == ""


def test_providers_rotate_secret_answers_200_with_the_new_secret(api, receiver):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    old = provider.webhook_secret

    response = api.post(f"/api/v1/providers/{provider.pk}/rotate-secret/")

    assert response.status_code == 200
    provider.refresh_from_db()
    assert response.json()["secret"] == provider.webhook_secret != old


def test_providers_unknown_id_answers_404(api):
    assert api.patch("/api/v1/providers/999/", {}, format="json").status_code == 404
    assert api.post("/api/v1/providers/999/rotate-secret/").status_code == 404


def test_providers_and_notifications_refuse_everyone_but_coordinators(outsider):
    client, code = outsider
    provider = ServiceProviderFactory()
    notification = NotificationFactory()

    assert client.get("/api/v1/providers/").status_code == code
    assert client.post("/api/v1/providers/", {}, format="json").status_code == code
    assert client.patch(f"/api/v1/providers/{provider.pk}/", {}).status_code == code
    assert client.post(f"/api/v1/providers/{provider.pk}/rotate-secret/").status_code == code
    assert client.get("/api/v1/notifications/").status_code == code
    assert client.post(f"/api/v1/notifications/{notification.pk}/retry/").status_code == code


def test_notifications_list_shape_and_filters(api):
    provider = ServiceProviderFactory()
    webhook = NotificationFactory(
        event="shortlist.published", channel="webhook", provider=provider, recipient="http://x/"
    )
    NotificationFactory(status=NotificationStatus.SENT)

    everything = api.get("/api/v1/notifications/").json()
    by_provider = api.get(f"/api/v1/notifications/?provider={provider.pk}").json()
    by_event = api.get("/api/v1/notifications/?event=shortlist.published").json()
    by_status = api.get("/api/v1/notifications/?status=sent").json()

    assert everything["count"] == 2
    assert by_provider["results"] == [
        {
            "id": webhook.pk,
            "event": "shortlist.published",
            "channel": "webhook",
            "provider": provider.pk,
            "recipient": "http://x/",
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": None,
            "sent_at": None,
            "created_at": DateTimeField().to_representation(webhook.created_at),
        }
    ]
    assert [row["id"] for row in by_event["results"]] == [webhook.pk]
    assert by_status["count"] == 1
    assert api.get("/api/v1/notifications/?status=lost").status_code == 400


def as_fresh_coordinator(api, coordinator) -> APIClient:
    # A fresh user instance: the role check's cached groups do not carry over between requests.
    api.force_authenticate(type(coordinator).objects.get(pk=coordinator.pk))
    return api


def test_notifications_list_query_count_does_not_grow(api, coordinator, django_assert_num_queries):
    NotificationFactory(provider=ServiceProviderFactory())
    with django_assert_num_queries(4):
        as_fresh_coordinator(api, coordinator).get("/api/v1/notifications/")
    for _ in range(20):
        NotificationFactory(provider=ServiceProviderFactory())
    with django_assert_num_queries(4):
        response = as_fresh_coordinator(api, coordinator).get("/api/v1/notifications/")
    assert response.json()["count"] == 21


def test_providers_list_query_count_does_not_grow(api, coordinator, django_assert_num_queries):
    ServiceProviderFactory()
    with django_assert_num_queries(4):
        as_fresh_coordinator(api, coordinator).get("/api/v1/providers/")
    for _ in range(20):
        ServiceProviderFactory()
    with django_assert_num_queries(4):
        response = as_fresh_coordinator(api, coordinator).get("/api/v1/providers/")
    assert response.json()["count"] == 21


def test_notifications_retry_delivers_a_failed_row_now(
    api, receiver, django_capture_on_commit_callbacks
):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    notification = NotificationFactory(
        channel="webhook",
        recipient=receiver.url,
        provider=provider,
        status=NotificationStatus.FAILED,
        attempts=7,
        attempts_since_retry=7,
        payload={"data": {}},
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/notifications/{notification.pk}/retry/")

    assert response.status_code == 200
    # `attempts` counts every attempt ever; the retry restarts the schedule, not the count.
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 7)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.attempts_since_retry) == (
        "sent",
        8,
        1,
    )
    [request] = receiver.received()
    Webhook(provider.webhook_secret).verify(request.body, request.headers)


def test_notifications_retry_of_a_sent_row_answers_409(api):
    notification = NotificationFactory(status=NotificationStatus.SENT)

    response = api.post(f"/api/v1/notifications/{notification.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This notification was already sent; it cannot be sent again."
    }
    assert Notification.objects.get().status == "sent"


def test_schema_documents_the_notification_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()

    assert set(schema["paths"]["/api/v1/providers/"]["post"]["responses"]) == {
        "201",
        "400",
        "401",
        "403",
        "406",
        "415",
    }
    assert "409" in schema["paths"]["/api/v1/notifications/{id}/retry/"]["post"]["responses"]
