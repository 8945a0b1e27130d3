"""Reading the OCDS projection: releases by year or procurement, as packages and records."""

from __future__ import annotations

import gzip
from typing import Any, Final

import orjson

from ledger.ocds.packages import record_package, release_package
from ledger.ocds.teller import with_ocid
from ledger.ports import Database

#: A year's files, as the API and the export name them under ``/ocds/<year>/``.
YEAR_FILES: Final = (
    "releases.json",
    "releases.jsonl.gz",
    "records.json",
    "releases.xlsx",
    "releases.csv.zip",
)


def years(db: Database) -> list[int]:
    with db.read() as cur:
        rows = cur.execute("SELECT DISTINCT year FROM ocds_releases ORDER BY year").fetchall()
    return [int(y) for (y,) in rows]


def last_leaf(db: Database, year: int) -> int:
    """The leaf of the year's latest release: a year's files change only when it does."""
    with db.read() as cur:
        row = cur.execute("SELECT MAX(leaf_index) FROM ocds_releases WHERE year = ?",
                          (year,)).fetchone()  # fmt: skip
    return -1 if row is None or row[0] is None else int(row[0])


def codes(db: Database) -> list[str]:
    with db.read() as cur:
        rows = cur.execute("SELECT DISTINCT procurement FROM ocds_releases ORDER BY 1").fetchall()
    return [str(c) for (c,) in rows]


def releases(
    db: Database, prefix: str, year: int | None = None, procurement: str | None = None
) -> list[dict[str, Any]]:
    """The releases of a year (by the notice's day) or of a procurement, in log order."""
    sql, params = "SELECT procurement, release FROM ocds_releases", tuple[object, ...]()
    if year is not None:
        sql, params = f"{sql} WHERE year = ?", (year,)
    elif procurement is not None:
        sql, params = f"{sql} WHERE procurement = ?", (procurement,)
    with db.read() as cur:
        rows = cur.execute(f"{sql} ORDER BY leaf_index", params).fetchall()
    return [with_ocid(prefix, str(code), body) for code, body in rows]


def records_of_year(db: Database, prefix: str, year: int) -> list[dict[str, Any]]:
    """Every release of the procurements with a release in ``year`` (their whole record)."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT procurement, release FROM ocds_releases WHERE procurement IN "
            "(SELECT procurement FROM ocds_releases WHERE year = ?) ORDER BY leaf_index",
            (year,),
        ).fetchall()
    return [with_ocid(prefix, str(code), body) for code, body in rows]


def published(found: list[dict[str, Any]]) -> str:
    """A package's publishedDate: its latest release's date, so unchanged data gives
    unchanged bytes."""
    return max((r["date"] for r in found), default="1970-01-01T00:00:00+08:00")


def year_package(db: Database, prefix: str, year: int, uri: str) -> dict[str, Any]:
    found = releases(db, prefix, year=year)
    return release_package(found, uri, published(found))


def year_records(db: Database, prefix: str, year: int, uri: str) -> dict[str, Any]:
    found = records_of_year(db, prefix, year)
    return record_package(found, uri, published(found))


def procurement_package(db: Database, prefix: str, code: str, uri: str) -> dict[str, Any]:
    found = releases(db, prefix, procurement=code)
    return release_package(found, uri, published(found))


def procurement_record(db: Database, prefix: str, code: str, uri: str) -> dict[str, Any]:
    found = releases(db, prefix, procurement=code)
    return record_package(found, uri, published(found))


def json_lines_gz(found: list[dict[str, Any]]) -> bytes:
    """One release per line, gzip-compressed with no name or time in its header, so the
    same releases always give the same bytes."""
    lines = b"".join(orjson.dumps(r) + b"\n" for r in found)
    return gzip.compress(lines, mtime=0)


def dump(package: dict[str, Any]) -> bytes:
    return orjson.dumps(package, option=orjson.OPT_INDENT_2) + b"\n"
