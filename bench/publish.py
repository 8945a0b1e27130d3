"""The publisher: deliveries per second to a local site, and event-to-delivered latency.

Targets (issue "The publisher"): (a) with two workers, ≥ 500 deliveries/s to a local site;
(b) with a healthy site, event to delivered p50 < 200 ms and p99 < 1 s.

Every figure comes from the real programs, each in its own process: `sunshine publish`,
`sunshine serve`, and the demo's receiving site (`python -m demo.site`, so the site
does not share the publisher's GIL), which verifies each request's v1a signature, parses it
and stamps its arrival with time.time().

1. Setup, not measured: the demo year drawn ``--copies`` times (10: 7,250 notices) by
   ``demo.builder.DemoBuilder``, every command signed by its actor and decided by
   ``Ledger.submit``, integrated once at the end. The build goes to /dev/shm when there is
   one (each command is its own transaction; waiting for fsync would double the build).
   It is then copied to a scratch directory on disk: the throughput target and the latency
   are measured there, where a ledger lives; the same run on the /dev/shm copy is reported
   as information (it shows what the disk's fsyncs cost).
2. Throughput on SQLite (target): ``sunshine publish --once --workers 2`` (one process,
   two worker threads, as on SQLite one runs one publisher) to a fresh site; the
   destination has ``allow_private = true`` and ``required = false``. Deliveries/s = notices
   arrived ÷ (last arrival − first arrival), as the site stamped them. Then the check: every
   notice arrived once, and the log (``log_leaves``) holds one ``NoticeDelivered`` receipt
   per notice. The publisher's and the site's CPU time per delivery are in the details.
3. Throughput on PostgreSQL (target, when a server answers; ``SUNSHINE_BENCH_POSTGRES_URL``):
   the year drawn ``--pg-copies`` times into a fresh database the same way, then TWO
   ``sunshine publish --once --workers 1`` processes sharing the queue (two workers in the
   multi-process sense). The second starts once the first says it is set up (the ledger's
   start-up is not made for two processes creating its tables at the same instant), so the
   first works alone for a moment: the rate includes that moment.
4. The floor, in the same run (each throughput row's baseline): the same bodies, signed the
   same way (publisher.webhooks), posted by httpx from one client with two threads to a fresh
   site, with no database at all; measured the same way at the site.
5. Latency (targets): ``sunshine serve`` and ``sunshine publish --workers 2`` (continuous,
   ``--metrics-port``) on the disk ledger after its throughput run, so the backlog is
   delivered, with the destination pointed at a fresh site. New commands are then submitted
   over HTTP (``POST /commands``) at ``--rate`` per second for ``--seconds``: the steps of
   one more copy of the demo year (``DemoYear.plan(copies + 1)``, whose last copy has its own
   procurement codes, ``qhx-2026-<copies+1>-…``), in their order, each signed by its actor's
   demo key from the build's demo-keys directory (signed before the clock starts). About a
   third of them publish a notice. Event to delivered = the notice's arrival at the site −
   the moment its command was sent (the client's time.time(), the same clock as the site's,
   on this machine); that includes the ledger's own recording of the event, so it is the
   longer of the two honest readings. Arrival − the leaf's ``recorded_at`` and the worker's
   ``sunshine_publisher_delivery_lag_seconds`` histogram (planning to delivery) are in the
   details.
6. When a throughput target is missed (or with ``--profile``): after that run, an in-process
   ``Publisher`` delivers ``PROFILED`` notices from one thread under cProfile, to a site in
   its own process, for another destination (new, so every notice is planned for it again
   and the measured run's jobs are left alone). The details say where a delivery's time goes
   (claiming, the request, the receipt and what it costs the ledger, marking it done) and
   the thread's CPU time per delivery. (On PostgreSQL its receipts are not integrated
   meanwhile: `sunshine publish` integrates them from a background thread.) The throughput
   rows also give each process's CPU time per delivery after its set-up, and the site's.

The machine is small (2 cores) and shared: the 1-minute load average is noted beside each
figure. All of it takes about 4 minutes.

    .venv/bin/python -m bench.publish                # everything
    .venv/bin/python -m bench.publish --copies 4     # a quicker, shorter run
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from bench.common import (
    ROOT,
    Result,
    log,
    percentiles,
    pg_database,
    postgres_problem,
    scratch_dir,
    url_text,
    write_results,
)

RATE_TARGET = 500.0  # deliveries/s with two workers
P50_TARGET_MS, P99_TARGET_MS = 200.0, 1000.0
COPIES = 10  # of the demo year, SQLite: 7,250 notices
PG_COPIES = 4  # PostgreSQL: 2,900 notices (its build is slower: 5–10 s a copy)
LIVE_RATE = 20.0  # commands/s submitted during the latency run
LIVE_SECONDS = 25.0
PROFILED = 1500  # deliveries profiled when the throughput target is missed
DESTINATION = "ccgp-hebei"
KEY = "qhx-fbfw-svc"  # the demo's publishing service
SHM = Path("/dev/shm")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def child_env() -> dict[str, str]:
    """The environment of the programs we start: nothing of an operator's SUNSHINE_*."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SUNSHINE_")}


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_since(start: tuple[int, int]) -> tuple[float, float]:
    """Since ``start``, all processes: the share of the machine's CPU time that was busy,
    and the busy CPU seconds."""
    busy, total = machine_ticks()
    share = (busy - start[0]) / max(1, total - start[1])
    return round(share, 3), (busy - start[0]) / os.sysconf("SC_CLK_TCK")


