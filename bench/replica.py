"""Scale-out on PostgreSQL: commands on a primary, pages from a streaming replica.

Two PostgreSQL clusters made on this machine for the run (``tests/replication.py``:
``initdb``, ``pg_basebackup -R``, a hot standby streaming the primary's WAL), the demo year
loaded and projected on the primary (setup, not measured), then:

1. ``sunshine serve --workers N --db <primary>``: the API processes, taking commands (each
   runs the integrator loop and the projector; the advisory locks let one do each at a time).
2. ``sunshine serve --workers 2 --read-url <replica>``: a read-only page server on the
   replica alone.
3. Pages, quiet (baseline in the same run): ``wrk -c32 -t2 -d10s`` on the list, a notice
   and a search, from the primary's server and the same page from the replica's, in the
   order primary, replica, replica, primary (the load drifts: each side is the mean of an
   early and a late run); and each page one request at a time (median of 20).
4. Under writes: ``--writers`` client threads post signed ``RegisterOrganisation``
   commands to the primary's API as fast as it answers, while wrk loads the replica's list
   page. Two watchers poll the newest log leaf (``log_leaves``) every 2 ms, one on the
   primary and one on the replica: a leaf's replica lag is the time between its first
   sighting on the primary (its commit) and on the replica. The projection's position on
   the replica gives the lag until the replica's pages show it (the primary's projector
   applies it, and that commit streams too); the position on the primary gives the primary's
   projector's share of it. p50 and p99 over every leaf written.

The machine has 2 cores shared by both clusters, every server process, wrk and the writers:
figures are what one small machine does, with the load average beside each.

    .venv/bin/python -m bench.replica [--copies 1] [--api-workers 2] [--writers 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from bench.common import (
    ROOT,
    Admin,
    Result,
    log,
    percentiles,
    scratch_dir,
    timed,
    write_results,
)
from bench.pages import Load, free_port, running, tool, wrk

# The clusters are made by the tests' helper (tests/ is not a package).
sys.path.insert(0, str(ROOT / "tests"))
from replication import StreamingPair, missing_programs, streaming_pair

LAG_P99_S = 1.0  # target: a replica's page shows a commit within a second (p99)
QUERY = "医院"
POLL_S = 0.002


def serve(args: list[str], data: Path, port: int, workers: int, logs: Path,
          what: str) -> Any:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SUNSHINE_DATABASE_URL", "SUNSHINE_READ_DATABASE_URL")}
    env["SUNSHINE_DATA_DIR"] = str(data)
    command = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port),
               "--workers", str(workers), *args]
    # Several workers each bootstrap on a loaded machine: a generous wait for the first answer.
    return running(command, f"http://127.0.0.1:{port}/log/key", what, env=env, log_file=logs,
                   seconds=600)


def build(pair: StreamingPair, data: Path, copies: int) -> tuple[int, float]:
    """The demo year on the primary, projected; the log's size and the seconds it took."""
    from demo.builder import DemoBuilder
    from ledger.application import Ledger, LedgerConfig
    from sunshine.bootstrap import projector_for

    started = time.perf_counter()
    ledger = Ledger(LedgerConfig(database=pair.primary, data_dir=data, inline_integration=True))
    try:
        summary = DemoBuilder(ledger, data / "demo-keys", copies=copies).build()
        projector = projector_for(ledger)
        projector.setup()
        projector.catch_up()
    finally:
        ledger.close()
    return summary.size, time.perf_counter() - started


@dataclass
class Watcher:
    """Polls one database for the newest leaf (and the public projection's position),
    noting when each leaf index and each position was first seen."""

    conninfo: str
    leaf_seen: dict[int, float] = field(default_factory=dict)
    projected_seen: dict[int, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    newest: int = -1  # the newest leaf when the watch began: what came before is not timed
    ready: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            newest, projected = self._poll(conn)
            self.newest = newest
            self.ready.set()
            while not self.stop.is_set():
                time.sleep(POLL_S)
                leaf, position = self._poll(conn)
                now = time.monotonic()
                for index in range(newest + 1, leaf + 1):
                    self.leaf_seen[index] = now
                for index in range(projected, position):
                    self.projected_seen[index] = now
                newest, projected = max(newest, leaf), max(projected, position)

    @staticmethod
    def _poll(conn: psycopg.Connection[tuple[Any, ...]]) -> tuple[int, int]:
        row = conn.execute(
            "SELECT (SELECT coalesce(max(idx), -1) FROM log_leaves), "
            "(SELECT position FROM projection_positions WHERE name = 'public')"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1] or 0)


