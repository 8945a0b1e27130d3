"""PostgreSQL: the application's own database role may read and append, nothing more.

The tables are created by the owner (`sunshine db-setup`); the application then
connects as a role with SELECT and INSERT only, so UPDATE, DELETE and TRUNCATE
fail on privileges, and the append-only triggers stop even the owner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import psycopg
from psycopg import sql

from ledger.log.schema import REQUEST_NONCES
from ledger.log.schema import TABLES as LOG_TABLES
from ledger.store.documents import TABLE as DOCUMENTS_TABLE
from ledger.store.recorders import BOX_CLOSINGS, BOX_TABLE, CREDIT_CODES, NONCES_TABLE
from ledger.store.sealed_store import TABLE as SEALED_TABLE
from ledger.store.url import DatabaseURL

EVENT_TABLES = (
    "ledger_events",
    NONCES_TABLE,
    SEALED_TABLE,
    BOX_TABLE,
    BOX_CLOSINGS,
    CREDIT_CODES,
    DOCUMENTS_TABLE,
)
ROLE_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")


def grant_application_role(
    owner: DatabaseURL, role: str, password: str = "", derived: Sequence[str] = ()
) -> None:
    """Create `role` if needed and give it SELECT, INSERT (and sequence use) only on the
    ledger's tables, plus TRUNCATE on the event table for its write lock (the trigger
    refuses TRUNCATE), and DELETE on the nonces of signed reads, which expire. ``derived``
    tables (projections, the publisher's jobs: rebuilt from the log, not the record) it may
    also UPDATE and DELETE."""
    if not ROLE_PATTERN.match(role):
        raise ValueError(f"invalid role name {role!r}")
    tables = [*EVENT_TABLES, *LOG_TABLES]
    with psycopg.connect(owner.conninfo(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists is None:
            statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
            if password:
                statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            conn.execute(statement)
        ident = sql.Identifier(role)
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(owner.dbname), ident
            )
        )
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
        for table in tables:
            name = sql.Identifier(table)
            conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(name))
            conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(name, ident))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(name, ident))
        # The event store serialises inserts with LOCK TABLE ... IN EXCLUSIVE MODE, which
        # PostgreSQL allows only with UPDATE, DELETE or TRUNCATE on the table. TRUNCATE is
        # the one the append-only trigger refuses as a whole statement, so grant that.
        conn.execute(
            sql.SQL("GRANT TRUNCATE ON {} TO {}").format(sql.Identifier("ledger_events"), ident)
        )
        # Nonces of signed reads are kept only while the read could be fresh: the role
        # deletes the expired ones, and never updates one.
        name = sql.Identifier(REQUEST_NONCES)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(name))
        conn.execute(sql.SQL("GRANT SELECT, INSERT, DELETE ON {} TO {}").format(name, ident))
        for table in derived:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                    sql.Identifier(table), ident
                )
            )
        conn.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident))
