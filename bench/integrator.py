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
import sqlite3
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
from bench.profiling import Part, ThreadProfiles, breakdown, table, top_functions, write_profile

TARGET = 100_000


def fill(ledger: Any, n: int) -> Any:
    admin = do_genesis(ledger)
    bulk_register(ledger, admin, "org", n - 3, chunk=500)  # genesis is three events
    return admin


def floor_rate(ledger: Any, n: int) -> float:
    """Read every notification, hash a leaf of the same size, insert leaf rows: no tree
    bookkeeping, no checkpoint — what any integrator on this store must at least do."""
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


# Where the integrator's CPU goes, in parts that do not overlap (``bench.profiling``).
APPEND = "the integrator's own work per leaf (positions, rows, the batch's loop)"
INTEGRATOR_PARTS = (
    Part("reading the stored events (rows, UUIDs)", [("", "select_notifications")]),
    Part("assembling the leaves (the event's JSON, the canonical leaf)",
         [("ledger/log/leaf.py", "parts_of"), ("ledger/log/leaf.py", "encode")]),
    Part("hashing the leaves and the tree's nodes",
         [("ledger/log/merkle.py", "leaf_hash"), ("ledger/log/merkle.py", "append")]),
    Part("inserting leaf and node rows",
         [("~", "<method 'executemany' of 'sqlite3.Cursor' objects>")]),
    Part("signing the checkpoints", [("ledger/log/signer.py", "sign")]),
    Part("the transactions' commits",
         [("~", "<method 'commit' of 'sqlite3.Connection' objects>"),
          ("~", "<method 'execute' of 'sqlite3.Connection' objects>")]),
)  # fmt: skip


def profile_sqlite(n: int) -> None:
    """bench/results/integrator_profile.txt: the integrator's rate and its floor's, unprofiled,
    then one profiled integration from an empty log to n leaves, in parts, per leaf."""
    from ledger.store.url import parse_database_url

    with scratch_dir("integrator-profile") as d:
        ledger = open_ledger(parse_database_url(f"sqlite:///{d / 'ledger.db'}"), d,
                             inline_integration=False)
        try:
            fill(ledger, n)
            with sqlite3.connect(d / "ledger.db") as source, \
                    sqlite3.connect(d / "copy.db") as copy:  # the same events, no leaves yet
                source.backup(copy)
            floor = floor_rate(ledger, n)
            cpu = time.process_time()
            rate, _ = time_integrate(ledger, n)
            cpu = (time.process_time() - cpu) / n
        finally:
            ledger.close()
        again = open_ledger(parse_database_url(f"sqlite:///{d / 'copy.db'}"), d,
                            inline_integration=False)
        try:
            profiles = ThreadProfiles()
            with profiles.this_thread():
                again.integrator.integrate()
            stats = profiles.stop()
        finally:
            again.close()
    parts = breakdown(stats, [("ledger/log/integrator.py", "integrate")], INTEGRATOR_PARTS)
    floor_us, our_us = 1e6 / floor, 1e6 / rate
    write_profile("integrator_profile", "Integrator, SQLite: where the time goes", [
        ("Unprofiled, the same run", (
            f"integrator {rate:,.0f} leaves/s ({our_us:.1f} µs a leaf, {1e6 * cpu:.1f} µs of "
            f"it CPU); its floor (read the same events, hash a leaf, insert one row each, no "
            f"tree, no checkpoint) {floor:,.0f} leaves/s ({floor_us:.1f} µs a leaf). The "
            f"target, 100,000 leaves/s, leaves 10 µs a leaf for everything; the floor alone "
            f"takes {floor_us:.1f} here ({floor_us / 10:.2f}x the target's time), before the "
            f"leaf itself, the tree and the node rows")),
        (f"One profiled integration of {n:,} leaves: CPU in parts",
         table(parts, n, "leaf")),
        ("Top functions (cumulative CPU)", top_functions(stats, 30)),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.integrator")
    parser.add_argument("--profile", action="store_true",
                        help="only bench/results/integrator_profile.txt, at --n leaves")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--pg-n", type=int, default=20_000)
    parser.add_argument("--delays", type=int, default=400)
    args = parser.parse_args(argv)
    if args.profile:
        profile_sqlite(args.n)
        return []
    started = time.perf_counter()
    results = [*bench_sqlite(args.n), *bench_postgres(args.pg_n, args.delays)]
    write_results("integrator", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
