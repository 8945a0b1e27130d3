"""Public pages under 32 connections and the projection rebuild, with 10,000 procurements.

Targets (issue 4): with 10,000 procurements (about 150,000 events) loaded, the list, search
and announcement pages under 32 concurrent connections: p99 < 50 ms and ≥ 500 requests/s on
this 2-core machine; projection rebuild ≥ 10,000 events/s.

Needs Debian's load generator and static server: ``apt-get install wrk nginx-light``.

1. Load (setup, not measured): the demo catalogue drawn ``--copies`` times (66 × 153 =
   10,098 procurements, ~170,000 leaves) by ``demo.builder.DemoBuilder``: every command
   signed by its actor and decided by ``Ledger.submit``, stored without inline integration
   and integrated once at the end. The ledger goes to /dev/shm when there is one: each
   command is its own transaction, and waiting for fsync (2–3 ms here) would triple the
   load time; nothing measured below depends on it (the rebuild commits every 10,000 leaves).
2. Rebuild (target): ``Follower(db, PublicProjection).rebuild()`` over the whole log — the
   announcement, search, timeline and challenge tables — in leaves (events) per second. The
   service's other projections are then caught up (their rate is information), so no
   server below spends the measurement catching up.
3. Pre-rendered pages (targets): published notices never change, so the way past the
   FastAPI floor is to serve them as files (BENCHMARKS.md): ``sunshine export-site`` writes
   the site and nginx serves it (``daemon off``, access log off, ETags on as by default).
   ``wrk -c32 -t2 -d10s --latency`` on the list (``/announcements/``), a result notice and
   the home page.
4. Dynamic pages (information): ``sunshine serve --workers 2`` on the same ledger: the list,
   the same notice, and search for a two-character query (LIKE: a trigram index cannot look
   up fewer than three characters) and a four-character one (FTS5 trigram).
5. The floor, in the same run: fixed bytes from a FastAPI route under ``uvicorn --workers
   2`` (BENCHMARKS.md's static_baseline), measured before and after the pages; each page's
   row shows it as the baseline (the mean of the two).

Every wrk run notes the 1-minute load average when it starts: the machine is shared, and
wrk itself takes one of the two cores.

    .venv/bin/python -m bench.pages               # build in a scratch dir, measure, delete
    .venv/bin/python -m bench.pages --data DIR    # keep the build in DIR; reuse it next time
    .venv/bin/python -m bench.pages --data DIR --rebuild-only   # the rebuild's figure alone
    SUNSHINE_BENCH_PAGES_DATA=DIR .venv/bin/python -m bench.run pages   # the same, via run
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import (
    RESULTS,
    ROOT,
    Result,
    command_line,
    log,
    machine_facts,
    result_json,
    write_results,
)
from sunshine.security_headers import NGINX_DIRECTIVES

P99_MS = 50.0
RPS = 500.0
REBUILD = 10_000.0
COPIES = 66  # × 153 procurements of the demo catalogue = 10,098
CONNECTIONS, THREADS, SECONDS, WARMUP = 32, 2, 10, 2
SHORT_QUERY, LONG_QUERY = "医院", "人民医院"
PACKAGES = {"wrk": "wrk", "nginx": "nginx-light"}  # command -> Debian package
READY = "bench-pages.json"  # written into the data dir once the build is complete
#: BENCHMARKS.md's fixed-bytes page (anchors/static_baseline.py).
FLOOR_BODY = ("<!doctype html><html lang='zh-CN'><body>"
              + "<li>某某旗人民医院医疗设备采购项目</li>" * 20 + "</body></html>").encode()


def floor_app() -> Any:
    """The FastAPI floor: one route returning fixed bytes (``uvicorn --factory``)."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/a")
    def fixed() -> Response:
        return Response(FLOOR_BODY, media_type="text/html; charset=utf-8")

    return app


# -- tools and servers -------------------------------------------------------------------------


