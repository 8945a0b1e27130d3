"""The releases as a spreadsheet (XLSX), in the layout of OCP's flatten-tool.

One sheet ``releases`` with a row per release and a column per field (``tender/title``);
every array of objects gets a sheet of its own (``parties``, ``bids_details``, ``awards``,
``contracts``, ``contracts_implementation_milestones``…) whose rows start with the
release's ``ocid`` and ``id`` and the ids of the objects above them, so a row joins back to
its release. Arrays of plain values (a party's roles) are one cell, joined with ``;``.
The workbook's dates are fixed, so the same releases give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook

_FIXED = datetime(2000, 1, 1)  # the workbook's created/modified: no wall clock in the file
Row = dict[str, Any]


def workbook(releases: Sequence[dict[str, Any]]) -> bytes:
    sheets: dict[str, list[Row]] = {"releases": []}
    for one in releases:
        keys = {"ocid": one["ocid"], "id": one["id"]}
        row: Row = {}
        _flatten(one, "", row, sheets, keys)
        sheets["releases"].append(row)
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name[:31])
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    book.properties.created = book.properties.modified = _FIXED
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
