"""Run the benchmarks and write bench/results/SUMMARY.md.

    .venv/bin/python -m bench.run              # all of them (`make bench`)
    .venv/bin/python -m bench.run proofs       # one (or several) by name

Each benchmark runs in its own process (`python -m bench.<name>`), prints its lines and
writes bench/results/<name>.json; the summary table is rebuilt from every JSON present,
so running one benchmark refreshes its rows and keeps the others'.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.common import RESULTS, ROOT

BENCHMARKS = (
    "append", "integrator", "proofs", "verify", "demo", "bulk", "statistics", "flags", "pages",
    "publish", "tiles", "witness", "bid_box", "import_ocds", "browser_sign", "search",
    "kept_pages", "serve_memory", "province", "replica",
)  # fmt: skip


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def _row(result: dict[str, Any]) -> str:
    verdict = {True: "**pass**", False: "**FAIL**", None: "info"}[result["pass"]]
    baseline = "—"
    if result["baseline"] is not None:
        baseline = f"{_number(result['baseline'])} ({result['baseline_label']})"
    ratio = "—" if result["ratio"] is None else f"{result['ratio']:.2f}"
    measured = _number(result["measured"], result["unit"])
    return (f"| {result['title']} | {result['target']} | {measured} | {baseline} | {ratio}"
            f" | {verdict} |")


def summary(names: tuple[str, ...] = BENCHMARKS) -> str:
    docs = []
    for name in names:
        path = RESULTS / f"{name}.json"
        if path.exists():
            docs.append(json.loads(path.read_text(encoding="utf-8")))
    lines = [
        "# Benchmark results",
        "",
        "Each figure is measured beside its baseline in the same run (ratios, not absolute "
        "numbers, are what carry from machine to machine). Produced by `make bench` "
        "(`.venv/bin/python -m bench.run`); details in `bench/results/<name>.json`.",
        "",
        "| Benchmark | Target | Measured | Baseline (same run) | Ratio | Result |",
        "|---|---|---|---|---|---|",
    ]
    for doc in docs:
        lines += [_row(r) for r in doc["results"]]
    if docs:
        lines.append("")
        for doc in docs:
            m = doc["machine"]
            lines.append(
                f"- `{doc['benchmark']}`: {doc['timestamp']}, {doc['runtime_seconds']} s, "
                f"`{doc['command']}` — {m['nproc']} cores ({m['cpu']}), load {m['loadavg_1m']}, "
                f"Python {m['python']}, eventsourcing {m['eventsourcing']}, "
                f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    names = tuple(argv) or BENCHMARKS
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=ROOT)
        print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    text = summary()
    (RESULTS / "SUMMARY.md").write_text(text, encoding="utf-8")
    print(f"\n{text}")
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