@contextmanager
def watching(conninfo: str) -> Iterator[Watcher]:
    watcher = Watcher(conninfo)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    watcher.ready.wait()
    try:
        yield watcher
    finally:
        watcher.stop.set()
        thread.join(timeout=10)


def write_commands(url: str, admin: Admin, writers: int, stop: threading.Event,
                   done: list[int], refused: list[str]) -> list[threading.Thread]:
    import httpx

    def writer(number: int) -> None:
        tag = f"rp{number}-{os.getpid()}-{int(time.time())}"
        with httpx.Client(base_url=url, timeout=60) as client:
            i = 0
            while not stop.is_set():
                body = admin.body("RegisterOrganisation", {
                    "code": f"{tag}-{i}", "name": f"复制延迟测量单位 {tag}-{i}",
                    "kind": "purchaser", "region": "澄溪县"})  # fmt: skip
                answer = client.post("/commands", content=body)
                if answer.status_code in (201, 202):
                    done[number] += 1
                else:
                    refused.append(f"{answer.status_code} {answer.text[:200]}")
                i += 1

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
    for thread in threads:
        thread.start()
    return threads


def sequential_ms(url: str, count: int = 20) -> float:
    """The median of ``count`` requests one at a time (after one to warm up), in ms."""
    import httpx

    with httpx.Client(timeout=60) as client:
        client.get(url).raise_for_status()
        times = [timed(lambda: client.get(url)) for _ in range(count)]
    return round(sorted(times)[count // 2], 2)


def mean_load(a: Load, b: Load) -> Load:
    """Two runs of the same page as one: mean rate and percentiles, summed counts."""
    return Load(rps=(a.rps + b.rps) / 2, p50=(a.p50 + b.p50) / 2, p90=(a.p90 + b.p90) / 2,
                p99=(a.p99 + b.p99) / 2, requests=a.requests + b.requests,
                errors=a.errors + b.errors,
                load_average=round((a.load_average + b.load_average) / 2, 2))


def lags(primary: Watcher, replica: dict[int, float]) -> list[float]:
    return [replica[i] - seen for i, seen in primary.leaf_seen.items() if i in replica]


def under_writes(pair: StreamingPair, api: str, page: str, writers: int,
                 seconds: int) -> tuple[Load, dict[str, Any], list[float], list[float]]:
    """Writers on the primary's API while wrk loads the replica's page; the lags."""
    from demo.builder import ADMIN, demo_key

    admin = Admin(ADMIN, demo_key(ADMIN))
    stop = threading.Event()
    done, refused = [0] * writers, list[str]()
    with watching(pair.primary.conninfo()) as on_primary, \
            watching(pair.replica.conninfo()) as on_replica:
        started = time.monotonic()
        threads = write_commands(api, admin, writers, stop, done, refused)
        try:
            load = wrk(page, seconds=seconds)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        elapsed = time.monotonic() - started
        pair.wait_replayed()
        # The projector's last batch and its replay: wait until the replica shows it.
        last = max(on_primary.leaf_seen, default=-1)
        while last >= 0 and last not in on_replica.projected_seen:
            time.sleep(POLL_S)
    if refused:
        raise RuntimeError(f"{len(refused)} commands refused, first: {refused[0]}")
    written: dict[str, Any] = {"commands": sum(done),
                               "commands_per_s": round(sum(done) / elapsed, 1),
                               "writers": writers, "seconds": round(elapsed, 1)}
    leaf = lags(on_primary, on_replica.leaf_seen)
    projected = lags(on_primary, on_replica.projected_seen)
    # where the page lag goes: the primary's projector, then the projection's replay
    written["primary_projection_lag_s"] = {
        k: round(v, 4) for k, v in percentiles(lags(on_primary, on_primary.projected_seen)).items()
    }
    return load, written, leaf, projected


def run(copies: int, api_workers: int, page_workers: int, writers: int,
        seconds: int) -> list[Result]:
    results: list[Result] = []
    with scratch_dir("replica") as scratch, streaming_pair() as pair:
        data = scratch / "data"
        data.mkdir()
        log("building the demo year on the primary")
        size, build_seconds = build(pair, data, copies)
        log(f"{size} leaves in {build_seconds:.1f} s")
        api_port, replica_port = free_port(), free_port()
        primary_url = pair.url(pair.primary)
        with serve(["--db", primary_url], data, api_port, api_workers, scratch / "api.log",
                   "the primary's API"), \
                serve(["--read-url", pair.url(pair.replica)], data, replica_port, page_workers,
                      scratch / "replica.log", "the replica's page server"):
            import httpx

            api, pages = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{replica_port}"
            listing = httpx.get(api + "/announcements", timeout=60).text
            notice = listing.split('href="/announcements/', 1)[1].split('"', 1)[0]
            pair.wait_replayed()
            for name, path in (("list", "/announcements"),
                               ("notice", f"/announcements/{notice}"),
                               ("search", "/announcements?q=" + quote(QUERY))):
                alone = {"primary_ms": sequential_ms(api + path),
                         "replica_ms": sequential_ms(pages + path)}
                # ABBA: the machine's load drifts; each side gets an early and a late run.
                first, second = wrk(api + path, seconds=seconds), wrk(pages + path, seconds=seconds)
                third, fourth = wrk(pages + path, seconds=seconds), wrk(api + path, seconds=seconds)
                on_primary, on_replica = mean_load(first, fourth), mean_load(second, third)
                results.append(Result(
                    f"replica_{name}_rps", f"{name} page from the replica (wrk -c32)",
                    "information: beside the primary's", on_replica.rps, "req/s",
                    on_primary.rps, f"primary, {api_workers} API processes",
                    on_replica.rps / on_primary.rps, None,
                    {"path": path, "replica": on_replica.details(),
                     "primary": on_primary.details(), "page_workers": page_workers,
                     "one_request_at_a_time_median": alone,
                     "runs_rps": [first.rps, second.rps, third.rps, fourth.rps],
                     "api_workers": api_workers},
                ))
            log(f"{writers} writers on the primary's API, wrk on the replica's list")
            load, written, leaf, projected = under_writes(
                pair, api, pages + "/announcements", writers, seconds)
            leaf_s, shown_s = percentiles(leaf), percentiles(projected)
            details = {
                "written": written, "leaves_measured": len(leaf),
                "replica_lag_s": {k: round(v, 4) for k, v in leaf_s.items()},
                "page_lag_s": {k: round(v, 4) for k, v in shown_s.items()},
                "replica_list_under_writes": load.details(), "poll_s": POLL_S,
                "log_size_before": size, "demo_copies": copies,
                "build_seconds": round(build_seconds, 1),
            }
            results.append(Result(
                "replica_lag_p99", "replica lag, commit on primary to visible on replica, p99",
                f"< {LAG_P99_S:g} s", leaf_s["p99"], "s", None, "", None,
                leaf_s["p99"] < LAG_P99_S, details | {"p50_s": round(leaf_s["p50"], 4)},
            ))
            results.append(Result(
                "replica_page_lag_p99",
                "commit on primary to shown on the replica's pages (projected, replayed), p99",
                f"< {LAG_P99_S:g} s", shown_s["p99"], "s", None, "", None,
                shown_s["p99"] < LAG_P99_S, {"p50_s": round(shown_s["p50"], 4)},
            ))
            results.append(Result(
                "replica_commands_per_s",
                f"commands/s on the primary ({api_workers} API processes) while the replica "
                "serves pages", "information", written["commands_per_s"], "commands/s",
                None, "", None, None, written | {"replica_list": load.details()},
            ))
    return results


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--copies", type=int, default=1, help="demo catalogues to load")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--page-workers", type=int, default=2)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    problems = missing_programs() + ([] if tool("wrk") else ["wrk (apt-get install wrk)"])
    if problems:
        raise SystemExit(f"bench.replica needs PostgreSQL's server programs and wrk: {problems}")
    started = time.perf_counter()
    results = run(args.copies, args.api_workers, args.page_workers, args.writers, args.seconds)
    write_results("replica", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
