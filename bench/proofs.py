"""Inclusion and consistency proofs at 1,000,000 leaves through the HTTP endpoints.

Building a million real signed events takes too long, so the log tables are built
directly: a SQLite file with the log schema, log_leaves and log_nodes filled by
`CompactRange.append` over synthetic leaf bytes (batch inserts), one checkpoint signed by
`LogSigner`. A real `sunshine serve` process (uvicorn, one worker) then serves it; the
event-store tables are created by the Ledger when the server starts.

A client (httpx, one keep-alive connection, sequential) sends 2,000 requests of random
index/size (inclusion) and old/size (consistency). Beside them, in the same run: the same
client against GET /log/key (fixed bytes from the same app: the HTTP floor, i.e. the
client and framework overhead) and the proofs computed in-process by `LogReader` (the
database and Merkle part alone). Targets: p99 < 5 ms for each proof endpoint.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT, Result, log, percentiles, scratch_dir, write_results

TARGET_MS = 5.0


def build_log(path: Path, data_dir: Path, n: int) -> str:
    """A SQLite file holding a log of n synthetic leaves; returns the checkpoint note."""
    from datetime import UTC, datetime

    from ledger.log.merkle import CompactRange, leaf_hash
    from ledger.log.schema import SQLITE
    from ledger.log.signer import LogSigner, load_or_create_key

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # a throwaway file: build speed only
    for statement in SQLITE:
        con.execute(statement)
    tree = CompactRange()
    batch = 20_000
    for start in range(0, n, batch):
        leaves = []
        nodes: list[tuple[int, int, bytes]] = []
        for index in range(start, min(n, start + batch)):
            leaf = (f'{{"index":{index},"synthetic":"bench leaf {index:010d} '
                    f'{"y" * 40}"}}').encode()
            leaves.append((index, index + 1, leaf))
            nodes.extend((level, idx, h) for (level, idx), h in tree.append(leaf_hash(leaf)))
        con.execute("BEGIN")
        con.executemany("INSERT INTO log_leaves (idx, notification_id, leaf) VALUES (?, ?, ?)",
                        leaves)
        con.executemany("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        con.execute("COMMIT")
    signer = LogSigner("sunshine-ledger.localhost/log",
                       load_or_create_key(data_dir / "log-key.pem"))
    note = signer.sign(tree.size, tree.root())
    con.execute("INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)",
                (tree.size, note, datetime.now(UTC).isoformat()))
    con.close()
    return note


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, data_dir: Path,
                 module: str = "sunshine.cli") -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data_dir),
               SUNSHINE_DATABASE_URL=f"sqlite:///{db}")
    process = subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{module} serve exited with {process.returncode}")
        try:
            httpx.get(url + "/log/key", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{module} serve did not answer within 60 s")


def timed(calls: Sequence[Callable[[], Any]], budget: float = float("inf")) -> list[float]:
    """Milliseconds per call, sequentially; stops early once `budget` seconds are spent."""
    samples = []
    deadline = time.perf_counter() + budget
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        if started > deadline:
            break
    return samples


def check_served_proofs(client: Any, note: str, n: int, rng: random.Random) -> None:
    """The endpoints must serve proofs that verify against the signed root."""
    import base64

    from ledger.log.merkle import verify_inclusion

    root = base64.b64decode(note.split("\n")[2])
    for index in [0, n - 1, *(rng.randrange(n) for _ in range(5))]:
        body = client.get("/log/proof/inclusion", params={"index": index, "size": n}).json()
        verify_inclusion(base64.b64decode(body["leaf_hash"]), index, n,
                         [base64.b64decode(p) for p in body["proof"]], root)


Params = list[dict[str, int]]


def over_http(db: Path, d: Path, note: str, n: int, inclusion: Params, consistency: Params,
              budget: float, module: str) -> dict[str, list[float]]:
    """Latencies (ms) of the three endpoints, interleaved in slices of 250 requests."""
    import httpx

    process, url = start_server(db, d, module)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            def get(path: str, params: dict[str, int] | None = None) -> Callable[[], Any]:
                def call() -> Any:
                    response = client.get(path, params=params)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path} {params}: {response.status_code} "
                                           f"{response.text[:200]}")
                    return response
                return call

            check_served_proofs(client, note, n, random.Random(1))
            calls = {
                "inclusion": [get("/log/proof/inclusion", p) for p in inclusion],
                "consistency": [get("/log/proof/consistency", p) for p in consistency],
                "floor": [get("/log/key") for _ in inclusion],
            }
            for kind_calls in calls.values():  # warm-up
                timed(kind_calls[:20], budget / 20)
            out: dict[str, list[float]] = {k: [] for k in calls}
            spent = dict.fromkeys(calls, 0.0)
            step = 250
            for s in range(0, len(inclusion), step):
                for kind, kind_calls in calls.items():
                    left = budget - spent[kind]
                    if left <= 0:
                        continue
                    started = time.perf_counter()
                    out[kind] += timed(kind_calls[s:s + step], left)
                    spent[kind] += time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
    return out


def in_process(db: Path, inclusion: Params, consistency: Params,
               budget: float) -> dict[str, list[float]]:
    from ledger.log.reader import LogReader
    from ledger.store.sql import SQLiteDatabase
    from ledger.store.url import parse_database_url

    reader = LogReader(SQLiteDatabase(parse_database_url(f"sqlite:///{db}")))

    def prove_inclusion(p: dict[str, int]) -> Callable[[], object]:
        return lambda: reader.inclusion(p["index"], p["size"])

    def prove_consistency(p: dict[str, int]) -> Callable[[], object]:
        return lambda: reader.consistency(p["old"], p["size"])

    try:
        return {
            "inclusion": timed([prove_inclusion(p) for p in inclusion], budget),
            "consistency": timed([prove_consistency(p) for p in consistency], budget),
        }
    finally:
        reader.db.close()


def run(n: int, count: int, budget: float) -> list[Result]:
    rng = random.Random(2024)
    inclusion: Params = []
    consistency: Params = []
    for _ in range(count):
        size = rng.randint(1, n)
        inclusion.append({"index": rng.randrange(size), "size": size})
        size = rng.randint(1, n)
        consistency.append({"old": rng.randint(1, size), "size": size})

    with scratch_dir("proofs") as d:
        db = d / "ledger.db"
        started = time.perf_counter()
        note = build_log(db, d, n)
        built = time.perf_counter() - started
        log(f"built a {n:,}-leaf log in {built:.1f}s ({db.stat().st_size / 1e6:.0f} MB)")
        product = over_http(db, d, note, n, inclusion, consistency, budget, "sunshine.cli")
        product_inner = in_process(db, inclusion, consistency, budget / 4)

    results = []
    http, inner = product, product_inner
    floor = percentiles(http["floor"])
    for kind in ("inclusion", "consistency"):
        stats = percentiles(http[kind])
        inner_stats = percentiles(inner[kind])
        name = f"proof_{kind}"
        log(f"{name}: {len(http[kind])} requests, p50 {stats['p50']:.2f} "
            f"p95 {stats['p95']:.2f} p99 {stats['p99']:.2f} ms; floor p99 "
            f"{floor['p99']:.2f} ms; in-process p99 {inner_stats['p99']:.3f} ms")
        title = f"{kind} proof at {n / 1e6:g}M leaves, HTTP"
        results.append(Result(
            name, title, f"p99 < {TARGET_MS:g} ms",
            stats["p99"], "ms p99", floor["p99"], "GET /log/key p99 (HTTP floor)",
            stats["p99"] / floor["p99"], stats["p99"] < TARGET_MS,
            {"leaves": n, "requests": len(http[kind]), "requests_planned": count,
             "time_budget_seconds": budget,
             "http_ms": {k: round(v, 3) for k, v in stats.items()},
             "http_floor_ms": {k: round(v, 3) for k, v in floor.items()},
             "in_process_ms": {k: round(v, 4) for k, v in inner_stats.items()},
             "in_process_requests": len(inner[kind]),
             "client": "httpx.Client, one keep-alive connection, sequential, same machine",
             "server": "sunshine serve (uvicorn, 1 worker), SQLite",
             "build_seconds": round(built, 1)}))
    return results


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.proofs")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--budget", type=float, default=40.0,
                        help="seconds at most per endpoint and variant (slow servers stop early)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.n, args.requests, args.budget)
    write_results("proofs", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
