"""The releases as a spreadsheet (XLSX, or CSV files in a ZIP), flattened by OCP's
flatten-tool (``flattentool``), as CoVE and OCP's data registry flatten OCDS.

One sheet ``releases`` with a row per release and a column per field (``tender/title``);
every array of objects gets a sheet of its own, named by flatten-tool's abbreviation of its
path (``parties``, ``awards``, ``awa_items``, ``bid_details``, ``con_imp_milestones``…),
whose rows start with the release's ``ocid`` and ``id``, so a row joins back to its
release. Arrays of plain values (a party's roles, a release's tag) are one cell, joined
with ``;``. ``flatten-tool unflatten`` with the release schema gives the releases back.

Schema-less: the service holds no copy of OCDS's release schema (only the tests do), so
columns follow the releases' own field order, which the mapping fixes (``ledger.ocds``);
sheets and columns are only those the data uses.

flatten-tool works on files: the releases go in, and the sheets come out, in a temporary
directory. The outputs' dates are fixed, so the same releases give the same bytes.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import orjson
from flattentool import flatten

_FIXED: Final = (2000, 1, 1, 0, 0, 0)  # every part's date: no wall clock in the files
_STAMP: Final = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
MAIN_SHEET: Final = "releases"


def workbook(releases: Sequence[dict[str, Any]]) -> bytes:
    """The sheets as one XLSX workbook."""
    with tempfile.TemporaryDirectory(prefix="sunshine-ocds-") as tmp:
        out = Path(tmp) / "releases.xlsx"
        _flattened(releases, Path(tmp), out, "xlsx")
        return _stamped(out.read_bytes())


def csv_zip(releases: Sequence[dict[str, Any]]) -> bytes:
    """The sheets as CSV files (UTF-8 with a BOM, for Excel) in one ZIP, ``<sheet>.csv``."""
    with tempfile.TemporaryDirectory(prefix="sunshine-ocds-") as tmp:
        sheets = Path(tmp) / "csv"
        _flattened(releases, Path(tmp), sheets, "csv")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for path in sorted(sheets.glob("*.csv")):
                _put(archive, path.name, "\ufeff".encode() + path.read_bytes())
        return out.getvalue()


def _flattened(releases: Sequence[dict[str, Any]], tmp: Path, out: Path, kind: str) -> None:
    source = tmp / "releases.json"
    source.write_bytes(orjson.dumps({"releases": list(releases)}))
    flatten(
        str(source),
        output_name=str(out),
        output_format=kind,
        main_sheet_name=MAIN_SHEET,
        root_list_path="releases",
        root_id="ocid",  # every sheet's rows start with their release's ocid and id
        id_name="id",
    )


def _stamped(xlsx: bytes) -> bytes:
    """The workbook with every part, and its ``created`` and ``modified`` properties, dated
    ``_FIXED`` (openpyxl dates them at saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as made, zipfile.ZipFile(out, "w") as fixed:
        for part in made.infolist():
            body = made.read(part)
            if part.filename == "docProps/core.xml":
                body = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            _put(fixed, part.filename, body)
    return out.getvalue()


def _put(archive: zipfile.ZipFile, name: str, body: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, body)


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
