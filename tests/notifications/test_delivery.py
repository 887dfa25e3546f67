"""Delivery of one row to a real HTTP receiver, to the e-mail outbox and to a real local SMTP
server; the whole-delivery deadline, permanent failures, and the SSRF guard."""

import socket
import time
from datetime import UTC, datetime

import pytest
from django.core import mail
from standardwebhooks import Webhook, WebhookVerificationError

from notifications import sending
from notifications.delivery import sign
from notifications.enums import NotificationStatus
from notifications.models import Notification, NotificationAttempt
from notifications.urlsafety import (
    UnsafeWebhookURL,
    is_public_address,
    resolve_webhook_target,
)
from tests.factories import NotificationFactory, ServiceProviderFactory

from .receiver import Answer

pytestmark = pytest.mark.django_db


def webhook_row(provider, **fields) -> Notification:
    return NotificationFactory(
        event="shortlist.published",
        channel="webhook",
        recipient=provider.webhook_url,
        provider=provider,
        payload={"template": "x", "programme": "P", "data": {"startups": [{"startup": "Acme"}]}},
        **fields,
    )


def test_deliver_notification_webhook_is_signed_per_standard_webhooks(receiver):
    provider = ServiceProviderFactory(webhook_url=receiver.url)
    row = webhook_row(provider)

    assert sending.deliver_notification(notification_id=row.pk) == "sent"

    [request] = receiver.received()
    assert request.path == "/hooks"
    assert request.headers["webhook-id"] == str(row.pk)
    assert request.headers["Content-Type"] == "application/json"
    body = Webhook(provider.webhook_secret).verify(request.body, request.headers)
    assert body == {
        "id": str(row.pk),
        "type": "shortlist.published",
        "timestamp": row.created_at.isoformat(),
        "data": {"startups": [{"startup": "Acme"}]},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(ServiceProviderFactory().webhook_secret).verify(request.body, request.headers)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    attempt = NotificationAttempt.objects.get(notification=row)
    assert (attempt.succeeded, attempt.http_status) == (True, 200)


def test_deliver_notification_failure_is_recorded_and_rescheduled(receiver, settings):
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0]
    receiver.default_status = 503
    row = webhook_row(ServiceProviderFactory(webhook_url=receiver.url))

    assert sending.deliver_notification(notification_id=row.pk) == "pending"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503: ok")
    attempt = NotificationAttempt.objects.get(notification=row)
    assert (attempt.succeeded, attempt.http_status, attempt.error) == (False, 503, "HTTP 503: ok")
    assert 80 <= (row.next_attempt_at - attempt.started_at).total_seconds() <= 121

    assert sending.deliver_notification(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)


def test_deliver_notification_does_not_follow_redirects(receiver):
    receiver.default_status = 302
    row = webhook_row(ServiceProviderFactory(webhook_url=receiver.url))

    sending.deliver_notification(notification_id=row.pk)

    row.refresh_from_db()
    assert len(receiver.received()) == 1
    assert row.last_error == "HTTP 302: redirect to http://127.0.0.1:9/elsewhere not followed"


def test_deliver_notification_skips_a_row_already_sent(receiver):
    row = webhook_row(
        ServiceProviderFactory(webhook_url=receiver.url), status=NotificationStatus.SENT
    )

    assert sending.deliver_notification(notification_id=row.pk) == "skipped"
    assert sending.deliver_notification(notification_id=row.pk + 1000) == "skipped"
    assert receiver.received() == []


