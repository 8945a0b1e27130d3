"""Kept pages at a province's scale: the repeated searches, the list and a notice at 100,000
procurements, each beside the FastAPI fixed-bytes floor measured in the same run.

The tables are those ``bench.search`` fills (100,000 procurements' notices written directly
into the public projection, no log), filled by its own functions into a directory (SQLite)
or an existing database (PostgreSQL) on the first run, and reused after (filling takes
minutes):

    .venv/bin/python -m bench.kept_pages --sqlite DIR [--postgres URL --postgres-data DIR]
    .venv/bin/python -m bench.kept_pages     # both databases, filled afresh, dropped after

For each database: ``sunshine serve --workers 2``, then ``wrk -c32 -t2 -d{S}s`` on each of
``bench.search``'s repeated addresses (the 1-, 2-, 3-, 4-character and two-word queries with
and without filters, the list, the list of tenders, a tender notice), each answered after
its first request from the page the service keeps for the projection's state
(``projections.web.kept_pages``). The floor (``bench.pages.floor_app``, ``uvicorn --workers
2``) runs before and after each database's runs; each row's baseline is their mean. Targets
(issue 19): a repeated search p99 < 50 ms and ≥ 0.5× the floor's requests/s; the list and
notice pages ≥ 0.95× the floor.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.common import (
    Result,
    log,
    pg_database,
    postgres_problem,
    scratch_dir,
    url_text,
    write_results,
)
from bench.pages import Load, free_port, page_facts, running, tool, wrk
from bench.search import (
    FLOOR_SHARE,
    P99_MS,
    PAGE_SHARE,
    PAGES,
    PROCUREMENTS,
    QUERIES,
    _filters,
    counties,
    fill,
    set_up_service,
)

PURCHASER = "ylx-003-00"  # bench.search's purchaser filter: a purchaser of the fourth county


def floor(seconds: int) -> Load:
    port = free_port()
    url = f"http://127.0.0.1:{port}/a"
    uvicorn = [sys.executable, "-m", "uvicorn", "bench.pages:floor_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
               "--log-level", "warning"]
    with running(uvicorn, url, "the FastAPI floor"):
        return wrk(url, seconds)


def filled(data: Path, url: str) -> int:
    """The tables of ``bench.search``'s 100,000 procurements in ``url``, filled now unless
    they are there; the leaf of a tender notice. One process of this checkout starts first:
    it brings the tables to its versions (a projection of a newer version starts empty)."""
    from ledger.store.sql import open_database
    from ledger.store.url import parse_database_url

    data.mkdir(parents=True, exist_ok=True)
    set_up_service(data, url)
    db = open_database(parse_database_url(url))
    try:
        leaf = _tender(db)
        if leaf is None:
            log(f"filling {url} with {PROCUREMENTS:,} procurements' notices")
            with db.write() as cur:
                cur.execute("DELETE FROM pub_organisations")
            if db.url.is_sqlite:
                db.execute_script(["DROP TABLE pub_search", "DROP TABLE pub_announcements"])
            else:
                db.execute_script(["DROP TABLE pub_announcements"])
            log(f"filled: {fill(db, PROCUREMENTS)}")
            leaf = _tender(db)
    finally:
        db.close()
    assert leaf is not None, "no tender notice after filling"
    return leaf


def _tender(db: Any) -> int | None:
    with db.read() as cur:
        row = cur.execute(
            "SELECT MAX(leaf_index) FROM pub_announcements WHERE type = 'tender'"
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def addresses(leaf: int) -> list[tuple[str, str, str, str, float]]:
    """(name, title, path, text the page must show, share of the floor) of every run."""
    region = counties()[3]
    searches = [(name, f"search {title}, repeated",
                 "/announcements?" + urlencode(_filters(params, region, PURCHASER),
                                               quote_via=quote), "条公告", FLOOR_SHARE)
                for name, title, params in QUERIES]
    pages = [(name, f"{title}, repeated", path.format(leaf=leaf),
              "公告", PAGE_SHARE) for name, title, path in PAGES]
    return searches + pages


def measure(name: str, data: Path, url: str, seconds: int) -> list[Result]:
    leaf = filled(data, url)
    before = floor(seconds)
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port), "--workers", "2"]
    loads: dict[str, tuple[Load, dict[str, Any]]] = {}
    runs = addresses(leaf)
    with running(serve, f"{origin}/log/key", "sunshine serve", env=env, seconds=300,
                 log_file=data / "serve-kept-pages.log"):
        for key, _, path, text, _ in runs:
            facts = page_facts(origin + path, text)
            loads[key] = (wrk(origin + path, seconds), facts)
    after = floor(seconds)
    floor_rps = (before.rps + after.rps) / 2
    floor_p99 = (before.p99 + after.p99) / 2
    results = []
    for key, title, path, _, share in runs:
        load, facts = loads[key]
        valid = load.errors == 0
        search = share == FLOOR_SHARE
        target = (f"p99 < {P99_MS:g} ms, ≥ {share:g}× the floor" if search
                  else f"≥ {share:g}× the floor")
        passed = valid and load.rps >= share * floor_rps and (load.p99 < P99_MS or not search)
        results.append(Result(
            f"kept_{'sqlite' if name == 'SQLite' else 'pg'}_{key}",
            f"{title} at 100,000 procurements, {name} (sunshine serve --workers 2, wrk -c32)",
            target, load.rps, "req/s", floor_rps, "FastAPI fixed-bytes floor req/s",
            load.rps / floor_rps, passed,
            load.details() | facts | {"path": path, "floor_p99_ms": round(floor_p99, 2),
                                      "floor_before": before.details(),
                                      "floor_after": after.details()},
        ))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path, help="a data directory for the SQLite ledger "
                        "(filled on the first run)")
    parser.add_argument("--postgres", help="a PostgreSQL database (filled on the first run)")
    parser.add_argument("--postgres-data", type=Path, help="its data directory (the keys)")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (default 10)")
    args = parser.parse_args(argv)
    if tool("wrk") is None:
        print("bench.kept_pages needs Debian's wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    if args.postgres is not None and args.postgres_data is None:
        parser.error("--postgres needs --postgres-data (the keys)")
    started = time.perf_counter()
    results: list[Result] = []
    if args.sqlite is None and args.postgres is None:  # both, filled afresh and dropped after
        with scratch_dir("kept-pages") as scratch:
            results += measure("SQLite", scratch / "sqlite",
                               f"sqlite:///{scratch / 'sqlite' / 'ledger.db'}", args.seconds)
            if postgres_problem() is None:
                with pg_database("kept") as pg:
                    results += measure("PostgreSQL", scratch / "pg", url_text(pg), args.seconds)
    if args.sqlite is not None:
        data = args.sqlite.resolve()
        results += measure("SQLite", data, f"sqlite:///{data / 'ledger.db'}", args.seconds)
    if args.postgres is not None:
        results += measure("PostgreSQL", args.postgres_data.resolve(), args.postgres,
                           args.seconds)
    for result in results:
        log(result.line())
    write_results("kept_pages", results, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
