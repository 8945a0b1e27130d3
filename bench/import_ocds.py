"""Import speed: `sunshine import-ocds`'s path vs plain eventsourcing saving as many events.

Ours, per round: a new release package of N releases of another system (each about 1 KB of
OCDS, as a small procurement's tender release) written to a file, then what the command
does: read and check it whole (schema, prefixes, duplicates), one query for the releases
already recorded, sign one ``ImportRelease`` per release with the importer's key, and
``Ledger.submit_many`` in batches of 64, which verifies each signature, decides and stores
them, and (SQLite) integrates them into the log. The plain side is an eventsourcing
Application saving N new aggregates holding the same release text, each saved on its own
as eventsourcing does, with no checks, signatures or log.

Rounds alternate the sides; each figure is the median of its rounds (releases/s), the ratio
median(ours) / median(plain). Target: ratio >= 0.8. The plain side commits once per event,
so it is bound by the disk's sync; beside it, for information, the same plain saves 64 per
transaction, as the import commits them: the CPU-bound floor of what the import adds. A
profile of one more round of ours (the functions with the most time of their own) is kept
beside the figures.

    .venv/bin/python -m bench.import_ocds [--n 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.append import alternate
from bench.common import (
    Admin,
    Result,
    do_genesis,
    log,
    open_ledger,
    scratch_dir,
    write_results,
)

TARGET = 0.8
PREFIX = "ocds-x7k2p9"


class ReleaseCopy(Aggregate):
    @event("Saved")
    def __init__(self, ocid: str, release_id: str, text: str):
        self.ocid = ocid
        self.release_id = release_id
        self.text = text


class PlainImport(Application):  # type: ignore[type-arg]
    name = "PlainImport"


def release(tag: str, n: int) -> dict[str, Any]:
    ocid = f"{PREFIX}-{tag}-{n:06d}"
    return {
        "ocid": ocid, "id": f"{ocid}-tender", "date": "2026-03-02T09:30:00+08:00",
        "tag": ["tender"], "initiationType": "tender",
        "parties": [{"id": "CN-SAIC-1", "name": "邻县人民医院", "roles": ["buyer"]}],
        "buyer": {"id": "CN-SAIC-1", "name": "邻县人民医院"},
        "tender": {
            "id": f"{ocid}-t", "title": f"医用耗材采购 第{n}批", "status": "active",
            "value": {"amount": 1250000.5, "currency": "CNY"},
            "tenderPeriod": {"startDate": "2026-03-02T09:30:00+08:00",
                             "endDate": "2026-03-23T09:30:00+08:00"},
            "items": [{"id": str(i), "description": f"输液器 规格{i}", "quantity": 100,
                       "classification": {"scheme": "CPV", "id": "33141000"},
                       "unit": {"name": "个", "value": {"amount": 2.35, "currency": "CNY"}}}
                      for i in range(1, 4)],
        },
    }  # fmt: skip


def write_package(path: Path, tag: str, n: int) -> list[dict[str, Any]]:
    releases = [release(tag, i) for i in range(n)]
    path.write_bytes(orjson.dumps({"uri": "https://other.example/ocds.json", "version": "1.1",
                                   "publishedDate": "2026-03-03T00:00:00Z",
                                   "publisher": {"name": "邻县政府采购平台"},
                                   "releases": releases}))  # fmt: skip
    return releases


def register_importer(ledger: Any, admin: Admin) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger import signing

    key = Ed25519PrivateKey.generate()
    for kind, payload in (
        ("RegisterOrganisation", {"code": "drfw", "name": "开放数据导入服务", "kind": "importer",
                                  "region": "澄溪县"}),
        ("RegisterActor", {"code": "drfw-svc", "organisation": "drfw", "role": "importer",
                           "name": "导入服务"}),
        ("RegisterKey", {"actor": "drfw-svc", "public_key": signing.public_b64(key)}),
    ):  # fmt: skip
        ledger.submit(admin.body(kind, payload))
    return key


class OurSide:
    def __init__(self, data: Path):
        from ledger.store.url import parse_database_url

        self.data = data
        self.ledger = open_ledger(parse_database_url(f"sqlite:///{data / 'ledger.db'}"), data)
        self.key = register_importer(self.ledger, do_genesis(self.ledger))
        self.profile: str | None = None

    def round(self, n: int, tag: str, profile: bool = False) -> float:
        from ledger.ocds.importer import import_source
        from ledger.ocds.importing import check_prefixes, read_source

        source = self.data / f"source-{tag}.json"
        write_package(source, tag, n)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        checked = read_source(str(source))
        check_prefixes(checked.releases, "ocds-000000")
        outcome = import_source(self.ledger, checked, "drfw-svc", self.key)
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        assert outcome.recorded == n, outcome
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
            self.profile = out.getvalue()
        return n / seconds

    def close(self) -> None:
        self.ledger.close()


def plain_round(app: PlainImport, n: int, tag: str) -> float:
    texts = [orjson.dumps(release(tag, i)).decode() for i in range(n)]
    started = time.perf_counter()
    for i, text in enumerate(texts):
        app.save(ReleaseCopy(ocid=f"{PREFIX}-{tag}-{i:06d}", release_id=str(i), text=text))
    return n / (time.perf_counter() - started)


def plain_batched_round(app: PlainImport, n: int, tag: str, batch: int = 64) -> float:
    """The same saves, ``batch`` aggregates per transaction, as the import stores them."""
    texts = [orjson.dumps(release(tag, i)).decode() for i in range(n)]
    started = time.perf_counter()
    for start in range(0, n, batch):
        app.save(*(ReleaseCopy(ocid=f"{PREFIX}-{tag}-{i:06d}", release_id=str(i), text=texts[i])
                   for i in range(start, min(n, start + batch))))  # fmt: skip
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    began = time.perf_counter()
    with scratch_dir("bench-import-") as d:
        plain = PlainImport(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(d / "plain.db")})  # fmt: skip
        ours = OurSide(d)
        try:
            rates = alternate({
                "import": lambda k, tag: ours.round(k, tag),
                "plain": lambda k, tag: plain_round(plain, k, tag),
                "plain_batched": lambda k, tag: plain_batched_round(plain, k, "b" + tag),
            }, args.n, args.rounds, "import")  # fmt: skip
            ours.round(args.n, "profiled", profile=True)
        finally:
            plain.close()
            ours.close()
    a, base = statistics.median(rates["import"]), statistics.median(rates["plain"])
    batched = statistics.median(rates["plain_batched"])
    profile = (ours.profile or "").splitlines()
    log("profile of one import round:\n" + "\n".join(profile))
    details = {
        "releases_per_round": args.n, "rounds": args.rounds, "batch": 64,
        "import": [round(x, 1) for x in rates["import"]],
        "plain": [round(x, 1) for x in rates["plain"]],
        "plain_batched": [round(x, 1) for x in rates["plain_batched"]],
        "profile_tottime": [line for line in profile if line.strip()][:24],
    }  # fmt: skip
    results = [
        Result("import_sqlite", "import-ocds, SQLite (check, sign, submit_many, inline log)",
               "ratio ≥ 0.8", a, "releases/s", base,
               "plain eventsourcing saves of the same releases", a / base, a / base >= TARGET,
               details),
        Result("import_sqlite_vs_batched",
               "import-ocds, SQLite, vs plain saves 64 per transaction (CPU-bound floor)",
               "information", a, "releases/s", batched,
               "plain eventsourcing, 64 saves per transaction", a / batched, None,
               {"plain_batched": details["plain_batched"]}),
    ]  # fmt: skip
    write_results("import_ocds", results, seconds=time.perf_counter() - began)


if __name__ == "__main__":
    main()
