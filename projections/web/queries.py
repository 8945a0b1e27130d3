# Over 400 lines by design: one job: every SQL query of the public pages, in one place.
"""Every SQL query of the public pages and feeds, over the public projection's tables.

Filters arrive as untrusted query parameters; ``parse_filters`` and ``parse_page`` turn them
into values or a ``BadRequest`` naming the parameter in Chinese, so a bad link answers 400
and never reaches the database malformed. Search is dialect-aware:

* SQLite: the FTS5 table ``pub_search`` of character pairs (``projections.search_text``),
  which also holds the filters and orders by date: a page is read from the index alone, and
  a query's characters reach it only as hexadecimal tokens, never as FTS5 syntax;
* PostgreSQL: the narrow table ``pub_search`` (the same sort key, the filters, the title
  and text lower-cased): GIN indexes of the text's and the title's characters and pairs,
  with the filters' terms, narrow a rare text and its filters at once; a common text is
  walked newest first along a key-ordered index; LIKE then checks the words, its patterns
  escaping ``%``, ``_`` and the escape character itself.

The words of a query (split at spaces) must all occur; notices whose title holds them all
come first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any, Final, Literal

import orjson

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_data
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import AnnouncementType, Category, Method
from ledger.ports import Database as Database
from projections import search_text

PAGE_SIZE: Final = 20
MAX_PAGE: Final = 100_000  # 2 million notices deep; anything beyond is not a real link
MAX_QUERY: Final = 100
MAX_VALUE: Final = 200
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # PostgreSQL refuses NUL; none belongs in a filter

#: What a feed may be narrowed by: the fixed choices, not search or dates.
FEED_FILTERS: Final = ("type", "category", "method", "purchaser", "region")
#: The Chinese name of each query parameter, for error messages.
PARAMETERS: Final = {
    "type": "公告类型",
    "category": "采购项目类别",
    "method": "采购方式",
    "purchaser": "采购人",
    "region": "行政区域",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "q": "关键词",
    "page": "页码",
}


class BadRequest(Exception):
    """A query parameter a page cannot answer; ``message`` is a sentence in Chinese."""

    def __init__(self, parameter: str, message: str, status: int = 400):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    category: str | None = None
    method: str | None = None
    purchaser: str | None = None
    region: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    q: str | None = None

    def params(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Notice:
    """One announcement as lists and feeds show it."""

    leaf_index: int
    type: str
    title: str
    procurement: str
    purchaser: str
    purchaser_name: str
    region: str
    category: str
    method: str
    published_on: str
    budget_fen: int
    amount_fen: int | None
    winner_name: str | None = None  # a result's winner by its registered name


_NOTICE_COLUMNS: Final = (
    "a.leaf_index, a.type, a.title, a.procurement, a.purchaser, "
    "COALESCE(o.name, a.purchaser), a.region, a.category, a.method, a.published_on, "
    "a.budget_fen, a.amount_fen, COALESCE(w.name, a.supplier)"
)
_NOTICE_FROM: Final = (
    "pub_announcements a LEFT JOIN pub_organisations o ON o.code = a.purchaser "
    "LEFT JOIN pub_organisations w ON w.code = a.supplier"
)
_NEWEST_FIRST: Final = "ORDER BY a.published_on DESC, a.leaf_index DESC"


def _notice(r: tuple[Any, ...]) -> Notice:
    return Notice(
        int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], int(r[10]),
        None if r[11] is None else int(r[11]), None if r[12] is None else str(r[12]),
    )  # fmt: skip


def _rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with db.read() as cur:
        rows: list[tuple[Any, ...]] = cur.execute(sql, params).fetchall()
        return rows


# -- parameters ---------------------------------------------------------------------------


def _value(params: Mapping[str, str], name: str, limit: int = MAX_VALUE) -> str | None:
    """The parameter stripped, None when absent or empty (an untouched form field)."""
    raw = params.get(name)
    value = raw.strip() if raw is not None else ""
    if not value:
        return None
    if len(value) > limit:
        raise BadRequest(name, f"{PARAMETERS[name]}过长（不超过{limit}个字符）。")
    if _CONTROL.search(value):
        raise BadRequest(name, f"{PARAMETERS[name]}含有控制字符。")
    return value


def _term(params: Mapping[str, str], name: str, term: type[Any]) -> str | None:
    value = _value(params, name)
    if value is not None and value not in {t.value for t in term}:
        allowed = "、".join(t.label for t in term)
        raise BadRequest(name, f"{PARAMETERS[name]}“{value}”不存在，可选：{allowed}。")
    return value


def _day(params: Mapping[str, str], name: str) -> str | None:
    value = _value(params, name)
    if value is None:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise BadRequest(name, f"{PARAMETERS[name]}须为有效日期，格式如 2026-05-08。") from None
    return value


@dataclass(frozen=True)
class Choices:
    """What the filters may name, as of one state of the projection: every region an
    organisation is registered in, and the purchasers, by name, of each region and of all
    (``page_cache`` keeps them: they change only with the organisations)."""

    regions: list[str]
    region_set: frozenset[str]
    purchasers: dict[str | None, list[tuple[str, str]]]  # by region; None: every region
    names: dict[str, str]  # every purchaser's, by code

    def purchasers_in(
        self, region: str | None, chosen: str | None = None
    ) -> tuple[list[tuple[str, str]], bool]:
        """As ``purchasers``, from the lists held."""
        found = self.purchasers.get(region, [])
        if len(found) <= PURCHASER_CHOICES:
            return found, False
        return ([(chosen, self.names[chosen])] if chosen in self.names else []), True


def choices(db: Database) -> Choices:
    """The filters' choices now (read once per state of the projection)."""
    rows = _rows(db, "SELECT code, name, region FROM pub_organisations WHERE kind = 'purchaser' "
                     "ORDER BY name")
    by_region: dict[str | None, list[tuple[str, str]]] = {None: []}
    for code, name, region in rows:
        by_region[None].append((str(code), str(name)))
        by_region.setdefault(str(region), []).append((str(code), str(name)))
    every = regions(db)
    return Choices(every, frozenset(every), by_region, dict(by_region[None]))


