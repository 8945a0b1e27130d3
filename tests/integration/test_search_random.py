"""Search equals a brute-force scan: on seeded random notices written to the public
projection's tables (SQLite's character-pair index, PostgreSQL's index of characters and
pairs), every 1-,
2-, 3-, 4-character and multi-word query, with and without filters, finds exactly the
notices whose fields hold every word, titles first, each group newest first, page by page,
and counts them."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg
import pytest
from conftest import PG_URL, require_postgres

from ledger.ports import Database
from ledger.store.sql import open_database
from ledger.store.url import parse_database_url
from projections.public import PublicProjection, index_notice
from projections.web import queries
from projections.web.queries import Filters

#: Few characters, so that words recur across titles and requirements; two ASCII letters in
#: both cases and the characters a query language gives meaning to.
ALPHABET = "人民医院采购设备中学教育服务Ab%_\"*"
#: What texts are drawn from: words that recur, or single characters.
VOCABULARY = ("人民医院", "医院", "采购", "设备", "中学", "教育", "服务", "人民", "AbA", *ALPHABET)
TYPES = ("tender", "result", "contract")
PURCHASERS = ("qhx-rmyy", "qhx-jyj", "qhx-jtj")
REGIONS = ("澄溪县", "云岭市")
FIRST_DAY = date(2026, 1, 5)


@dataclass(frozen=True)
class Row:
    leaf: int
    procurement: str
    type: str
    title: str
    requirement: str
    purchaser: str
    region: str
    day: date

    def fields(self) -> list[str]:
        return [self.procurement, self.title, self.requirement]


def _text(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))


def notices(seed: int, n: int) -> list[Row]:
    rng = random.Random(seed)
    leaves = sorted(rng.sample(range(10, 10 * n), n))  # gaps, as between a log's notices
    return [
        Row(leaf, f"qhx-2026-{i // 3:03d}", rng.choice(TYPES), _text(rng, 2, 6),
            _text(rng, 0, 12), rng.choice(PURCHASERS), rng.choice(REGIONS),
            FIRST_DAY + timedelta(days=rng.randint(0, 40)))  # several notices a day
        for i, leaf in enumerate(leaves)
    ]  # fmt: skip


def write(db: Database, rows: list[Row]) -> None:
    sqlite = db.url.is_sqlite
    db.execute_script(PublicProjection(sqlite).create(sqlite))
    with db.write() as cur:
        for ordinal, r in enumerate(rows):
            search = " ".join(r.fields())
            cur.execute(
                "INSERT INTO pub_announcements (leaf_index, procurement, type, title, purchaser, "
                "agency, region, category, method, published_on, budget_fen, amount_fen, "
                "supplier, leaf_hash, data, search, ordinal, purchaser_name, supplier_name) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, 'goods', 'open_tender', ?, 100, NULL, NULL, "
                "'', '{}', ?, ?, ?, NULL)",
                (r.leaf, r.procurement, r.type, r.title, r.purchaser, r.region,
                 r.day.isoformat(), search, ordinal, r.purchaser),
            )  # fmt: skip
            values = {"type": r.type, "category": "goods", "method": "open_tender",
                      "purchaser": r.purchaser, "region": r.region}  # fmt: skip
            index_notice(cur, r.leaf, r.day, r.title, r.fields(), values, sqlite)
    if not sqlite:  # the statistics that tell a common word from a rare one
        db.execute_script(["ANALYZE pub_search"])


def _kept(r: Row, f: Filters) -> bool:
    """Whether a notice passes the filters but the text."""
    if (f.type and r.type != f.type) or (f.purchaser and r.purchaser != f.purchaser):
        return False
    if f.region and r.region != f.region:
        return False
    if f.date_from and r.day.isoformat() < f.date_from:
        return False
    return not (f.date_to and r.day.isoformat() > f.date_to)


def brute_force(rows: list[Row], f: Filters) -> list[int]:
    """The leaves ``f`` must find, in the order the page must show them."""
    assert f.q
    words = f.q.lower().split()
    found = []
    for r in rows:
        if (f.type and r.type != f.type) or (f.purchaser and r.purchaser != f.purchaser):
            continue
        if f.region and r.region != f.region:
            continue
        if f.date_from and r.day.isoformat() < f.date_from:
            continue
        if f.date_to and r.day.isoformat() > f.date_to:
            continue
        if all(any(w in field.lower() for field in r.fields()) for w in words):
            in_title = all(w in r.title.lower() for w in words)
            found.append((not in_title, -r.day.toordinal(), -r.leaf))
    return [-leaf for _, _, leaf in sorted(found)]


ROWS = notices(seed=19, n=600)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("search-random") / "ledger.db"
        sqlite = open_database(parse_database_url(f"sqlite:///{path}"))
        write(sqlite, ROWS)
        yield sqlite
        sqlite.close()
        return
    require_postgres()
    admin = parse_database_url(PG_URL)
    name = "sunshine_test_" + secrets.token_hex(6)
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg = open_database(admin.with_database(name))
    try:
        write(pg, ROWS)
        yield pg
    finally:
        pg.close()
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _word(rng: random.Random, length: int) -> str:
    """Mostly a piece of some notice's title or requirement, now and then random letters."""
    if rng.random() < 0.2:
        return "".join(rng.choice(ALPHABET) for _ in range(length))
    r = rng.choice(ROWS)
    text = rng.choice([r.title, r.requirement, r.title.upper()])
    if len(text) < length:
        return text or rng.choice(ALPHABET)
    start = rng.randrange(len(text) - length + 1)
    return text[start : start + length]


