"""How fresh a page served from a streaming replica is: "数据截至 <time>" in its footer.

A replica replays the primary's write-ahead log; its pages are as fresh as the last
transaction it replayed (``pg_last_xact_replay_timestamp()``). The lag is how long ago that
was, except when the replica has replayed everything it received: an idle primary sends
nothing new, and the replica is then not behind at all (lag 0). On the primary, and on
SQLite, pages read what was just written and show no such line.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

from ledger.store.sql import PostgresDatabase

__all__ = ["FRESHNESS_PERIOD", "Freshness", "ReplicaFreshness"]

BEIJING: Final = timezone(timedelta(hours=8))
#: How often a server asks its replica how fresh it is; a page rendered from a replica (and
#: kept by ``page_cache``) is shown at most this long.
FRESHNESS_PERIOD: Final = 1.0

_QUERY: Final = (
    "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp(), "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, "
    "pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()"
)


@dataclass(frozen=True)
class Freshness:
    """The replica's last replayed transaction, and how far behind the primary it is."""

    as_of: datetime
    lag_seconds: float

    @property
    def as_of_text(self) -> str:
        """Beijing time to the second: 2026年3月2日 09:30:56."""
        moment = self.as_of.astimezone(BEIJING)
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M:%S}"

    @property
    def lag_text(self) -> str:
        return f"{self.lag_seconds:.1f}"


class ReplicaFreshness:
    """The replica's freshness, asked of it at most once a ``period`` (every page shows it,
    and a page a second old is as fresh as the replica itself)."""

    def __init__(self, db: PostgresDatabase, period: float = FRESHNESS_PERIOD):
        self.db = db
        self.period = period
        self._lock = threading.Lock()
        self._asked = -period
        self._last: Freshness | None = None

    def __call__(self) -> Freshness | None:
        """None on a database that is not a replica, or one that has replayed nothing yet."""
        with self._lock:
            now = time.monotonic()
            if now - self._asked >= self.period:
                self._last, self._asked = self._ask(), now
            return self._last

    def _ask(self) -> Freshness | None:
        with self.db.read() as cur:
            row = cur.execute(_QUERY).fetchone()
        if row is None:
            return None
        in_recovery, replayed_at, behind, caught_up = row
        if not in_recovery or replayed_at is None:
            return None
        lag = 0.0 if caught_up else max(0.0, float(behind))
        return Freshness(as_of=replayed_at, lag_seconds=lag)
