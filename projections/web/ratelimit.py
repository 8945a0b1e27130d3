"""The rules for failed challenge lookups 质疑查询失败次数限制, without their storage.

A lookup code is 80 bits, so guessing is hopeless; the limits are there so that nobody can even
try at volume, and so that a typo-prone person is slowed before a script is. Only failures
count: a supplier reading its own challenge again and again is never throttled. Two counters
apply to every attempt (kept in the database, ``projections.web.lookup_failures``):

* Per client address: ``CLIENT_FAILURES`` failures in ``CLIENT_WINDOW`` seconds, and the next
  attempt from that address is refused (429) *before* the code is checked, even when it is
  right, until the oldest failure leaves the window: otherwise a blocked guesser could still
  tell a hit by the answer. Only that address is refused.
* Per challenge number, from any address: ``NUMBER_FREE`` failures in ``NUMBER_WINDOW`` seconds
  pass unhindered; after that every attempt on the number, right or wrong, is answered only
  after a delay that doubles with each further failure, from ``FIRST_DELAY`` to at most
  ``MAX_DELAY`` seconds. It is never refused. A number closed after N failures would let
  anyone lock a supplier out of its own challenge by guessing wrong N times; and refusing
  only wrong codes would tell the guesser as much as answering them. A number's counter
  therefore slows guessing down and shows it (the service logs it) but cannot stop the
  rightful supplier, who waits at most ``MAX_DELAY`` seconds.

The delay is an asyncio sleep, so it holds no server thread; and since every attempt counts
against its address when it begins, one address can hold at most ``CLIENT_FAILURES`` delayed
requests open at a time.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

#: Failures allowed per client address in ten minutes before it is refused.
CLIENT_FAILURES: Final = 5
CLIENT_WINDOW: Final = 600.0
#: Failures per challenge number in an hour before its attempts are delayed, and the delays.
NUMBER_FREE: Final = 20
NUMBER_WINDOW: Final = 3600.0
FIRST_DELAY: Final = 1.0
MAX_DELAY: Final = 15.0


def client_key(host: str | None) -> str:
    """The address a limit is counted for: IPv4 as is, IPv6 by its /64.

    One IPv6 host is commonly given a whole /64, so counting single addresses would let it
    rotate through 2**64 of them.
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]  # not an address (a test client, a Unix socket): counted as given
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class Refused:
    """The client address is refused for ``retry_after`` whole seconds."""

    retry_after: int


@dataclass(frozen=True)
class Admitted:
    """The attempt goes ahead, its code checked after ``delay`` seconds (0: at once)."""

    delay: float


@dataclass(frozen=True)
class Limits:
    client_failures: int = CLIENT_FAILURES
    client_window: float = CLIENT_WINDOW
    number_free: int = NUMBER_FREE
    number_window: float = NUMBER_WINDOW
    first_delay: float = FIRST_DELAY
    max_delay: float = MAX_DELAY

    def __post_init__(self) -> None:
        if self.client_failures < 1 or self.number_free < 0:
            raise ValueError("limits need client_failures ≥ 1 and number_free ≥ 0")
        if min(self.client_window, self.number_window) <= 0:
            raise ValueError("limit windows must be longer than 0 seconds")
        if not 0 <= self.first_delay <= self.max_delay:
            raise ValueError("delays need 0 ≤ first_delay ≤ max_delay")

    @property
    def longest_window(self) -> float:
        return max(self.client_window, self.number_window)

    def client_wait(self, failures: Iterable[float], now: float) -> float:
        """Seconds until a client with failures at these times may try again; 0: now."""
        recent = sorted(t for t in failures if t > now - self.client_window)
        if len(recent) < self.client_failures:
            return 0.0
        # The window frees a slot when the oldest failure that fills it leaves.
        return recent[-self.client_failures] + self.client_window - now

    def number_delay(self, failures: int) -> float:
        """The delay before checking a code for a number with ``failures`` in its window."""
        beyond = failures - self.number_free
        if beyond < 0:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** min(beyond, 64))

    def decide(
        self, client_failures: Iterable[float], number_failures: int, now: float
    ) -> Refused | Admitted:
        """Whether an attempt goes ahead: only the client's failures can refuse it."""
        wait = self.client_wait(client_failures, now)
        if wait > 0:
            return Refused(max(1, math.ceil(wait)))
        return Admitted(self.number_delay(number_failures))
