"""Search at a province's scale: 100,000 procurements' notices, on SQLite and PostgreSQL.

.venv/bin/python -m bench.search [--procurements N] [--seconds S]

The province-scale ledger generator (issue 19, point 1) does not exist yet, so this fills the
public projection's tables directly (``pub_organisations``, ``pub_announcements`` and, on
SQLite, the search index through ``projections.public.index_notice``) from a seeded generator
of realistic notices: 云岭省's 120 fictional counties, 24 kinds of purchaser in each, 4 to 5
notices per procurement (intention, tender, sometimes a correction, result, contract) over
2026, titles such as 青石县人民医院2026年医疗设备采购项目 and a requirement and qualifications
of a few sentences. No entry is signed and no log exists: the figures are those of the
search itself, not of a ledger that size.

1. In process, one connection, each query 30 times: the chosen design (SQLite character
   pairs; PostgreSQL ILIKE per word on pg_trgm GIN indexes) beside the alternative measured
   on the same notices: SQLite FTS5 trigram with LIKE below three characters (the previous
   design).
2. Over HTTP: ``sunshine serve --workers 2`` on each database, ``wrk -c32 -t2 -d{S}s`` on
   the announcement list with 1-, 2-, 3-, 4-character and multi-word queries, with and
   without filters; the FastAPI fixed-bytes floor (``bench.pages``) measured before and after
   in the same run. Target p99 < 50 ms and ≥ 0.5× the floor's requests/s.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.common import (
    Result,
    log,
    percentiles,
    pg_database,
    postgres_problem,
    url_text,
    write_results,
)
from bench.pages import Load, floor_app, free_port, page_facts, running, tool, wrk

PROCUREMENTS = 100_000
P99_MS = 50.0
FLOOR_SHARE = 0.5
REPEATS = 30
__all__ = ["floor_app"]  # uvicorn loads the floor from bench.pages

_PLACE = "青石澄溪云岭白河金沙龙泉松林桃源长宁安平永福清水梅山丰泽鹤鸣"
PURCHASERS = (
    "人民医院", "中医院", "妇幼保健院", "疾病预防控制中心", "教育局", "第一中学", "第二中学",
    "实验小学", "职业技术学校", "交通运输局", "公安局", "卫生健康委员会", "自然资源局",
    "农业农村局", "水利局", "民政局", "住房和城乡建设局", "城市管理局", "文化和旅游局",
    "生态环境局", "市场监督管理局", "人民法院", "人民检察院", "图书馆",
)
ITEMS = {
    "goods": ("医疗设备", "办公家具", "计算机", "复印机", "课桌椅", "救护车", "空调", "监控设备",
              "实验室设备", "图书", "多媒体教学设备", "服务器", "网络设备", "消防器材",
              "彩超诊断仪", "执法记录仪", "病床", "学生床", "净水设备", "电梯"),
    "services": ("物业管理服务", "保安服务", "印刷服务", "审计服务", "信息系统运维服务",
                 "食堂托管服务", "保洁服务", "车辆维修服务", "法律顾问服务", "体检服务",
                 "绿化养护服务", "档案数字化服务"),
    "works": ("道路改造工程", "校舍维修工程", "办公楼装修工程", "污水管网工程", "农田水利工程",
              "河道治理工程", "路灯安装工程", "停车场建设工程"),
}
METHODS = ("open_tender", "competitive_consultation", "inquiry", "competitive_negotiation",
           "single_source", "invited_tender", "framework_agreement")
REQUIREMENTS = (
    "采购{item}一批，共{n}项，须满足采购文件所列技术参数，",
    "本项目为{county}{purchaser}{item}，服务期{n}个月，",
    "交货地点为采购人指定地点，质保期不少于{n}年，",
    "投标人须提供原厂授权及售后服务承诺，",
    "预算金额以采购文件为准，不接受进口产品，",
)
QUALIFICATIONS = (
    "具有独立承担民事责任的能力；",
    "具有良好的商业信誉和健全的财务会计制度；",
    "参加政府采购活动前三年内在经营活动中没有重大违法记录；",
    "具备医疗器械经营许可证；",
    "具备建筑工程施工总承包三级及以上资质；",
)
YEAR_START = date(2026, 1, 5)


def counties() -> list[str]:
    rng = random.Random(7)
    names: set[str] = set()
    while len(names) < 120:
        names.add(rng.choice(_PLACE) + rng.choice(_PLACE) + "县")
    return sorted(names)


def notices(n: int, seed: int = 19) -> Iterator[dict[str, Any]]:
    """The notices of ``n`` procurements, in log order (by date), with leaf indexes."""
    rng = random.Random(seed)
    places = counties()
    rows = []
    for i in range(n):
        c = rng.randrange(len(places))
        county, p = places[c], rng.randrange(len(PURCHASERS))
        category = rng.choice(tuple(ITEMS))
        item = rng.choice(ITEMS[category])
        title = f"{county}{PURCHASERS[p]}2026年{item}{rng.choice(('采购项目', '项目', ''))}"
        said = "".join(rng.choice(REQUIREMENTS).format(
            item=item, n=rng.randint(1, 36), county=county, purchaser=PURCHASERS[p])
            for _ in range(rng.randint(2, 4)))
        qualifications = "".join(rng.sample(QUALIFICATIONS, 3))
        start = YEAR_START + timedelta(days=rng.randint(0, 300))
        steps = [("intention", 0), ("tender", 30), ("result", 55), ("contract", 70)]
        if rng.random() < 0.2:
            steps.insert(2, ("correction", 40))
        base = {"procurement": f"ylx-{c:03d}-2026-{i:06d}", "title": title,
                "purchaser": f"ylx-{c:03d}-{p:02d}", "region": county, "category": category,
                "method": rng.choice(METHODS), "budget_fen": rng.randint(10, 5000) * 1_000_000}
        for kind, after in steps:
            text = said if kind in ("intention", "tender") else ""
            rows.append(base | {"type": kind, "day": start + timedelta(days=after),
                                "said": [t for t in (text, qualifications if kind == "tender"
                                                     else "") if t]})
    rows.sort(key=lambda r: (r["day"], r["procurement"]))
    leaf = 100
    for row in rows:
        leaf += rng.randint(5, 40)  # the entries between two notices
        yield row | {"leaf": leaf}


def fill(db: Any, n: int) -> dict[str, Any]:
    """The public projection's tables of ``n`` procurements, written directly."""
    from projections.public import PublicProjection, index_notice

    sqlite = db.url.is_sqlite
    statements = PublicProjection(sqlite).create(sqlite)
    gin = [s for s in statements if "USING gin" in s]  # built once the rows are in: faster
    db.execute_script([s for s in statements if s not in gin])
    started = time.perf_counter()
    with db.write() as cur:
        cur.executemany(
            "INSERT INTO pub_organisations (code, name, kind, region, address, registered_on) "
            "VALUES (?, ?, 'purchaser', ?, ?, '2026-01-01')",
            [(f"ylx-{c:03d}-{p:02d}", f"{county}{name}", county, county)
             for c, county in enumerate(counties()) for p, name in enumerate(PURCHASERS)])
    total, batch = 0, []
    for ordinal, r in enumerate(notices(n)):
        batch.append((ordinal, r))
        if len(batch) == 5000:
            _write(db, batch, sqlite, index_notice)
            total += len(batch)
            batch = []
    _write(db, batch, sqlite, index_notice)
    total += len(batch)
    loaded = time.perf_counter() - started
    db.execute_script(gin)
    if sqlite:
        with db.write() as cur:
            cur.execute("INSERT INTO pub_search (pub_search) VALUES ('optimize')")
    else:
        db.execute_script(["ANALYZE pub_announcements"])
    log(f"{total:,} notices of {n:,} procurements written in {loaded:.0f} s, "
        f"indexed in {time.perf_counter() - started - loaded:.0f} s")
    return {"procurements": n, "notices": total, "load_seconds": round(loaded, 1),
            "index_seconds": round(time.perf_counter() - started - loaded, 1)}


