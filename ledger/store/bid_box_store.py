# ruff: noqa: S608 - DDL and queries built from this module's own table-name constants
"""The bid box's private index: which commitment belongs to which procurement and supplier.

The envelopes themselves are sealed values (``sealed_store``, encrypted at rest); this index
says, for the operator's database only, which commitments a procurement's box holds, in the
order they came, and which supersede or withdraw an earlier one. A supplier's envelopes form
one chain: each replaces the one before (``supersedes``, empty for the first), and no two
replace the same one, so two first bids sent at once cannot both be kept. Its obtaining of
the documents (87号令 第二十八条 keeps that list as secret as the bids) is one row apart,
``supersedes`` being ``documents``: a supplier obtains them once. The public log
holds none of it before the opening. Like the sealed store its rows go in with the command's
events, in one transaction (``CommandGuard.box``), and are append-only in the database itself.

Two rules hold in the database, so that no race between a late bid and the closing can
leave a bid outside the closed set:

* no envelope enters a box that is closed (a dummy, added by the closing, may);
* a closing counts the envelopes it summed up, and is refused if the box holds another
  number by the time it is inserted.

Either refusal aborts the transaction as a conflict, and the command is decided again on
what is then kept (``application.StaleRecord``).
"""

from __future__ import annotations

from typing import Final

from ledger.domain.bid_box import BoxEntry, SupplierEnvelope
from ledger.store.recorders import (
    BOX_CLOSINGS,
    BOX_COLUMNS,
    BOX_TABLE,
    OBTAINED,
    pg_append_only,
    sqlite_append_only,
)
from ledger.store.sql import Database

TABLE: Final = BOX_TABLE
CLOSINGS: Final = BOX_CLOSINGS
COLUMNS: Final = BOX_COLUMNS

SQLITE: Final = [
    # Rows are never deleted, so the rowid never goes back: no AUTOINCREMENT bookkeeping.
    # The chain's unique key also finds a procurement's rows; the sealed store's key already
    # makes each commitment unique.
    f"CREATE TABLE IF NOT EXISTS {TABLE} (position INTEGER PRIMARY KEY, "
    "commitment TEXT NOT NULL, procurement TEXT NOT NULL, supplier TEXT, "
    "supersedes TEXT NOT NULL DEFAULT '', withdrawn INTEGER NOT NULL DEFAULT 0, "
    "UNIQUE (procurement, supplier, supersedes))",
    f"CREATE TABLE IF NOT EXISTS {CLOSINGS} (procurement TEXT PRIMARY KEY, "
    "envelopes INTEGER NOT NULL)",
    # A supplier's own envelopes (its receipts), newest first, without reading every bid.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_supplier ON {TABLE} (supplier, position)",
    *sqlite_append_only(TABLE, ("position",), ("procurement", "supplier", "supersedes")),
    *sqlite_append_only(CLOSINGS, ("procurement",)),
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_closed BEFORE INSERT ON {TABLE} "
    f"WHEN NEW.supplier IS NOT NULL AND EXISTS (SELECT 1 FROM {CLOSINGS} "
    "WHERE procurement = NEW.procurement) "
    "BEGIN SELECT RAISE(ABORT, 'the bid box is closed'); END",
    f"CREATE TRIGGER IF NOT EXISTS {CLOSINGS}_count BEFORE INSERT ON {CLOSINGS} "
    f"WHEN (SELECT count(*) FROM {TABLE} WHERE procurement = NEW.procurement "
    "AND supplier IS NOT NULL) != NEW.envelopes "
    "BEGIN SELECT RAISE(ABORT, 'the bid box changed while it was closed'); END",
]

# Inserts into these tables run under the event table's exclusive lock (the event store
# takes it for every insert), so each check reads every earlier commit. 23505 is
# unique_violation: the library reports it as the conflict it is.
POSTGRES: Final = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (position bigserial PRIMARY KEY, "
    "commitment text NOT NULL, procurement text NOT NULL, supplier text, "
    "supersedes text NOT NULL DEFAULT '', withdrawn boolean NOT NULL DEFAULT false, "
    "UNIQUE (procurement, supplier, supersedes))",
    f"CREATE TABLE IF NOT EXISTS {CLOSINGS} (procurement text PRIMARY KEY, "
    "envelopes integer NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_supplier ON {TABLE} (supplier, position)",
    *pg_append_only(TABLE),
    *pg_append_only(CLOSINGS),
    "CREATE OR REPLACE FUNCTION sunshine_bid_box_check() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    f"IF TG_TABLE_NAME = '{TABLE}' THEN "
    f"IF NEW.supplier IS NOT NULL AND EXISTS (SELECT 1 FROM {CLOSINGS} "
    "WHERE procurement = NEW.procurement) THEN "
    "RAISE EXCEPTION 'the bid box is closed' USING ERRCODE = 'unique_violation'; END IF; "
    f"ELSIF (SELECT count(*) FROM {TABLE} WHERE procurement = NEW.procurement "
    "AND supplier IS NOT NULL) != NEW.envelopes THEN "
    "RAISE EXCEPTION 'the bid box changed while it was closed' "
    "USING ERRCODE = 'unique_violation'; END IF; RETURN NEW; END $$",
    f"CREATE OR REPLACE TRIGGER {TABLE}_closed BEFORE INSERT ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION sunshine_bid_box_check()",
    f"CREATE OR REPLACE TRIGGER {CLOSINGS}_count BEFORE INSERT ON {CLOSINGS} "
    "FOR EACH ROW EXECUTE FUNCTION sunshine_bid_box_check()",
]

class BidBoxIndex:
    """Reads of the index (its rows are written by the event store's recorder)."""

    def __init__(self, db: Database):
        self.db = db

    def create_tables(self) -> None:
        self.db.execute_script(SQLITE if self.db.url.is_sqlite else POSTGRES)

    def of_supplier(self, supplier: str, limit: int = 200) -> list[SupplierEnvelope]:
        """``supplier``'s envelopes in every box, newest first, each with whether its box
        is closed (then nothing changes it)."""
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT b.commitment, b.procurement, b.supersedes, b.withdrawn, "
                f"c.procurement IS NOT NULL FROM {TABLE} b LEFT JOIN {CLOSINGS} c "
                "ON c.procurement = b.procurement WHERE b.supplier = ? "
                "ORDER BY b.position DESC LIMIT ?",
                (supplier, limit),
            ).fetchall()
        return [
            SupplierEnvelope(
                str(r[1]),
                BoxEntry(str(r[0]), supplier, None, bool(r[3]), obtained=True)
                if r[2] == OBTAINED
                else BoxEntry(str(r[0]), supplier, r[2] or None, bool(r[3])),
                bool(r[4]),
            )
            for r in rows
        ]

    def entries(self, procurement: str, supplier: str | None = None) -> list[BoxEntry]:
        """The commitments kept for ``procurement`` (only ``supplier``'s, if given), in the
        order they came."""
        mine = "" if supplier is None else " AND supplier = ?"
        with self.db.read() as cur:
            rows = cur.execute(
                f"SELECT {COLUMNS} FROM {TABLE} WHERE procurement = ?{mine} ORDER BY position",
                (procurement,) if supplier is None else (procurement, supplier),
            ).fetchall()
        return [
            BoxEntry(str(r[0]), r[2], None, bool(r[4]), obtained=True)
            if r[3] == OBTAINED
            else BoxEntry(str(r[0]), r[2], r[3] or None, bool(r[4]))
            for r in rows
        ]
