"""The event store's recorders, extended so each command's checks commit with its events.

Two checks must hold at the moment the events are inserted, not just when the
command was read: its nonce is new (a replayed command is refused even when two
copies race) and the signing key has not changed since it was checked (a command
signed with a key that another process is revoking must not land after the
revocation). Both run inside the insert transaction, after the event table's
write lock is taken, so they serialise with every other insert.

The same transaction keeps the command's sealed values (already encrypted, see
``ledger.store.sealed_store``): a refused command, at any check, leaves none behind, and an
accepted one cannot be stored without them.

The event tables, the nonce table and the sealed values are append-only in the database
itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, Notification, PersistenceError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger.domain.errors import Conflict, ReplayedNonce
from ledger.domain.registry import Actor, Key
from ledger.domain.sealed import Disclosure
from ledger.store.sql import Cursor as LedgerCursor
from ledger.store.sql import sqlite_cursor

#: What else an insert writes in its transaction once the events are in: given a cursor of
#: that transaction and the stored events after a notification id (at most so many).
AfterInsert = Callable[[LedgerCursor, Callable[[int, int], Sequence[Notification]]], object]

NONCES_TABLE = "ledger_nonces"
NONCE_FUNCTION = "sunshine_record_nonce"
REPLAYED_STATE = "P0S01"  # our own SQLSTATEs, raised by the nonce function
KEY_CHANGED_STATE = "P0S02"
SEALED_TABLE = "sealed_values"
SEALED_COLUMNS = "commitment, procurement, owner, nonce, ciphertext"


@dataclass(frozen=True)
class SealedRow:
    """One sealed value as stored: the disclosure encrypted, bound to these three names."""

    commitment: str
    procurement: str
    owner: str
    nonce: bytes
    ciphertext: bytes
    #: What it was made from, in the memory of the process that sealed it (never stored):
    #: the bulk path reads its batch's pending values without decrypting them again.
    opened: Disclosure | None = field(default=None, compare=False, repr=False)

    @property
    def values(self) -> tuple[str, str, str, bytes, bytes]:
        return (self.commitment, self.procurement, self.owner, self.nonce, self.ciphertext)


BOX_TABLE = "bid_box"
BOX_CLOSINGS = "bid_box_closings"
BOX_COLUMNS = "commitment, procurement, supplier, supersedes, withdrawn"
#: ``supersedes`` of a supplier's obtaining of the documents: never a commitment (base64).
OBTAINED = "documents"


@dataclass(frozen=True)
class BoxRow:
    """One row of the bid box's private index (``bid_box_store``), as a command queues it."""

    commitment: str
    procurement: str
    supplier: str | None  # None: a dummy added at the closing
    supersedes: str | None = None
    withdrawn: bool = False
    obtained: bool = False  # the supplier obtained the documents

    def values(self, postgres: bool) -> tuple[str, str, str | None, str, bool | int]:
        withdrawn: bool | int = self.withdrawn if postgres else int(self.withdrawn)
        # One chain per supplier, and one obtaining of the documents: see bid_box_store.
        replaces = OBTAINED if self.obtained else self.supersedes or ""
        return (self.commitment, self.procurement, self.supplier, replaces, withdrawn)


@dataclass(frozen=True)
class BoxClosing:
    """A box's closing as a command queues it: the envelopes it summed up."""

    procurement: str
    envelopes: int


SQLITE_INSERT_BOX = f"INSERT INTO {BOX_TABLE} ({BOX_COLUMNS}) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
POSTGRES_INSERT_BOX = (
    f"INSERT INTO {BOX_TABLE} ({BOX_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
)
SQLITE_CLOSE_BOX = f"INSERT INTO {BOX_CLOSINGS} (procurement, envelopes) VALUES (?, ?)"  # noqa: S608
POSTGRES_CLOSE_BOX = (
    f"INSERT INTO {BOX_CLOSINGS} (procurement, envelopes) VALUES (%s, %s)"  # noqa: S608
)

# A commitment kept already (the same value sealed by an earlier command) keeps its first
# row: inserting nothing fires no append-only trigger.
SQLITE_INSERT_SEALED = (
    f"INSERT INTO {SEALED_TABLE} ({SEALED_COLUMNS}) SELECT ?, ?, ?, ?, ? "  # noqa: S608
    f"WHERE NOT EXISTS (SELECT 1 FROM {SEALED_TABLE} WHERE commitment = ?)"
)
POSTGRES_INSERT_SEALED = (
    f"INSERT INTO {SEALED_TABLE} ({SEALED_COLUMNS}) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
    "ON CONFLICT (commitment) DO NOTHING"
)


