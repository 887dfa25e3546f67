"""Which webhook URLs may be called (DESIGN.md section 7): every address form, one verdict each.

The resolver is the boundary: `socket.getaddrinfo` answers from a small fake zone, so the host
names below resolve the same on every machine, and nothing leaves this one.
"""

import ipaddress
import socket

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from incubator.models import ServiceProvider
from notifications import sending
from notifications.enums import NotificationStatus
from notifications.urlsafety import (
    UnsafeWebhookURL,
    address_refusal,
    embedded_ipv4,
    parse_ipv4,
    resolve_webhook_target,
)
from tests.factories import NotificationFactory, ServiceProviderFactory

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
UNSPECIFIED = "0.0.0.0"  # noqa: S104 (an address under test: nothing binds to it)

ZONE = {
    "hooks.partner.example": [PUBLIC_V4, PUBLIC_V6],
    "xn--bcher-kva.example": [PUBLIC_V4],
    "mixed.partner.example": [PUBLIC_V4, "10.0.0.7"],
    "mixed6.partner.example": [PUBLIC_V4, PUBLIC_V6, "fd00::7"],
    "metadata.partner.example": ["169.254.169.254"],
    "nat64.partner.example": ["64:ff9b::a9fe:a9fe"],
    "mapped.partner.example": ["::ffff:127.0.0.1"],
    "linklocal.partner.example": ["fe80::1%eth0"],
    "localhost": ["127.0.0.1", "::1"],
}

ALLOWED = "allowed"

