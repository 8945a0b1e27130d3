"""The releases as a spreadsheet (XLSX, or CSV files in a ZIP), in the layout of OCP's
flatten-tool.

One sheet ``releases`` with a row per release and a column per field (``tender/title``);
every array of objects gets a sheet of its own (``parties``, ``bids_details``, ``awards``,
``contracts``, ``contracts_implementation_milestones``…) whose rows start with the
release's ``ocid`` and ``id`` and the ids of the objects above them, so a row joins back to
its release. Arrays of plain values (a party's roles) are one cell, joined with ``;``.
The workbook's dates are fixed, so the same releases give the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook

_FIXED = datetime(2000, 1, 1)  # the workbook's created/modified: no wall clock in the file
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
Row = dict[str, Any]


Table = tuple[list[str], list[list[Any]]]  # a sheet's header and rows


def tables(releases: Sequence[dict[str, Any]]) -> dict[str, Table]:
    """Each sheet's columns and rows, ``releases`` first."""
    sheets: dict[str, list[Row]] = {"releases": []}
    for one in releases:
        keys = {"ocid": one["ocid"], "id": one["id"]}
        row: Row = {}
        _flatten(one, "", row, sheets, keys)
        sheets["releases"].append(row)
    found: dict[str, Table] = {}
    for name, rows in sheets.items():
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        found[name[:31]] = (columns, [[row.get(c) for c in columns] for row in rows])
    return found


def workbook(releases: Sequence[dict[str, Any]]) -> bytes:
    """The sheets as one XLSX workbook (openpyxl: about ten seconds for the demo year on a
    busy machine, so the API keeps the last few, ``cached``)."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, (columns, rows) in tables(releases).items():
        sheet = book.create_sheet(name)
        sheet.append(columns)
        for row in rows:
            sheet.append(row)
    book.properties.created = book.properties.modified = _FIXED
    out = io.BytesIO()
    book.save(out)
    return _stamped(out.getvalue())


def _stamped(xlsx: bytes) -> bytes:
    """The workbook with every part, and its ``modified`` property, dated ``_FIXED``
    (openpyxl dates both at saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as made, zipfile.ZipFile(out, "w") as fixed:
        for part in made.infolist():
            info = zipfile.ZipInfo(part.filename, date_time=_FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            body = made.read(part)
            if part.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            fixed.writestr(info, body)
    return out.getvalue()


def csv_zip(releases: Sequence[dict[str, Any]]) -> bytes:
    """The sheets as CSV files (UTF-8 with a BOM, for Excel) in one ZIP, ``<sheet>.csv``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (columns, rows) in tables(releases).items():
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
            info = zipfile.ZipInfo(f"{name}.csv", date_time=_FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\ufeff" + text.getvalue())
    return out.getvalue()


_CACHE: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def cached(key: tuple[str, ...], make: Callable[[], bytes], keep: int = 4) -> bytes:
    """``make()``'s bytes, kept for the last ``keep`` keys (a key names the data's state,
    e.g. the year and its last leaf, so a kept file is never stale)."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    made = make()
    with _CACHE_LOCK:
        _CACHE[key] = made
        while len(_CACHE) > keep:
            _CACHE.popitem(last=False)
    return made


def _flatten(
    value: dict[str, Any], path: str, row: Row, sheets: dict[str, list[Row]], keys: Row
) -> None:
    for key, item in value.items():
        column = f"{path}{key}"
        if isinstance(item, dict):
            _flatten(item, f"{column}/", row, sheets, keys)
        elif isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            sheet = column.replace("/0/", "/").replace("/", "_")
            for child in item:
                child_row: Row = dict(keys)
                inner = {**keys, f"{sheet}/id": child.get("id")}
                _flatten(child, f"{column}/0/", child_row, sheets, inner)
                sheets.setdefault(sheet, []).append(child_row)
        elif isinstance(item, list):
            row[column] = ";".join(str(i) for i in item)
        else:
            row[column] = item
