"""What `sunshine deliveries` prints, and the worker's metrics endpoint."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, start_http_server

from publisher.schema import STATES, Job
from publisher.store import JobStore


def _when(moment: float | None) -> str:
    if not moment:
        return "-"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def report(store: JobStore, jobs: list[Job]) -> str:
    """Counts by destination and state, each destination's state, then the jobs listed."""
    lines = []
    counts = store.counts()
    names = sorted({d for d, _ in counts} | {d.name for d in store.destinations()})
    lines.append("destination".ljust(24) + "".join(s.rjust(10) for s in STATES))
    for name in names:
        lines.append(name.ljust(24) + "".join(str(counts.get((name, s), 0)).rjust(10)
                                              for s in STATES))  # fmt: skip
    now = time.time()
    for d in store.destinations():
        if d.disabled_at is not None:
            lines.append(f"{d.name}: DISABLED since {_when(d.disabled_at)}: {d.disabled_reason}")
        elif d.open_until > now:
            lines.append(f"{d.name}: circuit open until {_when(d.open_until)} "
                         f"({d.failures} failures in a row)")  # fmt: skip
    if jobs:
        lines.append("")
        lines.append("notice  destination              state      attempts  due / last answer")
    for job in jobs:
        last = job.last_error or (f"HTTP {job.status}" if job.status else "")
        due = _when(job.due_at) if job.state in ("pending", "leased") else ""
        lines.append(f"{job.notice:<7} {job.destination:<24} {job.state:<10} "
                     f"{job.attempts:>8}  {due} {last}".rstrip())  # fmt: skip
    return "\n".join(lines)


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> None:
    """Prometheus text on http://host:port/metrics, from a daemon thread."""
    start_http_server(port, addr=host, registry=registry)