def tool(name: str) -> str | None:
    """A command's path; nginx lives in /usr/sbin, often outside a user's PATH."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_tools() -> list[str]:
    return [f"{name} (apt-get install {package})" for name, package in PACKAGES.items()
            if tool(name) is None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {seconds:g} s")


@contextmanager
def running(command: list[str], url: str, what: str, env: dict[str, str] | None = None,
            log_file: Path | None = None, seconds: float = 60) -> Iterator[None]:
    """A server process for the duration, once it answers ``url`` (within ``seconds``);
    stopped (SIGTERM, then SIGKILL) afterwards."""
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env or dict(os.environ),
                               stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(url, process, what, seconds)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_file:
            out.close()  # type: ignore[union-attr]


def nginx_conf(directory: Path, site: Path, port: int) -> Path:
    """A self-contained nginx config: foreground, no access log, files from ``site``."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "nginx" / name).mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers would run as "nobody", who may not enter a private scratch
    # dir; they run as the invoking user instead (the directive is ignored otherwise).
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(0).pw_name} {grp.getgrgid(0).gr_name};"
    temp = "\n".join(f"  {name}_temp_path {directory / 'nginx' / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = directory / "nginx" / "nginx.conf"
    # The security headers `sunshine serve` sends, as the README tells an operator to add.
    headers = "\n".join(f"    {line}" for line in NGINX_DIRECTIVES.splitlines())
    conf.write_text(f"""{user}
daemon off;
worker_processes auto;
pid {directory / 'nginx' / 'nginx.pid'};
error_log {directory / 'nginx' / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  etag on;
{temp}
  server {{
    listen 127.0.0.1:{port};
    root {site};
    index index.html;
{headers}
  }}
}}
""", encoding="utf-8")
    return conf


# -- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


@dataclass
class Load:
    rps: float
    p50: float
    p90: float
    p99: float
    requests: int
    errors: int  # socket errors and non-2xx/3xx answers
    load_average: float

    def details(self) -> dict[str, Any]:
        return {"p50_ms": round(self.p50, 2), "p90_ms": round(self.p90, 2),
                "p99_ms": round(self.p99, 2), "requests_per_s": round(self.rps, 1),
                "requests": self.requests, "errors": self.errors,
                "loadavg_1m": self.load_average}


def wrk(url: str, seconds: int = SECONDS, rotating: list[str] | None = None) -> Load:
    """``wrk -c32 -t2 -d{seconds}s --latency url``, after a short warm-up run.

    wrk leaves answers slower than its timeout (2 s by default) out of the latencies and
    counts them as errors: at 10 s a slow page is measured rather than dropped.

    With ``rotating`` (paths), each request asks the next path of the list, the threads
    taking turns, and there is no warm-up: every path is asked once while the list lasts.
    """
    base = [str(tool("wrk")), f"-c{CONNECTIONS}", f"-t{THREADS}", "--latency", "--timeout", "10s"]
    if rotating:
        script = Path(tempfile.mkstemp(suffix=".lua", prefix="sunshine-wrk-")[1])
        script.write_text(_ROTATE.replace("PATHS", ", ".join(
            '"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in rotating)),
            encoding="utf-8")
        base += ["-s", str(script)]
    else:
        subprocess.run([*base, f"-d{WARMUP}s", url], check=True, capture_output=True)
    load_average = round(os.getloadavg()[0], 2)
    try:
        out = subprocess.run([*base, f"-d{seconds}s", url], check=True, capture_output=True,
                             text=True).stdout
    finally:
        if rotating:
            script.unlink()
    # Whole seconds are printed with a trailing space ("1.10s "), to align the units.
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 4:
        raise RuntimeError(f"no latency distribution in wrk's output:\n{out}")
    errors = sum(int(n) for n in re.findall(
        r"(?:connect|read|write|timeout) ([0-9]+)", out))
    non_ok = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", out)
    result = Load(
        rps=float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        p50=_ms(latency["50"]), p90=_ms(latency["90"]), p99=_ms(latency["99"]),
        requests=int(re.search(r"([0-9]+) requests in", out).group(1)),  # type: ignore[union-attr]
        errors=errors + (int(non_ok.group(1)) if non_ok else 0),
        load_average=load_average,
    )
    others = f" and {len(rotating) - 1:,} others" if rotating else ""
    log(f"{url}{others}: {result.rps:,.0f} req/s, p50 {result.p50:.1f} ms, "
        f"p99 {result.p99:.1f} ms, {result.errors} errors (load {load_average})")
    return result


#: wrk's Lua: thread n of THREADS asks paths n, n + THREADS, … of the list, then wraps.
_ROTATE = f"""
local paths = {{PATHS}}
local threads, counter = {THREADS}, 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
local i = nil
function request()
  if i == nil then i = id + 1 else i = i + threads end
  if i > #paths then i = (i - 1) % #paths + 1 end
  return wrk.format("GET", paths[i])
end
"""


def page_facts(url: str, must_show: str) -> dict[str, Any]:
    """Check the page before loading it: 200, what it should show, and a 304 on its ETag."""
    import httpx

    response = httpx.get(url, timeout=30)
    text = response.text
    if response.status_code != 200 or must_show not in text:
        raise RuntimeError(f"{url} answered {response.status_code} without {must_show!r}")
    etag = response.headers.get("etag")
    again = httpx.get(url, headers={"If-None-Match": etag}, timeout=30) if etag else None
    return {"url": url, "bytes": len(response.content), "etag": etag,
            "conditional_304": again is not None and again.status_code == 304}


# -- the build ---------------------------------------------------------------------------------


class Counting:
    """The ledger as DemoBuilder sees it, logging progress every 10,000 commands."""

    def __init__(self, ledger: Any, total: int):
        self._ledger, self.total, self.done = ledger, total, 0
        self._started = time.perf_counter()

    def submit(self, body: bytes) -> Any:
        self.done += 1
        if self.done % 10_000 == 0:
            rate = self.done / (time.perf_counter() - self._started)
            log(f"load: {self.done:,} of ~{self.total:,} commands ({rate:,.0f}/s)")
        return self._ledger.submit(body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


def build(data: Path, copies: int) -> dict[str, Any]:
    from bench.common import open_ledger
    from demo.builder import DemoBuilder
    from ledger.store.url import parse_database_url

    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    ledger = open_ledger(url, data, inline_integration=False, leaf_wait_seconds=0)
    try:
        started = time.perf_counter()
        counting = Counting(ledger, copies * 2_360)
        summary = DemoBuilder(counting, data / "demo-keys", copies=copies).build()  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    log(f"loaded {copies} copies of the demo year: {summary.size:,} leaves in {seconds:.0f} s")
    return {"copies": copies, "leaves": summary.size, "commands": summary.events,
            "load_seconds": round(seconds, 1)}


def projections(data: Path) -> dict[str, Any]:
    """Time the public projection's rebuild; catch the service's others up (information)."""
    from bench.common import open_ledger
    from ledger.store.url import parse_database_url
    from projections.public import PublicProjection
    from projections.runner import Follower
    from sunshine.bootstrap import projector_for

    ledger = open_ledger(parse_database_url(f"sqlite:///{data / 'ledger.db'}"), data)
    try:
        size = ledger.reader.size()
        follower = Follower(ledger.db, PublicProjection(sqlite=True))
        follower.setup()
        started, cpu = time.perf_counter(), time.process_time()
        position = follower.rebuild()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        # Over the rebuild's last minute: its own process is one of the load.
        load_average = round(os.getloadavg()[0], 2)
        assert position == size, f"rebuilt to {position} of {size} leaves"
        with ledger.db.read() as cur:
            procurements = int(cur.execute("SELECT COUNT(*) FROM pub_procurements").fetchone()[0])
            notices = int(cur.execute("SELECT COUNT(*) FROM pub_announcements").fetchone()[0])
            # A result notice (with its committee) from the middle of the log.
            notice = int(cur.execute(
                "SELECT leaf_index FROM pub_announcements WHERE type = 'result' "
                "AND data LIKE '%\"committee\"%' ORDER BY leaf_index LIMIT 1 OFFSET "
                "(SELECT COUNT(*) / 2 FROM pub_announcements WHERE type = 'result')"
            ).fetchone()[0])
        log(f"public projection rebuilt: {size:,} leaves in {seconds:.1f} s "
            f"({size / seconds:,.0f}/s; {procurements:,} procurements, {notices:,} notices; "
            f"load {load_average})")
        others = {}
        for other in projector_for(ledger).followers:
            if other.projection.name == "public":
                continue
            other.setup()
            begun, started = other.position(), time.perf_counter()
            applied = other.catch_up() - begun  # none when a reused build is current
            seconds_other = time.perf_counter() - started
            others[other.projection.name] = (round(applied / seconds_other, 1) if applied
                                             else "already current")
        log(f"other projections caught up (leaves/s): {others}")
    finally:
        ledger.close()
    return {"leaves": size, "seconds": seconds, "rate": size / seconds,
            "procurements": procurements, "notices": notices, "notice": notice,
            "loadavg_1m": load_average, "cpu_seconds": cpu_seconds,
            "other_projections_leaves_per_s": others}


def export(data: Path) -> dict[str, Any]:
    """``sunshine export-site`` into ``data/site``, as an operator would run it."""
    site = data / "site"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "export-site", str(site), "--data-dir", str(data),
         "--db", f"sqlite:///{data / 'ledger.db'}"],
        cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"export-site failed: {done.stderr[-1000:]}")
    files = sum(len(names) for _, _, names in os.walk(site))
    log(f"export-site: {done.stdout.strip()} ({seconds:.0f} s)")
    return {"export_seconds": round(seconds, 1), "export_files": files}


# -- the run -----------------------------------------------------------------------------------


def measure(data: Path, facts: dict[str, Any]) -> tuple[list[Result], dict[str, Any]]:
    notice = facts["notice"]
    logs = data / "logs"
    logs.mkdir(exist_ok=True)
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data),
               SUNSHINE_DATABASE_URL=f"sqlite:///{data / 'ledger.db'}")
    floor_port, nginx_port, app_port = free_port(), free_port(), free_port()
    floor_url = f"http://127.0.0.1:{floor_port}/a"
    static = f"http://127.0.0.1:{nginx_port}"
    dynamic = f"http://127.0.0.1:{app_port}"
    # (name, title, url, text the page must show)
    static_pages = [
        ("list", "list page /announcements/", f"{static}/announcements/", "全部公告"),
        ("notice", "result notice", f"{static}/announcements/{notice}/", "中标（成交）信息"),
        ("home", "home page", f"{static}/", "政府采购公告"),
    ]
    dynamic_pages = [
        ("list", "list page /announcements", f"{dynamic}/announcements", "全部公告"),
        ("notice", "result notice", f"{dynamic}/announcements/{notice}", "中标（成交）信息"),
        ("search2", f"search “{SHORT_QUERY}” (2 characters)",
         f"{dynamic}/announcements?q={quote(SHORT_QUERY)}", f"“{SHORT_QUERY}”的"),
        ("search4", f"search “{LONG_QUERY}” (4 characters)",
         f"{dynamic}/announcements?q={quote(LONG_QUERY)}", f"“{LONG_QUERY}”的"),
    ]
    uvicorn = [sys.executable, "-m", "uvicorn", "bench.pages:floor_app", "--factory",
               "--host", "127.0.0.1", "--port", str(floor_port), "--workers", "2",
               "--log-level", "warning"]
    loads: dict[str, Load] = {}
    checks: dict[str, Any] = {}
    with running(uvicorn, floor_url, "the FastAPI floor", log_file=logs / "floor.log"):
        loads["floor_before"] = wrk(floor_url)
        nginx = [str(tool("nginx")), "-c", str(nginx_conf(data, data / "site", nginx_port)),
                 "-e", str(data / "nginx" / "error.log")]
        with running(nginx, static + "/", "nginx", log_file=logs / "nginx.log"):
            for name, _, url, text in static_pages:
                checks[f"static_{name}"] = page_facts(url, text)
                loads[f"static_{name}"] = wrk(url)
        serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(app_port),
                 "--workers", "2"]
        with running(serve, dynamic + "/log/key", "sunshine serve", env=env,
                     log_file=logs / "serve.log"):
            for name, _, url, text in dynamic_pages:
                checks[f"dynamic_{name}"] = page_facts(url, text)
                loads[f"dynamic_{name}"] = wrk(url)
        loads["floor_after"] = wrk(floor_url)
    before, after = loads["floor_before"], loads["floor_after"]
    floor_rps, floor_p99 = (before.rps + after.rps) / 2, (before.p99 + after.p99) / 2
    scale = (f"{facts['procurements']:,} procurements, {facts['leaves']:,} events, "
             f"{facts['notices']:,} notices")
    results = []
    for kind, pages, judged in (("static", static_pages, True),
                                ("dynamic", dynamic_pages, False)):
        server = "pre-rendered, nginx" if judged else "dynamic, sunshine serve --workers 2"
        for name, title, _, _ in pages:
            load = loads[f"{kind}_{name}"]
            details = load.details() | checks[f"{kind}_{name}"] | {"scale": scale}
            valid = load.errors == 0
            results += [
                Result(f"pages_{kind}_{name}_p99", f"{title} ({server}), p99 at 32 connections",
                       f"p99 < {P99_MS:g} ms" if judged else f"information (p99 < {P99_MS:g} ms)",
                       load.p99, "ms", floor_p99, "FastAPI fixed-bytes floor p99 ms",
                       load.p99 / floor_p99, (valid and load.p99 < P99_MS) if judged else None,
                       details),
                Result(f"pages_{kind}_{name}_rps", f"{title} ({server}), requests/s",
                       f"≥ {RPS:g} req/s" if judged else f"information (≥ {RPS:g} req/s)",
                       load.rps, "req/s", floor_rps, "FastAPI fixed-bytes floor req/s",
                       load.rps / floor_rps, (valid and load.rps >= RPS) if judged else None,
                       {"p99_ms": round(load.p99, 2), "errors": load.errors,
                        "loadavg_1m": load.load_average}),
            ]
    floor = {"floor_before": before.details(), "floor_after": after.details(),
             "floor_bytes": len(FLOOR_BODY)}
    return results, floor


