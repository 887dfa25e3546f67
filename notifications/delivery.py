"""Sending one notification by e-mail or by signed webhook (Standard Webhooks, DESIGN.md §7),
each within one deadline for the whole delivery.

Nothing here writes to the database: `sending.deliver_notifications` claims the rows, calls `send`
and records what it returns.
"""

import base64
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import os
import smtplib
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.utils.translation import gettext as _
from urllib3.connection import HTTPConnection, HTTPSConnection

from notifications.enums import NotificationChannel
from notifications.models import Notification

from . import emails
from .urlsafety import UnsafeWebhookURL, WebhookTarget, resolve_webhook_target

logger = logging.getLogger(__name__)

USER_AGENT = "BlueChipIncubator-Webhooks/1"
# Enough of a response body to explain a failure in the delivery log.
MAX_ERROR_BODY = 500
# Client errors that a later attempt may cure: timeout, conflict, too early, too many requests.
# Any other 4xx means the endpoint rejected the message: retrying sends the same bytes again.
TRANSIENT_CLIENT_ERRORS = {408, 409, 425, 429}
GONE = 410


# SMTP replies from 500 on are permanent failures (RFC 5321, section 4.2.1).
SMTP_PERMANENT = 500


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    duration_ms: int
    http_status: int | None = None
    error: str = ""
    # A failure that no retry can fix (the provider was removed or deactivated, the endpoint
    # rejected the message with a 4xx, the mail server refused the recipient or the message
    # with a 5xx).
    permanent: bool = False
    # The endpoint answered 410 Gone: it does not exist any more.
    gone: bool = False


def send(notification: Notification, *, renderer: emails.BatchRenderer | None = None) -> Outcome:
    """Deliver one row. `renderer`: the chunk's e-mail renderer (its coordinators' texts loaded
    once, each distinct message rendered once); without it an e-mail is rendered on its own."""
    started = time.monotonic()
    if notification.channel == NotificationChannel.WEBHOOK:
        outcome = _send_webhook(notification)
    else:
        outcome = _send_email(notification, renderer=renderer)
    return Outcome(
        succeeded=outcome.succeeded,
        duration_ms=int((time.monotonic() - started) * 1000),
        http_status=outcome.http_status,
        error=outcome.error[:2000],
        permanent=outcome.permanent,
        gone=outcome.gone,
    )


def timed_out(seconds: float) -> str:
    """The reason recorded for a delivery that ran out of time."""
    return _("timed out after %(seconds)s s") % {"seconds": f"{seconds:.3g}"}


# --- The deadline ------------------------------------------------------------------------------