#: Each 统一社会信用代码 the registry ever gave an organisation, and to whom: a code is its
#: holder's for life (GB 32100-2015), so the table's key keeps two registrations of one code,
#: decided at the same instant on stale reads, from both being stored. Written with the
#: command's events; a code its holder claims again inserts nothing.
CREDIT_CODES = "ledger_credit_codes"

#: The registry's people: actors registered, keys registered and revoked. Few beside a
#: province's millions of procurement events, and read whenever an organisation's
#: administrator or staff is asked; a partial index of the event table keeps that read to
#: their rows (the query repeats its condition word for word, so SQLite and PostgreSQL
#: both see the index applies).
PEOPLE_TOPICS: Final = tuple(get_topic(e) for e in (Actor.Registered, Key.Registered, Key.Revoked))
PEOPLE: Final = "topic IN (" + ", ".join(f"'{t}'" for t in PEOPLE_TOPICS) + ")"


def people_index(table: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {table}_people ON {table} (topic) WHERE {PEOPLE}"

SQLITE_CLAIM_CODE = (
    f"INSERT INTO {CREDIT_CODES} (credit_code, organisation) SELECT ?, ? "  # noqa: S608
    f"WHERE NOT EXISTS (SELECT 1 FROM {CREDIT_CODES} WHERE credit_code = ? AND organisation = ?)"
)
POSTGRES_CLAIM_CODE = (
    f"INSERT INTO {CREDIT_CODES} (credit_code, organisation) SELECT %s, %s "  # noqa: S608
    f"WHERE NOT EXISTS (SELECT 1 FROM {CREDIT_CODES} WHERE credit_code = %s "
    "AND organisation = %s)"
)


@dataclass(frozen=True)
class CommandGuard:
    """What must still be true when a command's events are inserted, and the sealed
    values that go in with them."""

    actor: str
    nonce: str
    key_stream: UUID
    key_version: int | None  # None: the key's stream must not exist yet (genesis)
    first: bool = False  # genesis: the event store must still be empty
    sealed: tuple[SealedRow, ...] = ()
    box: tuple[BoxRow, ...] = ()  # the bid box's index rows (after the closing, if any)
    closing: BoxClosing | None = None
    claims: tuple[tuple[str, str], ...] = ()  # (统一社会信用代码, organisation) it gives


class KeyChanged(Conflict):
    """The signing key's stream moved on after the command was checked."""

    code = "key_changed"


def _key_changed() -> KeyChanged:
    return KeyChanged(
        "the signing key changed while the command was processed (revoked?); "
        "re-sign with a valid key"
    )


def _second_genesis() -> Conflict:
    return Conflict("the ledger already has a genesis", code="exists")


def _replayed(guard: CommandGuard) -> ReplayedNonce:
    return ReplayedNonce(f"nonce {guard.nonce!r} of actor {guard.actor!r} was used before")


def sqlite_append_only(table: str, *unique: tuple[str, ...]) -> list[str]:
    """Triggers refusing UPDATE and DELETE, and an INSERT that would overwrite a row.

    SQLite's INSERT OR REPLACE deletes the conflicting row without firing DELETE
    triggers, so each unique key of the table is checked before every insert.
    """
    taken = " OR ".join(
        "(" + " AND ".join(f"{column} = NEW.{column}" for column in key) + ")" for key in unique
    )
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "  # noqa: S608
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {taken}) "
        f"BEGIN SELECT RAISE(ABORT, 'append-only: {table} already holds this row'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'append-only: UPDATE on {table} is refused'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'append-only: DELETE on {table} is refused'); END",
    ]


PG_APPEND_ONLY_FUNCTION = (
    "CREATE OR REPLACE FUNCTION sunshine_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'append-only: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME "
    "USING ERRCODE = 'insufficient_privilege'; END $$"
)


