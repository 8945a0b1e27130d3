"""Following the log: a consumer applies leaves in index order, batch by batch.

Projections (the read side) and the publisher's planner both follow the log this way. A
consumer owns its tables; its position (the next leaf index to apply) is kept in
``projection_positions`` and written in the same transaction as the rows those leaves
produced, so a crash loses nothing and applies nothing twice. The position is read inside
the transaction, under a lock of that consumer's own (SQLite: the database write lock;
PostgreSQL: an advisory lock per consumer), so several processes may follow at once and
each leaf is applied exactly once.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import orjson

from ledger.collector import fewer_collections
from ledger.domain.schema.entries import EntryData
from ledger.domain.schema.entry import Entry as TypedEntry
from ledger.domain.schema.entry import parse_entry
from ledger.log.reader import LogReader
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase

#: A leaf as a consumer gets it: typed, its data its kind's value (``ledger.domain.schema``).
Entry = TypedEntry[EntryData]


POSITIONS = [
    "CREATE TABLE IF NOT EXISTS projection_positions (name TEXT PRIMARY KEY, "
    "position BIGINT NOT NULL, version INTEGER NOT NULL)",
]
BATCH = 500
#: A rebuild's batches: fewer, larger commits (SQLite's full-text index writes segments at
#: each), the lock still held well under a second at a time.
REBUILD_BATCH = 10_000
#: SQLite's page cache during a rebuild, in KiB: the rebuilt tables' indexes take rows all
#: over their range, and the default 2 MB kept reading the same pages again.
REBUILD_CACHE_KIB = 131_072
_LOCK_BASE = 0x50524F4A  # "PROJ"; the integrator's lock is another number


def _lock(name: str) -> int:
    return _LOCK_BASE + zlib.crc32(name.encode()) % 1_000_000


def consumer_lock(name: str) -> int:
    """The lock consumer ``name`` applies its leaves under: another writer of its tables
    (a dry run that rolls back) takes it too."""
    return _lock(name)


class NotSetUp(RuntimeError):
    """A consumer's tables are missing or outdated, and this process may not create them."""


class Consumer(Protocol):
    #: A short identifier: the key of its position and the argument of ``sunshine rebuild``.
    name: str
    #: Bumped when the tables or what ``apply`` writes change: the runner then rebuilds.
    version: int

    def create(self, sqlite: bool) -> Sequence[str]:
        """Statements creating its tables and indexes (idempotent: IF NOT EXISTS)."""
        ...

    def drop(self) -> Sequence[str]:
        """Statements dropping everything ``create`` made."""
        ...

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        """Write what leaf ``index`` means for these tables: ``entry`` is the typed entry,
        ``leaf`` its exact bytes."""
        ...

    def flush(self, cur: Cursor) -> None:
        """Write what ``apply`` kept back, once a batch's leaves are applied: before the
        position moves with them, and before anything reads the tables."""
        ...

    def tables(self) -> Sequence[str]:
        """Its tables, for comparing a rebuild with the original and for dropping."""
        ...