def parse_filters(
    db: Database, params: Mapping[str, str], names: tuple[str, ...], known: Choices | None = None
) -> Filters:
    """The filters among ``names`` given in ``params``; other parameters are ignored. The
    purchaser and region must exist: in ``known`` when given, else in the database."""
    found: dict[str, str | None] = {}
    for name in names:
        if name == "type":
            found[name] = _term(params, name, AnnouncementType)
        elif name == "category":
            found[name] = _term(params, name, Category)
        elif name == "method":
            found[name] = _term(params, name, Method)
        elif name in ("date_from", "date_to"):
            found[name] = _day(params, name)
        elif name == "q":
            found[name] = _value(params, name, MAX_QUERY)
        else:
            found[name] = _value(params, name)
    filters = Filters(**found)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise BadRequest("date_from", "起始日期晚于截止日期，请调换后重试。")
    if filters.purchaser and not (
        filters.purchaser in known.names if known else _exists(
            db, "pub_organisations WHERE code = ? AND kind = 'purchaser'", filters.purchaser)
    ):
        raise BadRequest("purchaser", f"采购人“{filters.purchaser}”不存在。")
    if filters.region and not (
        filters.region in known.region_set if known
        else _exists(db, "pub_organisations WHERE region = ?", filters.region)
    ):
        raise BadRequest("region", f"行政区域“{filters.region}”不存在。")
    return filters


def _exists(db: Database, where: str, value: str) -> bool:
    return bool(_rows(db, f"SELECT 1 FROM {where} LIMIT 1", (value,)))  # noqa: S608


def parse_page(raw: str | None) -> int:
    """A page number 1…MAX_PAGE; anything else (-1, 10**30, "abc") is a bad request."""
    if raw is None or raw.strip() == "":
        return 1
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise BadRequest("page", f"页码须为 1 至 {MAX_PAGE} 之间的整数。")
    number = int(value)
    if not 1 <= number <= MAX_PAGE:
        raise BadRequest("page", f"页码须为 1 至 {MAX_PAGE} 之间的整数。")
    return number


