"""What `sunshine verify` keeps as a province's log grows: bench/results/verify_memory.txt.

Given province ledgers of different sizes (`sunshine province --procurements N --data-dir
DIR`), it runs the real `sunshine verify --jobs 2 --check-timing` on each in a child process
and takes its peak RSS (wait4 rusage), with the code of this checkout and, with ``--before
DIR``, with the code of another checkout (the one before a change) on the same ledgers. The
growth per entry is the marginal one, between the smallest and the largest ledger, so the
interpreter, the imports and the statute book (a fixed cost) are left out.

Then one in-process run over the largest ledger under tracemalloc: what is still allocated
when the last leaf has been checked, by the line that allocated it, and the deep size of each
of the replays' structures (what every later entry may still refer to).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, log

PARTS = ("registry", "lifecycle", "reads", "statutes")


def peak_rss(root: Path, data_dir: Path) -> tuple[int, int, float]:
    """Entries verified, peak RSS in KiB and wall seconds of one `sunshine verify` run with
    the code of checkout ``root``."""
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data_dir),
               SUNSHINE_DATABASE_URL=f"sqlite:///{data_dir / 'ledger.db'}")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "verify", "--jobs", "2", "--check-timing"],
        env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or "OK" not in output:
        raise RuntimeError(f"sunshine verify failed in {root}: {output[-500:]}")
    found = re.search(r"(\d[\d,]*) entries", output)
    assert found, output
    return int(found.group(1).replace(",", "")), usage.ru_maxrss, time.perf_counter() - started


def deep_size(root: object, seen: set[int]) -> int:
    """Bytes reachable from ``root`` not yet counted in ``seen`` (modules, types and
    functions are shared code, not state)."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | type(sys) | type(deep_size)):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def structures(verifier: Any) -> Iterator[tuple[str, int, int]]:
    """(name, entries, bytes) of each structure the replays keep, largest share first."""
    from ledger.verify_records import Procurements

    lifecycle = verifier.lifecycle
    owners = {"lifecycle": lifecycle, "registry": verifier.registry,
              "reads": lifecycle.reads, "statutes": lifecycle.statutes, "box": lifecycle.box}
    seen: set[int] = set()
    rows = []
    for owner_name, owner in owners.items():
        for name, value in vars(owner).items():
            if isinstance(value, dict | set | list | tuple | Procurements):
                rows.append((f"{owner_name}.{name}", len(value), deep_size(value, seen)))
    yield from sorted(rows, key=lambda row: -row[2])


def traced(data_dir: Path) -> tuple[list[str], list[tuple[str, int, int]], int, int]:
    """Top allocation sites still live at the end of an in-process verify, the replays'
    structures, the traced total and the entries."""
    from ledger import verify
    from ledger.verify_timing import TimingCheck
    from sunshine.settings import Settings
    from sunshine.verifying import verify_local

    kept: dict[str, Any] = {}
    finish = verify.LogVerifier.finish

    def finish_and_look(self: verify.LogVerifier) -> verify.Report:
        report = finish(self)
        gc.collect()
        kept["snapshot"] = tracemalloc.take_snapshot()
        kept["structures"] = list(structures(self))
        return report

    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'ledger.db'}")
    verify.LogVerifier.finish = finish_and_look  # type: ignore[method-assign]
    tracemalloc.start(1)
    try:
        report = verify_local(settings, None, None, 1, io.StringIO(), timing=TimingCheck())
    finally:
        tracemalloc.stop()
        verify.LogVerifier.finish = finish  # type: ignore[method-assign]
    snapshot = kept["snapshot"].filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    stats = snapshot.statistics("lineno")
    total = sum(stat.size for stat in stats)
    top = []
    for stat in stats[:25]:
        frame = stat.traceback[0]
        where = Path(frame.filename)
        name = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where.name
        top.append(f"{stat.size / 2**20:9.1f} MiB {stat.count:>9,} blocks  {name}:{frame.lineno}")
    return top, kept["structures"], total, report.size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.verify_memory")
    parser.add_argument("ledgers", nargs="+", type=Path,
                        help="province data directories, smallest first")
    parser.add_argument("--before", type=Path,
                        help="a checkout with the code to compare (run on the same ledgers)")
    parser.add_argument("--out", type=Path, default=RESULTS / "verify_memory.txt")
    args = parser.parse_args(argv)
    lines = ["sunshine verify --jobs 2 --check-timing: peak RSS (wait4 ru_maxrss) by ledger",
             "and code; bytes per entry = RSS growth from the smallest to the largest ledger,",
             "over the entries added.", ""]
    checkouts = [("after", ROOT)] + ([("before", args.before)] if args.before else [])
    for label, root in checkouts:
        rows = []
        for data_dir in args.ledgers:
            entries, rss, wall = peak_rss(root, data_dir)
            load = os.getloadavg()[0]
            rows.append((entries, rss))
            log(f"{label} {data_dir.name}: {entries:,} entries, {rss / 1024:.0f} MiB, {wall:.0f}s")
            lines.append(f"{label:6} {data_dir.name:14} {entries:>9,} entries  "
                         f"{rss / 1024:7.1f} MiB peak  {wall:6.1f} s  load {load:.1f}")
        if len(rows) > 1:
            (small, rss_small), (big, rss_big) = rows[0], rows[-1]
            per_entry = (rss_big - rss_small) * 1024 / (big - small)
            lines.append(f"{label:6} growth: {per_entry:,.0f} bytes per entry")
        lines.append("")
    top, kept, total, entries = traced(args.ledgers[-1])
    lines.append(f"In process (verify_local, --jobs 1, --check-timing) over "
                 f"{args.ledgers[-1].name}, {entries:,} entries, under tracemalloc: "
                 f"{total / 2**20:.1f} MiB live when the last leaf is checked "
                 f"({total / entries:,.0f} bytes per entry).")
    lines += ["", "Top allocation sites still live:", *top, "",
              "The replays' structures (deep size, each object counted once, first owner):"]
    lines += [f"{size / 2**20:9.2f} MiB {count:>9,} items  {name}" for name, count, size in kept
              if size >= 64 * 1024]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
