"""Webhook URLs may only reach the public internet (DESIGN.md section 7).

One function decides, `resolve_webhook_target`: it runs when a provider is saved (through
`validate_webhook_url`) and again at every delivery, and the delivery then connects to the very
address it checked, so a DNS answer that changes in between (DNS rebinding) cannot steer a
request to an internal service.

The rules:

- only `http` and `https`; no user name or password (`user@host`); a host, and a port 1–65535;
  no spaces or control characters anywhere in the URL;
- the host is read the way a resolver and `connect()` read it: lower case, one trailing dot
  dropped, and every IPv4 spelling that the C library's `inet_aton` accepts (`2130706433`,
  `0177.0.0.1`, `0x7f.1`, `127.1`) is that address; a host that ends in a number but is no
  valid IPv4 address is refused rather than handed to the resolver;
- a host name is resolved (A and AAAA) and every address must be public, since a resolver may
  hand out any of them next time;
- an address is public when the longest matching entry of the special-purpose tables below is
  explicitly globally reachable, or no entry matches; and every IPv4 address embedded in an IPv6
  one (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4, Teredo's server and client)
  must be public too.

`ipaddress`'s `is_global` is not used: before Python 3.11.10 its tables are wrong for some
ranges, and it never looks inside NAT64, 6to4, Teredo or IPv4-compatible addresses.

`WEBHOOK_ALLOW_PRIVATE_ADDRESSES` (development, tests, the demo) skips the address rules only.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_SCHEMES = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# --- The tables -------------------------------------------------------------------------------
# (network, name, globally reachable). An address takes the verdict of the longest (most
# specific) network that holds it; an address that no network holds is public.

# IANA "IPv4 Special-Purpose Address Registry" (iana-ipv4-special-registry, RFC 6890 and the
# RFCs its entries cite), every entry with its "Globally Reachable" column. "N/A" (the deprecated
# 6to4 relay anycast) is not explicitly global, so it is refused.
IPV4_SPECIAL_PURPOSE: list[tuple[str, str, bool]] = [
    ("0.0.0.0/8", "This network", False),
    ("0.0.0.0/32", "This host on this network", False),
    ("10.0.0.0/8", "Private-Use", False),
    ("100.64.0.0/10", "Shared Address Space", False),
    ("127.0.0.0/8", "Loopback", False),
    ("169.254.0.0/16", "Link Local", False),
    ("172.16.0.0/12", "Private-Use", False),
    ("192.0.0.0/24", "IETF Protocol Assignments", False),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", False),
    ("192.0.0.8/32", "IPv4 dummy address", False),
    ("192.0.0.9/32", "Port Control Protocol Anycast", True),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", True),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", False),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", False),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", False),
    ("192.31.196.0/24", "AS112-v4", True),
    ("192.52.193.0/24", "AMT", True),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", False),
    ("192.168.0.0/16", "Private-Use", False),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", True),
    ("198.18.0.0/15", "Benchmarking", False),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", False),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", False),
    ("240.0.0.0/4", "Reserved", False),
    ("255.255.255.255/32", "Limited Broadcast", False),
    # Not in that registry, refused all the same: the IANA "IPv4 Multicast Address Space
    # Registry" (a multicast group is never a web server).
    ("224.0.0.0/4", "Multicast", False),
]

# IANA "IPv6 Special-Purpose Address Registry" (iana-ipv6-special-registry), every entry with its
# "Globally Reachable" column. "N/A" (Teredo, 6to4: it depends on the IPv4 address inside) is not
# explicitly global, so they are refused whatever they carry.
IPV6_SPECIAL_PURPOSE: list[tuple[str, str, bool]] = [
    ("::1/128", "Loopback Address", False),
    ("::/128", "Unspecified Address", False),
    ("::ffff:0:0/96", "IPv4-mapped Address", False),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", True),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", False),
    ("100::/64", "Discard-Only Address Block", False),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", False),
    ("2001::/23", "IETF Protocol Assignments", False),
    ("2001::/32", "TEREDO", False),
    ("2001:1::1/128", "Port Control Protocol Anycast", True),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", True),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", True),
    ("2001:2::/48", "Benchmarking", False),
    ("2001:3::/32", "AMT", True),
    ("2001:4:112::/48", "AS112-v6", True),
    ("2001:10::/28", "Deprecated (previously ORCHID)", False),
    ("2001:20::/28", "ORCHIDv2", True),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", True),
    ("2001:db8::/32", "Documentation", False),
    ("2002::/16", "6to4", False),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", True),
    ("3fff::/20", "Documentation", False),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", False),
    ("fc00::/7", "Unique-Local", False),
    ("fe80::/10", "Link-Local Unicast", False),
    # Not in that registry, refused all the same. The IANA "Internet Protocol Version 6 Address
    # Space" registry allocates only 2000::/3 as global unicast; the rest is reserved by the
    # IETF, unique-local, link-local or multicast. These three cover everything outside 2000::/3.
    ("::/3", "Reserved by IETF (outside 2000::/3 Global Unicast)", False),
    ("4000::/2", "Reserved by IETF (outside 2000::/3 Global Unicast)", False),
    ("8000::/1", "Reserved by IETF (outside 2000::/3 Global Unicast)", False),
    # Deprecated forms with an IPv4 address in their last 32 bits (RFC 4291 §2.5.5.1, RFC 2765).
    ("::/96", "IPv4-compatible Address (deprecated)", False),
    ("::ffff:0:0:0/96", "IPv4-translated Address", False),
    ("fec0::/10", "Site-Local (deprecated)", False),
    ("ff00::/8", "Multicast", False),
]


def _table(rows: list[tuple[str, str, bool]]) -> list[tuple[Network, str, bool]]:
    networks = [
        (ipaddress.ip_network(network), name, reachable) for network, name, reachable in rows
    ]
    # Most specific first: the first network that holds an address gives its verdict.
    return sorted(networks, key=lambda row: row[0].prefixlen, reverse=True)


_IPV4_TABLE = _table(IPV4_SPECIAL_PURPOSE)
_IPV6_TABLE = _table(IPV6_SPECIAL_PURPOSE)

# Prefixes whose IPv6 addresses carry an IPv4 address; see `embedded_ipv4`.
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


class UnsafeWebhookURL(ValueError):
    """The URL is malformed, uses another scheme, or leads to a non-public address."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # as the URL names it, normalised (for the Host header and TLS server name)
    port: int
    path: str  # path and query string, never empty
    address: str  # the checked IP address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == ALLOWED_SCHEMES[self.scheme]:
            return host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Refusal:
    """Why an address is not public: the range that holds it (and the IPv4 address inside)."""

    network: Network
    name: str
    embedded: ipaddress.IPv4Address | None = None


