"""Where a benchmark's CPU goes: cProfile on each thread's own CPU clock, summed into named
parts, written as text beside the JSON results (``bench/results/<name>.txt``).

Each thread that does the work is profiled on ``time.thread_time`` (CPU, not wall: a thread
waiting on a lock or an fsync costs nothing), and the threads' profiles are merged. A part
is the cumulative time of the functions that name it, less the parts nested inside it, so
the parts do not overlap; "other" is what the total has beside them. Profiling inflates
Python against C, so the shares, not the microseconds, are what to read; each file also
gives the unprofiled CPU per item measured in the same run.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS, command_line

#: (file name ending, function name): e.g. ("ledger/commands.py", "parse_envelope"), or
#: ("~", "<method 'commit' of 'sqlite3.Connection' objects>") for a C function.
Function = tuple[str, str]


@dataclass
class ThreadProfiles:
    """cProfile on every thread that calls ``start`` (a pool's initializer, or the thread
    itself), each on its own CPU clock."""

    profiles: list[cProfile.Profile] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.append(profile)
        profile.enable()

    def stop(self) -> pstats.Stats:
        for profile in self.profiles:
            profile.disable()
        stats = pstats.Stats(self.profiles[0])
        for profile in self.profiles[1:]:
            stats.add(profile)
        return stats

    @contextmanager
    def this_thread(self) -> Iterator[None]:
        self.start()
        try:
            yield
        finally:
            self.profiles[-1].disable()


def cumulative(stats: pstats.Stats, function: Function) -> float:
    """Cumulative CPU seconds of every function matching (file ending, name)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    suffix, name = function
    return sum(
        float(row[3])
        for (path, _line, func), row in table.items()
        if func == name and path.endswith(suffix)
    )


@dataclass(frozen=True)
class Part:
    label: str
    functions: Sequence[Function]
    inside: Sequence[str] = ()  # labels of parts nested in this one, subtracted


def breakdown(
    stats: pstats.Stats, totals: Sequence[Function], parts: Sequence[Part]
) -> list[tuple[str, float]]:
    """(label, CPU seconds) of each part, with "other" for the rest of ``totals`` (the
    cumulative time of a function, or of several, each on threads of its own)."""
    raw = {p.label: sum(cumulative(stats, f) for f in p.functions) for p in parts}
    own = {p.label: raw[p.label] - sum(raw[i] for i in p.inside) for p in parts}
    rest = sum(cumulative(stats, f) for f in totals) - sum(own.values())
    names = " and ".join(f[1] for f in totals)
    return [*own.items(), (f"other ({names} beside the parts above)", rest)]


def top_functions(stats: pstats.Stats, count: int = 40) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(count)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    return "\n".join(line.replace(root, "").rstrip() for line in lines[start:] if line.strip())


def table(rows: Sequence[tuple[str, float]], items: int, unit: str) -> str:
    """Rows of (label, CPU seconds) as seconds, share and µs per item."""
    whole = sum(v for _, v in rows)
    width = max(len(label) for label, _ in rows)
    lines = [f"{'part':<{width}}  {'CPU s':>7}  {'share':>6}  {'µs/' + unit:>9}"]
    lines += [f"{label:<{width}}  {v:7.3f}  {100 * v / whole:5.1f}%  {1e6 * v / items:9.1f}"
              for label, v in rows]  # fmt: skip
    lines.append(f"{'total':<{width}}  {whole:7.3f}  100.0%  {1e6 * whole / items:9.1f}")
    return "\n".join(lines)


def write_profile(name: str, title: str, sections: Sequence[tuple[str, str]]) -> None:
    """bench/results/<name>.txt: a title, when and how it was made, then titled sections."""
    head = [
        title,
        "=" * len(title),
        f"{datetime.now(UTC).isoformat(timespec='seconds')}, `{command_line()}`, "
        f"{len(os.sched_getaffinity(0))} cores, load {os.getloadavg()[0]:.2f} (1 min)",
    ]
    body = [f"\n{heading}\n{'-' * len(heading)}\n{text}" for heading, text in sections]
    (RESULTS / f"{name}.txt").write_text("\n".join(head) + "\n" + "\n".join(body) + "\n",
                                         encoding="utf-8")  # fmt: skip


def cpu_per_item(run: Callable[[], int]) -> float:
    """Process CPU seconds per item of one unprofiled run (``run`` returns its items)."""
    started = time.process_time()
    items = run()
    return (time.process_time() - started) / items
