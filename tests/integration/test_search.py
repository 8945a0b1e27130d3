"""Announcement search on real SQLite (FTS5 over character pairs) and PostgreSQL (a GIN index
of characters and pairs, then ILIKE): Chinese text found by any part of it, and every
character a query language gives meaning to (FTS5 syntax, LIKE wildcards) taken literally."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import PG_URL, hospital_world, make_config, require_postgres
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import DatabaseURL, parse_database_url
from projections.public import PublicProjection
from projections.runner import Follower
from projections.web import queries
from projections.web.queries import BadRequest, Filters

TITLES = {
    "pct": "100%纯棉床单被罩采购",
    "underscore": "A_B型激光打印机采购",
    "backslash": "路径C:\\数据\\备份服务",
    "quote": '“智慧校园”一期"平台"建设',
    "plain": "澄溪县第一中学课桌椅采购",
    "ascii": "Server Room UPS 采购",
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def county(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[County]:
    """One county per backend for the whole module: the searches only read."""
    tmp = tmp_path_factory.mktemp("search")
    if request.param == "sqlite":
        yield from _county(parse_database_url(f"sqlite:///{tmp / 'ledger.db'}"), tmp)
        return
    require_postgres()
    admin = parse_database_url(PG_URL)
    name = "sunshine_test_" + secrets.token_hex(6)
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield from _county(admin.with_database(name), tmp)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _county(url: DatabaseURL, tmp: Path) -> Iterator[County]:
    ledger = Ledger(make_config(url, tmp, inline_integration=True))
    try:
        world = hospital_world(ledger)
        c = County(world)
        for code, title in TITLES.items():
            c.to_announced(code, title=title)
        follower = Follower(ledger.db, PublicProjection(url.is_sqlite))
        follower.setup()
        follower.catch_up()
        yield c
    finally:
        ledger.close()


def found(county: County, q: str, **filters: str) -> set[str]:
    """The procurements whose notices match ``q`` (each has an intention and a tender)."""
    f = Filters(q=q, **filters)
    notices = queries.search(county.ledger.db, f, 1, size=100)
    assert queries.count(county.ledger.db, f) == len(notices)
    return {n.procurement for n in notices}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("课桌椅", {"plain"}),  # three characters: two pairs in a row
        ("桌椅", {"plain"}),  # two: one pair
        ("床", {"pct"}),  # one
        ("第一中学课桌", {"plain"}),
        ("采购", set(TITLES)),  # every tender's requirement mentions 采购文件
        ("server room", {"ascii"}),  # ASCII letters match in either case
        ("ups", {"ascii"}),
        ("p1", set()),
        ("underscore", {"underscore"}),  # the procurement number is searchable too
        ("医疗器械经营许可证", set(TITLES)),  # in every tender's qualifications
    ],
)
def test_chinese_text_is_found_by_any_part(county: County, q: str, expected: set[str]) -> None:
    assert found(county, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", {"pct"}),
        ("0%纯", {"pct"}),
        ("100%", {"pct"}),
        ("_", {"underscore"}),
        ("A_B", {"underscore"}),
        ("\\", {"backslash"}),
        ("\\数据\\", {"backslash"}),
        ('"', {"quote"}),
        ('"平台"', {"quote"}),
        ("“智慧", {"quote"}),
        ("*", set()),
        ("床单*", set()),
        ("床单 OR 打印机", set()),
        ("床单 AND 被罩", set()),
        ("NEAR(床单 被罩)", set()),
        ("body:床单", set()),
        ("^床单", set()),
        ("'; DROP TABLE pub_announcements; --", set()),
        ("(", set()),
        ("-床单", set()),
    ],
)
def test_query_syntax_is_literal(county: County, q: str, expected: set[str]) -> None:
    assert found(county, q) == expected


def test_search_combines_with_filters(county: County) -> None:
    assert found(county, "床单", type="tender") == {"pct"}
    assert found(county, "采购", date_from="2026-04-11") == set()
    assert found(county, "桌椅", purchaser="rmyy", date_to="2026-03-04") == {"plain"}
    tenders = queries.search(county.ledger.db, Filters(q="采购", type="tender"), 1, size=100)
    assert {n.type for n in tenders} == {"tender"}


def test_parameters_are_checked_before_any_query(county: County) -> None:
    db = county.ledger.db
    names = ("type", "purchaser", "region", "date_from", "date_to", "q")
    bad = [
        ({"type": "xyz"}, "type"),
        ({"purchaser": "ggzy"}, "purchaser"),  # an agency, not a purchaser
        ({"region": "火星"}, "region"),
        ({"date_from": "2026-5-8"}, "date_from"),
        ({"date_from": "2026-05-08", "date_to": "2026-05-07"}, "date_from"),
        ({"q": "床\x00单"}, "q"),
        ({"q": "长" * 101}, "q"),
    ]
    for params, parameter in bad:
        with pytest.raises(BadRequest) as refused:
            queries.parse_filters(db, params, names)
        assert refused.value.parameter == parameter and refused.value.status == 400
    ok = queries.parse_filters(db, {"type": "", "q": "  桌椅 ", "region": "澄溪县"}, names)
    assert ok == Filters(q="桌椅", region="澄溪县")
    assert queries.parse_page("7") == 7 and queries.parse_page(None) == 1
    for page in ("-1", "0", "1" + "0" * 30, "1e3", "٣", "100001"):
        with pytest.raises(BadRequest):
            queries.parse_page(page)


def test_a_text_search_or_a_filtered_list_stops_counting_at_its_cap(county: County) -> None:
    db = county.ledger.db
    every = Filters(q="采购")  # in most titles and requirements
    matches = queries.count(db, every)
    assert matches > 5
    assert queries.count_for_page(db, every) == (matches, False)
    assert queries.count_for_page(db, every, cap=matches) == (matches, False)
    assert queries.count_for_page(db, every, cap=5) == (5, True)  # "more than 5"
    assert queries.count_for_page(db, Filters(), cap=5) == (12, False)  # the whole list: exact
    every_day = Filters(date_from="2000-01-01")  # a list under a filter stops at its cap too
    assert queries.count_for_page(db, every_day, cap=5) == (5, True)
    assert queries.count_for_page(db, every_day, cap=12) == (12, False)