def built_in(data: Path, copies: int) -> dict[str, Any]:
    """The ledger built in ``data``: reused when a previous run completed it."""
    ready = data / READY  # what is built in ``data`` so far
    if ready.is_file():
        built: dict[str, Any] = json.loads(ready.read_text(encoding="utf-8"))
        log(f"reusing the build in {data}: {built}")
        return built | {"reused": str(data)}
    built = build(data, copies)
    ready.write_text(json.dumps(built) + "\n", encoding="utf-8")
    return built


def rebuild_result(facts: dict[str, Any]) -> Result:
    return Result(
        "pages_projection_rebuild",
        f"public projection rebuild ({facts['leaves']:,} events, "
        f"{facts['procurements']:,} procurements)",
        f"≥ {REBUILD:,.0f} events/s", facts["rate"], "events/s", None, "", None,
        facts["rate"] >= REBUILD,
        {"seconds": round(facts["seconds"], 1), "cpu_seconds": round(facts["cpu_seconds"], 1),
         "notices": facts["notices"],
         "other_projections_leaves_per_s": facts["other_projections_leaves_per_s"],
         "loadavg_1m": facts["loadavg_1m"]})


def run(data: Path, copies: int) -> tuple[list[Result], dict[str, Any]]:
    built = built_in(data, copies)
    facts = projections(data)
    if "export_seconds" not in built:
        built |= export(data)
        (data / READY).write_text(json.dumps(built) + "\n", encoding="utf-8")
    facts |= built
    rebuild = rebuild_result(facts)
    pages, floor = measure(data, facts)
    return [rebuild, *pages], {"setup": built | {"notice_leaf": facts["notice"]}, **floor}


