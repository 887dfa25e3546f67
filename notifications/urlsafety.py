"""Webhook URLs may only reach the public internet (DESIGN.md section 7).

A URL is checked when a provider is saved and resolved again at every delivery; the delivery then
connects to the very address that was checked, so a DNS answer that changes in between (DNS
rebinding) cannot steer a request to an internal service.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_SCHEMES = {"http": 80, "https": 443}


class UnsafeWebhookURL(ValueError):
    """The URL is malformed, uses another scheme, or leads to a non-public address."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # as written in the URL (for the Host header and TLS server name)
    port: int
    path: str  # path and query string, never empty
    address: str  # the checked IP address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == ALLOWED_SCHEMES[self.scheme]:
            return host
        return f"{host}:{self.port}"


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global excludes private, loopback, link-local (169.254/16: cloud metadata), shared,
    # reserved and unspecified ranges; multicast is never a web server.
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookURL(_("The URL is not valid: %(error)s.") % {"error": error}) from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeWebhookURL(_("Only http:// and https:// URLs can receive webhooks."))
    if not parts.hostname:
        raise UnsafeWebhookURL(_("The URL has no host name."))
    if parts.username or parts.password:
        raise UnsafeWebhookURL(_("The URL must not contain a user name or password."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or ALLOWED_SCHEMES[scheme], path


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeWebhookURL(
            _("The host name %(host)s does not resolve.") % {"host": host}
        ) from error
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise UnsafeWebhookURL(_("The host name %(host)s does not resolve.") % {"host": host})
    return addresses


def resolve_webhook_target(url: str) -> WebhookTarget:
    """Check `url` and pick the address to connect to, or raise UnsafeWebhookURL."""
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        # Every answer must be public: a resolver may hand out any of them next time.
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise UnsafeWebhookURL(
                _(
                    "%(host)s resolves to %(address)s, a private, loopback, link-local or "
                    "reserved address; webhooks are only sent to public addresses."
                )
                % {"host": host, "address": refused[0]}
            )
    return WebhookTarget(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def validate_webhook_url(url: str, *, field: str = "webhook_url") -> None:
    """The save-time check; raises Django's ValidationError naming the field."""
    if not url:
        return
    try:
        resolve_webhook_target(url)
    except UnsafeWebhookURL as error:
        raise ValidationError({field: [str(error)]}) from error