def _write(db: Any, batch: list[tuple[int, dict[str, Any]]], sqlite: bool, index: Any) -> None:
    from projections import search_text

    pieces = "" if sqlite else ", pieces"
    with db.write() as cur:
        cur.executemany(
            "INSERT INTO pub_announcements (leaf_index, procurement, type, title, purchaser, "
            "agency, region, category, method, published_on, budget_fen, amount_fen, supplier, "
            f"leaf_hash, data, search, ordinal, purchaser_name, supplier_name{pieces}) "
            "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, '', '{}', ?, ?, ?, NULL"
            + (")" if sqlite else ", ?)"),
            [(r["leaf"], r["procurement"], r["type"], r["title"], r["purchaser"], r["region"],
              r["category"], r["method"], r["day"].isoformat(), r["budget_fen"],
              " ".join([r["procurement"], r["title"], *r["said"]]), ordinal, r["purchaser"],
              *(() if sqlite else (search_text.pieces([r["procurement"], r["title"],
                                                       *r["said"]]),)))
             for ordinal, r in batch])
        if sqlite:
            for _, r in batch:
                index(cur, r["leaf"], r["day"], r["title"], [r["procurement"], r["title"],
                      *r["said"]], {k: r[k] for k in ("type", "category", "method",
                                                       "purchaser", "region")})