@contextmanager
def data_dir(given: str | None) -> Iterator[Path]:
    if given:
        path = Path(given).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    # On tmpfs when there is one (see the module docstring), removed afterwards.
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="sunshine-bench-pages-", dir=parent) as d:
        yield Path(d)


def rebuild_only(data: Path, copies: int, started: float) -> Path:
    """Measure the rebuild alone and put its figure in pages.json in place of the last one,
    keeping the pages' figures of the run that measured them (said in the figure's details)."""
    built = built_in(data, copies)
    facts = projections(data) | built
    result = result_json(rebuild_result(facts))
    result["details"]["run"] = {
        "part": "the rebuild only (--rebuild-only); the pages' figures are from the run above",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(), "runtime_seconds": round(time.perf_counter() - started, 1),
        "machine": machine_facts(), "setup": built | {"notice_leaf": facts["notice"]},
    }  # fmt: skip
    path = RESULTS / "pages.json"
    doc: dict[str, Any] = {"benchmark": "pages", "results": []}
    if path.is_file():
        doc = json.loads(path.read_text(encoding="utf-8"))
    others: list[dict[str, Any]] = [r for r in doc["results"] if r["name"] != result["name"]]
    doc["results"] = [result, *others]
    doc["pass"] = all(r["pass"] for r in doc["results"] if r["pass"] is not None)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"{result['title']}: {result['measured']:,.0f} {result['unit']} -> {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=COPIES,
                        help=f"demo catalogues to load (default {COPIES}: ~10,000 procurements)")
    parser.add_argument("--data", default=os.environ.get("SUNSHINE_BENCH_PAGES_DATA"),
                        help="keep the built ledger and export here; reuse it if built "
                        "(default: $SUNSHINE_BENCH_PAGES_DATA, else a scratch dir)")
    parser.add_argument("--rebuild-only", action="store_true",
                        help="build (or reuse) the ledger and measure the projection rebuild "
                        "alone, without the export and the pages (its figure replaces the "
                        "rebuild's in pages.json)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.rebuild_only:
        with data_dir(args.data) as data:
            rebuild_only(data, args.copies, started)
        return 0
    missing = missing_tools()
    if missing:
        print("bench.pages needs Debian's " + " and ".join(missing), file=sys.stderr)
        return 2
    with data_dir(args.data) as data:
        results, extra = run(data, args.copies)
    write_results("pages", results, extra, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
