"""SSRF guard: a destination's host must resolve to public addresses only.

A destination URL is written by an operator; a typo or a hostile edit could point the
publisher at the machine itself, the internal network or a cloud metadata service. Every
address the host resolves to must be globally routable unless that destination says
``allow_private = true``. Checked at start-up and again before each request (DNS may
change meanwhile; results are cached briefly so a busy worker does not resolve per request).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Final

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


def check_host(host: str, port: int) -> None:
    """Refuse a host any of whose addresses is not public."""
    for address in resolve(host, port):
        if not is_public(address):
            raise AddressRefused(
                f"host {host!r} resolves to {address}, a {kind_of(address)} address; "
                "set allow_private = true on this destination if that is intended"
            )


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
