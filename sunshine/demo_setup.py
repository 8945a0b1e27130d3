"""Where `sunshine demo` builds: its own directory and an empty database, never the
operator's.

The demo signs some 2,600 entries with keys anyone can derive (``demo.builder.demo_key``).
Whatever SUNSHINE_* variables an operator has set, its log key, sealed-value key, lookup key,
actor keys and files live in the demo's directory (``data/demo``, or the one its
``--data-dir`` names), and it refuses a database that already holds a ledger.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import psycopg

from ledger.store.recorders import NONCES_TABLE
from ledger.store.url import DatabaseURL, parse_database_url
from sunshine.settings import IsolatedSettings, Settings

DEMO_DIR = Path("data/demo")
#: What every page and every pushed notice of the demo says of itself: its county, bodies
#: and companies are invented, and so is what they did.
DEMO_MARKER = "演示数据，纯属虚构"
#: The demo's OCDS prefix (not registered: the county is fictional), as its publisher's.
DEMO_OCID_PREFIX = "ocds-qhx000"
MARKER = ".sunshine-demo"
#: What an earlier demo left in its directory and a fresh demo makes anew.
EARLIER_FILES = (
    "ledger.db",
    "ledger.db-wal",
    "ledger.db-shm",
    "log-key.pem",
    "sealed-key",
    "lookup-key",
    "session-key",
    "witnesses.toml",
)


class DemoRefused(Exception):
    """The demo would write where it must not; nothing was written."""


def demo_settings(data_dir: Path, database_url: str = "") -> Settings:
    """The demo's settings: its directory and database, and every default besides (the
    log key and the other secret files under ``data_dir``), whatever the environment says."""
    return IsolatedSettings(
        data_dir=data_dir,
        database_url=database_url,
        banner=DEMO_MARKER,
        ocid_prefix=DEMO_OCID_PREFIX,
    )


def prepare_demo(data_dir: Path | None, database_url: str | None) -> Settings:
    """Check, then clear, the demo's directory for a fresh demo; its settings.

    Refuses (``DemoRefused``, before writing anything) a directory that holds files the
    demo did not make, and a ``database_url`` that holds a ledger already."""
    directory = data_dir or DEMO_DIR
    marker = directory / MARKER
    if directory.is_dir() and any(directory.iterdir()) and not marker.is_file():
        raise DemoRefused(
            f"{directory} is not empty and was not made by `sunshine demo`; "
            "choose an empty --data-dir"
        )
    if database_url:
        url = parse_database_url(database_url)
        if holds_ledger(url):
            raise DemoRefused(
                f"{url} already holds a ledger: the demo builds its own in an empty "
                "database and never writes into another one (give --db an empty database, "
                "or leave --db out to use a fresh SQLite file in the demo's directory)"
            )
    for name in EARLIER_FILES:
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / "demo-keys", ignore_errors=True)
    shutil.rmtree(directory / "witnesses", ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `sunshine demo`; rebuilt on every run\n", encoding="utf-8")
    return demo_settings(directory, database_url or "")


def forget_operator_environment() -> None:
    """Drop the SUNSHINE_* variables from this process, so that nothing the demo starts (the
    service, its projections, the publisher) reads an operator's setting either."""
    for name in [n for n in os.environ if n.startswith("SUNSHINE_")]:
        del os.environ[name]


def holds_ledger(url: DatabaseURL) -> bool:
    """Whether the database has recorded a command: every one, the genesis first, leaves its
    nonce in the same transaction as its events. Reads only."""
    if url.is_sqlite:
        assert url.path is not None
        if not url.path.is_file() or url.path.stat().st_size == 0:
            return False
        conn = sqlite3.connect(url.path)
        try:
            conn.execute("PRAGMA query_only = ON")
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (NONCES_TABLE,)
            ).fetchone()
            if found is None:
                return False
            return conn.execute(f"SELECT 1 FROM {NONCES_TABLE} LIMIT 1").fetchone() is not None  # noqa: S608
        finally:
            conn.close()
    with psycopg.connect(url.conninfo(), autocommit=True) as pg:
        row = pg.execute("SELECT to_regclass(%s)", (NONCES_TABLE,)).fetchone()
        if row is None or row[0] is None:
            return False
        return pg.execute(f"SELECT 1 FROM {NONCES_TABLE} LIMIT 1").fetchone() is not None  # noqa: S608
