"""Red-flag pages over 1,000,000 log entries: p95 < 1 s after projection, over HTTP.

How the log is made: as `bench/statistics.py` makes it (its ``build``), so both pages are
measured over the same kind of log. The demo year of 澄溪县 is recorded through the real
ledger (every command signed, decided and integrated; it registers the inspector
``qhx-jw-op`` that signs in below and holds one procurement per red flag), then its ~2,600
leaves are copied as log leaves until the log holds 1,000,000: copy *j* is the same year in
another county and year (48 counties × 8 years), every organisation and procurement code
prefixed, dates moved to the copy's year. So the million entries carry ~385 counties' worth
of irregularities, each raising its flags. Leaves, tree nodes and a checkpoint signed with
the server's log key are written directly; the copies' actor signatures no longer verify
(projections do not check them; this log is a throwaway).

Then every projection the service runs is caught up in this process ("after projection").
The red-flags projection is timed in slices of 100,000 leaves: flags are computed as leaves
arrive, from running totals and indexed lookups, so the last slice costs what the first did
(reported as information, with the rate).

`sunshine serve` (uvicorn, one worker, SQLite) then answers an inspector signed in with its
key. One httpx client, one keep-alive connection, sequential, rounds of: the flag list
unfiltered, by kind (each kind in turn), by purchaser, by a quarter's date range, a deep
page, its JSON export, and a flag's own page with its evidence and every inclusion proof.
Beside them, in the same run: GET /log/key (the HTTP floor) and the list query in-process
(the database part alone). Target: p95 < 1,000 ms over all the flag pages.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

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
from bench.statistics import YEARS, build, sign_in

TARGET_MS = 1000.0
LEAVES = 1_000_000
SLICE = 100_000


def project(directory: Path) -> dict[str, Any]:
    """Catch up every projection; the flags one in slices, each slice timed."""
    from ledger.application import Ledger
    from sunshine.bootstrap import projector_for
    from sunshine.settings import Settings

    ledger = Ledger(Settings(data_dir=directory).ledger_config())
    out: dict[str, Any] = {}
    try:
        projector = projector_for(ledger)
        projector.setup()
        for follower in projector.followers:
            name = follower.projection.name
            started = time.perf_counter()
            slices: list[float] = []
            if name == "flags":
                while True:
                    began = time.perf_counter()
                    before = follower.position()
                    after = follower.catch_up(limit=SLICE)
                    if after == before:
                        break
                    slices.append(round((after - before) / (time.perf_counter() - began)))
            applied = follower.catch_up()
            seconds = time.perf_counter() - started
            out[name] = {"seconds": round(seconds, 1),
                         "leaves_per_second": round(applied / seconds)}  # fmt: skip
            if slices:
                out[name]["leaves_per_second_by_slice_of_100k"] = slices
            log(f"projection {name}: {applied:,} leaves in {seconds:.0f} s")
        with ledger.db.read() as cur:
            for table in ("flag_flags", "flag_pending", "flag_evidence"):
                (count,) = cur.execute(f"SELECT COUNT(*) FROM {table}").fetchone() or (0,)
                out.setdefault("flags", {})[f"{table}_rows"] = int(count)
    finally:
        ledger.close()
    return out


def requests(
    client: Any, rng: random.Random, copies: int
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """The requests of the mix, drawn from what the first pages list."""
    from projections.flags import FlagKind

    first = client.get("/supervision/flags", params={"format": "json"}).json()
    pages = first["pages"]
    ids = [f["url"] for f in first["flags"]]
    for kind in FlagKind:  # one flag of each kind at least, for the flag pages
        listed = client.get("/supervision/flags", params={"format": "json", "kind": kind.value})
        ids += [f["url"] for f in listed.json().get("flags", [])[:3]]
    mix: dict[str, list[tuple[str, dict[str, str]]]] = {
        "list": [("/supervision/flags", {})],
        "kind": [("/supervision/flags", {"kind": k.value}) for k in FlagKind],
        "purchaser": [
            ("/supervision/flags", {"purchaser": f"k{rng.randrange(copies)}-qhx-rmyy"})
            for _ in range(5)
        ],
        "quarter": [("/supervision/flags",
                     {"date_from": f"{y}-04-01", "date_to": f"{y}-06-30"}) for y in YEARS],
        "deep_page": [
            ("/supervision/flags", {"page": str(rng.randint(1, pages))}) for _ in range(5)
        ],
        "json": [("/supervision/flags", {"format": "json", "kind": "late_or_missing_notice"})],
        "flag": [(url, {}) for url in rng.sample(ids, min(len(ids), 40))],
    }
    return mix


def over_http(
    directory: Path, rounds: int, copies: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    process, url = start_server(directory / "ledger.db", directory)
    samples: dict[str, list[float]] = {"pages": [], "floor": []}
    rng = random.Random(2026)
    try:
        client = sign_in(url, directory)
        try:
            mix = requests(client, rng, copies)
            samples |= {name: [] for name in mix}
            for calls in mix.values():  # warm-up: one of each
                client.get(calls[0][0], params=calls[0][1])
            for n in range(rounds):
                for name, calls in mix.items():
                    path, params = calls[n % len(calls)]
                    ms = timed(lambda p=path, q=params: client.get(p, params=q))
                    samples["pages"].append(ms)
                    samples[name].append(ms)
                    samples["floor"].append(timed(lambda: client.get("/log/key")))
            head = client.get("/supervision/flags", params={"format": "json"})
            info = {"total_flags": head.json()["total"],
                    "stamp_log_size": int(head.headers["Sunshine-Log-Size"]),
                    "counts": head.json()["counts"]}  # fmt: skip
        finally:
            client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return samples, info


def in_process(directory: Path, rounds: int) -> list[float]:
    """The list query, its counts and the purchasers, unfiltered: a page's database part."""
    from datetime import date

    from ledger.store.sql import SQLiteDatabase
    from ledger.store.url import parse_database_url
    from projections.flags import queries as q

    db = SQLiteDatabase(parse_database_url(f"sqlite:///{directory / 'ledger.db'}"))
    out = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            with db.read() as cur:
                q.list_flags(cur, q.Filters(), date.today(), 1)
                q.count_by_kind(cur, q.Filters(), date.today())
                q.purchasers(cur)
            out.append((time.perf_counter() - started) * 1000)
    finally:
        db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaves", type=int, default=LEAVES)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the request mix")
    args = parser.parse_args()
    started = time.perf_counter()
    with scratch_dir("flags") as directory:
        log(f"building a log of {args.leaves:,} leaves")
        built = build(directory, args.leaves)
        log(f"built: {built}")
        projected = project(directory)
        samples, info = over_http(directory, args.rounds, max(1, built["copies"]))
        local = in_process(directory, 20)
    pages, floor = percentiles(samples["pages"]), percentiles(samples["floor"])
    details: dict[str, Any] = {
        **built,
        "projection": projected,
        "requests": len(samples["pages"]),
        "page_ms": rounded(pages),
        "page_ms_by_request": {
            k: rounded(percentiles(v)) for k, v in samples.items() if k not in ("pages", "floor")
        },
        "http_floor_ms": rounded(floor),
        "in_process_list_ms": rounded(percentiles(local)),
        **info,
        "client": "httpx.Client, one keep-alive connection, sequential, same machine",
        "server": "sunshine serve (uvicorn, 1 worker), SQLite; projections caught up first",
        "log": "the demo year recorded through the ledger, then copied as leaves "
               "(48 counties × 8 years); see bench/flags.py and bench/statistics.py",
    }
    flags = projected.get("flags", {})
    slices = flags.get("leaves_per_second_by_slice_of_100k") or [0]
    results = [
        Result("flags_pages_p95",
               f"Red-flag pages at {built['leaves']:,} entries, p95 (list, filters, flag pages)",
               f"< {TARGET_MS:,.0f} ms", pages["p95"], "ms", floor["p95"], "GET /log/key p95",
               pages["p95"] / floor["p95"] if floor["p95"] else None,
               pages["p95"] < TARGET_MS, details),
        Result("flags_projection_rate",
               "Red-flags projection, leaves/s (last 100k slice vs first: incremental)",
               "info", float(slices[-1]), "leaves/s", float(slices[0]), "first 100k slice",
               slices[-1] / slices[0] if slices[0] else None, None,
               {"projection": flags}),
    ]  # fmt: skip
    write_results("flags", results, seconds=time.perf_counter() - started)


if __name__ == "__main__":
    main()
