"""What a website receives for a notice: the notice as JSON, or an OCDS release package
(``ledger.ocds``: the same release the API and the export serve).

Built from the notice's leaf (and, for OCDS, the release the planner made of it when it
planned the notice), so the same notice always gives the same bytes for a destination (the
body of a retry equals the first attempt's). The notice format carries the
exact leaf (base64) and its leaf hash, so a site can check the notice against the log.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from ledger.domain.vocabulary import AnnouncementType
from ledger.log.merkle import leaf_hash_b64
from ledger.ocds.packages import release_package


def event_type(announcement: str) -> str:
    """The Standard Webhooks event type of a notice, e.g. ``notice.tender``."""
    return f"notice.{announcement}"


def notice_body(
    index: int,
    entry: dict[str, Any],
    leaf: bytes,
    fmt: str,
    marker: str | None = None,
    release: dict[str, Any] | None = None,
) -> bytes:
    """The request body for a notice leaf, in the destination's format (sorted keys); the
    OCDS format needs the notice's ``release`` (the planner's ``Teller`` made it).

    ``marker`` (the publisher's, e.g. the demo's 演示数据，纯属虚构) travels with every notice:
    in the notice's ``data.marker``, and in an OCDS package's publisher name."""
    if fmt == "ocds":
        if release is None:
            raise LookupError(f"no OCDS release of notice {index} yet")
        payload = ocds_package(index, release)
        if marker:
            payload["publisher"]["name"] += f"（{marker}）"
    else:
        payload = notice(index, entry, leaf)
        if marker:
            payload["data"]["marker"] = marker
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def notice(index: int, entry: dict[str, Any], leaf: bytes) -> dict[str, Any]:
    """The notice as JSON, in the Standard Webhooks ``{type, timestamp, data}`` shape."""
    data = entry["data"]
    announcement = data["announcement"]
    return {
        "type": event_type(announcement),
        "timestamp": entry["recorded_at"],
        "data": {
            "notice": index,
            "event": entry["type"],
            "announcement": announcement,
            "announcement_zh": AnnouncementType(announcement).label,
            "procurement": data["procurement"],
            "recorded_at": entry["recorded_at"],
            "actor": entry["actor"],
            "content": data,
            "leaf_hash": leaf_hash_b64(leaf),
            "leaf": base64.b64encode(leaf).decode(),
        },
    }


def ocds_package(index: int, release: dict[str, Any]) -> dict[str, Any]:
    """A release package holding the notice's one release (``ledger.ocds``'s mapping, the
    same release ``/ocds/…`` serves), dated by the release so a retry sends the same bytes."""
    return release_package(
        [release], f"urn:sunshine-ledger:release:{release['ocid']}:{index}", release["date"]
    )