def last_page(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


# -- search -------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _facets(f: Filters, alias: str) -> tuple[list[str], list[Any]]:
    """The fixed-choice filters chosen, as clauses over the columns of ``alias`` (the notices'
    table and PostgreSQL's search table name them alike)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in search_text.FACETS:
        value = getattr(f, column)
        if value:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    return clauses, params


def _where(f: Filters) -> tuple[str, tuple[Any, ...]]:
    """The filters but the text, over ``pub_announcements a``."""
    clauses, params = _facets(f, "a")
    if f.date_from:
        clauses.append("a.published_on >= ?")
        params.append(f.date_from)
    if f.date_to:
        clauses.append("a.published_on <= ?")
        params.append(f.date_to)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


#: Which matches of a text search: all, those whose title holds every word (shown first),
#: or the others.
Group = Literal["all", "title", "rest"]


def _fts(f: Filters, group: Group) -> tuple[str, tuple[Any, ...]]:
    """SQLite: the matches of ``f`` in the search index, filters included, as a WHERE over
    ``pub_search`` whose rowid is the sort key (``projections.search_text``)."""
    assert f.q
    words = search_text.match(f.q)
    expression = {
        "all": f"body : ({words})",
        "title": f"title : ({words})",
        "rest": f"((body : ({words})) NOT (title : ({words})))",
    }[group]
    for name in search_text.FACETS:
        value = getattr(f, name)
        if value:
            expression += f' AND facets : "{search_text.facet(name, value)}"'
    low, high = search_text.day_range(f.date_from, f.date_to)
    return " WHERE pub_search MATCH ? AND rowid >= ? AND rowid < ?", (expression, low, high)


def _filtered(f: Filters) -> tuple[list[str], list[Any]]:
    """PostgreSQL: the filters but the text, as clauses over ``pub_search s``."""
    clauses, params = _facets(f, "s")
    if f.date_from or f.date_to:
        clauses.append("s.key >= ? AND s.key < ?")
        params += search_text.day_range(f.date_from, f.date_to)
    return clauses, params


def _worded(f: Filters, group: Group, alias: str = "s") -> tuple[str, list[Any]]:
    """PostgreSQL: LIKE on every word, in the text or the title, both lower-cased as the
    words are (backslash is PostgreSQL's default LIKE escape)."""
    assert f.q
    patterns = [_like(w) for w in search_text.words(f.q)]
    everywhere = " AND ".join(f"{alias}.body LIKE ?" for _ in patterns)
    in_title = " AND ".join(f"{alias}.title LIKE ?" for _ in patterns)
    return {
        "all": (everywhere, patterns),
        "title": (in_title, patterns),
        "rest": (f"{everywhere} AND NOT ({in_title})", patterns + patterns),
    }[group]


def _pieces(f: Filters, group: Group, walk: bool) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL: a WHERE over ``pub_search s``, the narrow table whose ``key`` is the sort
    key: the filters, the notices holding every word's characters or pairs and the filters'
    terms (a GIN index of the title's pieces for the title matches, of the text's for the
    others: the posting lists of pieces and filters intersect before a row is read; not
    when the text is common enough to ``walk`` the table), then the words as written."""
    clauses, params = _filtered(f)
    if not walk:
        column = "title" if group == "title" else "body"
        clauses.append(f"({search_text.indexed(column)}) @> ?::text[]")
        params.append(_terms(f))
    text, values = _worded(f, group)
    clauses.append(text)
    return " WHERE " + " AND ".join(clauses), (*params, *values)


def _walked(
    db: Database, f: Filters, group: Group, size: int, offset: int
) -> list[tuple[Any, ...]] | None:
    """PostgreSQL: a page of a common text, from the newest notices under its filters along
    a key-ordered index (the key's, or the type's, region's or purchaser's), reading at most
    ``WALK_ROWS`` rows a match wanted; None when they hold too few matches (the estimate
    was wrong: the text is rarer, or rare under these filters, and the GIN index reads it
    cheaply)."""
    clauses, params = _filtered(f)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    text, values = _worded(f, group, "w")
    rows = _text_rows(
        db,
        f"SELECT w.key FROM (SELECT s.key, s.title, s.body FROM pub_search s{where} "  # noqa: S608
        f"ORDER BY s.key DESC LIMIT ?) w WHERE {text} ORDER BY w.key DESC LIMIT ? OFFSET ?",
        (*params, (offset + size) * WALK_ROWS, *values, size, offset),
        walk=True,
    )
    return rows if len(rows) == size else None


#: PostgreSQL: a page of a text estimated in at least this share of the notices (of their
#: titles, for the title matches) walks a key-ordered index, newest first, and stops at the
#: page: 20 matches cost about 20 / share rows. A rarer text is read by a GIN index, which
#: costs a row per match (a word in 1% of 420,000 notices: 4,200 rows, spread over the
#: table, where the walk reads 2,000 in order).
PAGE_WALK_SHARE: Final = 0.01
#: The rows a walk reads at most for each match it wants: twice what the least common text
#: it is for should need.
WALK_ROWS: Final = round(2 / PAGE_WALK_SHARE)
#: A count stops at its cap: by the GIN index it costs a row per match up to the cap; a text
#: in at least this share of the notices is cheaper to count along the table.
COUNT_WALK_SHARE: Final = 0.25


def _terms(f: Filters) -> list[str]:
    """What the GIN index must hold of a match: its words' pieces, its filters' terms."""
    assert f.q
    words = search_text.words(f.q)
    pieces = {p for w in words for p in search_text.pieces_of(w)}
    chosen = {n: getattr(f, n) for n in search_text.FACETS if getattr(f, n)}
    return sorted(pieces | set(search_text.terms(chosen)))


def walks(db: Database, f: Filters, group: Group, ordered: bool) -> bool:
    """PostgreSQL: whether to walk the table for the matches rather than read a GIN index:
    for a page of a common text (filters included), newest first along a key-ordered index;
    for a count of a very common text without filters but dates, along the table or the
    dates' range of the key (stopping at the cap)."""
    share = text_share(db, f, "title" if group == "title" else "body")
    if ordered:
        return share >= PAGE_WALK_SHARE
    return share >= COUNT_WALK_SHARE and not any(getattr(f, n) for n in search_text.FACETS)


def _matches(
    db: Database, f: Filters, group: Group, walk: bool = False, ordered: bool = True
) -> tuple[str, tuple[Any, ...]]:
    """SELECT of the matches' sort keys, newest first when ``ordered`` (PostgreSQL: by the
    GIN index, or with ``walk`` without it)."""
    if db.url.is_sqlite:
        where, params = _fts(f, group)
        sql = f"SELECT rowid FROM pub_search{where}"  # noqa: S608
        return sql + (" ORDER BY rowid DESC" if ordered else ""), params
    where, params = _pieces(f, group, walk)
    sql = f"SELECT s.key FROM pub_search s{where}"  # noqa: S608
    return sql + (" ORDER BY s.key DESC" if ordered else ""), params


def _capped(db: Database, f: Filters, group: Group, cap: int | None) -> int:
    """The matches, counted up to ``cap`` (in no order: PostgreSQL stops at the cap rather
    than sort them all; a very common text alone is counted along the table)."""
    walk = not db.url.is_sqlite and walks(db, f, group, ordered=False)
    sql, params = _matches(db, f, group, walk, ordered=False)
    if cap is None:
        sql = f"SELECT COUNT(*) FROM ({sql}) found"  # noqa: S608
    else:
        sql, params = f"SELECT COUNT(*) FROM ({sql} LIMIT ?) found", (*params, cap)  # noqa: S608
    ((total,),) = _text_rows(db, sql, params, walk=False)  # a sequential scan may serve
    return int(total)


_STATISTICS_SECONDS: Final = 300.0
_statistics: dict[tuple[int, str], tuple[float, dict[str, float], float]] = {}


def _piece_shares(db: Database, column: str) -> tuple[dict[str, float], float]:
    """PostgreSQL's own statistics of the pieces and terms of ``pub_search.{column}`` (its
    expression index's, by ANALYZE and autovacuum): the share of notices holding each of its
    most common elements, and the share below which the others lie (0: no statistics yet, every
    text taken as rare). Read again every few minutes."""
    now = time.monotonic()
    kept = _statistics.get((id(db), column))
    if kept is not None and now - kept[0] < _STATISTICS_SECONDS:
        return kept[1], kept[2]
    rows = _rows(
        db,
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE tablename = ? AND schemaname = current_schema()",
        ("pub_search_pieces" if column == "body" else "pub_search_title_pieces",),
    )
    shares: dict[str, float] = {}
    below = 0.0
    if rows and rows[0][0] is not None:
        pieces, freqs = rows[0]
        shares = {str(p): float(x) for p, x in zip(pieces, freqs, strict=False)}
        below = float(freqs[len(pieces)])  # after the elements: the least frequency listed
    _statistics[(id(db), column)] = (now, shares, below)
    return shares, below


def text_share(db: Database, f: Filters, column: str = "body") -> float:
    """The share of notices estimated to match ``f``'s words in their text (``body``) or
    title and its filters (but the dates): each word in at most its rarest piece's share,
    each filter in its term's, all taken as independent."""
    assert f.q
    shares, below = _piece_shares(db, column)
    estimate = 1.0
    for word in search_text.words(f.q):
        estimate *= min(shares.get(p, below) for p in search_text.pieces_of(word))
    chosen = {n: getattr(f, n) for n in search_text.FACETS if getattr(f, n)}
    for term in search_text.terms(chosen):
        estimate *= shares.get(term, below)
    return estimate


def _text_rows(
    db: Database, sql: str, params: tuple[Any, ...], walk: bool
) -> list[tuple[Any, ...]]:
    """A text search's rows. PostgreSQL: planned for these very values (a generic plan, made
    after a query ran five times, cannot tell a common word from a rare one), without JIT
    compilation (100 ms for a plan whose cost looks high) or parallel workers (a search
    reads a few thousand rows at most); a ``walk`` kept off the GIN index (GIN is read only
    by bitmap scans) and off a sequential scan, so that a key-ordered index is walked and
    stops at the page."""
    if db.url.is_sqlite:
        return _rows(db, sql, params)
    with db.read() as cur:
        cur.execute(_WALK_SETTINGS if walk else _SETTINGS)  # one round trip, not one each
        rows: list[tuple[Any, ...]] = cur.execute(sql, params).fetchall()
        return rows


_SETTINGS: Final = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
)
_WALK_SETTINGS: Final = _SETTINGS + ", set_config('enable_seqscan', 'off', true)"


def count(db: Database, f: Filters) -> int:
    if f.q:
        return _capped(db, f, "all", None)
    where, params = _where(f)
    ((total,),) = _rows(db, f"SELECT COUNT(*) FROM pub_announcements a{where}", params)  # noqa: S608
    return int(total)


#: A text search counts its matches up to this many: a common word matches most notices, and
#: counting all of them would cost a scan of the whole table on every page.
SEARCH_COUNT_CAP: Final = 2000


def count_for_page(db: Database, f: Filters, cap: int = SEARCH_COUNT_CAP) -> tuple[int, bool]:
    """The matches to show a count and pages for, and whether there are more than that: a
    text search, or a list under filters, stops counting at ``cap`` (a province's notices
    of one type or category are 100,000s: counting them took 10–150 ms a page); the whole
    list is counted (once a state of the projection: ``page_cache``)."""
    if not f.params():
        return count(db, f), False
    if f.q:
        total = _capped(db, f, "all", cap + 1)
    elif db.url.is_sqlite:
        where, params = _where(f)
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM pub_announcements a{where} LIMIT ?) found"  # noqa: S608
        ((total,),) = _rows(db, sql, (*params, cap + 1))
    else:  # from the narrow search table: 2,001 of its rows, not of the notices' wide ones
        clauses, values = _filtered(f)
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM pub_search s WHERE {' AND '.join(clauses)} "  # noqa: S608
        sql += "LIMIT ?) found"
        ((total,),) = _text_rows(db, sql, (*values, cap + 1), walk=False)
    return min(total, cap), total > cap


