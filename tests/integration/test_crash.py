"""Crash tests: a writer process is killed with SIGKILL mid-stream. After a restart the
integrator catches up, every committed event has exactly one leaf, no leaf stands for
an event that was never committed, `sunshine verify` passes and the log goes on with
dense indices."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from conftest import ROOT, TLS, World, _url, genesis, start_server, sunshine

from ledger import signing
from ledger.application import Ledger, LedgerConfig
from ledger.store.url import DatabaseURL

# Submits RegisterOrganisation commands for ever, printing how many have returned.
WRITER = """
import json, sys
from pathlib import Path
from ledger import signing
from ledger.application import Ledger, LedgerConfig
from ledger.store.url import parse_database_url

url, data_dir, key_file, inline, prefix = sys.argv[1:6]
key = signing.read_key(Path(key_file))
ledger = Ledger(LedgerConfig(database=parse_database_url(url), data_dir=Path(data_dir),
                             inline_integration=inline == "1",
                             leaf_wait_seconds=5.0 if inline == "1" else 0.0))
n = 0
while True:
    command = signing.new_command("RegisterOrganisation", {
        "code": f"{prefix}{n:05d}", "name": f"澄溪县第{n}供应商", "kind": "supplier",
        "region": "澄溪县"}, actor="czj-admin", key=key)
    ledger.submit(json.dumps(signing.sign(command, key)).encode())
    n += 1
    print(n, flush=True)
"""


def setup_ledger(url: DatabaseURL, data_dir: Path) -> tuple[Ledger, World, Path]:
    ledger = Ledger(LedgerConfig(database=url, data_dir=data_dir, inline_integration=True))
    world = World(ledger, genesis(ledger, adopt=False))  # the genesis alone: three leaves
    key_file = data_dir / "admin-key.pem"
    signing.write_key(key_file, world.admin.key)
    return ledger, world, key_file


def run_and_kill(url: DatabaseURL, data_dir: Path, key_file: Path, inline: bool,
                 at_least: int = 40, seconds: float = 1.0, prefix: str = "crash") -> int:
    """Start the writer, SIGKILL it once it has done `at_least` commands and run for
    `seconds`; return the last count it printed before it died."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, _url(url), str(data_dir), str(key_file),
         "1" if inline else "0", prefix],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert process.stdout is not None
    count, started = 0, None
    try:
        # Its own count is the writer's readiness: however slowly a loaded machine runs it,
        # the loop ends when it has done enough or when it dies (the output ends).
        for line in process.stdout:
            count = int(line)
            started = started or time.monotonic()
            if count >= at_least and time.monotonic() - started >= seconds:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    # The writer went on committing while we decided to kill it: what it printed before it
    # died is still in the pipe, and the last of it is how far it surely got.
    for line in process.stdout:
        if line.endswith("\n"):  # a whole line: the print finished before the kill
            count = int(line)
    assert process.returncode == -signal.SIGKILL
    assert count >= at_least, process.stderr.read() if process.stderr else ""
    return count


class Tables:
    def __init__(self, url: DatabaseURL):
        self.pg = not url.is_sqlite
        events, nid = ("ledger_events", "notification_id") if self.pg else ("stored_events",
                                                                            "rowid")
        self.events_sql = f"SELECT {nid} FROM {events} ORDER BY {nid}"
        self.url = url

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg:
            with psycopg.connect(self.url.conninfo()) as conn:
                return list(conn.execute(sql).fetchall())
        with sqlite3.connect(str(self.url.path)) as conn:
            return list(conn.execute(sql).fetchall())

    def event_ids(self) -> list[int]:
        return [int(r[0]) for r in self.query(self.events_sql)]

    def leaves(self) -> list[tuple[int, int]]:
        rows = self.query("SELECT idx, notification_id FROM log_leaves ORDER BY idx")
        return [(int(i), int(n)) for i, n in rows]

    def checkpoint_size(self) -> int:
        rows = self.query("SELECT MAX(size) FROM log_checkpoints")
        return int(rows[0][0])


def assert_one_leaf_per_event(tables: Tables) -> int:
    events, leaves = tables.event_ids(), tables.leaves()
    assert [i for i, _ in leaves] == list(range(len(leaves))), "leaf indices are not dense"
    assert [n for _, n in leaves] == events, "leaves and committed events differ"
    assert tables.checkpoint_size() == len(leaves)
    return len(leaves)


def restart_and_continue(url: DatabaseURL, data_dir: Path, world: World, size: int) -> None:
    """A new ledger process appends after the crash with the next dense indices."""
    ledger = Ledger(LedgerConfig(database=url, data_dir=data_dir, inline_integration=True))
    try:
        world.ledger = ledger
        for n in range(3):
            receipt = world.submit(world.admin, "RegisterOrganisation", {
                "code": f"after{n}", "name": f"重启后第{n}单位", "kind": "supplier",
                "region": "澄溪县"})
            assert [e["leaf_index"] for e in receipt.events] == [size + n]
            assert receipt.size == size + n + 1
    finally:
        ledger.close()


