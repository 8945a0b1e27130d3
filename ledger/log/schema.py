"""The log's own tables: leaves, perfect-subtree hashes, signed checkpoints, the witnesses'
cosignatures of them; and the nonces of signed requests that record nothing in the log.

The four log tables are append-only in the database: a trigger refuses UPDATE and DELETE.
``request_nonces`` is not: a nonce is kept only while its request could still be fresh,
then deleted (``ledger.signed_requests``).
"""

from __future__ import annotations

from ledger.store.recorders import pg_append_only, sqlite_append_only

TABLES = ("log_leaves", "log_nodes", "log_checkpoints", "log_cosignatures")
REQUEST_NONCES = "request_nonces"

SQLITE = [
    "CREATE TABLE IF NOT EXISTS log_leaves (idx INTEGER PRIMARY KEY, "
    "notification_id INTEGER NOT NULL UNIQUE, leaf BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
    "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS log_checkpoints (size INTEGER PRIMARY KEY, "
    "note TEXT NOT NULL, signed_at TEXT NOT NULL)",
    *sqlite_append_only("log_leaves", ("idx",), ("notification_id",)),
    *sqlite_append_only("log_nodes", ("level", "idx")),
    *sqlite_append_only("log_checkpoints", ("size",)),
    # One cosignature per witness key and checkpoint: the line exactly as the witness sent it.
    "CREATE TABLE IF NOT EXISTS log_cosignatures (size INTEGER NOT NULL, witness TEXT NOT NULL, "
    "line TEXT NOT NULL, cosigned_at INTEGER NOT NULL, received_at TEXT NOT NULL, "
    "PRIMARY KEY (size, witness)) WITHOUT ROWID",
    *sqlite_append_only("log_cosignatures", ("size", "witness")),
    f"CREATE TABLE IF NOT EXISTS {REQUEST_NONCES} (actor TEXT NOT NULL, nonce TEXT NOT NULL, "
    "expires INTEGER NOT NULL, PRIMARY KEY (actor, nonce)) WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS {REQUEST_NONCES}_expires ON {REQUEST_NONCES} (expires)",
]

POSTGRES = [
    "CREATE TABLE IF NOT EXISTS log_leaves (idx bigint PRIMARY KEY, "
    "notification_id bigint NOT NULL UNIQUE, leaf bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log_nodes (level smallint NOT NULL, idx bigint NOT NULL, "
    "hash bytea NOT NULL, PRIMARY KEY (level, idx))",
    "CREATE TABLE IF NOT EXISTS log_checkpoints (size bigint PRIMARY KEY, "
    "note text NOT NULL, signed_at timestamptz NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log_cosignatures (size bigint NOT NULL, witness text NOT NULL, "
    "line text NOT NULL, cosigned_at bigint NOT NULL, received_at timestamptz NOT NULL, "
    "PRIMARY KEY (size, witness))",
    *(s for t in TABLES for s in pg_append_only(t)),
    f"CREATE TABLE IF NOT EXISTS {REQUEST_NONCES} (actor text NOT NULL, nonce text NOT NULL, "
    "expires bigint NOT NULL, PRIMARY KEY (actor, nonce))",
    f"CREATE INDEX IF NOT EXISTS {REQUEST_NONCES}_expires ON {REQUEST_NONCES} (expires)",
]
