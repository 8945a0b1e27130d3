"""Search, the announcement list and notices at a province's scale: 100,000 procurements'
notices, on SQLite and PostgreSQL.

.venv/bin/python -m bench.search [--procurements N] [--seconds S]

The signed province ledger exists (``sunshine province``, ``demo/province.py``: every entry
signed and integrated through the bulk path), but building 100,000 procurements of it takes
long; for speed this fills the public projection's tables directly (``pub_organisations``,
``pub_announcements`` and, on SQLite, the search index through
``projections.public.index_notice``) from a seeded generator of realistic notices: 云岭省's
120 fictional counties, 24 kinds of purchaser in each, 4 to 5 notices per procurement
(intention, tender, sometimes a correction, result, contract) over 2026, titles such as
青石县人民医院2026年医疗设备采购项目 and a requirement and qualifications of a few sentences.
No entry is signed and no log exists: the figures are those of the pages and the search
over tables of that size, not of loading a ledger that size.

1. In process, one connection, each query 30 times: the chosen design (SQLite character
   pairs; PostgreSQL a narrow search table, GIN indexes of its characters and pairs with the
   filters' terms, or a key-ordered walk for a common word) beside the alternative measured
   on the same notices: SQLite FTS5 trigram with LIKE below three characters (the previous
   design); PostgreSQL pg_trgm's GIN index of the same table's text.
2. Over HTTP: ``sunshine serve --workers 2`` on each database, ``wrk -c32 -t2 -d{S}s``:
   cold runs first, each a wrk Lua script asking 20,000 distinct addresses in turn (text
   queries of 1–4 characters and two words, without and with filters; the list under
   filters; notices), so that every request renders its page; then repeated runs of one
   address each (the 1-, 2-, 3-, 4-character and two-word queries with and without filters,
   the list, a notice), answered after the first from the page the service keeps for the
   projection's position (``projections.web.page_cache``). The FastAPI fixed-bytes floor
   (``bench.pages``) is measured before and after in the same run. Targets: search p99 <
   50 ms and ≥ 0.5× the floor's requests/s; the list and notice pages ≥ 0.95× the floor.
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

import orjson

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
ROTATION = 20_000  # distinct addresses of each cold run: more than a run asks
PAGE_SHARE = 0.95  # the dynamic list and notice pages against the floor (issue 19, point 5)
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


def notice_data(r: dict[str, Any]) -> dict[str, Any]:
    """What the notice's leaf would hold (``pub_announcements.data``), shaped as the demo's
    notices of each kind, so that a notice page shows what a real one shows."""
    day, budget = r["day"], f"{r['budget_fen'] / 100:.2f}"
    data: dict[str, Any] = {
        "procurement": r["procurement"], "date": day.isoformat(), "announcement": r["type"],
        "state": {"plan": "approved", "method_approved": True, "progress": "announced",
                  "closed": None, "suspended": False},
        "findings": [], "title": r["title"], "purchaser": r["purchaser"], "agency": None,
        "category": r["category"], "method": r["method"], "budget": budget,
        "region": r["region"]}
    item = [{"name": r["title"], "quantity": "1", "unit": "项"}]
    catalogue = {"goods": "A02100000", "services": "C99000000", "works": "B99000000"}
    later = (day + timedelta(days=20)).isoformat()
    if r["type"] == "intention":
        data |= {"expected_start": later, "summary": "".join(r["said"])[:80]}
    elif r["type"] == "tender":
        said = r["said"] + ["", ""]
        data |= {"requirement": said[0], "qualifications": said[1], "contact": "李明 0871-6300000",
                 "bid_deadline": later, "bid_deadline_time": "09:30",
                 "place": f"{r['region']}公共资源交易中心",
                 "items": [item[0] | {"catalogue": catalogue[r["category"]]}],
                 "period_end": (day + timedelta(days=5)).isoformat(), "published_time": "10:00"}
    elif r["type"] == "correction":
        data |= {"changes": "因部分技术参数调整，投标截止及开标时间相应延期，其他内容不变。",
                 "bid_deadline": later, "bid_deadline_time": "09:30"}
    else:  # result, contract
        amount = f"{r['budget_fen'] * 0.93 / 100:.2f}"
        data |= {"supplier": "yl-gys-0001", "amount": amount,
                 "items": [item[0] | {"unit_price": amount,
                                      "specification": "详见中标（成交）供应商投标（响应）文件"}]}
        if r["type"] == "contract":
            data |= {"contract_number": r["procurement"].upper() + "-HT",
                     "signed_on": (day - timedelta(days=3)).isoformat(),
                     "place": "采购人指定地点", "term": "合同签订后30日内交货"}
    return data


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
        db.execute_script(["ANALYZE pub_announcements", "ANALYZE pub_search"])
    log(f"{total:,} notices of {n:,} procurements written in {loaded:.0f} s, "
        f"indexed in {time.perf_counter() - started - loaded:.0f} s")
    return {"procurements": n, "notices": total, "load_seconds": round(loaded, 1),
            "index_seconds": round(time.perf_counter() - started - loaded, 1)}


def _write(db: Any, batch: list[tuple[int, dict[str, Any]]], sqlite: bool, index: Any) -> None:
    with db.write() as cur:
        cur.executemany(
            "INSERT INTO pub_announcements (leaf_index, procurement, type, title, purchaser, "
            "agency, region, category, method, published_on, budget_fen, amount_fen, supplier, "
            "leaf_hash, data, search, ordinal, purchaser_name, supplier_name) "
            "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, '', ?, ?, ?, ?, NULL)",
            [(r["leaf"], r["procurement"], r["type"], r["title"], r["purchaser"], r["region"],
              r["category"], r["method"], r["day"].isoformat(), r["budget_fen"],
              orjson.dumps(notice_data(r)).decode(),
              " ".join([r["procurement"], r["title"], *r["said"]]), ordinal, r["purchaser"])
             for ordinal, r in batch])
        for _, r in batch:
            index(cur, r["leaf"], r["day"], r["title"], [r["procurement"], r["title"], *r["said"]],
                  {k: r[k] for k in ("type", "category", "method", "purchaser", "region")},
                  sqlite)


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
    if not trigram:  # after the chosen design's runs: its plans must not see this index
        found["pg_trgm_index_seconds"] = round(_pg_trigram_index(db), 1)
        for name, _, params in QUERIES:
            found[name + "_pg_trgm"] = _pg_trigram(db, Filters(**_filters(params, region,
                                                                          purchaser)))
        db.execute_script(["DROP INDEX bench_trigrams"])
    return found


def _pg_trigram_index(db: Any) -> float:
    """The alternative on PostgreSQL: pg_trgm's GIN index of the same narrow table's text."""
    started = time.perf_counter()
    db.execute_script(["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                       "CREATE INDEX bench_trigrams ON pub_search USING gin (body gin_trgm_ops)",
                       "ANALYZE pub_search"])
    return time.perf_counter() - started


def _pg_trigram(db: Any, f: Any) -> dict[str, float]:
    """pg_trgm on the same narrow table: each word's LIKE left to the planner and the
    trigram index (which cannot look up fewer than three characters), the filters as
    columns; matches counted up to 2,000, the first 20 by date (no title-first order)."""
    from projections import search_text
    from projections.web.queries import _like

    assert f.q
    clauses: list[str] = []
    params: list[Any] = []
    for name in search_text.FACETS:
        if getattr(f, name):
            clauses.append(f"s.{name} = ?")
            params.append(getattr(f, name))
    if f.date_from or f.date_to:
        clauses.append("s.key >= ? AND s.key < ?")
        params += search_text.day_range(f.date_from, f.date_to)
    for word in search_text.words(f.q):
        clauses.append("s.body LIKE ?")
        params.append(_like(word))
    where = " AND ".join(clauses)
    samples = []
    for _ in range(REPEATS // 3):  # up to a second each: fewer runs
        started = time.perf_counter()
        with db.read() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM pub_search s WHERE {where} "
                        "LIMIT 2001) c", tuple(params)).fetchall()
            cur.execute(f"SELECT s.key FROM pub_search s WHERE {where} "
                        "ORDER BY s.key DESC LIMIT 20", tuple(params)).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


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


def rotations(n: int, region: str, purchaser: str, count: int = ROTATION,
              seed: int = 5) -> dict[str, list[str]]:
    """Distinct addresses for the cold runs, each asked once while its list lasts (no page
    kept from a previous request can answer it): text queries of 1 to 4 characters and of
    two words cut from the notices' titles, without and with filters; the list without a
    text under varied filters and pages; notices by leaf."""
    rng = random.Random(seed)
    titles = sorted({r["title"] for r in notices(min(n, 20_000))})
    regions = counties()
    pools: dict[int, list[str]] = {size: sorted({t[i:i + size] for t in titles
                                                  for i in range(len(t) - size + 1)
                                                  if not any(c.isdigit() for c in t[i:i + size])})
                                   for size in (1, 2, 3, 4)}

    def word() -> str:
        shape = rng.choice((1, 2, 3, 4, 0))
        if shape == 0:
            return rng.choice(pools[rng.choice((2, 4))]) + " " + rng.choice(pools[2])
        return rng.choice(pools[shape])

    def some_filters() -> dict[str, str]:
        chosen: dict[str, str] = {}
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(("type", "category", "region", "purchaser", "dates"))
            if kind == "type":
                chosen["type"] = rng.choice(("intention", "tender", "result", "contract"))
            elif kind == "category":
                chosen["category"] = rng.choice(tuple(ITEMS))
            elif kind == "region":
                chosen["region"] = rng.choice(regions)
            elif kind == "purchaser":
                c = rng.randrange(len(regions))
                chosen["purchaser"] = f"ylx-{c:03d}-{rng.randrange(len(PURCHASERS)):02d}"
            else:
                start = YEAR_START + timedelta(days=rng.randint(0, 330))
                chosen["date_from"] = start.isoformat()
                chosen["date_to"] = (start + timedelta(days=rng.randint(7, 90))).isoformat()
        return chosen

    def distinct(make: Any) -> list[str]:
        found: dict[str, None] = {}
        for _ in range(count * 5):
            found["/announcements?" + urlencode(make(), quote_via=quote)] = None
            if len(found) == count:
                break
        return list(found)

    leaves = [r["leaf"] for r in notices(n)]
    return {
        "search_cold": distinct(lambda: {"q": word()}),
        "search_cold_filtered": distinct(lambda: {"q": word()} | some_filters()),
        "list_cold": distinct(lambda: _paged(some_filters(), rng)),
        "notice_cold": [f"/announcements/{leaf}"
                        for leaf in rng.sample(leaves, min(count, len(leaves)))],
    }


def _paged(chosen: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Half the lists past their first page, where they are long enough (no 404)."""
    if rng.random() < 0.5 and not {"purchaser", "date_from"} & chosen.keys():
        return chosen | {"page": str(rng.randint(2, 5))}
    return chosen


