"""Statistics pages over 1,000,000 log entries: p95 < 1 s after projection, over HTTP.

How the log is made. Signing a million events through the ledger takes far longer than a
benchmark may (the demo year's ~2,600 take ~6 s), so:

1. the demo year of 澄溪县 is recorded through the real ledger (`DemoBuilder`: genesis,
   registry, every command signed and integrated), which also registers the inspector
   ``qhx-jw-op`` whose demo key signs in below;
2. its ~2,600 real leaves are then copied as log leaves until the log holds 1,000,000: 48
   fictional counties (东安县, 东平县, …) for the years 2026 back to 2018, the oldest year cut
   short at the target. In a copy every organisation and procurement code gets the county's
   prefix (``k<n>-``), 澄溪县 becomes the county, dates move to the copy's year and ``index``
   is the leaf's own; a county registers its organisations once, in its first year, and its
   purchasers buy again every year, as a real county's do. The copies' signatures no longer
   verify (their text changed); projections do not check signatures, and this log is a
   throwaway. Leaves, tree nodes and a checkpoint signed with the server's log key are
   written directly (as `bench/proofs.py` does);
3. every projection the service runs (`projector_for`) is caught up in this process: "after
   projection". The statistics projection's own rate (leaves/s) is reported as information.

Then `sunshine serve` (uvicorn, one worker, SQLite) answers an inspector signed in with its
key (a signed challenge, as any inspector). One httpx client, one keep-alive connection,
sequential: the statistics page under six filters (a whole year of all 49 counties, eight
whole years, one county, one purchaser, one category and method, a half year), and the
printable summary, CSV, Excel and a chart once per filter round as information. Beside them,
in the same run: GET /log/key (fixed bytes, the HTTP floor) and each report computed
in-process (the database part alone). Target: p95 < 1,000 ms for the statistics page.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from bench.common import (
    Result,
    log,
    percentiles,
    rounded,
    scratch_dir,
    timed,
    write_results,
)
from bench.proofs import start_server

TARGET_MS = 1000.0
LEAVES = 1_000_000
YEARS = tuple(range(2026, 2017, -1))  # newest first: a cut at the target trims the oldest year
_CODE = re.compile(rb'"(qhx|hb|xt|sjz|bj|hs|sd)-')
_YEAR = re.compile(rb"2026-")
_INDEX = re.compile(rb'"index":[0-9]+,"key"')
_REGISTRY = re.compile(rb'"type":"(Organisation|Actor|Key)[A-Za-z]*","version"')
_COUNTY = "澄溪县".encode()
#: Fictional counties: 东安县, 东平县, … (8 × 6 = 48).
COUNTIES = [f"{a}{b}县" for a in "东西南北上下新永" for b in "安平宁丰阳川"]


def copy_leaf(leaf: bytes, county: int, year: int, index: int) -> bytes:
    """Leaf ``leaf`` of the demo year as it reads in ``county`` (its organisations and
    procurements prefixed ``k<county>-``) and ``year``, at ``index``."""
    tag = f"k{county}-".encode()
    out = _CODE.sub(lambda m: b'"' + tag + m.group(1) + b"-", leaf)
    out = _YEAR.sub(f"{year}-".encode(), out).replace(_COUNTY, COUNTIES[county].encode())
    return _INDEX.sub(f'"index":{index},"key"'.encode(), out, count=1)


def copies() -> Iterator[tuple[int, int, bool]]:
    """(county, year, first) for every copy: each county's first year registers its
    organisations, later years reuse them, as a real county's purchasers persist."""
    for n, year in enumerate(YEARS):
        for county in range(len(COUNTIES)):
            yield county, year, n == 0