def _keys(db: Database, f: Filters, group: Group, size: int, offset: int) -> list[int]:
    walked = None
    if not db.url.is_sqlite and walks(db, f, group, ordered=True):
        walked = _walked(db, f, group, size, offset)
    if walked is None:
        sql, params = _matches(db, f, group)
        walked = _text_rows(db, f"{sql} LIMIT ? OFFSET ?", (*params, size, offset), False)
    return [search_text.leaf_of(int(k)) for (k,) in walked]


def search(db: Database, f: Filters, page: int, size: int = PAGE_SIZE) -> list[Notice]:
    """One page of the announcements matching ``f``, newest first; with a text, the notices
    whose title holds every word come first, each group newest first."""
    offset = (page - 1) * size
    if not f.q:
        where, params = _where(f)
        sql = f"SELECT {_NOTICE_COLUMNS} FROM {_NOTICE_FROM}{where} {_NEWEST_FIRST}"  # noqa: S608
        return [_notice(r) for r in _rows(db, sql + " LIMIT ? OFFSET ?", (*params, size, offset))]
    leaves = _keys(db, f, "title", size, offset)
    if len(leaves) < size:
        # the title matches end on this page: the rest follow them
        titles = offset + len(leaves) if leaves else _capped(db, f, "title", offset)
        leaves += _keys(db, f, "rest", size - len(leaves), max(0, offset - titles))
    if not leaves:
        return []
    marks = ", ".join("?" for _ in leaves)
    sql = f"SELECT {_NOTICE_COLUMNS} FROM {_NOTICE_FROM} WHERE a.leaf_index IN ({marks})"  # noqa: S608
    found = {int(r[0]): _notice(r) for r in _rows(db, sql, tuple(leaves))}
    return [found[i] for i in leaves]


