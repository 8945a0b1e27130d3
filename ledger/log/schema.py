"""The log's own tables: leaves, perfect-subtree hashes, signed checkpoints.

All three are append-only in the database: a trigger refuses UPDATE and DELETE.
"""

from __future__ import annotations

from ledger.store.recorders import pg_append_only, sqlite_append_only

TABLES = ("log_leaves", "log_nodes", "log_checkpoints")

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
]

POSTGRES = [
    "CREATE TABLE IF NOT EXISTS log_leaves (idx bigint PRIMARY KEY, "
    "notification_id bigint NOT NULL UNIQUE, leaf bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log_nodes (level smallint NOT NULL, idx bigint NOT NULL, "
    "hash bytea NOT NULL, PRIMARY KEY (level, idx))",
    "CREATE TABLE IF NOT EXISTS log_checkpoints (size bigint PRIMARY KEY, "
    "note text NOT NULL, signed_at timestamptz NOT NULL)",
    *(s for t in TABLES for s in pg_append_only(t)),
]