def _filters(rng: random.Random) -> dict[str, str]:
    chosen: dict[str, str] = {}
    if rng.random() < 0.4:
        chosen["type"] = rng.choice(TYPES)
    if rng.random() < 0.3:
        chosen["purchaser"] = rng.choice(PURCHASERS)
    if rng.random() < 0.2:
        chosen["region"] = rng.choice(REGIONS)
    if rng.random() < 0.3:
        start = FIRST_DAY + timedelta(days=rng.randint(0, 40))
        chosen["date_from"] = start.isoformat()
        if rng.random() < 0.5:
            chosen["date_to"] = (start + timedelta(days=rng.randint(0, 15))).isoformat()
    return chosen


def queries_of(length: int, seed: int, n: int = 40) -> list[Filters]:
    rng = random.Random(seed)
    found = []
    for i in range(n):
        if length == 0:  # several words, of 1 to 4 characters each
            q = " ".join(_word(rng, rng.randint(1, 4)) for _ in range(rng.randint(2, 3)))
        else:
            q = _word(rng, length)
        if not q.strip():
            continue
        found.append(Filters(q=q, **(_filters(rng) if i % 2 else {})))
    return found


@pytest.mark.parametrize("length", [1, 2, 3, 4, 0], ids=["1", "2", "3", "4", "words"])
def test_search_equals_a_scan(db: Database, length: int) -> None:
    for f in queries_of(length, seed=length):
        expected = brute_force(ROWS, f)
        size = 7  # small pages: the title matches end on some page, the rest follow
        shown: list[int] = []
        for page in range(1, len(expected) // size + 2):
            shown += [n.leaf_index for n in queries.search(db, f, page, size=size)]
        assert shown == expected, f
        assert queries.count(db, f) == len(expected), f
        cap = 5
        assert queries.count_for_page(db, f, cap=cap) == (
            min(len(expected), cap), len(expected) > cap
        ), f
    assert any(len(brute_force(ROWS, f)) > 7 for f in queries_of(length, seed=length))


def test_a_list_under_filters_counts_as_a_scan(db: Database) -> None:
    # without a text, the count stops at its cap too (PostgreSQL counts the search table's
    # rows, SQLite the notices')
    rng = random.Random(7)
    for _ in range(60):
        f = Filters(**_filters(rng))
        if not f.params():
            continue
        expected = sum(1 for r in ROWS if _kept(r, f))
        for cap in (5, 1000):
            assert queries.count_for_page(db, f, cap=cap) == (
                min(expected, cap), expected > cap
            ), f
        shown = [n.leaf_index for n in queries.search(db, f, 1, size=1000)]
        assert sorted(shown) == sorted(r.leaf for r in ROWS if _kept(r, f)), f


def test_the_scans_cover_both_ways_of_reading(db: Database) -> None:
    # PostgreSQL walks a key-ordered index for a common text, reads a GIN index (the text's
    # or the title's) for a rarer one, for a page and for a count: the queries above take
    # every way
    if db.url.is_sqlite:
        return
    every = [f for length in (1, 2, 3, 4, 0) for f in queries_of(length, seed=length)]
    groups: tuple[queries.Group, ...] = ("all", "title", "rest")
    for group in groups:
        assert {queries.walks(db, f, group, ordered=True) for f in every} == {True, False}
    assert {queries.walks(db, f, "all", ordered=False) for f in every} == {True, False}
    # a walk that finds too few matches among the rows it may read gives way to the index
    walked = [f for f in every if queries.walks(db, f, "title", ordered=True)]
    assert any(queries._walked(db, f, "title", 7, 0) is None for f in walked)
    assert any(queries._walked(db, f, "title", 7, 0) is not None for f in walked)


def test_a_page_past_the_matches_is_empty(db: Database) -> None:
    f = Filters(q="医院")
    total = len(brute_force(ROWS, f))
    assert total > 20
    assert queries.search(db, f, total // 20 + 2) == []


def test_one_character_matches_the_last_of_a_field(db: Database) -> None:
    # a character that ends a title pairs with the end mark: it is still found
    ends = {r.title[-1] for r in ROWS}
    for ch in sorted(ends):
        assert [n.leaf_index for n in queries.search(db, Filters(q=ch), 1, size=1000)] == (
            brute_force(ROWS, Filters(q=ch))
        )


def test_a_province_s_purchasers_are_listed_by_region(db: Database) -> None:
    # thousands of purchasers would outweigh the list page: past 300 the region narrows them
    with db.write() as cur:
        cur.executemany(
            "INSERT INTO pub_organisations (code, name, kind, region, address, registered_on) "
            "VALUES (?, ?, 'purchaser', ?, '', '2026-01-01')",
            [(f"p-{r}-{i:03d}", f"{region}第{i}采购单位", region)
             for r, region in enumerate(REGIONS) for i in range(200)],
        )  # fmt: skip
    try:
        assert queries.purchasers(db) == ([], True)
        chosen = queries.purchasers(db, chosen="p-1-007")
        assert chosen == ([("p-1-007", "云岭市第7采购单位")], True)
        listed, too_many = queries.purchasers(db, region="澄溪县")
        assert len(listed) == 200 and not too_many
        assert {code[:4] for code, _ in listed} == {"p-0-"}
        known = queries.choices(db)  # the lists the list page holds per projection state
        assert known.purchasers_in(None) == ([], True)
        assert known.purchasers_in(None, "p-1-007") == chosen
        assert known.purchasers_in("澄溪县") == (listed, False)
        assert known.regions == queries.regions(db)
    finally:
        with db.write() as cur:
            cur.execute("DELETE FROM pub_organisations")