def test_deliver_notification_connection_refused_is_a_transient_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    row = webhook_row(ServiceProviderFactory(webhook_url=f"http://127.0.0.1:{port}/x"))

    sending.deliver_notification(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == "pending"
    assert row.last_error.startswith("NewConnectionError")


def test_deliver_notification_to_deactivated_provider_fails_without_retry(receiver):
    provider = ServiceProviderFactory(webhook_url=receiver.url, active=False)
    row = webhook_row(provider)

    assert sending.deliver_notification(notification_id=row.pk) == "failed"
    assert receiver.received() == []


def test_deliver_notification_refuses_a_private_address_at_delivery(receiver, settings):
    # Saved while private addresses were allowed; refused once they are not.
    row = webhook_row(ServiceProviderFactory(webhook_url=receiver.url))
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    sending.deliver_notification(notification_id=row.pk)

    row.refresh_from_db()
    assert receiver.received() == []
    assert "127.0.0.1" in row.last_error
    assert row.status == "pending"


def test_deliver_notification_email_has_text_and_html(mailoutbox):
    row = NotificationFactory(recipient="ceo@acme.example", language="zh-hans")

    sending.deliver_notification(notification_id=row.pk)

    [message] = mailoutbox
    assert message.to == ["ceo@acme.example"]
    assert message.subject == "我们已收到您的申请“Ledger”"
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["X-Notification-Id"] == str(row.pk)


def test_deliver_notification_smtp_error_is_recorded(settings):
    # A real SMTP connection to a port where nothing listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    row = NotificationFactory()

    sending.deliver_notification(notification_id=row.pk)

    attempt = NotificationAttempt.objects.get(notification=row)
    assert attempt.succeeded is False
    assert attempt.error.startswith("ConnectionRefusedError")
    assert mail.outbox == []


def test_sign_matches_the_standard_webhooks_library():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    moment = datetime.fromtimestamp(1614265330, tz=UTC)

    signature = sign(
        secret=secret,
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=body.encode(),
    )

    assert signature == Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", moment, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8000/hook",
        "http://192.168.0.10/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_resolve_webhook_target_refuses_non_public_addresses(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(UnsafeWebhookURL):
        resolve_webhook_target(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "http://user:pw@example.org/", "http:///x"]
)
def test_resolve_webhook_target_refuses_other_schemes_and_credentials(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    with pytest.raises(UnsafeWebhookURL):
        resolve_webhook_target(url)


def test_resolve_webhook_target_allows_loopback_when_the_setting_is_on(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    target = resolve_webhook_target("http://127.0.0.1:8080/a?b=1")

    assert (target.address, target.port, target.path, target.host_header) == (
        "127.0.0.1",
        8080,
        "/a?b=1",
        "127.0.0.1:8080",
    )


def test_is_public_address_accepts_public_addresses():
    assert is_public_address("93.184.216.34") is True
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946") is True
    assert is_public_address("100.64.0.1") is False


def test_deliver_notification_connects_to_the_checked_address_without_resolving_again(
    receiver, monkeypatch
):
    # DNS is the boundary: "hooks.partner.example" answers loopback once, then somewhere else.
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.9.9.9"])
    asked: list[str] = []

    def fake_getaddrinfo(host, *args, **kwargs):
        if host == "hooks.partner.example":
            asked.append(host)
            return real_getaddrinfo(next(answers), *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    port = receiver.server.server_address[1]
    provider = ServiceProviderFactory(webhook_url=f"http://hooks.partner.example:{port}/in")
    row = webhook_row(provider)

    assert sending.deliver_notification(notification_id=row.pk) == "sent"

    [request] = receiver.received()
    assert asked == ["hooks.partner.example"]  # resolved once, for the check
    assert request.headers["Host"] == f"hooks.partner.example:{port}"
    assert request.path == "/in"


# --- One deadline for the whole delivery (issue 10) --------------------------------------------


def deliver_timed(row) -> tuple[str, float]:
    started = time.monotonic()
    outcome = sending.deliver_notification(notification_id=row.pk)
    return outcome, time.monotonic() - started


def test_deliver_notification_to_a_receiver_trickling_its_200_body_is_sent_at_once(
    receiver, settings
):
    # The 2xx status is the answer: the body (60 bytes, one a second) is not waited for.
    settings.WEBHOOK_TOTAL_TIMEOUT = 5
    receiver.answers["/hooks/drip"] = Answer(status=200, body=b"x" * 60, drip=1.0)
    row = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/drip"))

    outcome, took = deliver_timed(row)

    assert outcome == "sent"
    assert took < 2
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    attempt = NotificationAttempt.objects.get(notification=row)
    assert (attempt.succeeded, attempt.http_status) == (True, 200)


def test_deliver_notification_to_a_receiver_that_never_answers_times_out_with_backoff(
    receiver, settings
):
    settings.WEBHOOK_TOTAL_TIMEOUT = 1
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0]
    receiver.answers["/hooks/hang"] = Answer(hang=True)
    row = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/hang"))

    outcome, took = deliver_timed(row)

    assert outcome == "pending"
    assert took < 3
    row.refresh_from_db()
    attempt = NotificationAttempt.objects.get(notification=row)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "timed out after 1 s")
    assert (attempt.succeeded, attempt.http_status, attempt.error) == (
        False,
        None,
        "timed out after 1 s",
    )
    assert 900 <= attempt.duration_ms < 3000
    assert 80 <= (row.next_attempt_at - attempt.started_at).total_seconds() <= 121


def test_deliver_notification_deadline_holds_against_a_status_line_trickled_byte_by_byte(
    receiver, settings
):
    # Every byte arrives well within any per-read timeout; only a deadline for the whole
    # delivery stops it (the head is ~40 bytes: 20 s at this pace).
    settings.WEBHOOK_TOTAL_TIMEOUT = 1.5
    receiver.answers["/hooks/slow"] = Answer(status=200, drip=0.5, drip_head=True)
    row = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/slow"))

    outcome, took = deliver_timed(row)

    assert outcome == "pending"
    assert took < 3.5
    row.refresh_from_db()
    assert row.last_error == "timed out after 1.5 s"


def test_deliver_notification_error_body_is_read_only_until_the_deadline(receiver, settings):
    settings.WEBHOOK_TOTAL_TIMEOUT = 1.5
    receiver.answers["/hooks/err"] = Answer(status=500, body=b"overloaded" + b"." * 50, drip=0.1)
    row = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/err"))

    outcome, took = deliver_timed(row)

    assert outcome == "pending"
    assert took < 3.5
    attempt = NotificationAttempt.objects.get(notification=row)
    # The status arrived in time: an HTTP failure with what came of the body, not a timeout.
    assert attempt.http_status == 500
    assert attempt.error.startswith("HTTP 500: overloaded")
    assert len(attempt.error) < len("HTTP 500: overloaded") + 50


@pytest.mark.parametrize(
    ("status", "outcome", "next_attempt"),
    [
        (400, "failed", False),
        (401, "failed", False),
        (404, "failed", False),
        (422, "failed", False),
        (408, "pending", True),
        (409, "pending", True),
        (425, "pending", True),
        (429, "pending", True),
        (500, "pending", True),
        (503, "pending", True),
    ],
)
def test_deliver_notification_4xx_is_permanent_except_408_409_425_429(
    receiver, settings, status, outcome, next_attempt
):
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0, 200.0]
    receiver.answers["/hooks/answer"] = Answer(status=status, body=b"the endpoint says no")
    row = webhook_row(ServiceProviderFactory(webhook_url=f"{receiver.url}/answer"))

    assert sending.deliver_notification(notification_id=row.pk) == outcome

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        outcome,
        1,
        f"HTTP {status}: the endpoint says no",
    )
    assert (row.next_attempt_at is not None) == next_attempt
    attempt = NotificationAttempt.objects.get(notification=row)
    assert (attempt.succeeded, attempt.http_status) == (False, status)