# --- Addresses --------------------------------------------------------------------------------


def _lookup(ip: IPAddress) -> tuple[Network, str, bool] | None:
    table = _IPV4_TABLE if ip.version == 4 else _IPV6_TABLE
    for row in table:
        if ip in row[0]:
            return row
    return None


def _ipv4(value: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(value & 0xFFFFFFFF)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address that an IPv6 address carries, by the prefix it is in."""
    value = int(ip)
    if ip in _MAPPED or ip in _TRANSLATED or ip in _NAT64:
        return [_ipv4(value)]
    if ip in _COMPATIBLE and value > 1:  # :: and ::1 are no IPv4-compatible addresses
        return [_ipv4(value)]
    if ip in _NAT64_LOCAL:
        # RFC 6052 §2.2: the local-use prefix may be a /48, /56, /64 or /96; the IPv4 address
        # sits at a different place in each (bits 64–71 are always skipped). All of them count.
        return [
            _ipv4((((value >> 64) & 0xFFFF) << 16) | ((value >> 40) & 0xFFFF)),  # /48
            _ipv4((((value >> 64) & 0xFF) << 24) | ((value >> 32) & 0xFFFFFF)),  # /56
            _ipv4(value >> 24),  # /64
            _ipv4(value),  # /96
        ]
    if ip in _SIX_TO_FOUR:
        return [_ipv4(value >> 80)]
    if ip in _TEREDO:
        # The Teredo server, and the client's address stored with every bit inverted.
        return [_ipv4(value >> 64), _ipv4(~value)]
    return []


def _refusal_of(ip: IPAddress) -> Refusal | None:
    row = _lookup(ip)
    return None if row is None or row[2] else Refusal(network=row[0], name=row[1])


def address_refusal(ip: IPAddress) -> Refusal | None:
    """None when `ip` is public, else the special-purpose range that makes it not public."""
    own = _refusal_of(ip)
    if ip.version == 4:
        return own
    inside = []
    for inner in embedded_ipv4(ip):
        refusal = _refusal_of(inner)
        if refusal is not None:
            inside.append(Refusal(network=refusal.network, name=refusal.name, embedded=inner))
    if inside and not (own is not None and ip in _NAT64_LOCAL):
        # The IPv4 address inside says more than the wrapper, so it is the one named; but the
        # local-use NAT64 prefix's layout is its operator's choice, so it names the prefix.
        return inside[0]
    return own


def is_public_address(address: str) -> bool:
    return address_refusal(ipaddress.ip_address(address.split("%", 1)[0])) is None


# --- Hosts ------------------------------------------------------------------------------------

_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_ENDS_IN_NUMBER = re.compile(r"(?:^|\.)(?:[0-9]+|0[xX][0-9a-fA-F]*)$")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address `host` spells as `inet_aton` reads it, or None when it is no such spelling.

    One to four parts, each decimal, octal (leading 0) or hexadecimal (0x); the last part fills
    the bytes left: `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all 127.0.0.1.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    numbers = []
    for part in parts:
        if part[:2] in ("0x", "0X"):
            numbers.append(int(part[2:] or "0", 16))
        elif part.startswith("0"):
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(number > 0xFF for number in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _host(parts) -> tuple[str, IPAddress | None]:
    """The host (lower case, no trailing dot, IDNA-encoded) and its address when it is one."""
    raw = parts.hostname or ""
    if "[" in parts.netloc:
        # urlsplit has checked the brackets hold an IPv6 address (or an IPvFuture, refused).
        try:
            ip = ipaddress.IPv6Address(raw)
        except ValueError as error:
            raise UnsafeWebhookURL(_("The host %(host)s is not valid.") % {"host": raw}) from error
        if ip.scope_id:
            raise UnsafeWebhookURL(
                _("An IPv6 address with a zone (%(host)s) cannot receive webhooks.") % {"host": raw}
            )
        return str(ip), ip
    host = raw.removesuffix(".")
    if not host:
        raise UnsafeWebhookURL(_("The URL has no host name."))
    ip = parse_ipv4(host)
    if ip is not None:
        return str(ip), ip
    if _ENDS_IN_NUMBER.search(host):
        # A resolver would try it as an address first; a browser refuses it. So do we.
        raise UnsafeWebhookURL(_("%(host)s is not a valid IPv4 address.") % {"host": host})
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeWebhookURL(_("The host %(host)s is not valid.") % {"host": host}) from error
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise UnsafeWebhookURL(_("The host %(host)s is not valid.") % {"host": host})
    return ascii_host, None


def _split(url: str) -> tuple[str, str, str, IPAddress | None, int, str]:
    """(scheme, host as written, host to connect to, its address if it is one, port, path)."""
    url = url.strip()
    if _UNSAFE_CHARACTERS.search(url):
        raise UnsafeWebhookURL(_("The URL must not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookURL(_("The URL is not valid: %(error)s.") % {"error": error}) from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeWebhookURL(_("Only http:// and https:// URLs can receive webhooks."))
    if "@" in parts.netloc:
        raise UnsafeWebhookURL(_("The URL must not contain a user name or password."))
    if not parts.hostname:
        raise UnsafeWebhookURL(_("The URL has no host name."))
    if port == 0:
        raise UnsafeWebhookURL(_("The port must be a number from 1 to 65535."))
    host, ip = _host(parts)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, host, ip, port or ALLOWED_SCHEMES[scheme], path


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeWebhookURL(
            _("The host name %(host)s does not resolve.") % {"host": host}
        ) from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # A link-local IPv6 answer comes with its zone ("fe80::1%eth0").
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeWebhookURL(_("The host name %(host)s does not resolve.") % {"host": host})
    return addresses


def _refusal_message(host: str, address: IPAddress, refusal: Refusal) -> str:
    values = {
        "host": host,
        "address": address,
        "range": refusal.network,
        "name": refusal.name,
        "embedded": refusal.embedded,
    }
    if refusal.embedded is not None:
        return (
            _(
                "%(host)s leads to %(address)s, which carries the IPv4 address %(embedded)s, a "
                "private, loopback, link-local or reserved address (%(name)s: %(range)s); "
                "webhooks are only sent to public addresses."
            )
            % values
        )
    return (
        _(
            "%(host)s leads to %(address)s, a private, loopback, link-local or reserved address "
            "(%(name)s: %(range)s); webhooks are only sent to public addresses."
        )
        % values
    )


def resolve_webhook_target(url: str) -> WebhookTarget:
    """Check `url` and pick the address to connect to, or raise UnsafeWebhookURL."""
    scheme, written, host, ip, port, path = _split(url)
    addresses = [ip] if ip is not None else _resolve(host, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        # Every answer must be public: a resolver may hand out any of them next time.
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise UnsafeWebhookURL(_refusal_message(written, address, refusal))
    return WebhookTarget(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def validate_webhook_url(url: str, *, field: str = "webhook_url") -> None:
    """The save-time check; raises Django's ValidationError naming the field."""
    if not url:
        return
    try:
        resolve_webhook_target(url)
    except UnsafeWebhookURL as error:
        raise ValidationError({field: [str(error)]}) from error
