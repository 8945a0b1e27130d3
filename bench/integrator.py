"""Integrator throughput, and on PostgreSQL the delay from a command's return to its leaf.

1. SQLite: store N signed events first (RegisterOrganisation by the administrator, written in
   bulk through the ledger's own event store), then time `ledger.integrator.integrate()` from
   an empty log to N leaves. Target >= 100,000 leaves/s (a province's 1.5 million entries in
   15 s). Beside it, in the same run, the
   floor the integrator cannot beat: reading the same notifications from the event store,
   hashing the leaves and inserting rows — so the ratio says how much of the time is ours.
2. PostgreSQL, information: the same on a smaller N.
3. PostgreSQL integrator delay: `Ledger.submit` with inline integration off and
   `sunshine.app.background_integrator` running (as each `sunshine serve` worker does on
   PostgreSQL); the time from submit returning to its leaf being readable, p50/p99.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from typing import Any

from bench.common import (
    Result,
    bulk_register,
    do_genesis,
    log,
    open_ledger,
    organisation_bodies,
    percentiles,
    pg_database,
    postgres_problem,
    scratch_dir,
    write_results,
)

TARGET = 100_000


def fill(ledger: Any, n: int) -> Any:
    admin = do_genesis(ledger)
    bulk_register(ledger, admin, "org", n - 3, chunk=500)  # genesis is three events
    return admin


def floor_rate(ledger: Any, n: int) -> float:
    """Read every notification, hash a leaf of the same size, insert leaf rows: no tree
    bookkeeping, no checkpoint — what any integrator on this store must at least do."""
    import sqlite3

    path = ledger.config.database.path
    con = sqlite3.connect(path.parent / "floor.db", isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS f (idx INTEGER PRIMARY KEY, nid INTEGER, "
                "leaf BLOB)")
    started = time.perf_counter()
    position, count = 0, 0
    while True:
        batch = ledger.events.recorder.select_notifications(
            start=position, limit=2000, inclusive_of_start=False)
        if not batch:
            break
        rows = []
        for notification in batch:
            leaf = bytes(notification.state)
            hashlib.sha256(b"\x00" + leaf).digest()
            rows.append((count, notification.id, leaf))
            count += 1
        con.execute("BEGIN")
        con.executemany("INSERT INTO f VALUES (?, ?, ?)", rows)
        con.execute("COMMIT")
        position = batch[-1].id
    elapsed = time.perf_counter() - started
    con.close()
    assert count == n, (count, n)
    return n / elapsed


def time_integrate(ledger: Any, n: int) -> tuple[float, float]:
    started = time.perf_counter()
    size = ledger.integrator.integrate()
    elapsed = time.perf_counter() - started
    assert size == n, f"integrated {size}, expected {n}"
    return n / elapsed, elapsed


def bench_sqlite(n: int) -> list[Result]:
    from ledger.store.url import parse_database_url

    with scratch_dir("integrator") as d:
        ledger = open_ledger(parse_database_url(f"sqlite:///{d / 'ledger.db'}"), d,
                             inline_integration=False)
        try:
            started = time.perf_counter()
            fill(ledger, n)
            log(f"sqlite: stored {n:,} events in {time.perf_counter() - started:.1f}s")
            floor = floor_rate(ledger, n)
            rate, elapsed = time_integrate(ledger, n)
            log(f"sqlite: integrated {n:,} leaves in {elapsed:.2f}s; floor {floor:,.0f}/s")
        finally:
            ledger.close()
    return [Result("integrator_sqlite", f"integrator, SQLite, 0→{n:,}", f"≥ {TARGET:,} leaves/s",
                  rate, "leaves/s", floor, "read+hash+insert floor", rate / floor,
                  rate >= TARGET, {"n": n, "seconds": round(elapsed, 3),
                                   "batch_size": 2000})]


def bench_postgres(n: int, delays: int) -> list[Result]:
    problem = postgres_problem()
    if problem is not None:
        return [Result("integrator_postgres", "integrator, PostgreSQL", "information", 0.0,
                       "leaves/s", None, "", None, None,
                       {"skipped": f"PostgreSQL unavailable: {problem}"})]
    results = []
    with pg_database("integrator") as url, scratch_dir("integrator-pg") as d:
        ledger = open_ledger(url, d, inline_integration=False, leaf_wait_seconds=0)
        try:
            started = time.perf_counter()
            admin = fill(ledger, n)
            log(f"postgres: stored {n:,} events in {time.perf_counter() - started:.1f}s")
            rate, elapsed = time_integrate(ledger, n)
            log(f"postgres: integrated {n:,} leaves in {elapsed:.2f}s")
            results.append(Result(
                "integrator_postgres", f"integrator, PostgreSQL, 0→{n:,}", "information", rate,
                "leaves/s", None, "", None, None, {"n": n, "seconds": round(elapsed, 3)}))
            results.append(integration_delay(ledger, admin, delays))
        finally:
            ledger.close()
    return results


def integration_delay(ledger: Any, admin: Any, count: int) -> Result:
    """submit() returns → its leaf is in log_leaves, with the background integrator."""
    from sunshine.app import background_integrator

    bodies = organisation_bodies(admin, "delay", count)
    idle = 0.02  # as `sunshine serve` runs it
    loop = background_integrator(ledger, idle)
    loop.start()
    rng = random.Random(7)
    samples = []
    try:
        recorder = ledger.events.recorder
        for body in bodies:
            ledger.submit(body)
            returned = time.perf_counter()
            nid = recorder.max_notification_id()  # one writer: this command's event
            while True:
                with ledger.db.read() as cur:
                    row = cur.execute("SELECT 1 FROM log_leaves WHERE notification_id = ?",
                                      (nid,)).fetchone()
                if row is not None:
                    break
                time.sleep(0.0005)
            samples.append((time.perf_counter() - returned) * 1000)
            time.sleep(rng.uniform(0, 0.01))  # commands arrive at irregular moments
    finally:
        loop.stop()
    stats = percentiles(samples)
    log(f"postgres delay: p50 {stats['p50']:.1f} ms, p99 {stats['p99']:.1f} ms")
    return Result("integrator_delay_postgres", "integrator delay, PostgreSQL (submit→leaf)",
                  "information (bounded)", stats["p99"], "ms p99", None, "", None, None,
                  {"commands": count, **{k: round(v, 2) for k, v in stats.items()},
                   "idle_seconds": idle,
                   "how": "background_integrator thread in the submitting process; delay polled "
                          "every 0.5 ms on a separate connection"})


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.integrator")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--pg-n", type=int, default=20_000)
    parser.add_argument("--delays", type=int, default=400)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [*bench_sqlite(args.n), *bench_postgres(args.pg_n, args.delays)]
    write_results("integrator", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
