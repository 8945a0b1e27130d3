"""SSRF guard: a destination's host must resolve to public addresses only.

A destination URL is written by an operator; a typo or a hostile edit could point the
publisher at the machine itself, the internal network or a cloud metadata service. Every
address the host resolves to must be globally routable unless that destination says
``allow_private = true``. Checked at start-up, before each request (cached briefly, for a
clear refusal), and where it counts, when a connection is opened: ``GuardedBackend`` resolves
the host itself, checks every address and connects to a checked one, so a name that
resolves to a public address for the check and to an internal one a moment later (DNS
rebinding) gains nothing.

IPv6 addresses that carry an IPv4 address are judged by the IPv4 address they carry, so
``64:ff9b::7f00:1`` is the loopback it translates to, not a public IPv6 address:

* IPv4-mapped ``::ffff:a.b.c.d`` (the socket API's own spelling of IPv4), NAT64 with the
  well-known prefix ``64:ff9b::/96`` (RFC 6052) and 6to4 ``2002::/16`` (RFC 3056) are
  allowed when the address they carry is public. NAT64 is how a host on an IPv6-only
  network with DNS64 reaches every IPv4-only website, so refusing it would stop the
  publisher there; 6to4 is deprecated (RFC 7526) but still routed to its public relay.
* IPv4-compatible ``::a.b.c.d`` (deprecated, RFC 4291), IPv4-translated ``::ffff:0:a.b.c.d``
  (SIIT, RFC 2765), the local-use NAT64 prefix ``64:ff9b:1::/48`` (RFC 8215: where the IPv4
  address sits is the local network's choice, and the range is not global) and Teredo
  ``2001::/32`` (RFC 4380: a tunnel through a relay) are refused whatever they carry: no
  procurement website is reached through them. A private address they carry is named in
  the refusal all the same.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from typing import Final

import httpcore
import httpx
from httpcore import SOCKET_OPTION as SocketOption

CACHE_SECONDS: Final = 30.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The host does not resolve, or resolves to an address the publisher may not reach."""


#: Forms that reach the IPv4 address they carry: judged by that address.
CARRIERS: Final = (
    ("NAT64", ipaddress.IPv6Network("64:ff9b::/96")),
    ("6to4", ipaddress.IPv6Network("2002::/16")),
)
#: Forms never used to reach a website: refused whatever address they carry.
REFUSED: Final = (
    ("IPv4-compatible (deprecated)", ipaddress.IPv6Network("::/96")),
    ("IPv4-translated (SIIT)", ipaddress.IPv6Network("::ffff:0:0:0/96")),
    ("local-use NAT64", ipaddress.IPv6Network("64:ff9b:1::/48")),
    ("Teredo", ipaddress.IPv6Network("2001::/32")),
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the name of the form; None if none."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address.teredo is not None:
        return "Teredo", address.teredo[1]  # the client's address (the server's is public)
    if address.is_loopback or address.is_unspecified:
        return None  # ::1 and :: are themselves, not IPv4-compatible addresses
    for name, network in (*CARRIERS, *REFUSED):
        if address in network:
            # NAT64 and the others with a /96 prefix carry it in the last 32 bits; for the
            # local-use NAT64 /48 that is one of the places it may be, named, never trusted.
            return name, ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address) -> str | None:
    """Why the publisher may not connect to ``address`` (the words the error message
    uses: "a loopback address"), None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None:
            form, inner = carried
            why = refusal(inner)
            if why is not None:
                return f"{why} ({inner}) carried in an IPv6 {form} address"
            if any(address in network for _, network in REFUSED):
                return f"an IPv6 {form} address (carrying {inner})"
            return None
    if address.is_global and not address.is_multicast:
        return None
    for name, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return f"a {name} address"
    return "a non-public address"


def is_public(address: Address) -> bool:
    return refusal(address) is None


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"host {host!r} does not resolve ({exc})") from None
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise AddressRefused(f"host {host!r} does not resolve")
    return found


def public_addresses(host: str, port: int) -> list[Address]:
    """The host's addresses; ``AddressRefused`` if any of them is not public."""
    addresses = resolve(host, port)
    for address in addresses:
        why = refusal(address)
        if why is not None:
            raise AddressRefused(
                f"host {host!r} resolves to {address}, {why}; "
                "set allow_private = true on this destination if that is intended"
            )
    return addresses


def check_host(host: str, port: int) -> None:
    """Refuse a host any of whose addresses is not public."""
    public_addresses(host, port)


class GuardedBackend(httpcore.SyncBackend):
    """Opens connections only to public addresses, checked as the connection is made: the
    address checked is the address connected to. TLS still verifies the certificate for
    the host name (httpcore hands the URL's host to the handshake, not the address)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in public_addresses(host, port):
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next address, as a resolver would
                failure = exc
        assert failure is not None  # resolve() gives at least one address
        raise failure


def guarded_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through ``GuardedBackend``. httpx has no
    public setting for the network backend, so the pool it made is replaced by one like it
    (TLS verified, these limits, HTTP/1.1) with the guarded backend; no proxy from the
    environment applies (a transport given to a client turns them off)."""
    transport = httpx.HTTPTransport(limits=limits)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(),
    )
    return transport


class HostGuard:
    """``check_host`` with a short cache, for the request path."""

    def __init__(self, cache_seconds: float = CACHE_SECONDS):
        self.cache_seconds = cache_seconds
        self._checked: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def check(self, host: str, port: int) -> None:
        now = time.monotonic()
        with self._lock:
            if self._checked.get((host, port), 0.0) > now:
                return
        check_host(host, port)
        with self._lock:
            self._checked[(host, port)] = now + self.cache_seconds