def _trigram_table(path: Path) -> float:
    """The previous design on the same notices: an FTS5 trigram table of the search text."""
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE old_search USING fts5(body, tokenize='trigram')")
    conn.execute("INSERT INTO old_search (rowid, body) SELECT leaf_index, search "
                 "FROM pub_announcements")
    conn.commit()
    conn.close()
    return time.perf_counter() - started


#: (name, what it shows, query parameters)
QUERIES: list[tuple[str, str, dict[str, str]]] = [
    ("q1", "1 character “院”", {"q": "院"}),
    ("q2", "2 characters “医院”", {"q": "医院"}),
    ("q3", "3 characters “救护车”", {"q": "救护车"}),
    ("q4", "4 characters “人民医院”", {"q": "人民医院"}),
    ("words", "two words “人民医院 设备”", {"q": "人民医院 设备"}),
    ("q1_filtered", "1 character “院”, results in June", {
        "q": "院", "type": "result", "date_from": "2026-06-01", "date_to": "2026-06-30"}),
    ("q2_filtered", "2 characters “医院”, one county's tenders", {
        "q": "医院", "type": "tender", "region": "{region}"}),
    ("q3_filtered", "3 characters “救护车”, goods in the second half", {
        "q": "救护车", "category": "goods", "date_from": "2026-07-01"}),
    ("q4_filtered", "4 characters “人民医院”, one purchaser", {
        "q": "人民医院", "purchaser": "{purchaser}"}),
    ("words_filtered", "two words “学校 服务”, contracts", {"q": "学校 服务", "type": "contract"}),
]


def _filters(params: dict[str, str], region: str, purchaser: str) -> dict[str, str]:
    return {k: v.format(region=region, purchaser=purchaser) for k, v in params.items()}


def in_process(db: Any, region: str, purchaser: str, trigram: bool) -> dict[str, Any]:
    """Each query's page (count and first 20) 30 times on one connection: p50 and p99 ms."""
    from projections.web import queries
    from projections.web.queries import Filters

    found: dict[str, Any] = {}
    for name, _, params in QUERIES:
        f = Filters(**_filters(params, region, purchaser))
        samples, total = [], (0, False)
        for _ in range(REPEATS):
            started = time.perf_counter()
            total = queries.count_for_page(db, f)
            queries.search(db, f, 1)
            samples.append((time.perf_counter() - started) * 1000)
        found[name] = percentiles(samples) | {"count": total[0], "more": total[1]}
        if trigram:
            found[name + "_trigram"] = _old_design(db, f)
    return found


def _old_design(db: Any, f: Any) -> dict[str, float]:
    """The previous SQLite design: FTS5 trigram for three characters or more (as one phrase),
    LIKE below; matches sorted by date for the first 20, counted up to 2,000."""
    assert f.q
    clauses, params = ["1 = 1"], []
    for column in ("type", "category", "purchaser", "region"):
        if getattr(f, column):
            clauses.append(f"a.{column} = ?")
            params.append(getattr(f, column))
    if f.date_from:
        clauses += ["a.published_on >= ?"]
        params.append(f.date_from)
    if f.date_to:
        clauses += ["a.published_on <= ?"]
        params.append(f.date_to)
    if len(f.q) >= 3:
        clauses.append("a.leaf_index IN (SELECT rowid FROM old_search WHERE old_search MATCH ?)")
        params.append('"' + f.q.replace('"', '""') + '"')
    else:
        clauses.append("a.search LIKE ?")
        params.append(f"%{f.q}%")
    where = " AND ".join(clauses)
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        with db.read() as cur:
            cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM pub_announcements a WHERE {where} "
                        "LIMIT 2001) c", tuple(params)).fetchall()
            cur.execute(f"SELECT a.leaf_index FROM pub_announcements a WHERE {where} "
                        "ORDER BY a.published_on DESC, a.leaf_index DESC LIMIT 20",
                        tuple(params)).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def over_http(data: Path, url: str, region: str, purchaser: str,
              seconds: int) -> dict[str, tuple[Load, dict[str, Any]]]:
    port = free_port()
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port), "--workers", "2"]
    base = f"http://127.0.0.1:{port}/announcements?"
    loads = {}
    with running(serve, f"http://127.0.0.1:{port}/log/key", "sunshine serve", env=env,
                 log_file=data / f"serve-{'sqlite' if 'sqlite' in url else 'pg'}.log"):
        for name, _, params in QUERIES:
            page = base + urlencode(_filters(params, region, purchaser), quote_via=quote)
            facts = page_facts(page, "条公告")
            loads[name] = (wrk(page, seconds), facts)
    return loads