#: (name, what it shows, its address in the repeated runs)
PAGES: list[tuple[str, str, str]] = [
    ("list", "the announcement list, no filter", "/announcements"),
    ("list_type", "the announcement list, tenders", "/announcements?type=tender"),
    ("notice", "a tender notice", "/announcements/{leaf}"),
]


def over_http(data: Path, url: str, region: str, purchaser: str, seconds: int,
              cold: dict[str, list[str]], leaf: int) -> dict[str, tuple[Load, dict[str, Any]]]:
    port = free_port()
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port), "--workers", "2"]
    origin = f"http://127.0.0.1:{port}"
    loads = {}
    # a loaded machine takes long to start two workers
    with running(serve, f"{origin}/log/key", "sunshine serve", env=env, seconds=300,
                 log_file=data / f"serve-{'sqlite' if 'sqlite' in url else 'pg'}.log"):
        # cold first: no page of these addresses was rendered before
        for name, paths in cold.items():
            facts = {"addresses": len(paths), "first": paths[0]}
            loads[name] = (wrk(origin + paths[0], seconds, rotating=paths), facts)
        for name, _, params in QUERIES:
            page = f"{origin}/announcements?" + urlencode(_filters(params, region, purchaser),
                                                          quote_via=quote)
            facts = page_facts(page, "条公告")
            loads[name] = (wrk(page, seconds), facts)
        for name, _, path in PAGES:
            page = origin + path.format(leaf=leaf)
            facts = page_facts(page, "公告")
            loads[name] = (wrk(page, seconds), facts)
    return loads


