"""The province-scale ledger generator (`sunshine province`, issue 19 point 1): how long a
province's year takes to sign, decide and integrate, and whether it slows as the log grows.

.venv/bin/python -m bench.province [--procurements N] [--seed S] [--data-dir DIR] [--keep]

Runs ``sunshine province`` in its own process on a fresh SQLite ledger and reads its
progress line after each county; the child's CPU time (user + system) and peak RSS come
from the operating system when it exits. Beside it, in the same run, plain eventsourcing
saves events one per transaction on one core (``bench.append.plain_round``): the baseline a
ledger entry (signed, checked against the law, hashed into the tree) is compared with. On a
shared machine the wall time says little; entries per CPU-second is the figure that carries.
Each county's own rate (entries per wall second of that county) shows whether the load slows
as the log grows: the last tenth of the counties against the first.

``--keep`` keeps the ledger in ``--data-dir`` (default: a scratch directory, removed), to be
served afterwards with ``SUNSHINE_DATA_DIR=DIR sunshine serve``.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.append import PlainProcurement, plain_round
from bench.common import ROOT, Result, log, scratch_dir, write_results

PLAIN_EVENTS = 20_000
#: "county 3/120 青台县: 2,502 procurements, 59,026 log entries, 42 s (1,419 commands/s)"
PROGRESS = re.compile(
    r"county (\d+)/(\d+) (\S+): ([\d,]+) procurements, ([\d,]+) log entries, ([\d,]+) s"
)


def plain_rate(directory: Path) -> float:
    app = PlainProcurement(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                "SQLITE_DBNAME": str(directory / "plain.db")})  # fmt: skip
    try:
        return plain_round(app, PLAIN_EVENTS, "province")
    finally:
        app.close()


def generate(procurements: int, seed: int, data_dir: Path) -> dict[str, Any]:
    """One ``sunshine province`` run: its counties' progress, CPU seconds and peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-m", "sunshine.cli", "province", "--procurements",
               str(procurements), "--seed", str(seed), "--data-dir", str(data_dir)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))  # fmt: skip
    assert process.stderr is not None
    counties: list[dict[str, Any]] = []
    buffer = ""
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:  # each progress line as it comes (os.read returns what the pipe holds)
        chunk = decoder.decode(os.read(process.stderr.fileno(), 4096))
        buffer += chunk
        *lines, buffer = re.split(r"[\r\n]", buffer) if chunk else [buffer, ""]
        for line in lines:
            found = PROGRESS.search(line)
            if found is None:
                continue
            n, total, name, planned, size, seconds = found.groups()
            counties.append({"county": int(n), "of": int(total), "name": name,
                             "procurements": int(planned.replace(",", "")),
                             "entries": int(size.replace(",", "")),
                             "seconds": int(seconds.replace(",", "")),
                             "at": round(time.perf_counter() - started, 1)})  # fmt: skip
            log(line.strip())
        if not chunk:
            break
    if process.wait() != 0:
        raise SystemExit(f"sunshine province failed ({process.returncode}): {buffer.strip()}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"counties": counties, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "peak_rss_mib": round(after.ru_maxrss / 1024, 1)}  # fmt: skip


def county_rates(counties: list[dict[str, Any]]) -> list[float]:
    """Entries per wall second of each county, by the load's own clock (seconds since it
    started, printed with each county)."""
    rates, entries, at = [], 0, 0
    for county in counties:
        span = county["seconds"] - at
        if span > 0:
            rates.append((county["entries"] - entries) / span)
        entries, at = county["entries"], county["seconds"]
    return rates


def run(procurements: int, seed: int, data_dir: Path) -> list[Result]:
    with scratch_dir("province-plain") as scratch:
        plain = plain_rate(scratch)
    log(f"plain eventsourcing: {plain:,.0f} events/s")
    found = generate(procurements, seed, data_dir)
    counties = found["counties"]
    entries = counties[-1]["entries"] if counties else 0
    per_cpu = entries / max(found["cpu_seconds"], 1e-9)
    rates = county_rates(counties)
    tenth = max(1, len(rates) // 10)
    first, last = statistics.median(rates[:tenth]), statistics.median(rates[-tenth:])
    disk = sum(p.stat().st_size for p in data_dir.glob("ledger.db*"))
    details = {**found, "procurements": procurements, "seed": seed, "entries": entries,
               "plain_events_per_second": round(plain), "ledger_bytes": disk,
               "first_tenth_entries_per_second": round(first),
               "last_tenth_entries_per_second": round(last)}  # fmt: skip
    title = f"sunshine province, {procurements:,} procurements, SQLite"
    return [
        Result("province_per_cpu", f"{title}: log entries per CPU-second (signed, decided, "
               "integrated)", "information (record how long it takes)", per_cpu,
               "entries/CPU-s", plain, "plain eventsourcing events/s, one core",
               per_cpu / plain, None, details, found["wall_seconds"]),
        Result("province_cpu_time", f"{title}: CPU time for {entries:,} entries",
               "information", found["cpu_seconds"] / 60, "CPU-minutes", None, "", None, None,
               {"wall_minutes": round(found["wall_seconds"] / 60, 1)}),
        Result("province_flat", f"{title}: rate of the last tenth of counties vs the first",
               "information (no slowing as the log grows)", last, "entries/s", first,
               "first tenth of counties, entries/s", last / first, None, {}),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procurements", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench-province")
    parser.add_argument("--keep", action="store_true", help="keep the ledger for serving")
    args = parser.parse_args()
    if args.data_dir.exists():
        raise SystemExit(f"{args.data_dir} exists: the benchmark builds a fresh ledger")
    started = time.perf_counter()
    try:
        results = run(args.procurements, args.seed, args.data_dir)
    finally:
        if not args.keep:
            shutil.rmtree(args.data_dir, ignore_errors=True)
    write_results("province", results, seconds=time.perf_counter() - started)


if __name__ == "__main__":
    main()
