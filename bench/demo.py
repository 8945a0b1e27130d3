"""The demo year's load: how fast `sunshine demo` records it, and its memory at 10×.

Each build runs in a child process (`python -m bench.demo --child COPIES DIR`) exactly as
`sunshine demo --no-serve` does it: a fresh SQLite ledger, every command signed by its
actor's demo key and submitted through the bulk path (`ledger.bulk`: batches of 256, one
commit and one checkpoint each). The child reports the build's own wall time and the log
size; the parent reads the child's peak RSS from wait4.

- load time of the demo year: target < 15 s (issue "The procurement lifecycle");
- load rate in signed events/s beside the baseline measured in this run: a plain
  eventsourcing application saving the same number of events, one per transaction, no
  signatures and no log (the ratio is information: signing, verifying, deciding and the
  Merkle log are what the ledger adds);
- a 10× year (the catalogue drawn ten times, ~1,500 procurements): peak RSS ≤ 1.5× the 1×
  year's, i.e. memory stays flat as the log grows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.append import PlainProcurement, plain_round
from bench.common import ROOT, Result, log, scratch_dir, write_results

LOAD_TARGET_S = 15.0
MEMORY_TARGET = 1.5


def child(copies: int, directory: Path) -> None:
    from demo.builder import DemoBuilder
    from ledger.application import Ledger
    from sunshine.settings import Settings

    settings = Settings(data_dir=directory)
    ledger = Ledger(settings.ledger_config())
    try:
        started = time.perf_counter()
        summary = DemoBuilder(ledger, directory / "demo-keys", copies=copies).build()
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    print(json.dumps({"seconds": seconds, "size": summary.size, "events": summary.events,
                      "procurements": summary.procurements}))


def build(copies: int) -> dict[str, Any]:
    with scratch_dir("demo") as directory:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.demo", "--child", str(copies), str(directory)],
            cwd=ROOT, stdout=subprocess.PIPE, env=dict(os.environ))
        assert process.stdout is not None
        output = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"demo build ({copies}×) failed: {output[-500:]}")
        result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        result["rss_kib"] = usage.ru_maxrss
        log(f"demo {copies}×: {result['procurements']:,} procurements, {result['size']:,} "
            f"leaves in {result['seconds']:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB")
        return result


def plain_rate(events: int) -> float:
    with scratch_dir("demo-plain") as directory:
        app = PlainProcurement(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                    "SQLITE_DBNAME": str(directory / "plain.db")})
        try:
            return plain_round(app, events, "demo")
        finally:
            app.close()


def run() -> list[Result]:
    one = build(1)
    baseline = plain_rate(one["size"])
    log(f"plain eventsourcing: {baseline:,.0f} events/s")
    ten = build(10)
    rate, rate10 = one["size"] / one["seconds"], ten["size"] / ten["seconds"]
    growth = ten["rss_kib"] / one["rss_kib"]
    return [
        Result("demo_load_time", "demo year load time (`sunshine demo`)", f"< {LOAD_TARGET_S:g} s",
               one["seconds"], "s", None, "", None, one["seconds"] < LOAD_TARGET_S,
               {"procurements": one["procurements"], "leaves": one["size"],
                "commands": one["events"]}),
        Result("demo_load_rate", "demo year load rate (signed, bulk path)", "information",
               rate, "events/s", baseline, "plain eventsourcing events/s", rate / baseline, None,
               {"rate_10x": round(rate10, 1)}),
        Result("demo_10x_memory", "10× demo year peak RSS vs 1×", f"≤ {MEMORY_TARGET}×",
               growth, "×", None, "", None, growth <= MEMORY_TARGET,
               {"rss_1x_mib": round(one["rss_kib"] / 1024, 1),
                "rss_10x_mib": round(ten["rss_kib"] / 1024, 1),
                "procurements_10x": ten["procurements"], "leaves_10x": ten["size"],
                "seconds_10x": round(ten["seconds"], 1)}),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=2, metavar=("COPIES", "DIR"))
    args = parser.parse_args(argv)
    if args.child:
        child(int(args.child[0]), Path(args.child[1]))
        return []
    started = time.perf_counter()
    results = run()
    write_results("demo", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
