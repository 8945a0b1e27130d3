"""The SSRF guard where it counts: a connection is only opened to an address checked as it
is opened, so a host name whose answer changes after the start-up check (DNS rebinding)
still cannot reach the machine itself or the internal network."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from publisher.guard import AddressRefused, GuardedBackend, guarded_transport, public_addresses


@pytest.fixture
def listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A real TCP server on loopback that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        server.close()
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::ffff:127.0.0.1"])
def test_the_backend_refuses_to_connect_to_a_loopback_address(
    listener: tuple[int, list[socket.socket]], host: str
) -> None:
    port, accepted = listener
    with pytest.raises(AddressRefused, match="loopback"):
        GuardedBackend().connect_tcp(host, port, timeout=2)
    assert accepted == []


def test_a_client_on_the_guarded_transport_never_reaches_an_internal_address(
    listener: tuple[int, list[socket.socket]],
) -> None:
    port, accepted = listener
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    with httpx.Client(transport=guarded_transport(limits), timeout=2) as client:
        for url in (f"http://127.0.0.1:{port}/notices", f"http://localhost:{port}/notices"):
            with pytest.raises(AddressRefused):
                client.post(url, content=b"{}")
    assert accepted == []  # not even a TCP handshake reached the server
    # The same request without the guard does reach it: the refusal above is the guard's.
    with httpx.Client(timeout=0.5) as plain, pytest.raises(httpx.HTTPError):
        plain.post(f"http://127.0.0.1:{port}/notices", content=b"{}")
    assert len(accepted) == 1


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(AddressRefused, match="does not resolve"):
        GuardedBackend().connect_tcp("no-such-host.invalid", 80, timeout=2)


# -- IPv6 addresses that carry an IPv4 address ---------------------------------------------

TEREDO_SERVER = ipaddress.IPv4Address("65.54.227.120")  # a public Teredo server


def _v6(value: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(value)


#: Each form, building the IPv6 address that carries a given IPv4 address.
FORMS: dict[str, Callable[[ipaddress.IPv4Address], ipaddress.IPv6Address]] = {
    "IPv4-mapped": lambda v4: _v6(0xFFFF << 32 | int(v4)),
    "NAT64": lambda v4: _v6(int(ipaddress.IPv6Address("64:ff9b::")) | int(v4)),
    "local-use NAT64": lambda v4: _v6(int(ipaddress.IPv6Address("64:ff9b:1::")) | int(v4)),
    "6to4": lambda v4: _v6(0x2002 << 112 | int(v4) << 80 | 1),
    "IPv4-compatible (deprecated)": lambda v4: _v6(int(v4)),
    "IPv4-translated (SIIT)": lambda v4: _v6(0xFFFF << 48 | int(v4)),
    "Teredo": lambda v4: _v6(
        0x20010000 << 96
        | int(TEREDO_SERVER) << 64
        | 0x8000 << 48
        | 0xC4D2 << 32
        | int(v4) ^ 0xFFFFFFFF
    ),
}
INTERNAL = [("127.0.0.1", "loopback"), ("10.0.0.1", "private"),
            ("169.254.169.254", "link-local")]  # fmt: skip


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(("inner", "kind"), INTERNAL)
def test_an_ipv6_address_carrying_an_internal_ipv4_address_is_refused(
    listener: tuple[int, list[socket.socket]], form: str, inner: str, kind: str
) -> None:
    port, accepted = listener
    address = FORMS[form](ipaddress.IPv4Address(inner))
    with pytest.raises(AddressRefused) as refused:
        GuardedBackend().connect_tcp(str(address), port, timeout=2)
    message = str(refused.value)
    assert f"a {kind} address ({inner}) carried in an IPv6 {form} address" in message, message
    assert "allow_private = true" in message
    assert accepted == []


@pytest.mark.parametrize("form", ["IPv4-mapped", "NAT64", "6to4"])
def test_a_translated_public_ipv4_address_is_allowed(form: str) -> None:
    """NAT64 is how an IPv6-only network with DNS64 reaches IPv4-only websites, and 6to4
    relays are public: both are judged by the public address they carry."""
    address = FORMS[form](ipaddress.IPv4Address("93.184.216.34"))
    assert public_addresses(str(address), 443) == [address]


@pytest.mark.parametrize(
    "form",
    ["local-use NAT64", "IPv4-compatible (deprecated)", "IPv4-translated (SIIT)", "Teredo"],
)
def test_forms_no_website_is_reached_through_are_refused_whatever_they_carry(form: str) -> None:
    address = FORMS[form](ipaddress.IPv4Address("93.184.216.34"))
    with pytest.raises(AddressRefused, match=rf"an IPv6 {re.escape(form)} address \(carrying"):
        public_addresses(str(address), 443)