# (URL, verdict): ALLOWED, or a piece of the refusal's message.
CASES = [
    # Public addresses, in every spelling a resolver accepts.
    ("http://93.184.216.34/hook", ALLOWED),
    ("https://93.184.216.34:8443/hook?x=1", ALLOWED),
    ("http://8.8.8.8/", ALLOWED),
    ("http://134744072/", ALLOWED),  # 8.8.8.8 as one decimal number
    ("http://0x08080808/", ALLOWED),
    ("http://010.010.010.010/", ALLOWED),  # octal
    ("http://8.8.2056/", ALLOWED),  # the last part fills the remaining bytes
    ("http://11.0.0.1/", ALLOWED),
    ("http://100.63.255.255/", ALLOWED),  # just below the shared address space
    ("http://100.128.0.0/", ALLOWED),  # just above it
    ("http://172.32.0.1/", ALLOWED),  # just above 172.16.0.0/12
    ("http://198.20.0.1/", ALLOWED),  # just above the benchmarking /15
    ("https://[2606:4700:4700::1111]/", ALLOWED),
    ("http://[64:ff9b::808:808]/", ALLOWED),  # NAT64 of a public address
    ("http://[64:ff9b::8.8.8.8]/", ALLOWED),
    # Special-purpose entries that the registries mark globally reachable.
    ("http://192.0.0.9/", ALLOWED),
    ("http://192.0.0.10/", ALLOWED),
    ("http://192.31.196.1/", ALLOWED),
    ("http://192.52.193.1/", ALLOWED),
    ("http://192.175.48.1/", ALLOWED),
    ("https://[2001:1::1]/", ALLOWED),
    ("https://[2001:3::1]/", ALLOWED),
    ("https://[2001:4:112::1]/", ALLOWED),
    ("https://[2001:20::1]/", ALLOWED),
    ("https://[2620:4f:8000::1]/", ALLOWED),
    # Host names whose every address is public; case, a trailing dot and IDN are normalised.
    ("https://hooks.partner.example/webhook", ALLOWED),
    ("https://HOOKS.Partner.Example./webhook", ALLOWED),
    ("HTTPS://hooks.partner.example:8443/", ALLOWED),
    ("https://bücher.example/", ALLOWED),
    # IPv4 special-purpose ranges, literally and in other spellings.
    ("http://127.0.0.1/", "Loopback: 127.0.0.0/8"),
    ("http://127.255.255.254/", "Loopback: 127.0.0.0/8"),
    ("http://2130706433/", "Loopback: 127.0.0.0/8"),
    ("http://0177.0.0.1/", "Loopback: 127.0.0.0/8"),
    ("http://0x7f.1/", "Loopback: 127.0.0.0/8"),
    ("http://127.1/", "Loopback: 127.0.0.0/8"),
    ("http://0x7f000001/", "Loopback: 127.0.0.0/8"),
    ("http://017700000001/", "Loopback: 127.0.0.0/8"),
    ("http://127.0.0.1./", "Loopback: 127.0.0.0/8"),
    ("http://0/", "This host on this network: 0.0.0.0/32"),
    ("http://0.0.0.0/", "This host on this network: 0.0.0.0/32"),
    ("http://0.1.2.3/", "This network: 0.0.0.0/8"),
    ("http://10.0.0.1/", "Private-Use: 10.0.0.0/8"),
    ("http://172.16.0.1/", "Private-Use: 172.16.0.0/12"),
    ("http://192.168.1.1/", "Private-Use: 192.168.0.0/16"),
    ("http://100.64.0.1/", "Shared Address Space: 100.64.0.0/10"),
    ("http://169.254.169.254/latest/meta-data/", "Link Local: 169.254.0.0/16"),
    ("http://192.0.0.8/", "IPv4 dummy address: 192.0.0.8/32"),
    ("http://192.0.0.1/", "IPv4 Service Continuity Prefix: 192.0.0.0/29"),
    ("http://192.0.0.170/", "NAT64/DNS64 Discovery: 192.0.0.170/32"),
    ("http://192.0.0.100/", "IETF Protocol Assignments: 192.0.0.0/24"),
    ("http://192.0.2.1/", "Documentation (TEST-NET-1): 192.0.2.0/24"),
    ("http://198.18.0.1/", "Benchmarking: 198.18.0.0/15"),
    ("http://198.51.100.1/", "Documentation (TEST-NET-2): 198.51.100.0/24"),
    ("http://203.0.113.1/", "Documentation (TEST-NET-3): 203.0.113.0/24"),
    ("http://192.88.99.1/", "Deprecated (6to4 Relay Anycast): 192.88.99.0/24"),
    ("http://224.0.0.1/", "Multicast: 224.0.0.0/4"),
    ("http://240.0.0.1/", "Reserved: 240.0.0.0/4"),
    ("http://255.255.255.255/", "Limited Broadcast: 255.255.255.255/32"),
    # IPv6 special-purpose ranges.
    ("http://[::1]/", "Loopback Address: ::1/128"),
    ("http://[::]/", "Unspecified Address: ::/128"),
    ("http://[fd00::1]/", "Unique-Local: fc00::/7"),
    ("http://[fd12:3456:789a::1]/", "Unique-Local: fc00::/7"),
    ("http://[fc00::1]/", "Unique-Local: fc00::/7"),
    ("http://[fe80::]/", "Link-Local Unicast: fe80::/10"),
    ("http://[fe80::1]/", "Link-Local Unicast: fe80::/10"),
    ("http://[fec0::1]/", "Site-Local (deprecated): fec0::/10"),
    ("http://[ff02::1]/", "Multicast: ff00::/8"),
    ("http://[100::1]/", "Discard-Only Address Block: 100::/64"),
    ("http://[2001:db8::1]/", "Documentation: 2001:db8::/32"),
    ("http://[3fff::1]/", "Documentation: 3fff::/20"),
    ("http://[5f00::1]/", "Segment Routing (SRv6) SIDs: 5f00::/16"),
    ("http://[2001:2::1]/", "Benchmarking: 2001:2::/48"),
    ("http://[2001:10::1]/", "Deprecated (previously ORCHID): 2001:10::/28"),
    ("http://[2001:100::1]/", "IETF Protocol Assignments: 2001::/23"),
    ("http://[4000::1]/", "Reserved by IETF (outside 2000::/3 Global Unicast): 4000::/2"),
    # IPv4 inside IPv6: every wrapper is opened and the address inside checked.
    ("http://[::127.0.0.1]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[::7f00:1]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[::a9fe:a9fe]/", "carries the IPv4 address 169.254.169.254"),
    ("http://[::8.8.8.8]/", "IPv4-compatible Address (deprecated): ::/96"),
    ("http://[::ffff:127.0.0.1]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[::ffff:7f00:1]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[::ffff:8.8.8.8]/", "IPv4-mapped Address: ::ffff:0:0/96"),
    ("http://[::ffff:0:a00:1]/", "carries the IPv4 address 10.0.0.1"),  # IPv4-translated
    ("http://[64:ff9b::127.0.0.1]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[64:ff9b::a9fe:a9fe]/", "carries the IPv4 address 169.254.169.254"),
    ("http://[64:ff9b::c0a8:1]/", "carries the IPv4 address 192.168.0.1"),
    ("http://[64:ff9b:1::808:808]/", "IPv4-IPv6 Translat. (local use): 64:ff9b:1::/48"),
    ("http://[64:ff9b:1:7f00:0:100::]/", "IPv4-IPv6 Translat. (local use): 64:ff9b:1::/48"),
    ("http://[2002:7f00:1::]/", "carries the IPv4 address 127.0.0.1"),
    ("http://[2002:a9fe:a9fe::1]/", "carries the IPv4 address 169.254.169.254"),
    ("http://[2002:808:808::1]/", "6to4: 2002::/16"),  # "N/A" in the registry: not global
    # Teredo: RFC 4380's example carries server 65.54.227.120 and client 192.0.2.45.
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "carries the IPv4 address 192.0.2.45"),
    ("http://[2001:0:a00:1::f7f7:f7f7]/", "carries the IPv4 address 10.0.0.1"),  # server
    ("http://[2001:0:808:808::80ff:fffe]/", "carries the IPv4 address 127.0.0.1"),  # client
    ("http://[2001:0:808:808::f7f7:f7f7]/", "TEREDO: 2001::/32"),
    ("http://[fe80::1%25eth0]/", "with a zone"),
    # Host names: every address must be public.
    ("http://localhost/", "Loopback: 127.0.0.0/8"),
    ("http://LocalHost./", "Loopback: 127.0.0.0/8"),
    ("http://mixed.partner.example/", "to 10.0.0.7, a private, loopback, link-local or reserved"),
    ("http://mixed6.partner.example/", "to fd00::7, a private, loopback, link-local or reserved"),
    ("http://metadata.partner.example/", "Link Local: 169.254.0.0/16"),
    ("http://nat64.partner.example/", "carries the IPv4 address 169.254.169.254"),
    ("http://mapped.partner.example/", "carries the IPv4 address 127.0.0.1"),
    ("http://linklocal.partner.example/", "Link-Local Unicast: fe80::/10"),
    ("http://nowhere.partner.example/", "does not resolve"),
    # The URL itself.
    ("ftp://93.184.216.34/", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("gopher://hooks.partner.example/", "Only http:// and https://"),
    ("javascript:alert(1)", "Only http:// and https://"),
    ("http://user:pw@hooks.partner.example/", "user name or password"),
    ("http://user@hooks.partner.example/", "user name or password"),
    ("http://@hooks.partner.example/", "user name or password"),
    ("http://hooks.partner.example\\@127.0.0.1/", "user name or password"),
    ("http:///x", "no host name"),
    ("http://:80/", "no host name"),
    ("http://./", "no host name"),
    ("http://08.1.1.1/", "not a valid IPv4 address"),
    ("http://1.2.3.4.5/", "not a valid IPv4 address"),
    ("http://256.1.1.1/", "not a valid IPv4 address"),
    ("http://4294967296/", "not a valid IPv4 address"),
    ("http://93.184.216.34:0/", "a number from 1 to 65535"),
    ("http://93.184.216.34:99999/", "The URL is not valid"),
    ("http://hooks.partner.example /x", "spaces or control characters"),
    ("http://hooks.partner.example/\r\nX-Evil: 1", "spaces or control characters"),
    ("http://bad!host.example/", "is not valid"),
    ("http://[v1.fe]/", "is not valid"),
]


