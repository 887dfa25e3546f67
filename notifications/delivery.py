"""Sending one notification by e-mail or by signed webhook (Standard Webhooks, DESIGN.md §7).

Nothing here touches the database: `services.deliver_notification` locks the row, calls `send`
and records what it returns.
"""

import base64
import hashlib
import hmac
import json
import smtplib
import time
from dataclasses import dataclass
from functools import lru_cache

import urllib3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext as _

from notifications.enums import NotificationChannel
from notifications.models import Notification

from . import emails
from .urlsafety import UnsafeWebhookURL, WebhookTarget, resolve_webhook_target

USER_AGENT = "BlueChipIncubator-Webhooks/1"
# Enough of a response body to explain a failure in the delivery log.
MAX_ERROR_BODY = 500


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    duration_ms: int
    http_status: int | None = None
    error: str = ""
    # A failure that no retry can fix (the provider was removed or deactivated).
    permanent: bool = False


def send(notification: Notification) -> Outcome:
    started = time.monotonic()
    if notification.channel == NotificationChannel.WEBHOOK:
        outcome = _send_webhook(notification)
    else:
        outcome = _send_email(notification)
    return Outcome(
        succeeded=outcome.succeeded,
        duration_ms=int((time.monotonic() - started) * 1000),
        http_status=outcome.http_status,
        error=outcome.error[:2000],
        permanent=outcome.permanent,
    )


# --- Webhooks ----------------------------------------------------------------------------------


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part of a `whsec_` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_body(notification: Notification) -> bytes:
    """The same bytes on every attempt: only the timestamp header and signature change."""
    body = {
        "id": str(notification.pk),
        "type": notification.event,
        "timestamp": notification.created_at.isoformat(),
        "data": notification.payload.get("data", {}),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_headers(*, notification: Notification, secret: str, body: bytes) -> dict[str, str]:
    msg_id = str(notification.pk)
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


@lru_cache(maxsize=256)
def _pool(target: WebhookTarget) -> urllib3.HTTPConnectionPool:
    # Keyed by the checked address: a pool never connects anywhere else, so keeping connections
    # alive between deliveries cannot bypass the address check.
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT
    )
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=2,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        target.address, target.port, timeout=timeout, retries=False, maxsize=2
    )


def _send_webhook(notification: Notification) -> Outcome:
    provider = notification.provider
    if provider is None or not provider.active or not provider.webhook_url:
        return Outcome(
            succeeded=False,
            duration_ms=0,
            error=_("The provider was removed, deactivated or has no webhook URL any more."),
            permanent=True,
        )
    try:
        # Resolved and checked again now: a DNS change since saving cannot reach inside.
        target = resolve_webhook_target(provider.webhook_url)
    except UnsafeWebhookURL as error:
        return Outcome(succeeded=False, duration_ms=0, error=str(error))
    body = webhook_body(notification)
    headers = webhook_headers(notification=notification, secret=provider.webhook_secret, body=body)
    headers["Host"] = target.host_header
    try:
        response = _pool(target).urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(MAX_ERROR_BODY, decode_content=False)
            response.drain_conn()
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        return Outcome(succeeded=False, duration_ms=0, error=f"{type(error).__name__}: {error}")
    if 200 <= response.status < 300:
        return Outcome(succeeded=True, duration_ms=0, http_status=response.status)
    reason = excerpt.decode("utf-8", errors="replace").strip()
    if 300 <= response.status < 400:
        reason = _("redirect to %(location)s not followed") % {
            "location": response.headers.get("Location", "?")
        }
    return Outcome(
        succeeded=False,
        duration_ms=0,
        http_status=response.status,
        error=f"HTTP {response.status}: {reason}".strip(),
    )


# --- E-mail ------------------------------------------------------------------------------------


def render_email(notification: Notification) -> tuple[str, str, str]:
    """Subject, text and HTML bodies, in the recipient's language: the coordinators' text of the
    row's template where there is one, the shipped files otherwise (`emails.render_row`)."""
    return emails.render_row(notification).parts()


def _send_email(notification: Notification) -> Outcome:
    subject, text, html = render_email(notification)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Notification-Id": str(notification.pk)},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPResponseException as error:
        return Outcome(
            succeeded=False,
            duration_ms=0,
            error=f"SMTP {error.smtp_code}: {error.smtp_error!r}",
        )
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(succeeded=False, duration_ms=0, error=f"{type(error).__name__}: {error}")
    return Outcome(succeeded=True, duration_ms=0)
