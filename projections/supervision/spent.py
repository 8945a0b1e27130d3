"""What sign-in has used up: challenges already answered and sessions signed out.

Kept in the database (``supervision_spent``), not in one process: with `sunshine serve
--workers N`, or several servers on one PostgreSQL database, a captured sign-in answered
again on another process is still a replay, and a session signed out is out everywhere.
Each item is kept until it would have expired anyway, then deleted.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Final, Protocol

from ledger.store.sql import PostgresDatabase, SQLiteDatabase

TABLE: Final = "supervision_spent"
SCHEMA: Final = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (item TEXT PRIMARY KEY, expires BIGINT NOT NULL)",
]
SWEEP_EVERY: Final = 100  # spends between deletions of what has expired


class Spent(Protocol):
    def spend(self, item: str, expires: int) -> bool:
        """Mark ``item`` used until ``expires``; False if it was used already."""
        ...

    def spent(self, item: str) -> bool: ...


def _key(item: str) -> str:
    return hashlib.sha256(item.encode()).hexdigest()  # fixed length, whatever the item


class SpentInDatabase:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase, clock: Callable[[], float]):
        self.db = db
        self.clock = clock
        self._spends = 0

    def create(self) -> None:
        self.db.execute_script(SCHEMA)

    def spend(self, item: str, expires: int) -> bool:
        self._spends += 1
        with self.db.write() as cur:
            if self._spends % SWEEP_EVERY == 1:
                cur.execute(f"DELETE FROM {TABLE} WHERE expires < ?", (int(self.clock()),))  # noqa: S608
            row = cur.execute(
                f"INSERT INTO {TABLE} (item, expires) VALUES (?, ?) "  # noqa: S608
                "ON CONFLICT (item) DO NOTHING RETURNING item",
                (_key(item), expires),
            ).fetchone()
        return row is not None

    def spent(self, item: str) -> bool:
        with self.db.read() as cur:
            row = cur.execute(
                f"SELECT 1 FROM {TABLE} WHERE item = ?",  # noqa: S608
                (_key(item),),
            ).fetchone()
        return row is not None


class SpentInMemory:
    """For a ``Sessions`` without a database (tests that make tokens by hand)."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._items: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, item: str, expires: int) -> bool:
        with self._lock:
            now = self.clock()
            for old in [k for k, until in self._items.items() if until < now]:
                del self._items[old]
            if item in self._items:
                return False
            self._items[item] = expires
            return True

    def spent(self, item: str) -> bool:
        with self._lock:
            return item in self._items
