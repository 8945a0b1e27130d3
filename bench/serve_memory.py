"""`sunshine serve` memory as the log grows: the same requests at each size, RSS after them.

A log of N leaves is built directly (``bench.proofs.build_log``: synthetic leaves, the real
tree nodes and a signed checkpoint; a province's million real events would take hours to
sign and store), then a real `sunshine serve` process (uvicorn, one worker) serves it. The
same client sends the same number of requests at each size: inclusion and consistency
proofs at random indices, pages of entries, hash tiles and entry bundles, the checkpoint
and the tree's health. Synthetic leaves are no events the projections could read, so a
first start creates the projections' tables and their positions are then set at the log's
end: what is measured is the serving of the log itself. The server's resident memory
(VmRSS) and its peak (VmHWM) are read from /proc after the requests. Target: flat, within
±10% from the smallest size to the largest. The baseline is the same server's memory at
the smallest size, in the same run.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.common import Result, log, scratch_dir, write_results
from bench.proofs import build_log, start_server

TARGET = 1.1
SIZES = (100_000, 500_000, 1_500_000)
REQUESTS = 2_000


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def paths(n: int, count: int, rng: random.Random) -> list[tuple[str, dict[str, int] | None]]:
    """The same mix of reads at every size, spread over the whole log."""
    from ledger.log.tiles import Tile

    def tile(level: int) -> str:
        width = 256 ** (level + 1) if level >= 0 else 256
        index = rng.randrange(max(1, n // width))
        return "/log/" + Tile(level, index, 256).path()

    out: list[tuple[str, dict[str, int] | None]] = []
    for i in range(count):
        kind = i % 6
        if kind == 0:
            out.append(("/log/proof/inclusion", {"index": rng.randrange(n), "size": n}))
        elif kind == 1:
            out.append(("/log/proof/consistency", {"old": rng.randrange(1, n), "size": n}))
        elif kind == 2:
            out.append(("/log/entries", {"start": rng.randrange(n - 100), "count": 100}))
        elif kind == 3:
            out.append((tile(0), None))
        elif kind == 4:
            out.append((tile(-1), None))
        else:
            out.append(("/log/checkpoint" if i % 12 == 5 else "/log/health", None))
    return out


def measure(n: int, count: int) -> dict[str, Any]:
    import httpx

    with scratch_dir(f"serve-memory-{n}") as d:
        started = time.perf_counter()
        build_log(d / "ledger.db", d, n)
        built = time.perf_counter() - started
        process, _ = start_server(d / "ledger.db", d)  # makes the projections' tables
        process.terminate()
        process.wait(timeout=30)
        with sqlite3.connect(d / "ledger.db") as con:
            con.execute("UPDATE projection_positions SET position = ?", (n,))
        process, url = start_server(d / "ledger.db", d)
        try:
            ready = memory_kib(process.pid)
            with httpx.Client(base_url=url, timeout=60) as client:
                for path, params in paths(n, count, random.Random(19)):
                    response = client.get(path, params=params)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path} {params}: {response.status_code} "
                                           f"{response.text[:200]}")
            after = memory_kib(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)
    log(f"serve at {n:,} entries (log built in {built:.0f}s): RSS {after['VmRSS'] / 1024:.0f} "
        f"MiB after {count:,} requests (peak {after['VmHWM'] / 1024:.0f} MiB; "
        f"{ready['VmRSS'] / 1024:.0f} MiB when ready)")
    return {"rss_ready_kib": ready["VmRSS"], "rss_kib": after["VmRSS"],
            "peak_kib": after["VmHWM"], "build_seconds": round(built, 1)}


def run(sizes: tuple[int, ...], count: int) -> list[Result]:
    table = {n: measure(n, count) for n in sizes}
    small, big = sizes[0], sizes[-1]
    growth = table[big]["rss_kib"] / table[small]["rss_kib"]
    peak_growth = table[big]["peak_kib"] / table[small]["peak_kib"]
    title = f"sunshine serve RSS {small:,}→{big:,} entries, after {count:,} requests"
    return [
        Result("serve_memory", title, f"flat (≤ {TARGET}× from {small:,} to {big:,})",
               table[big]["rss_kib"] / 1024, "MiB", table[small]["rss_kib"] / 1024,
               f"MiB at {small:,} entries", growth, growth <= TARGET,
               {"sizes": {str(n): m for n, m in table.items()}, "requests_per_size": count,
                "peak_growth": round(peak_growth, 3),
                "how": "VmRSS and VmHWM of the `sunshine serve` process from /proc after the "
                       "requests: proofs, entries, hash tiles, entry bundles, checkpoint, "
                       "health; the log built directly with synthetic leaves"}),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_memory")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(tuple(args.sizes), args.requests)
    write_results("serve_memory", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