class Follower:
    """Keeps one projection up to date with the log."""

    def __init__(self, db: SQLiteDatabase | PostgresDatabase, projection: Consumer):
        self.db = db
        self.projection = projection
        self.reader = LogReader(db)
        self.sqlite = db.url.is_sqlite

    def setup(self, create: bool = True) -> None:
        """Create the tables; rebuild from scratch when the projection's version changed.

        ``create=False`` (an application role that may not create or drop tables): only
        check that the database owner set this consumer up at its version (`sunshine
        db-setup`), and say so when not."""
        if not create:
            self._check_set_up()
            return
        self.db.execute_script(POSITIONS)
        with self.db.write(_lock(self.projection.name)) as cur:
            row = cur.execute(
                "SELECT version FROM projection_positions WHERE name = ?", (self.projection.name,)
            ).fetchone()
            if row is not None and int(row[0]) != self.projection.version:
                self._reset(cur)
            for statement in self.projection.create(self.sqlite):
                cur.execute(statement)
            if row is None or int(row[0]) != self.projection.version:
                self._set_position(cur, 0, insert=True)

    def _check_set_up(self) -> None:
        name, version = self.projection.name, self.projection.version
        try:
            with self.db.read() as cur:
                row = cur.execute(
                    "SELECT version FROM projection_positions WHERE name = ?", (name,)
                ).fetchone()
        except Exception as exc:  # no table at all, or no right to read it
            row, why = None, f" ({type(exc).__name__}: {str(exc).strip()})"
        else:
            why = "" if row is None else f" (found version {row[0]})"
        if row is None or int(row[0]) != version:
            raise NotSetUp(
                f"the tables of {name!r} are not set up at version {version}{why}: run "
                "`sunshine db-setup` as the database owner (it creates them, rebuilds an "
                "outdated one, and grants the application role)"
            )

    def position(self) -> int:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT position FROM projection_positions WHERE name = ?", (self.projection.name,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def catch_up(
        self,
        limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        batch: int = BATCH,
    ) -> int:
        """Apply every leaf not yet applied (at most ``limit``), ``batch`` leaves per
        transaction; the new position."""
        size = self.reader.size()
        done = 0
        while True:
            applied = self._batch(batch if limit is None else min(batch, limit - done))
            done += applied
            if progress is not None and applied:
                progress(self.position(), size)
            if applied == 0 or (limit is not None and done >= limit):
                return self.position()

    def _batch(self, count: int) -> int:
        if count <= 0:
            return 0
        with self.db.write(_lock(self.projection.name)) as cur:
            row = cur.execute(
                "SELECT position FROM projection_positions WHERE name = ?", (self.projection.name,)
            ).fetchone()
            position = 0 if row is None else int(row[0])
            leaves = self.reader.entries_in(cur, position, count)
            for offset, leaf in enumerate(leaves):
                self.projection.apply(cur, position + offset, parse_entry(leaf), leaf)
            if leaves:
                self.projection.flush(cur)
                self._set_position(cur, position + len(leaves))
            return len(leaves)

    def reset(self) -> None:
        """Drop the projection's tables and position, then create them empty at position 0."""
        with self.db.write(_lock(self.projection.name)) as cur:
            self._reset(cur)
            for statement in self.projection.create(self.sqlite):
                cur.execute(statement)
            self._set_position(cur, 0, insert=True)

    @fewer_collections()  # see ledger/collector.py
    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop the projection's tables and replay the whole log into them."""
        self.reset()
        if not self.sqlite:
            return self.catch_up(progress=progress, batch=REBUILD_BATCH)
        with self.db.read() as cur:  # this thread's connection, which catch_up writes with
            row = cur.execute("PRAGMA cache_size").fetchone()
            assert row is not None
            cur.execute(f"PRAGMA cache_size = {-REBUILD_CACHE_KIB}")
        try:
            return self.catch_up(progress=progress, batch=REBUILD_BATCH)
        finally:
            with self.db.read() as cur:
                cur.execute(f"PRAGMA cache_size = {int(row[0])}")

    def digest(self) -> str:
        """A digest of every row of the projection's tables, in a fixed order."""
        hasher = hashlib.sha256()
        with self.db.read() as cur:
            for table in self.projection.tables():
                rows = cur.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
                hasher.update(table.encode())
                for row in sorted(_plain(r) for r in rows):
                    hasher.update(row)
        return hasher.hexdigest()

    def _reset(self, cur: Cursor) -> None:
        for statement in self.projection.drop():
            cur.execute(statement)
        cur.execute("DELETE FROM projection_positions WHERE name = ?", (self.projection.name,))

    def _set_position(self, cur: Cursor, position: int, insert: bool = False) -> None:
        if insert:
            cur.execute(
                "INSERT INTO projection_positions (name, position, version) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                "version = excluded.version",
                (self.projection.name, position, self.projection.version),
            )
        else:
            cur.execute(
                "UPDATE projection_positions SET position = ? WHERE name = ?",
                (position, self.projection.name),
            )


def _plain(row: Iterable[Any]) -> bytes:
    return orjson.dumps(
        [bytes(v).hex() if isinstance(v, bytes | memoryview) else v for v in row], default=str
    )