class Cutoff:
    """One deadline for a whole delivery (connect, send, answer).

    A socket timeout bounds each blocking call, not their sum: a peer that trickles one byte a
    second keeps every call short and the delivery endless. So each step is given the time left
    (`left()`), and from the moment a connection is watched (`watch`) the process's watchdog
    shuts it down at the deadline, which makes whatever call is blocked on it return at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self.expired = False
        self._finders: list[Callable[[], socket.socket | None]] = []
        self._lock = threading.Lock()
        self._closed = False

    def left(self) -> float:
        """The seconds left, as a socket timeout; TimeoutError when there are none."""
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError(timed_out(self.seconds))
        return left

    def watch(self, find: Callable[[], socket.socket | None]) -> None:
        """Shut down the socket that `find` returns (then) when the deadline passes."""
        with self._lock:
            self._finders.append(find)
            first = len(self._finders) == 1
        if first:
            _watchdog.add(self)

    def cut(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for find in self._finders:
                sock = find()
                if sock is not None:
                    with suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> "Cutoff":
        return self

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._closed = True


class Watchdog:
    """One thread per process that cuts the connections whose deadline has passed. (A timer
    thread per delivery cost more than the delivery's own network time on a busy machine.)
    Deadlines are met to within SLACK seconds; finished deliveries are dropped when due."""

    SLACK = 0.05

    def __init__(self) -> None:
        self._reset()
        # A forked worker process starts with no thread and must not inherit a held lock.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._due: list[tuple[float, int, Cutoff]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, cutoff: Cutoff) -> None:
        with self._wake:
            heapq.heappush(self._due, (cutoff.ends_at, next(self._order), cutoff))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="delivery-watchdog", daemon=True
                )
                self._thread.start()
            elif self._due[0][2] is cutoff:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                due = []
                while self._due and self._due[0][0] <= now:
                    due.append(heapq.heappop(self._due)[2])
                if not due:
                    wait = self._due[0][0] - now if self._due else None
                    self._wake.wait(None if wait is None else max(wait, self.SLACK))
                    continue
            for cutoff in due:
                cutoff.cut()


_watchdog = Watchdog()


def _is_timeout(error: BaseException) -> bool:
    """Whether `error`, or an error that caused it, is a timeout."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 10:
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return False  # urllib3 files it under connect timeouts; it is a refusal or the like
        if isinstance(current, (TimeoutError, urllib3.exceptions.TimeoutError)):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


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


class IdleConnections:
    """Per process, at most one idle keep-alive connection per checked address, so webhooks to
    one endpoint skip the TCP (and TLS) handshakes. Keyed by the checked address: a connection
    never leads anywhere else, so keeping it cannot bypass the address check."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._idle: OrderedDict[WebhookTarget, HTTPConnection] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, target: WebhookTarget) -> HTTPConnection:
        with self._lock:
            connection = self._idle.pop(target, None)
        if connection is not None:
            if connection.is_connected:  # not closed by the other end meanwhile
                return connection
            connection.close()
        if target.scheme == "https":
            return HTTPSConnection(
                target.address,
                target.port,
                cert_reqs="CERT_REQUIRED",
                server_hostname=target.host,
                assert_hostname=target.host,
            )
        return HTTPConnection(target.address, target.port)

    def give_back(self, target: WebhookTarget, connection: HTTPConnection) -> None:
        with self._lock:
            replaced = self._idle.pop(target, None)
            self._idle[target] = connection
            evicted = self._idle.popitem(last=False)[1] if len(self._idle) > self.size else None
        for other in (replaced, evicted):
            if other is not None:
                other.close()


_connections = IdleConnections()


def _send_webhook(notification: Notification) -> Outcome:
    provider = notification.provider
    if provider is None or not provider.active or not provider.webhook_url:
        return Outcome(
            succeeded=False,
            duration_ms=0,
            error=_("The provider was removed, deactivated or has no webhook URL any more."),
            permanent=True,
        )
    # The deadline counts from here: resolving the name takes its share (it cannot be cut
    # short; the resolver's own timeouts bound it).
    cutoff = Cutoff(settings.WEBHOOK_TOTAL_TIMEOUT)
    try:
        # Resolved and checked again now: a DNS change since saving cannot reach inside.
        target = resolve_webhook_target(provider.webhook_url)
    except UnsafeWebhookURL as error:
        return Outcome(succeeded=False, duration_ms=0, error=str(error))
    body = webhook_body(notification)
    headers = webhook_headers(notification=notification, secret=provider.webhook_secret, body=body)
    headers["Host"] = target.host_header
    connection = _connections.take(target)
    reusable = False
    try:
        with cutoff:
            status, excerpt, location, reusable = _post(connection, target, body, headers, cutoff)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as error:
        if cutoff.expired or _is_timeout(error):
            return Outcome(succeeded=False, duration_ms=0, error=timed_out(cutoff.seconds))
        return Outcome(succeeded=False, duration_ms=0, error=f"{type(error).__name__}: {error}")
    finally:
        if reusable and not cutoff.expired:
            _connections.give_back(target, connection)
        else:
            connection.close()
    if 200 <= status < 300:
        return Outcome(succeeded=True, duration_ms=0, http_status=status)
    reason = excerpt.decode("utf-8", errors="replace").strip()
    if 300 <= status < 400:
        reason = _("redirect to %(location)s not followed") % {"location": location}
    rejected = 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS
    return Outcome(
        succeeded=False,
        duration_ms=0,
        http_status=status,
        error=f"HTTP {status}: {reason}".strip(),
        permanent=rejected,
        gone=status == GONE,
    )


def _post(
    connection: HTTPConnection,
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    cutoff: Cutoff,
) -> tuple[int, bytes, str, bool]:
    """POST within the cutoff. Returns the status, an excerpt of an error's body, a redirect's
    Location, and whether the connection can carry the next request."""
    if connection.sock is None:
        connection.timeout = cutoff.left()
        connection.connect()
    sock = connection.sock
    cutoff.watch(lambda: sock)
    connection.timeout = cutoff.left()
    connection.request(
        "POST",
        target.path,
        body=body,
        headers=headers,
        preload_content=False,
        decode_content=False,
    )
    connection.timeout = cutoff.left()
    response = connection.getresponse()
    if 200 <= response.status < 300:
        # The status is the answer. A body is not waited for: a receiver may trickle it for as
        # long as it likes, so the connection is closed instead, unless there is none to read.
        if response.length_remaining == 0:
            response.read()
            return response.status, b"", "", connection.sock is not None
        return response.status, b"", "", False
    return response.status, _excerpt(response), response.headers.get("Location", "?"), False


def _excerpt(response: urllib3.BaseHTTPResponse) -> bytes:
    """The start of an error's body, as much of it as arrives before the deadline."""
    parts: list[bytes] = []
    size = 0
    try:
        while size < MAX_ERROR_BODY:
            part = response.read1(MAX_ERROR_BODY - size, decode_content=False)
            if not part:
                break
            parts.append(part)
            size += len(part)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError):
        pass  # cut off at the deadline: the status is the answer, the excerpt what came
    return b"".join(parts)


