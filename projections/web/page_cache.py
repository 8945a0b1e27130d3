"""Rendered public pages kept in memory, for one state of the public projection.

A list or notice page is a function of its address and of the public projection's tables,
and those change only when the projection applies leaves, which moves its position in the
same transaction (``ledger.log.follower``). So a page rendered at one position is the page
for that address until the position moves: each request reads the position (one row) and
answers a page rendered at that position from memory, or renders it and keeps it. The first
request of an address after a new leaf pays the full price; a repeated one costs the
position's read. Each process keeps its own pages; an old position's pages are dropped as
soon as a request sees a newer one.

A page is kept under the address its route understood (the filters as parsed), and each
address a client asked that gave it (the query as sent) is kept as another name for it, so
that ``kept_pages`` finds it again from the request line alone, before any route runs.

The filter lists of the announcement page (regions, purchasers) are held the same way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from ledger.ports import Database

__all__ = ["PageCache", "Rendered", "State", "asked_address"]

#: (position, version) of the public projection: the pages' tables as of that leaf.
State = tuple[int, int]
T = TypeVar("T")

#: What one process keeps of rendered pages: a list page is about 30 kB.
MAX_BYTES: Final = 32 * 1024 * 1024
#: Derived values kept for one state (filter lists, a list's count under its filters).
MAX_DERIVED: Final = 4096
#: Addresses as asked kept for one state, each naming a kept page (the least recent dropped).
MAX_ASKED: Final = 16384


def asked_address(path: str, query: bytes) -> str:
    """The address a client asked, as sent: the path and the raw query."""
    return path + "?" + query.decode("latin-1") if query else path


@dataclass(frozen=True)
class Rendered:
    """A page's bytes and their ETag."""

    body: bytes
    etag: str


class PageCache:
    """Pages by address, and values derived from the tables, for the newest state seen."""

    def __init__(
        self, max_bytes: int = MAX_BYTES, projection: str = "public", max_age: float | None = None
    ):
        self.max_bytes = max_bytes  # 0 keeps no page
        self.projection = projection
        #: A replica's pages say how fresh they are (数据截至…): each is kept this many
        #: seconds at most, as long as the freshness it shows is itself kept.
        self.max_age = max_age
        self._lock = threading.Lock()
        self._state: State | None = None
        self._pages: OrderedDict[str, Rendered] = OrderedDict()
        self._kept_at: dict[str, float] = {}
        self._bytes = 0
        self._derived: dict[str, object] = {}
        self._asked: OrderedDict[str, str] = OrderedDict()  # as asked -> as understood

    def state(self, db: Database) -> State:
        """The projection's state now (a projection not yet set up is at (0, 0))."""
        with db.read() as cur:
            rows = cur.execute(
                "SELECT position, version FROM projection_positions WHERE name = ?",
                (self.projection,),
            ).fetchall()
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)

    def _at(self, state: State) -> bool:
        """Whether the kept values are of ``state``: a newer one drops them (under the lock)."""
        if self._state == state:
            return True
        if self._state is not None and state < self._state:
            return False  # a request that read the position before another moved it on
        self._state = state
        self._pages.clear()
        self._kept_at.clear()
        self._bytes = 0
        self._derived.clear()
        self._asked.clear()
        return True

    def page(self, address: str, state: State, asked: str | None = None) -> Rendered | None:
        """The page kept for ``address`` at ``state``; ``asked`` (the address as the client
        sent it) names it from now on."""
        with self._lock:
            if not self._at(state):
                return None
            found = self._found(address)
            if found is not None and asked is not None:
                self._name(asked, address)
            return found

    def kept(self, asked: str) -> tuple[State, Rendered] | None:
        """The page last kept under the address as asked, and the state it was rendered
        at, which the caller compares with the projection's state now (``kept_pages``)."""
        with self._lock:
            if self._state is None:
                return None
            found = self._found(self._asked.get(asked, asked))
            return None if found is None else (self._state, found)

    def _found(self, address: str) -> Rendered | None:
        found = self._pages.get(address)
        if found is not None and self._too_old(address):
            self._drop(address)
            return None
        if found is not None:
            self._pages.move_to_end(address)
        return found

    def _name(self, asked: str, address: str) -> None:
        if asked == address:
            return
        self._asked[asked] = address
        self._asked.move_to_end(asked)
        if len(self._asked) > MAX_ASKED:
            self._asked.popitem(last=False)

    def _too_old(self, address: str) -> bool:
        if self.max_age is None:
            return False
        return time.monotonic() - self._kept_at.get(address, 0.0) > self.max_age

    def _drop(self, address: str) -> None:
        dropped = self._pages.pop(address)
        self._kept_at.pop(address, None)
        self._bytes -= len(dropped.body)

    def keep(
        self, address: str, state: State, rendered: Rendered, asked: str | None = None
    ) -> None:
        with self._lock:
            if not self._at(state) or not self.max_bytes:
                return
            if asked is not None:
                self._name(asked, address)
            if address in self._pages:
                return
            self._pages[address] = rendered
            self._kept_at[address] = time.monotonic()
            self._bytes += len(rendered.body)
            while self._bytes > self.max_bytes and self._pages:
                self._drop(next(iter(self._pages)))  # the least recently asked

    def derived(self, name: str, state: State, compute: Callable[[], T]) -> T:
        """``compute()`` once per state (the filter lists); computed outside the lock."""
        with self._lock:
            if self._at(state) and name in self._derived:
                return self._derived[name]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if self._at(state) and len(self._derived) < MAX_DERIVED:
                self._derived[name] = value
        return value