def verify(url: DatabaseURL, data_dir: Path) -> str:
    result = sunshine("verify", "--db", _url(url), data_dir=data_dir, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_writer_killed_mid_stream(db_url: DatabaseURL, tmp_path: Path) -> None:
    """Each command integrates inline, so the kill lands in a command's checks, its
    insert transaction, or the integration that follows it."""
    ledger, world, key_file = setup_ledger(db_url, tmp_path)
    ledger.close()
    tables = Tables(db_url)
    size = 3
    # Three crashes at different moments, each followed by a restart.
    for round_, seconds in enumerate((0.4, 0.7, 1.0)):
        printed = run_and_kill(db_url, tmp_path, key_file, inline=True, at_least=20,
                               seconds=seconds, prefix=f"r{round_}k")
        events = tables.event_ids()
        # Every printed command committed; at most one more did.
        assert size + printed <= len(events) <= size + printed + 1
        leaves = tables.leaves()
        assert {n for _, n in leaves} <= set(events), "a leaf without a committed event"
        assert len(leaves) >= len(events) - 1  # inline: only the last may be pending

        ledger = Ledger(LedgerConfig(database=db_url, data_dir=tmp_path))
        try:
            size = ledger.integrator.integrate()
        finally:
            ledger.close()
        assert size == len(events)
        assert assert_one_leaf_per_event(tables) == size
        assert f"OK: {size} entries" in verify(db_url, tmp_path)

    restart_and_continue(db_url, tmp_path, world, size)
    assert assert_one_leaf_per_event(tables) == size + 3
    verify(db_url, tmp_path)


def test_writer_killed_between_commit_and_integration(db_url: DatabaseURL,
                                                      tmp_path: Path) -> None:
    """No inline integration (PostgreSQL's default, forced on SQLite too): the writer's
    events are committed, the integrator has not run, and the writer dies."""
    ledger, world, key_file = setup_ledger(db_url, tmp_path)
    ledger.close()
    printed = run_and_kill(db_url, tmp_path, key_file, inline=False)

    tables = Tables(db_url)
    events = tables.event_ids()
    assert 3 + printed <= len(events) <= 3 + printed + 1
    assert len(tables.leaves()) == 3  # only genesis made it into the log
    # The log as it stands (genesis only) still verifies; the backlog is not in it yet.
    assert "OK: 3 entries" in verify(db_url, tmp_path)

    result = sunshine("integrate", "--db", _url(db_url), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"log size {len(events)}" in result.stdout
    size = assert_one_leaf_per_event(tables)
    assert size == len(events)
    assert f"OK: {size} entries" in verify(db_url, tmp_path)

    restart_and_continue(db_url, tmp_path, world, size)
    assert assert_one_leaf_per_event(tables) == size + 3


def test_pending_events_get_their_leaves_when_the_service_starts(db_url: DatabaseURL,
                                                                 tmp_path: Path) -> None:
    """Events committed by a process that never integrated them (it died, or ran without
    inline integration): `sunshine verify` names them as pending, and `sunshine serve`
    appends them before it answers, without any new command."""
    ledger, world, _ = setup_ledger(db_url, tmp_path)
    ledger.close()
    writer = Ledger(LedgerConfig(database=db_url, data_dir=tmp_path, inline_integration=False,
                                 leaf_wait_seconds=0.0))
    try:
        world.ledger = writer
        for n in range(4):
            receipt = world.submit(world.admin, "RegisterOrganisation", {
                "code": f"pending{n}", "name": f"未入账第{n}单位", "kind": "supplier",
                "region": "澄溪县"})
            assert receipt.checkpoint is None  # committed, no leaf
    finally:
        writer.close()
    tables = Tables(db_url)
    events = tables.event_ids()
    assert len(events) == 7 and len(tables.leaves()) == 3

    before = verify(db_url, tmp_path)  # the log as it stands still verifies
    assert "OK: 3 entries" in before
    shown = ", ".join(str(n) for n in events[3:])
    assert f"WARNING: 4 stored events have no leaf yet (notifications {shown}; " in before

    server = start_server(db_url, tmp_path)
    try:
        # Answering is the signal: the service integrates before it serves.
        checkpoint = httpx.get(server.url + "/log/checkpoint", timeout=10, verify=TLS).text
        assert checkpoint.split("\n")[1] == "7"
        last = httpx.get(server.url + "/log/entries/6", timeout=10, verify=TLS)
        assert last.status_code == 200 and "未入账第3单位" in last.text
    finally:
        server.stop()
    assert assert_one_leaf_per_event(tables) == 7
    after = verify(db_url, tmp_path)
    assert "OK: 7 entries" in after and "WARNING" not in after