def pg_append_only(table: str) -> list[str]:
    return [
        PG_APPEND_ONLY_FUNCTION,
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION sunshine_append_only()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION sunshine_append_only()",
    ]


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {NONCES_TABLE} (actor TEXT NOT NULL, "
            "nonce TEXT NOT NULL, PRIMARY KEY (actor, nonce)) WITHOUT ROWID",
            *sqlite_append_only(
                self.events_table_name, ("originator_id", "originator_version"), ("rowid",)
            ),
            *sqlite_append_only(NONCES_TABLE, ("actor", "nonce")),
            f"CREATE TABLE IF NOT EXISTS {CREDIT_CODES} (credit_code TEXT PRIMARY KEY, "
            "organisation TEXT NOT NULL) WITHOUT ROWID",
            *sqlite_append_only(CREDIT_CODES, ("credit_code",)),
            people_index(self.events_table_name),
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        for guard in kwargs.get("guards", ()):
            # One statement: the nonce is recorded only while the key's stream is
            # still at the version the command was checked against. It is the first
            # write, so it takes SQLite's write lock and reads the current state.
            try:
                c.execute(
                    self._guarded_nonce,
                    (guard.actor, guard.nonce, guard.key_stream.hex, guard.key_version),
                )
            except (sqlite3.IntegrityError, IntegrityError):
                raise _replayed(guard) from None
            if c.fetchone() is None:
                raise _key_changed()
            if guard.first:
                c.execute(f"SELECT 1 FROM {self.events_table_name} LIMIT 1")  # noqa: S608
                if c.fetchone() is not None:
                    raise _second_genesis()
            for row in guard.sealed:
                c.execute(SQLITE_INSERT_SEALED, (*row.values, row.commitment))
            try:
                for code, holder in guard.claims:  # another holder's code: decide again
                    c.execute(SQLITE_CLAIM_CODE, (code, holder, code, holder))
                if guard.closing is not None:
                    closing = guard.closing
                    c.execute(SQLITE_CLOSE_BOX, (closing.procurement, closing.envelopes))
                for box in guard.box:
                    c.execute(SQLITE_INSERT_BOX, box.values(postgres=False))
            except sqlite3.IntegrityError as changed:  # the box closed, or changed: decide again
                raise IntegrityError(str(changed)) from None
        ids = super()._insert_events(c, stored_events, **kwargs)
        after: AfterInsert | None = kwargs.get("after_insert")
        if after is not None and ids:  # the log's leaves for these events, in the same commit

            def select(position: int, limit: int) -> Sequence[Notification]:
                if position == ids[0] - 1 and len(ids) <= limit:
                    # Nothing stored is waiting before these events, and nothing can come
                    # after them while this transaction writes: they are what is asked.
                    return [
                        Notification(
                            id=n,
                            originator_id=s.originator_id,
                            originator_version=s.originator_version,
                            topic=s.topic,
                            state=s.state,
                        )
                        for n, s in zip(ids, stored_events, strict=True)
                    ]
                return self._after(c, position, limit)

            after(sqlite_cursor(c.sqlite_cursor), select)
        return ids

    def _after(self, c: SQLiteCursor, position: int, limit: int) -> list[Notification]:
        """As ``select_notifications`` after `position`, within the insert's transaction
        (another connection would not see its events yet)."""
        c.execute(
            f"SELECT rowid, * FROM {self.events_table_name} WHERE rowid > ? "  # noqa: S608
            "ORDER BY rowid LIMIT ?",
            (position, limit),
        )
        return [
            Notification(
                id=row["rowid"],
                originator_id=self.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in c.fetchall()
        ]

    @property
    def _guarded_nonce(self) -> str:
        return (
            f"INSERT INTO {NONCES_TABLE} (actor, nonce) SELECT ?, ? "  # noqa: S608
            f"WHERE (SELECT MAX(originator_version) FROM {self.events_table_name} "
            "WHERE originator_id = ?) IS ? RETURNING 1"
        )


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = self.events_table_name
        self.sql_create_statements.extend(
            SQL(s).format()  # statements are our own constants; format() makes them Composed
            for s in [
                f"CREATE TABLE IF NOT EXISTS {NONCES_TABLE} (actor text NOT NULL, "
                "nonce text NOT NULL, PRIMARY KEY (actor, nonce))",
                f"CREATE TABLE IF NOT EXISTS {CREDIT_CODES} (credit_code text PRIMARY KEY, "
                "organisation text NOT NULL)",
                *pg_append_only(table),
                *pg_append_only(NONCES_TABLE),
                *pg_append_only(CREDIT_CODES),
                people_index(table),
            ]
        )
        # The nonce is recorded only while the key's stream is still at the version
        # the command was checked against. As a function that raises, it needs no
        # result fetched: in the library's pipeline it costs no extra round trip, and
        # its error aborts the transaction like a duplicate event would.
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {fn}(p_actor text, p_nonce text, p_key uuid, "
                "p_version bigint) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                "IF (SELECT MAX(originator_version) FROM {schema}.{table} "
                "WHERE originator_id = p_key) IS DISTINCT FROM p_version THEN "
                "RAISE EXCEPTION 'the signing key changed' USING ERRCODE = '{changed}'; END IF; "
                "INSERT INTO {schema}.{nonces} (actor, nonce) VALUES (p_actor, p_nonce) "
                "ON CONFLICT DO NOTHING; "
                "IF NOT FOUND THEN RAISE EXCEPTION 'nonce % of actor % was used before', "
                "p_nonce, p_actor USING ERRCODE = '{replayed}'; END IF; END $$"
            ).format(
                fn=Identifier(NONCE_FUNCTION),
                schema=Identifier(self.datastore.schema),
                table=Identifier(table),
                nonces=Identifier(NONCES_TABLE),
                changed=SQL(KEY_CHANGED_STATE),
                replayed=SQL(REPLAYED_STATE),
            )
        )
        self._any_event = SQL("SELECT 1 FROM {0}.{1} LIMIT 1").format(
            Identifier(self.datastore.schema), Identifier(table)
        )
        self._record_nonce = SQL("SELECT {0}.{1}(%s, %s, %s, %s)").format(
            Identifier(self.datastore.schema), Identifier(NONCE_FUNCTION)
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except PersistenceError as error:
            cause = error.__cause__
            if isinstance(cause, psycopg.Error) and cause.sqlstate == REPLAYED_STATE:
                raise ReplayedNonce(str(cause.diag.message_primary)) from None
            if isinstance(cause, psycopg.Error) and cause.sqlstate == KEY_CHANGED_STATE:
                raise _key_changed() from None
            if isinstance(cause, psycopg.errors.PipelineAborted):
                # A statement of the pipeline failed and psycopg reported only that the rest
                # was skipped (it happens under load): every statement we queue fails only on
                # a conflict (a nonce, a key, the bid box), and nothing was stored, so the
                # command is decided again on fresh reads, where the conflict shows by name.
                raise IntegrityError("the insert's pipeline was aborted") from None
            raise
        return ids

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # Genesis only: runs before the library's insert, outside its try block, so
        # raising here rolls back; under the table lock two geneses cannot both pass.
        guards: Sequence[CommandGuard] = kwargs.get("guards", ())
        if any(guard.first for guard in guards):
            self._lock_table(curs)
            curs.execute(self._any_event)
            if curs.fetchone() is not None:
                raise _second_genesis()

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # After the library has locked the table and queued the inserts, in the same
        # pipeline and before its sync: an error here aborts the transaction like a
        # duplicate event would. Unprepared, because a statement queued after a
        # failing one is never parsed, and a prepared one would then be missing.
        super()._insert_stored_events(curs, stored_events, **kwargs)
        guards: Sequence[CommandGuard] = kwargs.get("guards", ())
        if not guards:
            return
        # Our own cursor: the library reads the insert's status from `curs` next.
        with curs.connection.cursor() as own:
            self._check_guards(own, stored_events, guards)

    def _check_guards(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        guards: Sequence[CommandGuard],
    ) -> None:
        for guard in guards:
            ours = sum(1 for s in stored_events if s.originator_id == guard.key_stream)
            expected = (
                None if guard.key_version is None and ours == 0 else (guard.key_version or 0) + ours
            )
            curs.execute(
                self._record_nonce,
                (guard.actor, guard.nonce, guard.key_stream, expected),
                prepare=False,  # never prepared, not even automatically after a few uses
            )
            for row in guard.sealed:  # queued after the nonce: a replay aborts them too
                curs.execute(POSTGRES_INSERT_SEALED, row.values, prepare=False)
            if guard.closing is not None:
                closing = (guard.closing.procurement, guard.closing.envelopes)
                curs.execute(POSTGRES_CLOSE_BOX, closing, prepare=False)
            for box in guard.box:
                curs.execute(POSTGRES_INSERT_BOX, box.values(postgres=True), prepare=False)
            for code, holder in guard.claims:  # another holder's code aborts: decide again
                curs.execute(POSTGRES_CLAIM_CODE, (code, holder, code, holder), prepare=False)
