"""``/ocds/…``: the log's notices as OCDS 1.1 open data.

    GET /ocds                                   what there is: the ocid prefix, years, files
    GET /ocds/<year>/releases.json              the year's release package
    GET /ocds/<year>/releases.jsonl.gz          the year's releases, one per line, gzip
    GET /ocds/<year>/records.json               record package: the year's procurements,
                                                each with every release and its compilation
    GET /ocds/<year>/releases.xlsx              the year's releases as a spreadsheet
    GET /ocds/<year>/releases.csv.zip           the same sheets as CSV files in a ZIP
    GET /ocds/procurements/<code>/releases.json one procurement's release package
    GET /ocds/procurements/<code>/record.json   its record package
    GET /ocds/extension/log-entry/<file>        our extension declaring ``links`` to the log

A release's year is its notice's day's year.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.domain.errors import NotFound
from ledger.ocds import log_extension
from projections.deps import OcidPrefixDep, ReadDb
from projections.ocds import queries
from projections.ocds.spreadsheet import cached, csv_zip, workbook

Releases = list[dict[str, Any]]

ocds = APIRouter(prefix="/ocds", tags=["OCDS open data"])

_YEAR: Final = re.compile(r"[0-9]{4}\Z")
_CODE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")
JSON: Final = "application/json"
#: Documented in the OpenAPI document (the app answers these with its JSON error body).
NO_YEAR: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "no releases for that year (or not a year)"}
}
NO_PROCUREMENT: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "no releases for that procurement (or not a procurement number)"}
}


def _year(db: ReadDb, text: str) -> int:
    if _YEAR.match(text) is None or int(text) not in queries.years(db):
        raise NotFound(f"no OCDS releases for year {text!r}")
    return int(text)


def _code(db: ReadDb, code: str) -> str:
    if _CODE.match(code) is None or code not in queries.codes(db):
        raise NotFound(f"no OCDS releases for procurement {code!r}")
    return code


@ocds.get("")
def index(db: ReadDb, prefix: OcidPrefixDep) -> Response:
    years = queries.years(db)
    body = {
        "ocidPrefix": prefix,
        "years": [
            {"year": y, "files": {f: f"/ocds/{y}/{f}" for f in queries.YEAR_FILES}} for y in years
        ],
        "procurement": "/ocds/procurements/{code}/releases.json",
    }
    return Response(orjson.dumps(body), media_type=JSON)


@ocds.get("/extension/log-entry/{name}", responses={404: {"description": "no such file"}})
def log_entry_extension(request: Request, name: str) -> Response:
    """The extension declaring each release's ``links`` to its log entry and proof."""
    found = log_extension.files(str(request.base_url)).get(name)
    if found is None:
        raise NotFound(f"the log-entry extension has no file {name!r}")
    return Response(queries.dump(found), media_type=JSON)


@ocds.get("/{year}/releases.json", responses=NO_YEAR)
def year_releases(request: Request, db: ReadDb, prefix: OcidPrefixDep, year: str) -> Response:
    package = queries.year_package(db, prefix, _year(db, year), str(request.url))
    return Response(queries.dump(package), media_type=JSON)


@ocds.get("/{year}/releases.jsonl.gz", responses=NO_YEAR)
def year_lines(db: ReadDb, prefix: OcidPrefixDep, year: str) -> Response:
    found = queries.releases(db, prefix, year=_year(db, year))
    return Response(queries.json_lines_gz(found), media_type="application/gzip")


@ocds.get("/{year}/records.json", responses=NO_YEAR)
def year_records(request: Request, db: ReadDb, prefix: OcidPrefixDep, year: str) -> Response:
    package = queries.year_records(db, prefix, _year(db, year), str(request.url))
    return Response(queries.dump(package), media_type=JSON)


XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@ocds.get("/{year}/releases.xlsx", responses=NO_YEAR)
def year_sheet(db: ReadDb, prefix: OcidPrefixDep, year: str) -> Response:
    return _sheet(db, prefix, _year(db, year), "xlsx", workbook, XLSX)


@ocds.get("/{year}/releases.csv.zip", responses=NO_YEAR)
def year_csv(db: ReadDb, prefix: OcidPrefixDep, year: str) -> Response:
    return _sheet(db, prefix, _year(db, year), "csv.zip", csv_zip, "application/zip")


def _sheet(
    db: ReadDb, prefix: str, year: int, kind: str, make: Callable[[Releases], bytes], media: str
) -> Response:
    key = (kind, prefix, str(year), str(queries.last_leaf(db, year)))
    body = cached(key, lambda: make(queries.releases(db, prefix, year=year)))
    name = f"ocds-{year}-releases.{kind}"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@ocds.get("/procurements/{code}/releases.json", responses=NO_PROCUREMENT)
def procurement_releases(
    request: Request, db: ReadDb, prefix: OcidPrefixDep, code: str
) -> Response:
    package = queries.procurement_package(db, prefix, _code(db, code), str(request.url))
    return Response(queries.dump(package), media_type=JSON)


@ocds.get("/procurements/{code}/record.json", responses=NO_PROCUREMENT)
def procurement_record(request: Request, db: ReadDb, prefix: OcidPrefixDep, code: str) -> Response:
    package = queries.procurement_record(db, prefix, _code(db, code), str(request.url))
    return Response(queries.dump(package), media_type=JSON)
