"""Rate limiting of failed challenge lookups 质疑查询失败次数限制: sliding windows in memory.

A lookup code is 80 bits, so guessing is hopeless; the limit is there so that nobody can even
try at volume, and so that a typo-prone person is slowed before a script is. Only failures
count: a supplier reading its own challenge again and again is never throttled.

Two windows apply to every attempt: per client address (a few failures in minutes) and per
challenge number (more failures in an hour, from any address, so a distributed guess at one
challenge is bounded too). When either is full the attempt is answered 429 *before* the code is
checked, even when it is right: otherwise a blocked guesser could still tell a hit by the
answer.

An attempt is counted when it begins and refunded when it succeeds. Checking and counting under
one lock keeps the limit exact when many requests race: with a check first and a count after
the failure, N concurrent guesses would all pass a window that had one slot left.

The state is per process. With ``sunshine serve --workers N`` each worker counts for itself,
so a client gets at most N times the limit; that is still nowhere near enough to guess a code.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

#: Failures allowed per client address in ten minutes, and per challenge number in an hour.
CLIENT_LIMIT: Final = 5
CLIENT_WINDOW: Final = 600.0
NUMBER_LIMIT: Final = 20
NUMBER_WINDOW: Final = 3600.0
#: Keys each window remembers at most; beyond that expired keys go, then the stalest.
MAX_KEYS: Final = 50_000

Clock = Callable[[], float]


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


class SlidingWindow:
    """At most ``limit`` events per key within any ``window`` seconds. Not locked itself:
    ``FailureLimiter`` holds one lock over all its windows."""

    def __init__(self, limit: int, window: float, max_keys: int = MAX_KEYS) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("a window needs limit ≥ 1, window > 0 and max_keys ≥ 1")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._events)

    def _current(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have another event; 0 when it may now."""
        events = self._current(key, now)
        if events is None or len(events) < self.limit:
            return 0.0
        # The window frees a slot when its oldest event leaves it.
        return events[-self.limit] + self.window - now

    def add(self, key: str, now: float) -> None:
        events = self._current(key, now)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._make_room(now)
            events = self._events[key] = deque()
        else:
            self._events.move_to_end(key)  # most recently used last: evicted last
        events.append(now)

    def remove(self, key: str, stamp: float) -> None:
        events = self._events.get(key)
        if events is None:
            return
        try:
            events.remove(stamp)
        except ValueError:
            return
        if not events:
            del self._events[key]

    def _make_room(self, now: float) -> None:
        for key in list(self._events):
            self._current(key, now)
        while len(self._events) >= self.max_keys:
            # Memory stays bounded under a flood of distinct keys; the key forgotten is the
            # one least recently failed.
            self._events.popitem(last=False)


@dataclass(frozen=True)
class Attempt:
    """A begun attempt, counted as a failure until ``FailureLimiter.succeeded`` refunds it."""

    client: str
    number: str | None
    stamp: float


class FailureLimiter:
    """Failed lookups per client address and per challenge number; thread-safe."""

    def __init__(
        self,
        client_limit: int = CLIENT_LIMIT,
        client_window: float = CLIENT_WINDOW,
        number_limit: int = NUMBER_LIMIT,
        number_window: float = NUMBER_WINDOW,
        max_keys: int = MAX_KEYS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.by_client = SlidingWindow(client_limit, client_window, max_keys)
        self.by_number = SlidingWindow(number_limit, number_window, max_keys)
        self._clock = clock
        self._lock = threading.Lock()

    def begin(self, client: str, number: str | None) -> Attempt | int:
        """Count an attempt as failed, or, when a window is full, the whole seconds to wait.

        ``number`` is None for input that names no challenge (malformed): it is counted
        against the client only.
        """
        with self._lock:
            now = self._clock()
            wait = self.by_client.retry_after(client, now)
            if number is not None:
                wait = max(wait, self.by_number.retry_after(number, now))
            if wait > 0:
                return max(1, math.ceil(wait))
            self.by_client.add(client, now)
            if number is not None:
                self.by_number.add(number, now)
            return Attempt(client, number, now)

    def succeeded(self, attempt: Attempt) -> None:
        """Refund an attempt that found its challenge: successes are not limited."""
        with self._lock:
            self.by_client.remove(attempt.client, attempt.stamp)
            if attempt.number is not None:
                self.by_number.remove(attempt.number, attempt.stamp)
