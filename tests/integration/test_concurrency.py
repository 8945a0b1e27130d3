"""PostgreSQL: four `sunshine serve` processes take 500 signed commands each at the same
time, on one database, and the log ends with exactly 2,000 more dense leaves, one per
stored event, that `sunshine verify` accepts."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import TLS, Actor, Server, World, _url, eventually, genesis, start_server, sunshine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger, LedgerConfig
from ledger.store.url import DatabaseURL

pytestmark = pytest.mark.postgres

WRITERS = 4
PER_WRITER = 500
CLIENT_THREADS = 3  # per server: requests in flight at once on each writer


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.indices: list[int] = []


def post_commands(server: Server, clerk: Actor, codes: list[str], results: Results) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for code in codes:
            body = clerk.body("RegisterOrganisation", {
                "code": code, "name": f"澄溪县{code}医疗器械有限公司", "kind": "supplier",
                "region": "澄溪县",
            })
            started = time.monotonic()
            try:
                response = client.post("/commands", content=body,
                                       headers={"content-type": "application/json"})
            except httpx.HTTPError as exc:
                with results.lock:
                    results.errors.append(f"{code}: {exc!r}")
                continue
            elapsed = time.monotonic() - started
            with results.lock:
                results.statuses[response.status_code] += 1
                results.latencies.append(elapsed)
                if response.status_code not in (201, 202):
                    results.errors.append(f"{code}: {response.status_code} {response.text}")
                else:
                    results.indices.extend(e["leaf_index"] for e in response.json()["events"]
                                           if "leaf_index" in e)


def test_four_writers_two_thousand_commands(pg_url: DatabaseURL, tmp_path: Path) -> None:
    # Setup in-process: genesis, and a clerk of the finance office with a key of its own.
    ledger = Ledger(LedgerConfig(database=pg_url, data_dir=tmp_path, inline_integration=True))
    try:
        world = World(ledger, genesis(ledger))
        world.submit(world.admin, "RegisterActor", {"code": "czj-clerk", "organisation": "czj",
                                                    "role": "finance_office", "name": "钱多多"})
        clerk = Actor("czj-clerk", "czj", "finance_office", Ed25519PrivateKey.generate())
        receipt = world.submit(world.admin, "RegisterKey",
                               {"actor": "czj-clerk", "public_key": signing.public_b64(clerk.key)})
        setup_size = receipt.size
        assert setup_size == 7  # genesis 3, the statutes 2, the clerk and its key
    finally:
        ledger.close()

    servers: list[Server] = []
    try:
        for _ in range(WRITERS):
            servers.append(start_server(pg_url, tmp_path))
        results = Results()
        threads = []
        for w, server in enumerate(servers):
            codes = [f"w{w}c{n:03d}" for n in range(PER_WRITER)]
            for t in range(CLIENT_THREADS):
                thread = threading.Thread(
                    target=post_commands,
                    args=(server, clerk, codes[t::CLIENT_THREADS], results),
                )
                threads.append(thread)
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert results.errors == [], results.errors[:5]
        total = WRITERS * PER_WRITER
        assert sum(results.statuses.values()) == total
        latencies = sorted(results.latencies)
        print(f"\n{total} commands through {WRITERS} servers in {elapsed:.1f} s "
              f"({total / elapsed:.0f}/s); statuses {dict(results.statuses)}; "
              f"latency p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms")

        # Every leaf the servers answered with is distinct.
        assert len(results.indices) == len(set(results.indices))
        # Wait for the background integrators to reach the last event (202s, if any).
        expected = setup_size + total

        def checkpoint_size() -> int:
            note = httpx.get(servers[0].url + "/log/checkpoint", timeout=60, verify=TLS).text
            return int(note.split("\n")[1])

        eventually(lambda: checkpoint_size() >= expected, *(s.process for s in servers))
        assert checkpoint_size() == expected
    finally:
        for server in servers:
            server.stop()

    with psycopg.connect(pg_url.conninfo()) as conn:
        count, top, distinct_nids = conn.execute(
            "SELECT COUNT(*), MAX(idx), COUNT(DISTINCT notification_id) FROM log_leaves"
        ).fetchone() or (0, 0, 0)
        assert count == expected
        assert top == expected - 1  # dense: 0..n-1, no gaps, no duplicates
        assert distinct_nids == expected
        (events,) = conn.execute("SELECT COUNT(*) FROM ledger_events").fetchone() or (0,)
        assert events == expected
        (unmatched,) = conn.execute(
            "SELECT COUNT(*) FROM ledger_events e "
            "FULL JOIN log_leaves l ON l.notification_id = e.notification_id "
            "WHERE l.idx IS NULL OR e.notification_id IS NULL"
        ).fetchone() or (1,)
        assert unmatched == 0  # every event has exactly one leaf, every leaf its event
        # Leaves follow the notification log's order.
        (out_of_order,) = conn.execute(
            "SELECT COUNT(*) FROM (SELECT notification_id, "
            "LAG(notification_id) OVER (ORDER BY idx) AS before FROM log_leaves) s "
            "WHERE before >= notification_id"
        ).fetchone() or (1,)
        assert out_of_order == 0
        signed_at = [r[0] for r in conn.execute(
            "SELECT size FROM log_checkpoints ORDER BY size")]
        assert signed_at == sorted(set(signed_at)) and signed_at[-1] == expected
        orgs = conn.execute(
            "SELECT COUNT(*) FROM ledger_events WHERE topic LIKE %s",
            ("%Organisation.Registered",),
        ).fetchone()
        assert orgs is not None and orgs[0] == total + 1  # and the finance office itself
        # Integrator delay: from an event's recorded_at to the first checkpoint covering it.
        delays = conn.execute(
            "SELECT EXTRACT(EPOCH FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY d)), "
            "EXTRACT(EPOCH FROM MAX(d)) FROM (SELECT c.signed_at - "
            "(convert_from(l.leaf, 'UTF8')::json->>'recorded_at')::timestamptz AS d "
            "FROM log_leaves l CROSS JOIN LATERAL (SELECT signed_at FROM log_checkpoints "
            "WHERE size > l.idx ORDER BY size LIMIT 1) c WHERE l.idx >= %s) s",
            (setup_size,),
        ).fetchone()
        assert delays is not None
        p50, worst = float(delays[0]), float(delays[1])
        print(f"integrator delay (recorded_at -> covering checkpoint): p50 {p50 * 1000:.0f} ms, "
              f"max {worst * 1000:.0f} ms")
        assert worst < 5.0  # within the response's leaf wait

    result = sunshine("verify", "--db", _url(pg_url), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {expected} entries" in result.stdout
    print(json.dumps({"verify": result.stdout.splitlines()[0]}, ensure_ascii=False))


@pytest.mark.postgres
def test_processes_starting_together_on_a_fresh_database_all_start(
    pg_url: DatabaseURL, tmp_path: Path
) -> None:
    """Four ledgers created at the same instant on an empty PostgreSQL database: one creates
    the tables, the others wait for it and find them (no collision in the catalogue)."""
    errors: list[str] = []
    ready = threading.Barrier(4)

    def start() -> None:
        try:
            ready.wait()
            Ledger(LedgerConfig(database=pg_url, data_dir=tmp_path)).close()
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ledger = Ledger(LedgerConfig(database=pg_url, data_dir=tmp_path))
    try:
        genesis(ledger, adopt=False)
        assert ledger.integrator.integrate() == 3
    finally:
        ledger.close()