# --- E-mail ------------------------------------------------------------------------------------


def render_email(
    notification: Notification, *, renderer: emails.BatchRenderer | None = None
) -> tuple[str, str, str]:
    """Subject, text and HTML bodies, in the recipient's language: the coordinators' text of the
    row's template where there is one, the shipped files otherwise (`emails.render_row`)."""
    if renderer is not None:
        return renderer.render(notification).parts()
    return emails.render_row(notification).parts()


def _send_email(notification: Notification, *, renderer: emails.BatchRenderer | None) -> Outcome:
    subject, text, html = render_email(notification, renderer=renderer)
    # Django's SMTP backend applies EMAIL_TIMEOUT to each blocking call (connect, greeting,
    # every reply, QUIT); the cutoff bounds the conversation as a whole.
    backend = get_connection(timeout=settings.EMAIL_TIMEOUT)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Notification-Id": str(notification.pk)},
        connection=backend,
    )
    message.attach_alternative(html, "text/html")
    cutoff = Cutoff(settings.EMAIL_TIMEOUT)
    if isinstance(backend, SMTPBackend):
        cutoff.watch(lambda: _smtp_socket(backend))
    try:
        with cutoff:
            try:
                backend.open()
                backend.send_messages([message])
            finally:
                _close_quietly(backend)
    except smtplib.SMTPRecipientsRefused as error:
        # The recipient's address was refused: 5xx (no such mailbox) for good, 4xx for now.
        replies = list(error.recipients.values())
        return Outcome(
            succeeded=False,
            duration_ms=0,
            error="; ".join(f"SMTP {code}: {reply!r}" for code, reply in replies),
            permanent=all(code >= SMTP_PERMANENT for code, _reply in replies),
        )
    except smtplib.SMTPResponseException as error:
        return Outcome(
            succeeded=False,
            duration_ms=0,
            error=f"SMTP {error.smtp_code}: {error.smtp_error!r}",
            # Only a refusal of this message is final; a 5xx to our sender address, to the
            # log-in or to the greeting is the site's configuration, which can be mended: the
            # retries then deliver what waited.
            permanent=isinstance(error, smtplib.SMTPDataError)
            and error.smtp_code >= SMTP_PERMANENT,
        )
    except (smtplib.SMTPException, OSError) as error:
        if cutoff.expired or _is_timeout(error):
            return Outcome(succeeded=False, duration_ms=0, error=timed_out(cutoff.seconds))
        return Outcome(succeeded=False, duration_ms=0, error=f"{type(error).__name__}: {error}")
    return Outcome(succeeded=True, duration_ms=0)


def _smtp_socket(backend: SMTPBackend) -> socket.socket | None:
    # The connection being set up (Django keeps it apart until it is ready) or the ready one.
    for smtp in (getattr(backend, "_partial_connection", None), backend.connection):
        sock = getattr(smtp, "sock", None)
        if sock is not None:
            return sock
    return None


def _close_quietly(backend) -> None:
    """Say goodbye. The message was accepted before this: a server that fails or stalls on
    QUIT does not undo it, so that is logged, not reported."""
    smtp = getattr(backend, "connection", None)
    try:
        backend.close()
    except (smtplib.SMTPException, OSError) as error:
        logger.info("closing the SMTP connection failed: %s", error)
        if smtp is not None:
            with suppress(OSError):
                smtp.close()
