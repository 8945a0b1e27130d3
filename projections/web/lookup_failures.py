"""Failed challenge lookups, counted in the database (``lookup_failures``) for every process.

With ``sunshine serve --workers N``, or several servers on one PostgreSQL database, a limit
kept in one process would give a client N times its failures; in the database they share
one count. The rules are ``projections.web.ratelimit``'s.

An attempt is counted as a failure when it begins, and the row is deleted again when it
succeeds. The check and the count are one transaction under one lock (SQLite's write lock,
a PostgreSQL advisory lock), so racing requests cannot all pass a window that had one slot
left. Rows are deleted once older than the longest window; the client address is stored only
as a keyed hash, so the table is no list of who looked up what.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ledger.store.sql import PostgresDatabase, SQLiteDatabase
from projections.web.ratelimit import Limits, Refused

logger = logging.getLogger("sunshine.lookup")

TABLE: Final = "lookup_failures"
SCHEMA: Final = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (attempt TEXT PRIMARY KEY, client TEXT NOT NULL, "
    "number TEXT, at_ms BIGINT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_client ON {TABLE} (client, at_ms)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_number ON {TABLE} (number, at_ms)",
]
#: PostgreSQL advisory lock ("LOOK") held while an attempt is checked and counted.
LOCK: Final = 0x4C4F4F4B
SWEEP_EVERY: Final = 100  # attempts between deletions of what has left every window


@dataclass(frozen=True)
class Attempt:
    """A begun attempt, counted as a failure until ``LookupFailures.succeeded`` removes it."""

    id: str
    delay: float  # seconds to wait before its code is checked


class LookupFailures:
    def __init__(
        self,
        db: SQLiteDatabase | PostgresDatabase,
        client_key: bytes,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.limits = limits or Limits()
        self.clock = clock  # wall-clock seconds: every process must read the same time
        self._client_key = client_key
        self._attempts = 0
        self._lock = threading.Lock()

    def create(self) -> None:
        self.db.execute_script(SCHEMA)

    def _client(self, client: str) -> str:
        return hmac.new(self._client_key, client.encode(), hashlib.sha256).hexdigest()[:32]

    def begin(self, client: str, number: str | None) -> Attempt | Refused:
        """Count an attempt as failed, or refuse it while the client's window is full.

        ``number`` is None for input that names no challenge (malformed): it is counted
        against the client only, so junk input cannot fill a number's count.
        """
        limits = self.limits
        with self._lock:
            self._attempts += 1
            sweep = self._attempts % SWEEP_EVERY == 1
        now_ms = int(self.clock() * 1000)
        hashed = self._client(client)
        with self.db.write(LOCK) as cur:
            if sweep:
                horizon = now_ms - int(limits.longest_window * 1000)
                cur.execute(f"DELETE FROM {TABLE} WHERE at_ms <= ?", (horizon,))  # noqa: S608
            stamps = cur.execute(
                f"SELECT at_ms FROM {TABLE} WHERE client = ? AND at_ms > ?",  # noqa: S608
                (hashed, now_ms - int(limits.client_window * 1000)),
            ).fetchall()
            failures = 0
            if number is not None:
                (failures,) = cur.execute(
                    f"SELECT COUNT(*) FROM {TABLE} WHERE number = ? AND at_ms > ?",  # noqa: S608
                    (number, now_ms - int(limits.number_window * 1000)),
                ).fetchone() or (0,)
            decision = limits.decide((t / 1000 for (t,) in stamps), int(failures), now_ms / 1000)
            if isinstance(decision, Refused):
                return decision
            attempt = Attempt(secrets.token_hex(16), decision.delay)
            cur.execute(
                f"INSERT INTO {TABLE} (attempt, client, number, at_ms) VALUES (?, ?, ?, ?)",  # noqa: S608
                (attempt.id, hashed, number, now_ms),
            )
        if number is not None and failures == limits.number_free:
            logger.warning(
                "challenge %s: %d failed lookups within %d s; further attempts are delayed",
                number, failures, int(limits.number_window),
            )  # fmt: skip
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        """A right code: the attempt is no failure, and is not counted."""
        with self.db.write() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE attempt = ?", (attempt.id,))  # noqa: S608
