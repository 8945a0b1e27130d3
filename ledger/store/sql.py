"""A small SQL adapter for the tables the ledger owns beside the event store.

SQL is written once with `?` placeholders; the PostgreSQL side rewrites them to
`%s`. Writers take the database's own lock (BEGIN IMMEDIATE on SQLite, an
advisory transaction lock on PostgreSQL) so one writer at a time appends to the
log, whatever the number of processes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from ledger.store.url import DatabaseURL

Params = Sequence[Any]


class Cursor(Protocol):
    def execute(self, sql: str, params: Params = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...


class Database(Protocol):
    url: DatabaseURL

    def write(self, lock: int) -> Any: ...
    def read(self) -> Any: ...
    def execute_script(self, statements: Sequence[str]) -> None: ...
    def close(self) -> None: ...


class _SQLiteCursor:
    def __init__(self, cur: sqlite3.Cursor):
        self._cur = cur

    def execute(self, sql: str, params: Params = ()) -> _SQLiteCursor:
        self._cur.execute(sql, tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self._cur.executemany(sql, rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._cur.fetchone()
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cur.fetchall())


def sqlite_cursor(cur: sqlite3.Cursor) -> Cursor:
    """Another transaction's cursor (the event store's), for SQL of ours within it."""
    return _SQLiteCursor(cur)


#: A new SQLite ledger file: the owner writes, the group (a backup agent) reads, no one else.
SQLITE_FILE_MODE = 0o640


def create_sqlite_file(path: Path) -> None:
    """Create the (empty) SQLite file at `path` unless it exists, before SQLite or the event
    store opens it: they would make it 0644 under the usual umask. Ours is 0640 at most (a
    stricter umask takes more away); SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))


class SQLiteDatabase:
    """One connection per thread on a WAL-mode file."""

    def __init__(self, url: DatabaseURL):
        assert url.path is not None
        self.url = url
        self.path = url.path
        create_sqlite_file(self.path)
        self._local = threading.local()
        # Every open connection with the thread it belongs to (the thread itself, weakly:
        # an ident is reused by a later thread, which must not hide the dead one's).
        self._all: list[tuple[sqlite3.Connection, weakref.ref[threading.Thread]]] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                # Threads come and go (thread pools retire them): close the connections of
                # threads that ended, or a long-running process runs out of file descriptors.
                kept = []
                for other, owner in self._all:
                    thread = owner()
                    if thread is None or not thread.is_alive():
                        other.close()
                    else:
                        kept.append((other, owner))
                kept.append((conn, weakref.ref(threading.current_thread())))
                self._all = kept
        return conn

    @contextmanager
    def write(self, lock: int = 0) -> Iterator[_SQLiteCursor]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteCursor(conn.cursor())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[_SQLiteCursor]:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield _SQLiteCursor(conn.cursor())
        finally:
            conn.execute("COMMIT")

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.write() as cur:
            for statement in statements:
                cur.execute(statement)

    def close(self) -> None:
        with self._lock:
            for conn, _ in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class _PgCursor:
    def __init__(self, cur: psycopg.Cursor[tuple[Any, ...]]):
        self._cur = cur

    def execute(self, sql: str, params: Params = ()) -> _PgCursor:
        self._cur.execute(sql.replace("?", "%s"), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self._cur.executemany(sql.replace("?", "%s"), rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall()


class PostgresDatabase:
    def __init__(self, url: DatabaseURL, max_size: int = 8):
        self.url = url
        self.pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url.conninfo(), min_size=1, max_size=max_size, open=True, timeout=30
        )

    @contextmanager
    def write(self, lock: int = 0) -> Iterator[_PgCursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if lock:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            yield _PgCursor(cur)

    @contextmanager
    def read(self) -> Iterator[_PgCursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield _PgCursor(cur)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    def close(self) -> None:
        self.pool.close()


def open_database(url: DatabaseURL) -> SQLiteDatabase | PostgresDatabase:
    if url.is_sqlite:
        return SQLiteDatabase(url)
    return PostgresDatabase(url)