def commits(url: Any) -> int | None:
    """PostgreSQL: transactions committed in the database so far (pg_stat_database)."""
    if url.is_sqlite:
        return None
    import psycopg

    with psycopg.connect(url.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return None if row is None else int(row[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reap(process: subprocess.Popen[str], what: str, timeout: float = 600) -> float:
    """Wait for ``process`` to end; its CPU seconds. RuntimeError when it failed."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{what} still running after {timeout:g} s")
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{what} exited with {process.returncode}")
    return float(usage.ru_utime + usage.ru_stime)


# -- the receiving site ------------------------------------------------------------------------


class Site:
    """``python -m demo.site`` on a free port, stopped by ``close``."""

    def __init__(self, key: Path, logs: Path, name: str) -> None:
        self._log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "demo.site",
                "--public-key-file",
                str(key),
                "--port",
                "0",
            ],
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "POST " not in line:
            self.close()
            raise RuntimeError(f"the demo site did not start (see {logs / name}.log)")
        self.url = line.split("POST ", 1)[1].strip()
        self.base = self.url.removesuffix("notices")

    def arrivals(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(self.base + "arrivals.json", timeout=60).json()
        return found

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(self.base + "notices.json", timeout=60).json()
        return found

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rate_of(arrivals: list[dict[str, Any]]) -> float:
    """Notices ÷ (last arrival − first arrival)."""
    times = [float(a["arrived"]) for a in arrivals]
    if len(times) < 2 or max(times) == min(times):
        return 0.0
    return len(times) / (max(times) - min(times))


# -- ledgers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def fast_dir(prefix: str) -> Iterator[Path]:
    """A scratch directory in /dev/shm when there is one (else on disk)."""
    where = str(SHM) if SHM.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=f"sunshine-bench-{prefix}-", dir=where) as d:
        yield Path(d)


def build(url: Any, data: Path, copies: int) -> dict[str, Any]:
    """The demo year ``copies`` times, as bench.pages builds it: every command through
    ``Ledger.submit``, no inline integration, integrated once at the end."""
    from bench.common import open_ledger
    from demo.builder import DemoBuilder

    ledger = open_ledger(url, data, inline_integration=False, leaf_wait_seconds=0)
    try:
        started = time.perf_counter()
        summary = DemoBuilder(ledger, data / "demo-keys", copies=copies).build()
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    where = "PostgreSQL" if not url.is_sqlite else str(data)
    log(f"built {copies}× the demo year in {where}: {summary.size:,} leaves in {seconds:.0f} s")
    return {
        "copies": copies,
        "leaves": summary.size,
        "commands": summary.events,
        "build_seconds": round(seconds, 1),
    }


def sqlite_url(data: Path) -> Any:
    from ledger.store.url import parse_database_url

    return parse_database_url(f"sqlite:///{data / 'ledger.db'}")


def copy_ledger(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def read_leaves(url: Any, indices: list[int] | None = None) -> dict[int, bytes]:
    """The log's leaves (or those of ``indices``), read straight from ``log_leaves``."""
    query = "SELECT idx, leaf FROM log_leaves ORDER BY idx"
    if url.is_sqlite:
        with contextlib.closing(sqlite3.connect(f"file:{url.path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(query).fetchall()
    else:
        import psycopg

        with psycopg.connect(url.conninfo()) as conn:
            rows = conn.execute(query).fetchall()
    wanted = None if indices is None else set(indices)
    return {int(i): bytes(leaf) for i, leaf in rows if wanted is None or int(i) in wanted}


def notices_in(leaves: dict[int, bytes]) -> dict[int, dict[str, Any]]:
    from ledger.domain.schema.entry import parse_entry
    from publisher.planner import is_notice

    entries = {i: orjson.loads(leaf) for i, leaf in leaves.items()}
    return {i: e for i, e in entries.items() if is_notice(parse_entry(leaves[i]))}


def check(url: Any, arrivals: list[dict[str, Any]]) -> dict[str, Any]:
    """Every notice arrived once and the log holds one NoticeDelivered receipt for each."""
    leaves = read_leaves(url)
    notices = set(notices_in(leaves))
    receipts: collections.Counter[int] = collections.Counter()
    for leaf in leaves.values():
        entry = orjson.loads(leaf)
        if entry["type"] == "NoticeDelivered" and entry["data"]["destination"] == DESTINATION:
            receipts[int(entry["data"]["notice"])] += 1
    arrived = collections.Counter(int(a["notice"]) for a in arrivals)
    complete = (
        set(arrived) == notices
        and set(arrived.values()) <= {1}
        and set(receipts) == notices
        and set(receipts.values()) <= {1}
    )
    return {
        "notices": len(notices),
        "arrived": len(arrivals),
        "receipts": sum(receipts.values()),
        "complete": complete,
    }


# -- the programs ------------------------------------------------------------------------------


def write_destinations(path: Path, url: str, name: str = DESTINATION) -> Path:
    path.write_text(
        "[publisher]\n"
        'poll_interval = "1s"\n\n'
        "[[destination]]\n"
        f'name = "{name}"\n'
        f'url = "{url}"\n'
        "allow_private = true\n"
        "required = false\n",
        encoding="utf-8",
    )
    return path


def publish_command(db: str, data: Path, destinations: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sunshine.cli",
        "publish",
        "--db",
        db,
        "--data-dir",
        str(data),
        "--destinations",
        str(destinations),
        "--key",
        str(data / "demo-keys" / f"{KEY}.pem"),
        *extra,
    ]


def start(command: list[str], log_file: IO[bytes]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=log_file, text=True
    )


def wait_until_set_up(process: subprocess.Popen[str], what: str) -> None:
    """Until `sunshine publish` says "publishing to …" (its tables are made)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("publishing to"):
        raise RuntimeError(f"{what} did not start: {line!r}")


def throughput(
    label: str, url: Any, data: Path, processes: int, workers: int, logs: Path
) -> dict[str, Any]:
    """`sunshine publish --once` (``processes`` of them, ``workers`` each) to a fresh site."""
    key = data / "demo-keys" / f"{KEY}.pem"
    with Site(key, logs, f"site-{label}") as site, open(logs / f"publish-{label}.log", "wb") as out:
        destinations = write_destinations(data / f"destinations-{label}.toml", site.url)
        command = publish_command(
            url_text(url), data, destinations, "--once", "--workers", str(workers)
        )
        load = load_average()
        started = time.perf_counter()
        ticks, committed = machine_ticks(), commits(url)
        runs: list[subprocess.Popen[str]] = []
        joined: list[float] = []
        set_up_cpu = 0.0  # start-up and set-up: imports, tables, the destination
        for n in range(processes):
            runs.append(start(command, out))
            if n:
                joined.append(round(time.perf_counter() - started, 2))
            wait_until_set_up(runs[-1], f"publish ({label})")
            set_up_cpu += cpu_seconds(runs[-1].pid)
        cpu = sum(reap(run, f"sunshine publish ({label})") for run in runs) - set_up_cpu
        wall = time.perf_counter() - started
        busy, busy_seconds = busy_since(ticks)
        for run in runs:
            if run.stdout is not None:
                run.stdout.close()
        arrivals, summary, site_cpu = site.arrivals(), site.summary(), site.cpu()
    if committed is not None:
        time.sleep(1.0)  # the ended backends' statistics reach pg_stat_database
        committed = (commits(url) or 0) - committed
    rate = rate_of(arrivals)
    facts = check(url, arrivals)
    n = max(1, len(arrivals))
    facts |= {
        "processes": processes,
        "workers_per_process": workers,
        "deliveries_per_s": round(rate, 1),
        "arrival_window_s": round(len(arrivals) / rate, 2) if rate else None,
        "wall_s_with_start_up": round(wall, 2),
        "later_processes_started_after_s": joined or None,
        "publisher_cpu_ms_per_delivery": round(1000 * cpu / n, 3),  # after set-up
        "site_cpu_ms_per_delivery": round(1000 * site_cpu / n, 3),
        "machine_cpu_busy_share": busy,  # of all cores, every process (the database's too)
        "machine_cpu_ms_per_delivery": round(1000 * busy_seconds / n, 3),  # start-up included
        "database_transactions_per_delivery": None
        if committed is None
        else round(committed / n, 2),
        "site_duplicates": summary["duplicates"],
        "site_refused": summary["refused"],
        "loadavg_1m": load,
    }
    log(
        f"{label}: {len(arrivals):,} notices at {rate:,.0f}/s "
        f"({facts['publisher_cpu_ms_per_delivery']} ms publisher CPU each), "
        f"complete: {facts['complete']} (load {load})"
    )
    return facts


def wire_floor(url: Any, key_file: Path, logs: Path) -> dict[str, Any]:
    """The same bodies signed the same way, posted by httpx (one client, two threads) to a
    fresh site: no database, no receipts."""
    from ledger import signing
    from ledger.log.merkle import leaf_hash_b64
    from publisher import webhooks
    from publisher.payloads import notice_body

    leaves = read_leaves(url)
    notices = notices_in(leaves)
    bodies = [
        (
            webhooks.webhook_id(i, leaf_hash_b64(leaves[i]), DESTINATION),
            notice_body(i, entry, leaves[i], "notice"),
        )
        for i, entry in sorted(notices.items())
    ]
    key = signing.read_key(key_file)
    failures: list[int] = []
    with Site(key_file, logs, "site-floor") as site:
        client = httpx.Client(
            timeout=10, limits=httpx.Limits(max_connections=64, max_keepalive_connections=16)
        )

        def post(part: list[tuple[str, bytes]]) -> None:
            for msg_id, body in part:
                headers = webhooks.headers(msg_id, body, key)
                headers["content-type"] = "application/json"
                status = client.post(site.url, content=body, headers=headers).status_code
                if status != 200:
                    failures.append(status)

        load = load_average()
        threads = [threading.Thread(target=post, args=(bodies[k::2],)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
        arrivals = site.arrivals()
    rate = rate_of(arrivals)
    log(f"wire floor: {len(arrivals):,} posts at {rate:,.0f}/s (load {load})")
    return {
        "deliveries_per_s": round(rate, 1),
        "posted": len(bodies),
        "arrived": len(arrivals),
        "failed": len(failures),
        "loadavg_1m": load,
    }


# -- latency -----------------------------------------------------------------------------------


def live_bodies(data: Path, copies: int, count: int) -> list[bytes]:
    """The first ``count`` commands of one more copy of the demo year, each signed now by
    its actor's demo key (from the build's demo-keys directory)."""
    from demo.builder import ADMIN, ORGANISATIONS
    from demo.year import DemoYear
    from ledger import signing

    year = DemoYear({code: name for code, name, _ in ORGANISATIONS}, ADMIN)
    prefix = f"qhx-2026-{copies + 1}-"
    steps = [s for s in year.plan(copies + 1) if s.procurement.startswith(prefix)][:count]
    keys: dict[str, Any] = {}
    bodies = []
    for step in steps:
        if step.actor not in keys:
            keys[step.actor] = signing.read_key(data / "demo-keys" / f"{step.actor}.pem")
        key = keys[step.actor]
        command = signing.new_command(
            step.kind, step.payload, actor=step.actor, key=key, procurement=step.procurement
        )
        body = signing.sign(command, key, step.sealed)
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[str], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {seconds:g} s")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def lag_histogram(text: str) -> dict[str, Any]:
    """sunshine_publisher_delivery_lag_seconds from Prometheus text: count, mean, and the
    bucket bounds holding the median and the 99th percentile."""
    name = "sunshine_publisher_delivery_lag_seconds"
    buckets: list[tuple[float, float]] = []
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{") and f'destination="{DESTINATION}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(le), float(line.rsplit(" ", 1)[1])))
        elif line.startswith(f"{name}_sum{{"):
            total = float(line.rsplit(" ", 1)[1])
        elif line.startswith(f"{name}_count{{"):
            count = float(line.rsplit(" ", 1)[1])

    def bound(q: float) -> float | None:
        return next((b for b, n in sorted(buckets) if n >= q * count), None) if count else None

    return {
        "count": int(count),
        "mean_ms": round(1000 * total / count, 1) if count else None,
        "p50_at_most_s": bound(0.5),
        "p99_at_most_s": bound(0.99),
    }


def latency(
    url: Any, data: Path, copies: int, rate: float, seconds: float, logs: Path
) -> dict[str, Any]:
    """New commands at ``rate``/s over HTTP while `sunshine publish` runs: per notice, its
    arrival at the site − the moment its command was sent."""
    key = data / "demo-keys" / f"{KEY}.pem"
    bodies = live_bodies(data, copies, int(rate * seconds))
    api_port, metrics_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    sent: dict[int, float] = {}  # leaf index -> when its command was sent
    answers: collections.Counter[int] = collections.Counter()
    with (
        Site(key, logs, "site-latency") as site,
        open(logs / "serve.log", "wb") as serve_log,
        open(logs / "publish-latency.log", "wb") as publish_log,
    ):
        serve = start(
            [
                sys.executable,
                "-m",
                "sunshine.cli",
                "serve",
                "--db",
                url_text(url),
                "--data-dir",
                str(data),
                "--port",
                str(api_port),
            ],
            serve_log,
        )
        destinations = write_destinations(data / "destinations-latency.toml", site.url)
        publisher = start(
            publish_command(
                url_text(url),
                data,
                destinations,
                "--workers",
                "2",
                "--metrics-port",
                str(metrics_port),
            ),
            publish_log,
        )
        try:
            wait_for(f"{api}/log/key", serve, "sunshine serve")
            wait_until_set_up(publisher, "sunshine publish")
            wait_for(f"http://127.0.0.1:{metrics_port}/metrics", publisher, "publisher metrics")
            load = load_average()
            with httpx.Client(timeout=30) as client:
                began = time.time()
                for n, body in enumerate(bodies):
                    pause = began + n / rate - time.time()
                    if pause > 0:
                        time.sleep(pause)
                    moment = time.time()
                    response = client.post(
                        f"{api}/commands",
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    answers[response.status_code] += 1
                    if response.status_code in (200, 201, 202):
                        for event in response.json().get("events", []):
                            if event.get("leaf_index") is not None:
                                sent[int(event["leaf_index"])] = moment
                submitted = time.time() - began
            notices = notices_in(read_leaves(url, list(sent)))
            deadline = time.monotonic() + 60
            while True:
                arrivals = {int(a["notice"]): a for a in site.arrivals() if a["notice"] in notices}
                if len(arrivals) == len(notices) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        finally:
            stop(publisher)
            stop(serve)
    from_sent = [1000 * (float(a["arrived"]) - sent[i]) for i, a in arrivals.items()]
    from_recorded = [
        1000 * (float(a["arrived"]) - datetime.fromisoformat(notices[i]["recorded_at"]).timestamp())
        for i, a in arrivals.items()
    ]
    figures = percentiles(from_sent) if from_sent else {}
    log(
        f"latency: {len(from_sent)} of {len(notices)} notices arrived, "
        f"p50 {figures.get('p50', 0):.0f} ms, p99 {figures.get('p99', 0):.0f} ms "
        f"(load {load})"
    )
    return {
        "notices": len(notices),
        "arrived": len(arrivals),
        "commands": len(bodies),
        "answers": {str(k): v for k, v in sorted(answers.items())},
        "commands_per_s": round(len(bodies) / submitted, 1),
        "ms_from_sent": {k: round(v, 1) for k, v in figures.items()},
        "ms_from_recorded_at": {k: round(v, 1) for k, v in percentiles(from_recorded).items()}
        if from_recorded
        else {},
        "worker_lag_histogram": lag_histogram(metrics),
        "loadavg_1m": load,
    }


# -- where a delivery's time goes ------------------------------------------------------------

#: (file, function) of the steps of one delivery, for the profile's breakdown.
PARTS = {
    "work_once (all of a delivery)": ("publisher/worker.py", "work_once"),
    "claim": ("publisher/store.py", "claim"),
    "read the leaf": ("ledger/log/reader.py", "entry"),
    "build the body": ("publisher/payloads.py", "notice_body"),
    "send (the request, the site's answer included)": ("publisher/sending.py", "send"),
    "sign v1a": ("publisher/webhooks.py", "sign_v1a"),
    "receipt (ReceiptWriter.delivered)": ("publisher/receipts.py", "delivered"),
    "  Ledger.submit": ("ledger/application.py", "submit"),
    "    store the event (committer)": ("ledger/committer.py", "store"),
    "    integrate into the log": ("ledger/log/integrator.py", "integrate"),
    "mark the job done": ("publisher/store.py", "recorded"),
}


def profile(url: Any, data: Path, logs: Path, count: int = PROFILED) -> dict[str, Any]:
    """``count`` deliveries by an in-process Publisher from one thread, under cProfile, after
    the throughput run: to another destination (``profiled``), which is new, so every notice
    is planned for it again (backfill) and the measured run's jobs are left alone."""
    from ledger import signing
    from ledger.application import Ledger, LedgerConfig
    from publisher.config import load_destinations
    from publisher.worker import Publisher

    key = data / "demo-keys" / f"{KEY}.pem"
    with Site(key, logs, "site-profile") as site:
        destinations = data / "destinations-profile.toml"
        config = load_destinations(write_destinations(destinations, site.url, "profiled"))
        # As `sunshine publish` opens it: receipts do not wait for their leaves.
        ledger = Ledger(LedgerConfig(database=url, data_dir=data, leaf_wait_seconds=0.0))
        try:
            publisher = Publisher(ledger, config, signing.read_key(key), workers=0)
            publisher.setup()
            publisher.drain()  # no workers: plans every job, delivers none
            profiler = cProfile.Profile()
            done = 0
            cpu, wall = time.process_time(), time.perf_counter()
            profiler.enable()
            while done < count and publisher.work_once("profile")[0]:
                done += 1
            profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            publisher.stop()
        finally:
            ledger.close()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    parts: dict[str, float] = {}
    for label, (file, function) in PARTS.items():
        seconds = sum(
            value[3]
            for (path, _, name), value in stats.items()
            if path.endswith(file) and name == function
        )
        parts[label] = round(1000 * seconds / max(1, done), 3)
    facts = {
        "deliveries": done,
        "ms_per_delivery_profiled": round(1000 * wall / max(1, done), 3),
        "thread_cpu_ms_per_delivery_profiled": round(1000 * cpu / max(1, done), 3),
        "ms_per_delivery_by_part": parts,
    }
    log(
        f"profile: {done} deliveries from one thread, {facts['ms_per_delivery_profiled']} ms "
        f"each under cProfile; " + ", ".join(f"{k.strip()} {v}" for k, v in parts.items())
    )
    return facts


# -- the rows ----------------------------------------------------------------------------------


def rate_row(
    name: str, title: str, facts: dict[str, Any], floor: dict[str, Any], judged: bool = True
) -> Result:
    measured = float(facts["deliveries_per_s"])
    baseline = float(floor["deliveries_per_s"]) or None
    passed = measured >= RATE_TARGET and bool(facts["complete"]) if judged else None
    return Result(
        name,
        title,
        f"≥ {RATE_TARGET:g}/s" if judged else "information",
        measured,
        "deliveries/s",
        baseline,
        "httpx wire floor, no database",
        measured / baseline if baseline else None,
        passed,
        facts,
    )


def wanted(args: argparse.Namespace, facts: dict[str, Any]) -> bool:
    """Whether to profile: --profile, or by default when the target was missed."""
    if args.profile is None:
        return bool(facts["deliveries_per_s"] < RATE_TARGET)
    return bool(args.profile)


def run(args: argparse.Namespace, logs: Path) -> list[Result]:
    results: list[Result] = []
    with fast_dir("publish-build") as built, scratch_dir("publish-disk") as scratch:
        facts = build(sqlite_url(built), built, args.copies)
        disk = copy_ledger(built, scratch / "ledger")
        on_disk = throughput("sqlite", sqlite_url(disk), disk, 1, 2, logs) | {"build": facts}
        floor = wire_floor(sqlite_url(disk), disk / "demo-keys" / f"{KEY}.pem", logs)
        if wanted(args, on_disk):
            on_disk["profile"] = profile(sqlite_url(disk), disk, logs)
        results.append(
            rate_row(
                "publish_rate_sqlite",
                "deliveries/s to a local site, SQLite on disk, 1 process × 2 workers",
                on_disk,
                floor,
            )
        )
        if SHM.is_dir():
            in_memory = throughput("sqlite-shm", sqlite_url(built), built, 1, 2, logs)
            results.append(
                rate_row(
                    "publish_rate_sqlite_shm",
                    "deliveries/s, SQLite on /dev/shm (no fsync cost), 1 process × 2 workers",
                    in_memory,
                    floor,
                    judged=False,
                )
            )
        late = latency(sqlite_url(disk), disk, args.copies, args.rate, args.seconds, logs)
    ms = late["ms_from_sent"]
    complete = late["arrived"] == late["notices"] > 0
    for point, target in (("p50", P50_TARGET_MS), ("p99", P99_TARGET_MS)):
        value = float(ms.get(point, float("inf")))
        results.append(
            Result(
                f"publish_latency_{point}",
                f"event to delivered {point}, healthy site (SQLite)",
                f"< {target:,.0f} ms",
                value,
                "ms",
                None,
                "",
                None,
                complete and value < target,
                late if point == "p50" else {"see": "publish_latency_p50"},
            )
        )
    problem = None if args.no_postgres else postgres_problem()
    if args.no_postgres:
        problem = "skipped (--no-postgres)"
    if problem is not None:
        results.append(
            Result(
                "publish_rate_postgres",
                "deliveries/s, PostgreSQL, 2 processes × 1 worker",
                f"≥ {RATE_TARGET:g}/s",
                0.0,
                "deliveries/s",
                None,
                "",
                None,
                None,
                {"skipped": f"PostgreSQL unavailable: {problem}"},
            )
        )
        return results
    with pg_database("publish") as url, scratch_dir("publish-pg") as data:
        facts = build(url, data, args.pg_copies)
        shared = throughput("postgres", url, data, 2, 1, logs) | {"build": facts}
        if wanted(args, shared):
            shared["profile"] = profile(url, data, logs)
    results.append(
        rate_row(
            "publish_rate_postgres",
            "deliveries/s to a local site, PostgreSQL, 2 processes × 1 worker",
            shared,
            floor,
        )
    )
    return results


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=COPIES, help="demo years, SQLite")
    parser.add_argument("--pg-copies", type=int, default=PG_COPIES, help="demo years, PostgreSQL")
    parser.add_argument("--rate", type=float, default=LIVE_RATE, help="commands/s, latency run")
    parser.add_argument("--seconds", type=float, default=LIVE_SECONDS, help="of the latency run")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile deliveries (default: when the SQLite target is missed)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sunshine-bench-publish-logs-") as logs:
        try:
            results = run(args, Path(logs))
        except Exception:
            for path in sorted(Path(logs).iterdir()):  # what the programs said, then the error
                text = path.read_text(errors="replace")[-2000:]
                if text.strip():
                    print(f"--- {path.name}\n{text}", file=sys.stderr)
            raise
    write_results("publish", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
