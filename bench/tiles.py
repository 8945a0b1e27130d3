"""C2SP tlog-tiles: serving them at 1,000,000 leaves, and `sunshine verify --tiles` against
`sunshine verify --url` on the same log.

Targets (issue 14): tile serving at 1M leaves in the pre-rendered pages' requests/s order of
magnitude; `verify --tiles` at ≥ 0.9× the entries/s of `verify --url`.

Needs Debian's load generator and static server: ``apt-get install wrk nginx-light``.

1. Serving. A million real signed events take too long to build, so, as ``bench.proofs``
   does, the log tables are filled directly: ``log_leaves`` and ``log_nodes`` through
   ``CompactRange.append`` over synthetic leaves (about 70 bytes, where a real leaf is about
   1 KB: an entry bundle here is ~18 KB, a real one ~260 KB; a hash tile is 8 KB either
   way), and one signed checkpoint. The tiles are then read through the product's own
   ``LogTiles`` (the range reads the API and `export-site` make) into a directory, and:
   - nginx serves that directory (the static mirror or CDN the tiles are for);
   - `sunshine serve --workers 2` serves the same tiles from the database (``/log/tile/…``).
   ``wrk -c32 -t2 -d10s`` on each, a Lua script cycling through 4,000 random full tiles
   (level-0 hash tiles, entry bundles, level-1 tiles). Judged: nginx over the tiles, against
   the pre-rendered pages' figure in bench/results/pages.json (nginx over `export-site`'s
   pages): at least a tenth of it (same order of magnitude). The API's figure is information,
   beside the FastAPI fixed-bytes floor measured in the same run.
2. Verifying. A real signed ledger (genesis, then RegisterOrganisation commands, as
   ``bench.verify`` builds it) of 20,000 entries served by `sunshine serve`; the real
   `sunshine verify --url URL` and `sunshine verify --tiles URL` (and `--tiles DIR` over the
   tiles written as `export-site` writes them) in child processes, alternated, three rounds,
   median wall time; entries/s end to end. Judged: --tiles URL / --url ≥ 0.9.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    ROOT,
    Result,
    bulk_register,
    do_genesis,
    log,
    open_ledger,
    scratch_dir,
    write_results,
)
from bench.pages import free_port, missing_tools, nginx_conf, running, tool, wrk
from bench.proofs import build_log

N = 1_000_000
VERIFY_SIZE = 20_000
RATIO = 0.9
PATHS = 4000
#: A stand-in for a pre-rendered notice page (about the size of one), to serve beside the
#: tiles from the same nginx in the same run.
PAGE = ("<!doctype html><html lang='zh-CN'><body>"
        + "<p>澄溪县人民医院医疗设备采购项目中标（成交）结果公告</p>" * 160
        + "</body></html>").encode()


def write_tiles(db: Path, out: Path) -> tuple[int, float]:
    """Every tile and entry bundle of the log in ``db`` as files under ``out`` (the layout
    `export-site` writes under log/); the number of files and the seconds it took."""
    from ledger.log.note import parse_checkpoint
    from ledger.log.tile_store import LogTiles
    from ledger.log.tiles import tiles_of
    from ledger.store.sql import SQLiteDatabase
    from ledger.store.url import parse_database_url

    started = time.perf_counter()
    database = SQLiteDatabase(parse_database_url(f"sqlite:///{db}"))
    tiles = LogTiles(database)
    files = 0
    try:
        with database.read() as cur:
            row = cur.execute(
                "SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        assert row is not None, "the log has no checkpoint"
        note = str(row[0])
        size = parse_checkpoint(note.split("\n\n", 1)[0] + "\n").size
        (out / "checkpoint").parent.mkdir(parents=True, exist_ok=True)
        (out / "checkpoint").write_text(note, encoding="utf-8")
        for tile in tiles_of(size):
            pairs = [(tile, tiles.hashes(tile))]
            if tile.level == 0:
                pairs.append((tile.entries(), tiles.entries(tile.entries())))
            for which, data in pairs:
                path = out / which.path()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                files += 1
    finally:
        database.close()
    return files, time.perf_counter() - started


def wrk_script(directory: Path, name: str, paths: list[str]) -> Path:
    """A wrk Lua script that cycles through ``paths``."""
    script = directory / f"{name}.lua"
    listed = ",\n".join(json.dumps(p) for p in paths)
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        "  return wrk.format(\"GET\", paths[(n % #paths) + 1])\nend\n",
        encoding="utf-8")
    return script


def tile_paths(n: int, rng: random.Random) -> dict[str, list[str]]:
    from ledger.log.tiles import Tile

    full0 = n // 256
    return {
        "hash tiles (level 0)": [Tile(0, rng.randrange(full0), 256).path()
                                 for _ in range(PATHS)],
        "entry bundles": [Tile(-1, rng.randrange(full0), 256).path() for _ in range(PATHS)],
        "hash tiles (level 1)": [Tile(1, i, 256).path() for i in range(full0 // 256)],
    }


def _wrk(url: str, script: Path) -> Any:
    import re

    from bench.pages import CONNECTIONS, SECONDS, THREADS, WARMUP, Load, _ms

    base = [str(tool("wrk")), f"-c{CONNECTIONS}", f"-t{THREADS}", "--latency", "--timeout",
            "10s", "-s", str(script)]
    subprocess.run([*base, f"-d{WARMUP}s", url], check=True, capture_output=True)
    load_average = round(os.getloadavg()[0], 2)
    out = subprocess.run([*base, f"-d{SECONDS}s", url], check=True, capture_output=True,
                         text=True).stdout
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) ([0-9]+)", out))
    non_ok = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", out)
    result = Load(
        rps=float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        p50=_ms(latency["50"]), p90=_ms(latency["90"]), p99=_ms(latency["99"]),
        requests=int(re.search(r"([0-9]+) requests in", out).group(1)),  # type: ignore[union-attr]
        errors=errors + (int(non_ok.group(1)) if non_ok else 0),
        load_average=load_average,
    )
    log(f"{url} ({script.stem}): {result.rps:,.0f} req/s, p50 {result.p50:.1f} ms, "
        f"p99 {result.p99:.1f} ms, {result.errors} errors (load {load_average})")
    return result


def serving(n: int) -> tuple[list[Result], dict[str, Any]]:
    rng = random.Random(14)
    facts: dict[str, Any] = {"leaves": n}
    loads: dict[str, Any] = {}
    with scratch_dir("tiles") as d:
        db = d / "ledger.db"
        started = time.perf_counter()
        build_log(db, d, n)
        facts["build_seconds"] = round(time.perf_counter() - started, 1)
        log(f"built a {n:,}-leaf log in {facts['build_seconds']}s")
        site = d / "site"
        files, seconds = write_tiles(db, site / "log")
        (site / "page.html").write_bytes(PAGE)
        facts["tile_files"], facts["write_seconds"] = files, round(seconds, 1)
        log(f"wrote {files:,} tile files in {seconds:.1f}s")
        paths = tile_paths(n, rng)
        scripts = {kind: (wrk_script(d, f"s{i}", ["/log/" + p for p in ps]))
                   for i, (kind, ps) in enumerate(paths.items())}
        (d / "logs").mkdir()
        floor_port, nginx_port, app_port = free_port(), free_port(), free_port()
        floor = [sys.executable, "-m", "uvicorn", "--factory", "bench.pages:floor_app",
                 "--port", str(floor_port), "--workers", "2", "--log-level", "warning"]
        with running(floor, f"http://127.0.0.1:{floor_port}/a", "FastAPI floor"):
            loads["floor"] = wrk(f"http://127.0.0.1:{floor_port}/a")
        static = f"http://127.0.0.1:{nginx_port}"
        nginx = [str(tool("nginx")), "-c", str(nginx_conf(d, site, nginx_port)),
                 "-e", str(d / "nginx" / "error.log")]
        with running(nginx, static + "/log/checkpoint", "nginx", log_file=d / "logs" / "ng"):
            # A page-sized file from the same nginx, in the same run: how loaded the machine is.
            loads["static page"] = wrk(static + "/page.html")
            for kind, script in scripts.items():
                loads[f"static {kind}"] = _wrk(static, script)
        env = dict(os.environ, SUNSHINE_DATA_DIR=str(d), SUNSHINE_DATABASE_URL=f"sqlite:///{db}")
        api = f"http://127.0.0.1:{app_port}"
        serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(app_port),
                 "--workers", "2"]
        with running(serve, api + "/log/checkpoint", "sunshine serve", env=env,
                     log_file=d / "logs" / "serve"):
            for kind, script in scripts.items():
                loads[f"api {kind}"] = _wrk(api, script)
    facts["floor"] = loads["floor"].details()
    return serving_results(n, paths, loads), facts


def serving_results(n: int, paths: dict[str, list[str]], loads: dict[str, Any]) -> list[Result]:
    """Each kind of tile from nginx (judged against the pre-rendered pages) and from the API
    (information, beside the FastAPI floor)."""
    pages = json.loads((RESULTS / "pages.json").read_text(encoding="utf-8"))
    prerendered = next(r for r in pages["results"] if r["name"] == "pages_static_notice_rps")
    page_rps = float(prerendered["measured"])
    floor_rps = loads["floor"].rps
    results = []
    for kind in paths:
        static_load, api_load = loads[f"static {kind}"], loads[f"api {kind}"]
        results.append(Result(
            f"tiles_static_{kind.split()[0]}_{kind.split()[-1].strip('()')}",
            f"{kind} at {n / 1e6:g}M leaves (static files, nginx), requests/s",
            "≥ 0.1× the pre-rendered pages' req/s (same order)",
            static_load.rps, "req/s", page_rps,
            f"{prerendered['title']}, bench/results/pages.json {pages['timestamp']}",
            static_load.rps / page_rps,
            static_load.rps >= 0.1 * page_rps and static_load.errors == 0,
            {**static_load.details(), "paths": len(paths[kind]),
             "same_run_page_sized_file": loads["static page"].details(),
             "same_run_ratio_to_page_sized_file": round(
                 static_load.rps / loads["static page"].rps, 3)}))
        results.append(Result(
            f"tiles_api_{kind.split()[0]}_{kind.split()[-1].strip('()')}",
            f"{kind} at {n / 1e6:g}M leaves (sunshine serve --workers 2), requests/s",
            "information", api_load.rps, "req/s", floor_rps,
            "FastAPI fixed-bytes floor req/s, this run", api_load.rps / floor_rps, None,
            {**api_load.details(), "floor": loads["floor"].details(),
             "paths": len(paths[kind])}))
    return results


def run_verify(args: list[str], d: Path) -> float:
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(d))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sunshine.cli", "verify", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0 or "OK:" not in done.stdout:
        raise RuntimeError(f"verify {args} failed: {done.stdout[-400:]} {done.stderr[-400:]}")
    return wall


def verifying(size: int, rounds: int) -> tuple[list[Result], dict[str, Any]]:
    from ledger.store.url import parse_database_url

    walls: dict[str, list[float]] = {}
    with scratch_dir("tiles-verify") as d:
        db = d / "ledger.db"
        ledger = open_ledger(parse_database_url(f"sqlite:///{db}"), d, inline_integration=False)
        try:
            started = time.perf_counter()
            admin = do_genesis(ledger)
            bulk_register(ledger, admin, "org", size - 3, chunk=500)
            assert ledger.integrator.integrate() == size
            log(f"ledger of {size:,} entries built in {time.perf_counter() - started:.1f}s")
        finally:
            ledger.close()
        write_tiles(db, d / "site" / "log")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, SUNSHINE_DATA_DIR=str(d), SUNSHINE_DATABASE_URL=f"sqlite:///{db}")
        serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port)]
        with running(serve, url + "/log/checkpoint", "sunshine serve", env=env):
            key = ["--log-key", __import__("httpx").get(url + "/log/key").text]
            variants = {
                "url": ["--url", url],
                "tiles_url": ["--tiles", url],
                "tiles_dir": ["--tiles", str(d / "site")],
            }
            for jobs in ("1", "2"):
                for _ in range(rounds):
                    for name, args in variants.items():
                        wall = run_verify([*args, *key, "--jobs", jobs], d)
                        walls.setdefault(f"{name}_j{jobs}", []).append(wall)
                log(", ".join(f"{k} {statistics.median(v):.2f}s" for k, v in walls.items()
                              if k.endswith(jobs)))
    rate = {k: size / statistics.median(v) for k, v in walls.items()}
    results = []
    for jobs in ("1", "2"):
        ratio = rate[f"tiles_url_j{jobs}"] / rate[f"url_j{jobs}"]
        results.append(Result(
            f"verify_tiles_j{jobs}", f"sunshine verify --tiles URL --jobs {jobs}, {size:,} entries",
            f"≥ {RATIO}× verify --url", rate[f"tiles_url_j{jobs}"], "entries/s",
            rate[f"url_j{jobs}"], f"verify --url --jobs {jobs} entries/s, same run", ratio,
            ratio >= RATIO,
            {"walls_s": {k: [round(w, 3) for w in v] for k, v in walls.items()},
             "tiles_dir_entries_per_s": round(rate[f"tiles_dir_j{jobs}"], 1),
             "end_to_end": "entries / median wall time of the whole child process",
             "server": "sunshine serve (uvicorn, 1 worker), SQLite, same machine"}))
    return results, {"verify_size": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tiles")
    parser.add_argument("--n", type=int, default=N)
    parser.add_argument("--verify-size", type=int, default=VERIFY_SIZE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("serving", "verifying"),
                        help="one half (a trial run; the results file is not written)")
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"bench.tiles needs {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    if args.only:
        part = serving(args.n) if args.only == "serving" else verifying(
            args.verify_size, args.rounds)
        for result in part[0]:
            print(result.line())
        return 0
    served, facts = serving(args.n)
    checked, more = verifying(args.verify_size, args.rounds)
    write_results("tiles", [*served, *checked], extra={"facts": {**facts, **more}},
                  seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