def set_up_service(data: Path, url: str) -> None:
    """A fresh ledger's tables and keys (an empty log), as ``sunshine serve`` makes them on a
    first start, so that the service finds its projections at their versions."""
    port = free_port()
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    if not url.startswith("sqlite"):
        subprocess.run([sys.executable, "-m", "sunshine.cli", "db-setup"], env=env, check=True,
                       capture_output=True)
    serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port)]
    with running(serve, f"http://127.0.0.1:{port}/log/key", "sunshine serve", env=env):
        pass


def run_backend(name: str, data: Path, url: str, n: int, seconds: int) -> dict[str, Any]:
    from ledger.store.sql import open_database
    from ledger.store.url import parse_database_url

    set_up_service(data, url)
    db = open_database(parse_database_url(url))
    try:
        with db.write() as cur:  # the empty log's service made the tables: refill them
            cur.execute("DELETE FROM pub_organisations")
        if db.url.is_sqlite:
            db.execute_script(["DROP TABLE pub_search", "DROP TABLE pub_announcements"])
        else:
            db.execute_script(["DROP TABLE pub_announcements"])
        setup = fill(db, n)
        region, purchaser = counties()[3], "ylx-003-00"
        trigram = db.url.is_sqlite
        if trigram:
            setup["trigram_index_seconds"] = round(_trigram_table(Path(url[len("sqlite:///"):])), 1)
        setup["in_process"] = in_process(db, region, purchaser, trigram)
    finally:
        db.close()
    log(f"{name}: {setup['in_process']}")
    return {"setup": setup, "loads": over_http(data, url, region, purchaser, seconds)}


@contextmanager
def scratch() -> Iterator[Path]:
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="sunshine-bench-search-", dir=parent) as d:
        yield Path(d)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--procurements", type=int, default=PROCUREMENTS)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (default 10)")
    args = parser.parse_args(argv)
    if tool("wrk") is None:
        print("bench.search needs Debian's wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    floor_port = free_port()
    floor_url = f"http://127.0.0.1:{floor_port}/a"
    uvicorn = [sys.executable, "-m", "uvicorn", "bench.pages:floor_app", "--factory",
               "--host", "127.0.0.1", "--port", str(floor_port), "--workers", "2",
               "--log-level", "warning"]
    backends: dict[str, dict[str, Any]] = {}
    with scratch() as data, running(uvicorn, floor_url, "the FastAPI floor"):
        floor_before = wrk(floor_url, args.seconds)
        (data / "sqlite").mkdir()
        backends["SQLite"] = run_backend("SQLite", data / "sqlite",
                                         f"sqlite:///{data / 'sqlite' / 'ledger.db'}",
                                         args.procurements, args.seconds)
        problem = postgres_problem()
        if problem is None:
            with pg_database("search") as pg:
                (data / "pg").mkdir()
                backends["PostgreSQL"] = run_backend("PostgreSQL", data / "pg", url_text(pg),
                                                     args.procurements, args.seconds)
        else:
            log(f"PostgreSQL skipped: {problem}")
        floor_after = wrk(floor_url, args.seconds)
    floor_rps = (floor_before.rps + floor_after.rps) / 2
    floor_p99 = (floor_before.p99 + floor_after.p99) / 2
    results = []
    for backend, measured in backends.items():
        for name, title, _ in QUERIES:
            load, facts = measured["loads"][name]
            valid = load.errors == 0 and load.requests > 0  # none answered in time: a miss
            details = load.details() | facts | {
                "in_process_ms": measured["setup"]["in_process"][name]}
            results += [
                Result(f"search_{backend.lower()}_{name}_p99",
                       f"search {title}, {backend}, p99 at 32 connections",
                       f"p99 < {P99_MS:g} ms", load.p99, "ms", floor_p99,
                       "FastAPI fixed-bytes floor p99 ms", load.p99 / floor_p99,
                       valid and load.p99 < P99_MS, details),
                Result(f"search_{backend.lower()}_{name}_rps",
                       f"search {title}, {backend}, requests/s",
                       f"≥ {FLOOR_SHARE:g}× the floor", load.rps, "req/s", floor_rps,
                       "FastAPI fixed-bytes floor req/s", load.rps / floor_rps,
                       valid and load.rps >= FLOOR_SHARE * floor_rps,
                       {"p99_ms": round(load.p99, 2), "errors": load.errors,
                        "loadavg_1m": load.load_average}),
            ]
    extra = {"data": "filled directly from a seeded generator of notices (bench/search.py); "
                     "no ledger entries: the province generator does not exist yet",
             "floor_before": floor_before.details(), "floor_after": floor_after.details(),
             "setup": {b: m["setup"] for b, m in backends.items()}}
    write_results("search", results, extra, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