def latest_by_type(db: Database, per_type: int = 5) -> dict[str, list[Notice]]:
    """The newest notices of each announcement type, for the home page."""
    sql = f"SELECT {_NOTICE_COLUMNS} FROM {_NOTICE_FROM} WHERE a.type = ? {_NEWEST_FIRST} LIMIT ?"  # noqa: S608
    return {
        t.value: [_notice(r) for r in _rows(db, sql, (t.value, per_type))] for t in AnnouncementType
    }


def newest_date(db: Database, f: Filters) -> str | None:
    """The publication day of the newest notice matching ``f`` (a feed's ``updated``; a feed
    has no text search)."""
    where, params = _where(f)
    ((day,),) = _rows(db, f"SELECT MAX(a.published_on) FROM pub_announcements a{where}", params)  # noqa: S608
    return str(day) if day else None


#: The purchaser filter lists at most this many: a province has thousands of purchasers, and
#: a list of them all would weigh more than the page; past it, the region chosen narrows it.
PURCHASER_CHOICES: Final = 300


def purchasers(
    db: Database, region: str | None = None, chosen: str | None = None
) -> tuple[list[tuple[str, str]], bool]:
    """(code, name) of the purchasers, by name, in ``region`` if given: the purchaser filter's
    choices; and whether there were too many to list (then only the ``chosen`` one is)."""
    where, params = "kind = 'purchaser'", ([region] if region else [])
    if region:
        where += " AND region = ?"
    sql = f"SELECT code, name FROM pub_organisations WHERE {where} ORDER BY name LIMIT ?"  # noqa: S608
    found = [(str(c), str(n)) for c, n in _rows(db, sql, (*params, PURCHASER_CHOICES + 1))]
    if len(found) <= PURCHASER_CHOICES:
        return found, False
    rows = _rows(db, "SELECT code, name FROM pub_organisations WHERE code = ?", (chosen,))
    return [(str(c), str(n)) for c, n in rows], True