def use_smtp(settings, server, timeout: float) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_TIMEOUT = timeout


def test_deliver_notification_email_to_an_smtp_server_is_sent(settings, smtp_server):
    server = smtp_server()
    use_smtp(settings, server, timeout=5)
    row = NotificationFactory(recipient="ceo@acme.example")

    assert sending.deliver_notification(notification_id=row.pk) == "sent"

    [accepted] = server.messages()
    assert (accepted.recipients, accepted.notification_id) == (["ceo@acme.example"], str(row.pk))


def test_deliver_notification_email_to_a_stalled_smtp_server_times_out(settings, smtp_server):
    server = smtp_server(stall_connections=1)  # accepts the connection, never says a word
    use_smtp(settings, server, timeout=1)
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0]
    row = NotificationFactory()

    outcome, took = deliver_timed(row)

    assert outcome == "pending"
    assert took < 3
    row.refresh_from_db()
    assert (row.attempts, row.last_error) == (1, "timed out after 1 s")
    assert server.messages() == []


def test_deliver_notification_email_deadline_holds_against_slow_replies(settings, smtp_server):
    # Each reply comes after 0.4 s, well within the 1.5 s per-call timeout; the conversation
    # (greeting, EHLO, MAIL, RCPT, DATA, the message, QUIT) would take about 3 s.
    server = smtp_server(reply_delay=0.4)
    use_smtp(settings, server, timeout=1.5)
    row = NotificationFactory()

    outcome, took = deliver_timed(row)

    assert outcome == "pending"
    assert took < 3
    row.refresh_from_db()
    assert row.last_error == "timed out after 1.5 s"


def test_deliver_notification_email_accepted_then_stalled_on_quit_counts_as_sent(
    settings, smtp_server
):
    # Django's backend would wait in quit(); the message was accepted before, so it is sent.
    server = smtp_server(stall_on_quit=True)
    use_smtp(settings, server, timeout=1)
    row = NotificationFactory()

    outcome, took = deliver_timed(row)

    assert outcome == "sent"
    assert took < 3
    assert len(server.messages()) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")


@pytest.mark.parametrize(
    ("behaviour", "status", "error"),
    [
        # No such mailbox: no retry will find it.
        ({"refuse_recipients": {"gone@acme.example": "550 5.1.1 No such user"}}, "failed", "550"),
        # The mailbox is full or greylisted for now: tried again later.
        ({"refuse_recipients": {"gone@acme.example": "450 4.2.1 Try later"}}, "pending", "450"),
        # This message refused (spam, size): final.
        ({"refuse_data": "554 5.7.1 Message rejected"}, "failed", "554"),
        # Our sender address refused: the site's configuration, mended by a person; retried.
        ({"refuse_sender": "553 5.7.1 Sender not allowed"}, "pending", "553"),
    ],
)
def test_deliver_notification_email_refusals_are_final_only_for_the_message(
    settings, smtp_server, behaviour, status, error
):
    server = smtp_server(**behaviour)
    use_smtp(settings, server, timeout=5)
    settings.NOTIFICATIONS_RETRY_DELAYS = [100.0]
    row = NotificationFactory(recipient="gone@acme.example")

    assert sending.deliver_notification(notification_id=row.pk) == status

    row.refresh_from_db()
    assert (row.status, row.attempts) == (status, 1)
    assert row.last_error.startswith(f"SMTP {error}")
    assert (row.next_attempt_at is None) == (status == "failed")
    assert server.messages() == []