def _asgi_get(app: Any, address: str) -> int:
    import asyncio

    return asyncio.run(_asgi_one(app, address))


def _asgi_many(app: Any, addresses: list[str]) -> float:
    """Seconds the GETs took one after another in one event loop (so one worker thread and
    its database connection, as in a server)."""
    import asyncio

    async def all_of_them() -> float:
        started = time.perf_counter()
        for address in addresses:
            status = await _asgi_one(app, address)
            assert status in (200, 404), (address, status)
        return time.perf_counter() - started

    return asyncio.run(all_of_them())


async def _asgi_one(app: Any, address: str) -> int:
    """One GET through the whole application (middleware, routing, dependencies, a sync
    route's thread), in process: its status."""
    path, _, query = address.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "headers": [(b"host", b"bench")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "root_path": ""}
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


def request_costs(data: Path, url: str, cold: dict[str, list[str]], leaf: int,
                  n: int = 200) -> dict[str, Any]:
    """Where a request's time goes, in process, one request at a time (no wrk, no
    sockets): the floor's route, a kept list and notice page, and pages rendered anew;
    and of the rendered list pages, the share of the database and of the template
    (cProfile of the route's function over the cold addresses)."""
    import cProfile
    import pstats

    from starlette.requests import Request

    from bench.pages import floor_app
    from projections.web import pages
    from projections.web.page_cache import PageCache
    from sunshine.app import create_app
    from sunshine.bootstrap import bootstrap
    from sunshine.settings import Settings

    os.environ.update(SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    settings = Settings()
    services = bootstrap(settings)
    try:
        app, floor = create_app(settings, services), floor_app()

        def mean_us(target: Any, addresses: list[str]) -> float:
            for address in addresses[:3]:
                _asgi_get(target, address)  # the first: templates compiled, pages kept
            return round(_asgi_many(target, [addresses[i % len(addresses)]
                                              for i in range(n)]) / n * 1e6, 1)

        found: dict[str, Any] = {"requests": n, "loadavg_1m": round(os.getloadavg()[0], 2),
                                 "mean_us": {
            "floor": mean_us(floor, ["/a"]),
            "list_kept": mean_us(app, ["/announcements"]),
            "notice_kept": mean_us(app, [f"/announcements/{leaf}"]),
            **{f"{k}_rendered": mean_us(app, v[3:n + 3]) for k, v in cold.items()},
        }}
        fresh = PageCache(max_bytes=0)  # keeps no page: each call renders
        db = services.read_side.read_db or services.ports.db
        found["stages"] = {k: _stages(app, db, fresh, cold[k][n + 3:2 * n + 3])
                           for k in ("search_cold", "search_cold_filtered")}
        profile = cProfile.Profile()
        addresses = cold["list_cold"][: n // 2] + cold["search_cold"][: n // 2]
        for address in addresses:
            query = address.partition("?")[2]
            request = Request({"type": "http", "method": "GET", "path": "/announcements",
                               "query_string": query.encode(), "headers": [], "app": app})
            profile.enable()
            pages.announcements(request, db, fresh)
            profile.disable()
        raw: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        total = float(sum(tt for _, _, tt, _, _ in raw.values()))

        def share(file: str, name: str) -> float:
            spent = sum(ct for (f, _, n), (_, _, _, ct, _) in raw.items()
                        if f.endswith(file) and n == name)
            return round(float(spent) / total, 3)

        found["rendered_list_profile"] = {
            "pages": len(addresses), "mean_ms": round(total / len(addresses) * 1000, 2),
            "share_database": share("ledger/store/sql.py", "execute"),
            "share_template": share("projections/web/render.py", "render"),
            "share_count": share("projections/web/queries.py", "count_for_page"),
            "share_search": share("projections/web/queries.py", "search"),
            "share_filter_parsing": share("projections/web/queries.py", "parse_filters"),
            "top_cumulative": sorted(
                ((f"{Path(f).name}:{n}", round(ct / total, 3))
                 for (f, _, n), (_, _, _, ct, _) in raw.items()),
                key=lambda kv: -kv[1])[:25],
        }
        return found
    finally:
        services.close()


def _stages(app: Any, db: Any, fresh: Any, addresses: list[str]) -> dict[str, float]:
    """Where a rendered search page's time goes, in process, mean ms over ``addresses``
    (not asked before): the count (capped), the page's notices, and the rest of the route
    (its filters parsed, the page rendered), the route timed whole with the count kept."""
    from urllib.parse import parse_qsl

    from starlette.requests import Request

    from projections.web import pages, queries
    from projections.web.queries import Filters

    spent = {"count_ms": 0.0, "page_ms": 0.0, "route_ms": 0.0}
    for address in addresses:
        query = address.partition("?")[2]
        given = dict(parse_qsl(query))
        page = int(given.pop("page", "1"))
        f = Filters(**given)
        started = time.perf_counter()
        queries.count_for_page(db, f)
        counted = time.perf_counter()
        queries.search(db, f, page)
        searched = time.perf_counter()
        request = Request({"type": "http", "method": "GET", "path": "/announcements",
                           "query_string": query.encode(), "headers": [], "app": app})
        pages.announcements(request, db, fresh)  # counts again: the sum below is the route
        spent["count_ms"] += counted - started
        spent["page_ms"] += searched - counted
        spent["route_ms"] += time.perf_counter() - searched
    found = {k: round(v / len(addresses) * 1000, 2) for k, v in spent.items()}
    found["rest_ms"] = round(found["route_ms"] - found["count_ms"] - found["page_ms"], 2)
    return found | {"addresses": len(addresses)}


def set_up_service(data: Path, url: str) -> None:
    """A fresh ledger's tables and keys (an empty log), as ``sunshine serve`` makes them on a
    first start, so that the service finds its projections at their versions."""
    port = free_port()
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=url)
    if not url.startswith("sqlite"):
        subprocess.run([sys.executable, "-m", "sunshine.cli", "db-setup"], env=env, check=True,
                       capture_output=True)
    serve = [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port)]
    with running(serve, f"http://127.0.0.1:{port}/log/key", "sunshine serve", env=env,
                 seconds=300):
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
            db.execute_script(["DROP TABLE pub_search", "DROP TABLE pub_announcements"])
        setup = fill(db, n)
        region, purchaser = counties()[3], "ylx-003-00"
        trigram = db.url.is_sqlite
        if trigram:
            setup["trigram_index_seconds"] = round(_trigram_table(Path(url[len("sqlite:///"):])), 1)
        setup["in_process"] = in_process(db, region, purchaser, trigram)
        leaf = int(_one(db, "SELECT MAX(leaf_index) FROM pub_announcements WHERE type = 'tender'"))
    finally:
        db.close()
    log(f"{name}: {setup['in_process']}")
    cold = rotations(n, region, purchaser)
    setup["cold_addresses"] = {k: len(v) for k, v in cold.items()}
    setup["request_costs"] = request_costs(data, url, cold, leaf)
    log(f"{name}: {setup['request_costs']['mean_us']}")
    return {"setup": setup,
            "loads": over_http(data, url, region, purchaser, seconds, cold, leaf)}