def build(directory: Path, target: int) -> dict[str, Any]:
    """The demo year through the ledger, then copies up to ``target`` leaves, signed."""
    from datetime import UTC, datetime

    from demo.builder import DemoBuilder
    from ledger.application import Ledger
    from ledger.log.merkle import CompactRange, leaf_hash
    from ledger.log.signer import LogSigner, load_or_create_key
    from sunshine.settings import Settings

    started = time.perf_counter()
    ledger = Ledger(Settings(data_dir=directory).ledger_config())
    try:
        DemoBuilder(ledger, directory / "demo-keys").build()
        origin = ledger.config.origin
    finally:
        ledger.close()
    demo_seconds = time.perf_counter() - started
    db = directory / "ledger.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # a throwaway file: build speed only
    real = [bytes(r[0]) for r in con.execute("SELECT leaf FROM log_leaves ORDER BY idx")]
    (last_notification,) = con.execute("SELECT MAX(notification_id) FROM log_leaves").fetchone()
    tree = CompactRange()
    for leaf in real:
        tree.append(leaf_hash(leaf))  # these nodes are stored already
    index, made = len(real), 0
    for county, year, first in copies():
        if index >= target:
            break
        leaves = []
        nodes: list[tuple[int, int, bytes]] = []
        for leaf in real:
            if index >= target:
                break
            if not first and _REGISTRY.search(leaf):
                continue
            text = copy_leaf(leaf, county, year, index)
            leaves.append((index, last_notification + 1 + index, text))
            nodes.extend((lv, i, h) for (lv, i), h in tree.append(leaf_hash(text)))
            index += 1
        made += 1
        con.execute("BEGIN")
        con.executemany("INSERT INTO log_leaves (idx, notification_id, leaf) VALUES (?, ?, ?)",
                        leaves)  # fmt: skip
        con.executemany("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        con.execute("COMMIT")
    signer = LogSigner(origin, load_or_create_key(directory / "log-key.pem"))
    con.execute(
        "INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)",
        (tree.size, signer.sign(tree.size, tree.root()), datetime.now(UTC).isoformat()),
    )
    con.close()
    return {"leaves": tree.size, "demo_leaves": len(real), "copies": made,
            "demo_seconds": round(demo_seconds, 1),
            "build_seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def project(directory: Path) -> dict[str, Any]:
    """Catch up every projection of the service; each one's time and rate."""
    from ledger.application import Ledger
    from sunshine.bootstrap import projector_for
    from sunshine.settings import Settings

    ledger = Ledger(Settings(data_dir=directory).ledger_config())
    out: dict[str, Any] = {}
    try:
        projector = projector_for(ledger)
        projector.setup()
        for follower in projector.followers:
            started = time.perf_counter()
            applied = follower.catch_up()
            seconds = time.perf_counter() - started
            out[follower.projection.name] = {
                "seconds": round(seconds, 1),
                "leaves_per_second": round(applied / seconds),
            }
            log(f"projection {follower.projection.name}: {applied:,} leaves in {seconds:.0f} s")
    finally:
        ledger.close()
    return out


FILTERS: dict[str, dict[str, str]] = {
    "year_all_counties": {"year": "2026"},
    "eight_years": {"date_from": "2019-01-01", "date_to": "2026-12-31"},
    "one_county": {"year": "2026", "region": COUNTIES[5]},
    "one_purchaser": {"year": "2026", "purchaser": "k7-qhx-rmyy"},
    "category_method": {"year": "2026", "category": "goods", "method": "inquiry"},
    "half_year": {"date_from": "2026-01-01", "date_to": "2026-06-30"},
}


def sign_in(url: str, directory: Path) -> Any:
    """An httpx client signed in as the demo's inspector, with its session cookie."""
    import json

    import httpx

    from demo.builder import demo_key
    from ledger import signing

    key = demo_key("qhx-jw-op")
    client = httpx.Client(base_url=url, timeout=120)
    challenge = client.get("/supervision/challenge").json()["challenge"]
    command = signing.new_command("SignIn", {"challenge": challenge}, actor="qhx-jw-op", key=key)
    answer = client.post("/supervision/session",
                         content=json.dumps(signing.sign(command, key)).encode())  # fmt: skip
    if answer.status_code != 200:
        raise RuntimeError(f"sign-in refused: {answer.status_code} {answer.text[:200]}")
    return client


def over_http(directory: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    process, url = start_server(directory / "ledger.db", directory)
    samples: dict[str, list[float]] = {"page": [], "floor": []}
    samples |= {f"page:{name}": [] for name in FILTERS}
    extra: dict[str, list[float]] = {"summary": [], "csv": [], "xlsx": [], "chart": []}
    try:
        client = sign_in(url, directory)
        try:
            for params in FILTERS.values():  # warm-up: one of each
                client.get("/supervision/statistics", params=params)
            for n in range(rounds):
                log(f"round {n + 1} of {rounds}")
                for name, params in FILTERS.items():
                    ms = timed(lambda p=params: client.get("/supervision/statistics", params=p))
                    samples["page"].append(ms)
                    samples[f"page:{name}"].append(ms)
                    samples["floor"].append(timed(lambda: client.get("/log/key")))
                for kind, path in EXPORTS.items():
                    year = FILTERS["year_all_counties"]
                    extra[kind].append(timed(lambda p=path, q=year: client.get(p, params=q)))
            sizes = {name: len(client.get("/supervision/statistics", params=params).content)
                     for name, params in FILTERS.items()}  # fmt: skip
            stamp = client.get("/supervision/statistics.csv").headers["Sunshine-Log-Size"]
        finally:
            client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    info = {k: percentiles(v) for k, v in extra.items()}
    return samples, info | {"page_bytes": sizes, "stamp_log_size": int(stamp)}


#: Measured once per round with the whole-year filter, as information.
EXPORTS: Final = {
    "summary": "/supervision/statistics/summary",
    "csv": "/supervision/statistics.csv",
    "xlsx": "/supervision/statistics.xlsx",
    "chart": "/supervision/statistics/charts/month.svg",
}


def in_process(directory: Path, rounds: int) -> list[float]:
    from ledger.store.sql import SQLiteDatabase
    from ledger.store.url import parse_database_url
    from projections.supervision.statistics import compute, parse_filters

    db = SQLiteDatabase(parse_database_url(f"sqlite:///{directory / 'ledger.db'}"))
    try:
        return [timed(lambda p=params: compute(db, parse_filters(db, list(p.items()))))
                for _ in range(rounds) for params in FILTERS.values()]  # fmt: skip
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaves", type=int, default=LEAVES)
    parser.add_argument("--rounds", type=int, default=20, help="requests per filter")
    args = parser.parse_args()
    started = time.perf_counter()
    with scratch_dir("statistics") as directory:
        log(f"building a log of {args.leaves:,} leaves")
        built = build(directory, args.leaves)
        log(f"built: {built}")
        projected = project(directory)
        samples, info = over_http(directory, args.rounds)
        local = in_process(directory, max(3, args.rounds // 4))
    page, floor = percentiles(samples["page"]), percentiles(samples["floor"])
    details: dict[str, Any] = {
        **built,
        "projection": projected,
        "requests": len(samples["page"]),
        "filters": FILTERS,
        "page_ms": rounded(page),
        "page_ms_by_filter": {k.split(":", 1)[1]: rounded(percentiles(v))
                              for k, v in samples.items() if k.startswith("page:")},
        "http_floor_ms": rounded(floor),
        "in_process_ms": rounded(percentiles(local)),
        "exports_ms": {k: rounded(v) for k, v in info.items() if isinstance(v, dict)
                       and "p50" in v},
        "page_bytes": info["page_bytes"],
        "stamp_log_size": info["stamp_log_size"],
        "client": "httpx.Client, one keep-alive connection, sequential, same machine",
        "server": "sunshine serve (uvicorn, 1 worker), SQLite; projections caught up first",
        "log": "the demo year recorded through the ledger, then copied as leaves "
               "(48 counties × 2026 back to 2018); see bench/statistics.py",
    }  # fmt: skip
    stats = projected.get("statistics", {})
    results = [
        Result("statistics_page_p95",
               f"Statistics page at {built['leaves']:,} entries, p95 over 6 filters",
               f"< {TARGET_MS:,.0f} ms", page["p95"], "ms", floor["p95"], "GET /log/key p95",
               page["p95"] / floor["p95"] if floor["p95"] else None,
               page["p95"] < TARGET_MS, details),
        Result("statistics_projection_rate", "Statistics projection, leaves applied per second",
               "info", float(stats.get("leaves_per_second", 0)), "leaves/s", None, "", None,
               None, {"projection": projected}),
    ]  # fmt: skip
    write_results("statistics", results, seconds=time.perf_counter() - started)


if __name__ == "__main__":
    main()
