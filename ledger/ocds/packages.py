"""OCDS release packages, record packages and compiled releases.

A record's ``compiledRelease`` follows the OCDS 1.1 merge routine for what our releases
hold: releases in date order (ties in log order), objects merged field by field, arrays of
objects with an ``id`` merged by id, any other array replaced whole; ``tag`` is
``["compiled"]`` and the compiled release's ``id`` is ``<ocid>-<date of the last release>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from ledger.ocds import log_extension
from ledger.ocds.release import EXTENSIONS, OCDS_VERSION

PUBLISHER: Final = "阳光采购账本 Sunshine Ledger"


def extensions(uri: str) -> list[str]:
    """The extensions a package at ``uri`` names: the OCP extensions, and our log-entry
    extension at the service the package comes from (none for a package with no service's
    address, such as the publisher's pushes)."""
    root = log_extension.root_of(uri)
    return [*EXTENSIONS, *([log_extension.url(root)] if root is not None else [])]


def release_package(
    releases: Sequence[dict[str, Any]], uri: str, published: str, publisher: str = PUBLISHER
) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": extensions(uri),
        "publishedDate": published,
        "publisher": {"name": publisher},
        "releases": list(releases),
    }


def record_package(
    releases: Iterable[dict[str, Any]], uri: str, published: str, publisher: str = PUBLISHER
) -> dict[str, Any]:
    """One record per ocid, in order of first release: its releases and their compilation."""
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for one in releases:
        by_ocid.setdefault(one["ocid"], []).append(one)
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": extensions(uri),
        "publishedDate": published,
        "publisher": {"name": publisher},
        "records": [
            {"ocid": ocid, "releases": found, "compiledRelease": compiled(found)}
            for ocid, found in by_ocid.items()
        ],
    }


def compiled(releases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid's releases."""
    ordered = sorted(releases, key=lambda r: r["date"])  # stable: ties keep log order
    merged: dict[str, Any] = {}
    for one in ordered:
        _merge(merged, {k: v for k, v in one.items() if k not in ("id", "tag")})
    last = ordered[-1]
    return {"ocid": last["ocid"], "id": f"{last['ocid']}-{last['date']}", "tag": ["compiled"],
            **{k: v for k, v in merged.items() if k != "ocid"}}  # fmt: skip


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict):
            target = into.get(key)
            if not isinstance(target, dict):
                target = into[key] = {}
            _merge(target, value)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and "id" in v for v in value)
        ):
            kept = {v["id"]: v for v in into.get(key, []) if isinstance(v, dict) and "id" in v}
            for item in value:
                base = dict(kept.get(item["id"], {}))
                _merge(base, item)
                kept[item["id"]] = base
            into[key] = list(kept.values())
        else:
            into[key] = value