@pytest.fixture
def resolver(monkeypatch):
    """`socket.getaddrinfo` answering from ZONE; records every name it was asked."""
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        asked.append(host)
        if host not in ZONE:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = []
        for address in ZONE[host]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.fixture
def private_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


def test_cases_are_many_and_distinct():
    assert len(CASES) >= 60
    assert len({url for url, _verdict in CASES}) == len(CASES)


@pytest.mark.parametrize(("url", "verdict"), CASES)
@pytest.mark.usefixtures("private_refused")
def test_resolve_webhook_target_verdict(url, verdict, resolver):
    if verdict == ALLOWED:
        resolve_webhook_target(url)
        return
    with pytest.raises(UnsafeWebhookURL) as refused:
        resolve_webhook_target(url)
    assert verdict in str(refused.value)


@pytest.mark.usefixtures("private_refused")
def test_resolve_webhook_target_asks_the_resolver_for_normalised_names_only(resolver):
    resolve_webhook_target("https://HOOKS.Partner.Example./x")
    resolve_webhook_target("https://bücher.example/")
    for literal in ("http://134744072/", "https://[2606:4700:4700::1111]/"):
        resolve_webhook_target(literal)

    assert resolver == ["hooks.partner.example", "xn--bcher-kva.example"]


@pytest.mark.usefixtures("private_refused")
def test_resolve_webhook_target_connects_to_the_address_it_checked(resolver):
    target = resolve_webhook_target("https://HOOKS.Partner.Example.:8443/a?b=1")
    literal = resolve_webhook_target("http://0x08080808/")

    assert (target.address, target.host_header, target.path) == (
        PUBLIC_V4,
        "hooks.partner.example:8443",
        "/a?b=1",
    )
    assert (literal.address, literal.host_header, literal.path) == ("8.8.8.8", "8.8.8.8", "/")


