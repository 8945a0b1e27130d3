"""SSRF guard: a destination's host must resolve to public addresses only.

A destination URL is written by an operator; a typo or a hostile edit could point the
publisher at the machine itself, the internal network or a cloud metadata service. Every
address the host resolves to must be globally routable unless that destination says
``allow_private = true``. Checked at start-up, before each request (cached briefly, for a
clear refusal), and where it counts, when a connection is opened: ``GuardedBackend`` resolves
the host itself, checks every address and connects to a checked one, so a name that
resolves to a public address for the check and to an internal one a moment later (DNS
rebinding) gains nothing.
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


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def kind_of(address: Address) -> str:
    """What is wrong with an address, in the words the error message uses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return name
    return "non-public"


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
        if not is_public(address):
            raise AddressRefused(
                f"host {host!r} resolves to {address}, a {kind_of(address)} address; "
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
