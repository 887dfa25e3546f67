"""The admin: providers (secret shown once, URL checked), the delivery log and its retry action."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from standardwebhooks import Webhook

from incubator.models import ServiceProvider
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories import NotificationFactory, ReviewerFactory, ServiceProviderFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, coordinator):
    coordinator.is_superuser = True
    coordinator.save(update_fields=["is_superuser"])
    force_login_verified(client, coordinator)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


PROVIDERS = "/admin/incubator/serviceprovider/"
SECRETS_PAGE = f"{PROVIDERS}secrets/"


def cookie_text(response) -> str:
    """Everything the response's cookies carry, the messages cookie decoded."""
    texts = []
    for morsel in response.cookies.values():
        texts.append(morsel.value)
        if morsel.key == CookieStorage.cookie_name and morsel.value:
            decoded = CookieStorage(response.wsgi_request)._decode(morsel.value) or []
            texts.extend(str(message) for message in decoded)
    return "\n".join(texts)


def provider_form(**overrides) -> dict:
    data = {
        "name": "Lab",
        "kind": "testing",
        "email": "lab@example.org",
        "webhook_url": "http://127.0.0.1:9/hooks",
        "tracks": ["finance"],
        "language": "zh-hans",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_provider_admin_add_shows_the_secret_once_in_the_page_never_in_a_cookie(admin_client_):
    # Pending secrets wait in the session, which lives on the server, not in a cookie.
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"

    response = admin_client_.post("/admin/incubator/serviceprovider/add/", provider_form())

    provider = ServiceProvider.objects.get()
    assert provider.webhook_secret not in cookie_text(response)
    assert (response.status_code, response["Location"]) == (302, SECRETS_PAGE)
    assert (provider.tracks, provider.language) == (["finance"], "zh-hans")
    assert all(provider.webhook_secret not in text for text in texts(response))
    shown = admin_client_.get(SECRETS_PAGE)
    assert provider.webhook_secret in shown.content.decode()
    assert provider.webhook_secret not in cookie_text(shown)
    assert "no-store" in shown["Cache-Control"]
    again = admin_client_.get(SECRETS_PAGE)
    assert provider.webhook_secret not in again.content.decode()
    change_page = f"/admin/incubator/serviceprovider/{provider.pk}/change/"
    assert provider.webhook_secret not in admin_client_.get(change_page).content.decode()


def test_provider_admin_add_without_a_url_shows_no_secret(admin_client_):
    response = admin_client_.post(
        "/admin/incubator/serviceprovider/add/", provider_form(webhook_url="")
    )

    assert (response.status_code, response["Location"]) == (
        302,
        "/admin/incubator/serviceprovider/",
    )
    provider = ServiceProvider.objects.get()
    assert provider.webhook_secret not in admin_client_.get(SECRETS_PAGE).content.decode()


def test_provider_admin_adding_a_url_issues_and_shows_a_new_secret(admin_client_):
    provider = ServiceProviderFactory(webhook_url="", kind="testing", language="en")
    old = provider.webhook_secret

    response = admin_client_.post(
        f"/admin/incubator/serviceprovider/{provider.pk}/change/",
        provider_form(name=provider.name, email=provider.email, language="en"),
    )

    assert (response.status_code, response["Location"]) == (302, SECRETS_PAGE)
    provider.refresh_from_db()
    assert provider.webhook_url == "http://127.0.0.1:9/hooks"
    assert provider.webhook_secret != old
    assert provider.webhook_secret not in cookie_text(response)
    assert provider.webhook_secret in admin_client_.get(SECRETS_PAGE).content.decode()


def test_provider_admin_changing_a_url_keeps_the_secret(admin_client_):
    provider = ServiceProviderFactory(webhook_url="http://127.0.0.1:9/old", kind="testing")
    old = provider.webhook_secret

    response = admin_client_.post(
        f"/admin/incubator/serviceprovider/{provider.pk}/change/",
        provider_form(name=provider.name, email=provider.email),
    )

    assert response["Location"] == PROVIDERS
    provider.refresh_from_db()
    assert (provider.webhook_url, provider.webhook_secret) == ("http://127.0.0.1:9/hooks", old)


def test_provider_secrets_page_is_for_coordinators_only(client, admin_client_):
    admin_client_.post("/admin/incubator/serviceprovider/add/", provider_form())
    client.force_login(ReviewerFactory())
    assert client.get(SECRETS_PAGE).status_code == 403


def test_provider_admin_refuses_a_private_webhook_url(admin_client_, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    response = admin_client_.post(
        "/admin/incubator/serviceprovider/add/",
        {
            "name": "Lab",
            "kind": "testing",
            "email": "lab@example.org",
            "webhook_url": "http://169.254.169.254/latest/meta-data/",
            "language": "en",
        },
    )

    assert response.status_code == 200
    assert "169.254.169.254" in str(response.context["adminform"].form.errors["webhook_url"])
    assert ServiceProvider.objects.count() == 0


def test_provider_admin_change_goes_through_the_service(admin_client_):
    provider = ServiceProviderFactory(name="Old")

    admin_client_.post(
        f"/admin/incubator/serviceprovider/{provider.pk}/change/",
        {
            "name": "New",
            "kind": provider.kind,
            "email": provider.email,
            "webhook_url": "",
            "language": "en",
            "active": "on",
        },
    )

    provider.refresh_from_db()
    assert provider.name == "New"


def test_provider_admin_rotate_action_shows_the_new_secrets_in_the_page(admin_client_):
    providers = [ServiceProviderFactory(name=name) for name in ("Fund A", "Lab B")]
    old = [provider.webhook_secret for provider in providers]

    response = admin_client_.post(
        "/admin/incubator/serviceprovider/",
        {"action": "rotate_secret", "_selected_action": [p.pk for p in providers]},
    )

    assert (response.status_code, response["Location"]) == (302, SECRETS_PAGE)
    page = admin_client_.get(SECRETS_PAGE).content.decode()
    for provider, before in zip(providers, old, strict=True):
        provider.refresh_from_db()
        assert provider.webhook_secret != before
        assert provider.webhook_secret in page
        assert provider.webhook_secret not in cookie_text(response)


def test_notification_admin_retry_action_requeues_failed_and_refuses_sent(
    admin_client_, django_capture_on_commit_callbacks, mailoutbox
):
    failed = NotificationFactory(
        status=NotificationStatus.FAILED, attempts=7, attempts_since_retry=7
    )
    sent = NotificationFactory(status=NotificationStatus.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/notifications/notification/",
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.attempts_since_retry) == ("sent", 8, 1)
    assert len(mailoutbox) == 1
    messages = texts(response)
    assert any("already sent" in text for text in messages)
    assert "1 notification is queued for delivery." in messages
    assert Notification.objects.get(pk=sent.pk).status == "sent"


def test_notification_admin_shows_the_delivery_log(admin_client_):
    notification = NotificationFactory()

    response = admin_client_.get(f"/admin/notifications/notification/{notification.pk}/change/")

    assert response.status_code == 200
    assert "delivery attempts" in response.content.decode().lower()


def test_provider_admin_test_webhook_action_delivers_a_signed_test(
    admin_client_, receiver, django_capture_on_commit_callbacks
):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    email_only = ServiceProviderFactory(webhook_url="")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/incubator/serviceprovider/",
            {"action": "send_test_webhook", "_selected_action": [provider.pk, email_only.pk]},
            follow=True,
        )

    [request] = receiver.received()
    body = Webhook(provider.webhook_secret).verify(request.body, request.headers)
    assert body["type"] == "provider.test"
    assert body["data"] == {"provider": {"id": provider.pk, "name": provider.name}, "test": True}
    assert Notification.objects.get(event="provider.test").status == "sent"
    assert any("has no webhook URL" in text for text in texts(response))