def _one(db: Any, sql: str) -> Any:
    with db.read() as cur:
        return cur.execute(sql).fetchone()[0]


def _measured_pages() -> list[tuple[str, str, str, float]]:
    """(name, title, target group, share of the floor) of every HTTP run."""
    cold = "cold: distinct addresses, each rendered"
    warm = "repeated: the page kept at the projection's position"
    return [
        ("search_cold", f"search, 1–4 characters and two words, {cold}", "search", FLOOR_SHARE),
        ("search_cold_filtered", f"search with filters, {cold}", "search", FLOOR_SHARE),
        *((name, f"search {title}, {warm}", "search", FLOOR_SHARE)
          for name, title, _ in QUERIES),
        ("list_cold", f"the announcement list under filters, {cold}", "pages", PAGE_SHARE),
        ("notice_cold", f"notices, {cold}", "pages", PAGE_SHARE),
        *((name, f"{title}, {warm}", "pages", PAGE_SHARE) for name, title, _ in PAGES),
    ]


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
        for name, title, target, share in _measured_pages():
            load, facts = measured["loads"][name]
            valid = load.errors == 0 and load.requests > 0  # none answered in time: a miss
            details = load.details() | facts
            if name in measured["setup"]["in_process"]:
                details["in_process_ms"] = measured["setup"]["in_process"][name]
            key = f"{target}_{backend.lower()}_{name}"
            if share == FLOOR_SHARE:  # search: the latency target too
                results.append(Result(
                    f"{key}_p99", f"{title}, {backend}, p99 at 32 connections",
                    f"p99 < {P99_MS:g} ms", load.p99, "ms", floor_p99,
                    "FastAPI fixed-bytes floor p99 ms", load.p99 / floor_p99,
                    valid and load.p99 < P99_MS, details))
            results.append(Result(
                f"{key}_rps", f"{title}, {backend}, requests/s",
                f"≥ {share:g}× the floor", load.rps, "req/s", floor_rps,
                "FastAPI fixed-bytes floor req/s", load.rps / floor_rps,
                valid and load.rps >= share * floor_rps,
                details if share != FLOOR_SHARE else {
                    "p99_ms": round(load.p99, 2), "errors": load.errors,
                    "loadavg_1m": load.load_average}))
    extra = {"data": "the public projection's tables filled directly from a seeded generator "
                     "of notices (bench/search.py), for speed: no ledger entries, no signatures "
                     "(the signed province ledger is `sunshine province`, demo/province.py)",
             "cold": "each cold run asks distinct addresses in turn (a wrk Lua script), none "
                     "asked before: every request renders its page; the other runs repeat one "
                     "address, answered from the page kept at the projection's position "
                     "after its first request",
             "floor_before": floor_before.details(), "floor_after": floor_after.details(),
             "setup": {b: m["setup"] for b, m in backends.items()}}
    write_results("search", results, extra, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