def regions(db: Database) -> list[str]:
    """Every region an organisation is registered in: the region filter's choices."""
    rows = _rows(db, "SELECT DISTINCT region FROM pub_organisations ORDER BY region")
    return [str(r) for (r,) in rows]


def names(db: Database, codes: set[str]) -> dict[str, str]:
    """Organisation names by code (an unknown code stands for itself)."""
    wanted = sorted(c for c in codes if isinstance(c, str))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT code, name FROM pub_organisations WHERE code IN ({marks})"  # noqa: S608
    rows = _rows(db, sql, tuple(wanted))
    found = {str(c): str(n) for c, n in rows}
    return {c: found.get(c, c) for c in wanted}


# -- one notice, one procurement ----------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    leaf_index: int
    procurement: str
    type: str
    published_on: str
    budget_fen: int
    amount_fen: int | None
    leaf_hash: str
    data: dict[str, Any]


def announcement(db: Database, leaf_index: int) -> Announcement | None:
    rows = _rows(
        db,
        "SELECT leaf_index, procurement, type, published_on, budget_fen, amount_fen, leaf_hash, "
        "data FROM pub_announcements WHERE leaf_index = ?",
        (leaf_index,),
    )
    if not rows:
        return None
    r = rows[0]
    return Announcement(
        int(r[0]), r[1], r[2], r[3], int(r[4]), None if r[5] is None else int(r[5]), r[6],
        orjson.loads(r[7]),
    )  # fmt: skip


def notices_of(db: Database, code: str) -> list[Notice]:
    """Every notice of one procurement, in log order."""
    sql = f"SELECT {_NOTICE_COLUMNS} FROM {_NOTICE_FROM} WHERE a.procurement = ? "  # noqa: S608
    sql += "ORDER BY a.leaf_index"
    return [_notice(r) for r in _rows(db, sql, (code,))]


