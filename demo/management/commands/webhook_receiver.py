"""A provider's end of the webhooks, for the demo: listens on this machine, prints each webhook
that arrives and whether its Standard Webhooks signature verifies with a provider's secret.

`make demo` starts it beside the site on port 8001, where the demo's provider "Bay Area
Blockchain Fund" sends its webhooks. It checks signatures the way a provider would, from the
specification (DESIGN.md §7), not with the code that signs them.
"""

import base64
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from incubator.models import ServiceProvider

# As the specification suggests: refuse a timestamp more than five minutes off (replays).
TOLERANCE_SECONDS = 5 * 60
MAX_BODY = 1024 * 1024


def expected_signature(*, secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verifying_provider(*, headers, body: bytes, now: float) -> tuple[str | None, str]:
    """The name of the provider whose secret signed this request, or None and why not."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = [
        part.split(",", 1)[1]
        for part in headers.get("webhook-signature", "").split()
        if part.startswith("v1,")
    ]
    if not (msg_id and timestamp.isdigit() and signatures):
        return None, "the webhook-id, webhook-timestamp or webhook-signature header is missing"
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return None, "the timestamp is more than five minutes off"
    providers = ServiceProvider.objects.exclude(webhook_url="").exclude(webhook_secret="")
    for provider in providers.order_by("pk"):
        expected = expected_signature(
            secret=provider.webhook_secret, msg_id=msg_id, timestamp=timestamp, body=body
        )
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return provider.name, ""
    return None, "no provider's secret gives this signature"


def describe(body: bytes) -> str:
    try:
        event = json.loads(body)
        data = event.get("data") or {}
        startups = data.get("startups") or data.get("applications")
        extra = f", {len(startups)} start-up(s)" if isinstance(startups, list) else ""
        return f"{event.get('type', '?')} (id {event.get('id', '?')}{extra})"
    except (ValueError, AttributeError):
        return "a body that is not a JSON event"


def make_server(host: str, port: int, write) -> HTTPServer:
    """An HTTP server on (host, port) that reports each webhook through `write(line)`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            close_old_connections()
            provider, reason = verifying_provider(headers=self.headers, body=body, now=time.time())
            if provider:
                write(f"Webhook {describe(body)} for {provider}: signature verified.")
                self.send_response(204)
            else:
                write(f"Webhook {describe(body)}: signature NOT verified ({reason}).")
                self.send_response(401)
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass  # one line per webhook is enough

    return HTTPServer((host, port), Handler)


class Command(BaseCommand):
    help = (
        "Receive the demo's webhooks: print each one and whether its signature verifies "
        "with a provider's secret."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args, host: str, port: int, **options) -> None:
        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        server = make_server(host, port, write)
        write(f"Webhook receiver on http://{host}:{port}/ (signed webhooks are printed here).")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