@pytest.mark.parametrize(
    ("url", "verdict"),
    [
        ("ftp://127.0.0.1/", "Only http:// and https://"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
        ("http:///x", "no host name"),
        ("http://0x7f.1.1.1.1/", "not a valid IPv4 address"),
    ],
)
def test_resolve_webhook_target_refuses_bad_forms_even_when_private_addresses_are_allowed(
    url, verdict, settings, resolver
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    with pytest.raises(UnsafeWebhookURL) as refused:
        resolve_webhook_target(url)

    assert verdict in str(refused.value)


def test_resolve_webhook_target_allows_private_addresses_when_the_setting_is_on(settings, resolver):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    assert resolve_webhook_target("http://[::127.0.0.1]:9000/").address == "::7f00:1"
    assert resolve_webhook_target("http://0x7f.1/").address == "127.0.0.1"
    assert resolve_webhook_target("http://localhost/").address == "127.0.0.1"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.0.1", "127.0.0.1"),
        ("0", UNSPECIFIED),
        ("0x", UNSPECIFIED),
        ("1.2.3.4", "1.2.3.4"),
        ("255.255.255.255", "255.255.255.255"),
        ("4294967295", "255.255.255.255"),
        ("08", None),
        ("1.2.3.4.5", None),
        ("256.0.0.1", None),
        ("1.16777216", None),
        ("example", None),
        ("", None),
    ],
)
def test_parse_ipv4_reads_what_inet_aton_reads(host, address):
    parsed = parse_ipv4(host)

    assert (str(parsed) if parsed else None) == address


def test_parse_ipv4_agrees_with_the_c_library():
    for host in ("2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f.0.1", "010.010.010.010"):
        assert str(parse_ipv4(host)) == socket.inet_ntoa(socket.inet_aton(host))


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("::ffff:7f00:1", ["127.0.0.1"]),
        ("::7f00:1", ["127.0.0.1"]),
        ("::1", []),
        ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),
        # RFC 6052's 192.0.2.33 under the local-use prefix as a /48 and as a /64: each layout
        # reads its own place (/48, /56, /64, /96).
        ("64:ff9b:1:c000:2:2100::", ["192.0.2.33", "0.2.33.0", "2.33.0.0", UNSPECIFIED]),
        ("64:ff9b:1:0:c0:2:2100:0", ["0.0.192.0", "0.192.0.2", "192.0.2.33", "33.0.0.0"]),
        ("2002:c000:221::1", ["192.0.2.33"]),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),
        ("2606:4700:4700::1111", []),
    ],
)
def test_embedded_ipv4_opens_every_wrapper(address, inside):
    assert [str(ip) for ip in embedded_ipv4(ipaddress.IPv6Address(address))] == inside


# --- The same function on save and at delivery --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/hook",
        "http://[::7f00:1]/hook",
        "http://[64:ff9b::127.0.0.1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://192.0.0.8/hook",
    ],
)
@pytest.mark.usefixtures("private_refused")
def test_providers_create_refuses_the_issue_forms_naming_the_field(url, coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)

    response = client.post(
        "/api/v1/providers/",
        {"name": "P", "kind": "fund", "email": "p@example.org", "webhook_url": url},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["webhook_url"]
    assert ServiceProvider.objects.count() == 0


@pytest.mark.django_db
def test_deliver_notification_refuses_an_embedded_loopback_at_delivery(receiver, settings):
    # Saved while private addresses were allowed (as a provider saved before this rule was).
    port = receiver.server.server_address[1]
    provider = ServiceProviderFactory(webhook_url=f"http://[::ffff:127.0.0.1]:{port}/hooks")
    row = NotificationFactory(
        event="shortlist.published",
        channel="webhook",
        recipient=provider.webhook_url,
        provider=provider,
        payload={"template": "x", "programme": "P", "data": {}},
    )
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    sending.deliver_notification(notification_id=row.pk)

    row.refresh_from_db()
    assert receiver.received() == []
    assert row.status == NotificationStatus.PENDING
    assert "carries the IPv4 address 127.0.0.1" in row.last_error


@given(
    url=st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda scheme, host, rest: f"{scheme}://{host}{rest}",
            st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
            st.text(alphabet="0123456789abcdefx.:[]%@-_ü", max_size=40),
            st.text(max_size=20),
        ),
    )
)
@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_resolve_webhook_target_answers_any_string_with_a_target_or_a_refusal(
    url, resolver, private_refused
):
    try:
        target = resolve_webhook_target(url)
    except UnsafeWebhookURL:
        return
    assert target.scheme in {"http", "https"}
    assert address_refusal(ipaddress.ip_address(target.address)) is None