def notices_naming(db: Database, code: str, limit: int = 100) -> list[Notice]:
    """The newest notices that name an organisation as purchaser, agency or supplier."""
    sql = f"SELECT {_NOTICE_COLUMNS} FROM {_NOTICE_FROM} "  # noqa: S608
    sql += f"WHERE a.purchaser = ? OR a.agency = ? OR a.supplier = ? {_NEWEST_FIRST} LIMIT ?"
    return [_notice(r) for r in _rows(db, sql, (code, code, code, limit))]


@dataclass(frozen=True)
class Procurement:
    code: str
    title: str
    purchaser: str
    agency: str | None
    region: str
    category: str
    method: str
    budget_fen: int
    stage: str
    closed: str | None
    suspended: bool
    plan_date: str
    last_date: str
    winner: str | None
    award_fen: int | None
    contract_fen: int | None


def procurement(db: Database, code: str) -> Procurement | None:
    columns = ", ".join(f.name for f in fields(Procurement))
    rows = _rows(db, f"SELECT {columns} FROM pub_procurements WHERE code = ?", (code,))  # noqa: S608
    if not rows:
        return None
    values = list(rows[0])
    values[10] = bool(values[10])
    return Procurement(*values)


@dataclass(frozen=True)
class Step:
    """One entry on a procurement's public timeline, its data typed (``schema.entries``)."""

    leaf_index: int
    event: str  # the entry's kind
    date: str
    actor: str
    typed: E.ProcurementData | E.StreamData | E.TimingReevaluated

    @property
    def findings(self) -> list[Finding]:
        return list(getattr(self.typed, "findings", []))

    @property
    def announcement(self) -> str | None:
        notice = getattr(self.typed, "announcement", None)
        return None if notice is None else str(notice)


def timeline(db: Database, code: str) -> list[Step]:
    rows = _rows(
        db,
        "SELECT leaf_index, event, date, actor, data FROM pub_timeline WHERE procurement = ? "
        "ORDER BY leaf_index",
        (code,),
    )
    return [Step(int(i), e, d, a, _typed(e, data)) for i, e, d, a, data in rows]


def _typed(kind: str, data: str) -> E.ProcurementData | E.StreamData | E.TimingReevaluated:
    typed = parse_data(kind, data)
    # the timeline holds no other
    assert isinstance(typed, E.ProcurementData | E.StreamData | E.TimingReevaluated)
    return typed


@dataclass(frozen=True)
class Delivery:
    """A publisher's receipt for one notice at one website (NoticeDelivered or, after its
    retries, NoticeDeliveryFailed)."""

    leaf_index: int
    destination: str
    delivered: bool
    required: bool
    status: int | None
    attempts: int
    at: str  # RFC 3339, UTC
    findings: list[dict[str, Any]]
    site: str | None = None  # the website's display name, when its receipt gives one


def deliveries_of(db: Database, notice: int) -> list[Delivery]:
    """The receipts of one notice, in log order."""
    rows = _rows(
        db,
        "SELECT leaf_index, destination, delivered, required, status, attempts, at, data "
        "FROM pub_deliveries WHERE notice = ? ORDER BY leaf_index",
        (notice,),
    )
    found = []
    for i, dest, ok, req, st, n, at, data in rows:
        given = orjson.loads(data)
        found.append(Delivery(int(i), dest, bool(ok), bool(req), None if st is None else int(st),
                              int(n), at, list(given.get("findings") or []), given.get("site")))
    return found  # fmt: skip


# -- the archived feed ------------------------------------------------------------------------

#: A notice under the names it was published under (frozen by the projection), not today's.
_AS_PUBLISHED: Final = (
    "leaf_index, type, title, procurement, purchaser, purchaser_name, region, category, "
    "method, published_on, budget_fen, amount_fen, COALESCE(supplier_name, supplier)"
)


def notice_total(db: Database) -> int:
    """How many notices the log holds (their ordinals run 0…total-1, without gaps)."""
    ((last,),) = _rows(db, "SELECT MAX(ordinal) FROM pub_announcements")
    return 0 if last is None else int(last) + 1


def in_log_order(db: Database, start: int, stop: int) -> list[Notice]:
    """The notices of ordinals ``start`` ≤ n < ``stop``, in log order, as published."""
    rows = _rows(
        db,
        f"SELECT {_AS_PUBLISHED} FROM pub_announcements "  # noqa: S608
        "WHERE ordinal >= ? AND ordinal < ? ORDER BY ordinal",
        (start, stop),
    )
    return [_notice(r) for r in rows]
