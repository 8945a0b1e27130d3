"""The export's OCDS files: what ``/ocds/…`` serves, as files at the same paths.

    ocds/index.json                              the ocid prefix, years and their files
    ocds/<year>/releases.json                    the year's release package
    ocds/<year>/releases.jsonl.gz                one release per line, gzip
    ocds/<year>/records.json                     the year's record package
    ocds/<year>/releases.xlsx                    the spreadsheet
    ocds/<year>/releases.csv.zip                 its sheets as CSV files
    ocds/procurements/<code>/releases.json       one procurement's release package
    ocds/procurements/<code>/record.json         and its record package
    ocds/extension/log-entry/*.json              the extension the packages name for ``links``

Each is the service's own answer, rendered in process like the pages; only files whose
bytes changed are written (the packages' dates are their latest release's, the gzip and
the workbook carry no time of their own), so an unchanged year is not rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ledger.ocds import log_extension
from ledger.ports import Database
from projections.export.files import SiteDir
from projections.ocds import queries

Get = Callable[[str], bytes | None]


def write_ocds(get: Get, site: SiteDir, db: Database, touched: Iterable[str]) -> None:
    """The index and every year's files, and the files of the procurements ``touched``."""
    _write(get, site, "/ocds", "ocds/index.json")
    for name in ("extension.json", "release-schema.json"):  # what the packages name
        _write(get, site, f"{log_extension.PATH}/{name}")
    for year in queries.years(db):
        for name in queries.YEAR_FILES:
            _write(get, site, f"/ocds/{year}/{name}")
    known = set(queries.codes(db))
    for code in sorted(set(touched) & known):
        for name in ("releases.json", "record.json"):
            _write(get, site, f"/ocds/procurements/{code}/{name}")


def _write(get: Get, site: SiteDir, url: str, path: str | None = None) -> None:
    body = get(url)
    assert body is not None, url
    site.write(path or url.lstrip("/"), body)
