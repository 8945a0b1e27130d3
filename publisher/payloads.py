"""What a website receives for a notice: the notice as JSON, or an OCDS release package.

Built from the notice's leaf alone, so the same notice always gives the same bytes for a
destination (the body of a retry equals the first attempt's). The notice format carries the
exact leaf (base64) and its leaf hash, so a site can check the notice against the log.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, Final

import orjson

from ledger.domain.vocabulary import AnnouncementType, Method
from ledger.log.merkle import leaf_hash_b64

OCDS_VERSION: Final = "1.1"
CHINA_OFFSET: Final = "+08:00"

#: OCDS release tag for each announcement type (OCDS 1.1 releaseTag codelist).
TAGS: Final = {
    "intention": "planning",
    "tender": "tender",
    "single_source": "tender",
    "correction": "tenderAmendment",
    "result": "award",
    "contract": "contract",
    "acceptance": "implementation",
    "termination": "tenderCancellation",
    "failure": "tenderUpdate",
}
#: OCDS procurementMethod for each method (the Chinese name goes in procurementMethodDetails).
METHODS: Final = {
    "open_tender": "open",
    "framework_agreement": "open",
    "invited_tender": "selective",
    "competitive_negotiation": "limited",
    "competitive_consultation": "limited",
    "inquiry": "limited",
    "single_source": "direct",
}
TENDER_STATUS: Final = {
    "termination": "cancelled",
    "failure": "unsuccessful",
    "result": "complete",
    "contract": "complete",
    "acceptance": "complete",
}





def event_type(announcement: str) -> str:
    """The Standard Webhooks event type of a notice, e.g. ``notice.tender``."""
    return f"notice.{announcement}"


def notice_body(
    index: int,
    entry: dict[str, Any],
    leaf: bytes,
    fmt: str,
    ocid_prefix: str,
    marker: str | None = None,
) -> bytes:
    """The request body for a notice leaf, in the destination's format (sorted keys).

    ``marker`` (the publisher's, e.g. the demo's 演示数据，纯属虚构) travels with every notice:
    in the notice's ``data.marker``, and in an OCDS package's publisher name."""
    if fmt == "ocds":
        payload = ocds_package(index, entry, ocid_prefix)
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


def _amount(value: object) -> dict[str, Any] | None:
    """An OCDS Value. The schema wants a JSON number: CNY amounts have two decimals and stay
    below 10^13, so a float's shortest representation gives back the exact decimal."""
    if not isinstance(value, str):
        return None
    amount = Decimal(value)
    number: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
    return {"amount": number, "currency": "CNY"}


def _datetime(day: object) -> str | None:
    return f"{day}T00:00:00{CHINA_OFFSET}" if isinstance(day, str) and len(day) == 10 else None


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


# Over 60 lines by design: one mapping: a notice to its OCDS release, field by field.
def ocds_release(index: int, entry: dict[str, Any], ocid_prefix: str) -> dict[str, Any]:
    """One OCDS release for the notice: ocid ``<prefix>-<procurement>``, tagged by type."""
    data = entry["data"]
    announcement, code = data["announcement"], data["procurement"]
    method = data.get("method", "")
    parties = [{"id": data["purchaser"], "roles": ["buyer"]}]
    if data.get("agency"):
        parties.append({"id": data["agency"], "roles": ["procuringEntity"]})
    if data.get("supplier"):
        parties.append({"id": data["supplier"], "roles": ["supplier"]})
    tender = _drop_none({
        "id": code,
        "title": data.get("title"),
        "description": data.get("requirement"),
        "status": TENDER_STATUS.get(announcement, "planning" if announcement == "intention"
                                    else "active"),
        "value": _amount(data.get("budget")),
        "procurementMethod": METHODS.get(method),
        "procurementMethodDetails": Method(method).label if method in METHODS else None,
        "procurementMethodRationale": data.get("reason") if announcement == "single_source"
        else None,
        "mainProcurementCategory": data.get("category"),
        "eligibilityCriteria": data.get("qualifications"),
        "tenderPeriod": {"endDate": _datetime(data["bid_deadline"])}
        if data.get("bid_deadline") else None,
        "amendments": [{"id": f"{code}-{index}", "date": entry["recorded_at"],
                        "description": data.get("changes", "")}]
        if announcement == "correction" else None,
    })  # fmt: skip
    release: dict[str, Any] = {
        "ocid": f"{ocid_prefix}-{code}",
        "id": f"{code}-{index}",
        "date": entry["recorded_at"],
        "tag": [TAGS[announcement]],
        "initiationType": "tender",
        "language": "zh",
        "buyer": {"id": data["purchaser"]},
        "parties": parties,
        "tender": tender,
    }
    if announcement == "intention":
        release["planning"] = _drop_none({
            "budget": {"amount": _amount(data.get("budget"))},
            "milestones": [{"id": "expected_start", "type": "procurement",
                            "dueDate": _datetime(data.get("expected_start"))}],
        })  # fmt: skip
    if announcement in ("result", "contract", "acceptance") and data.get("supplier"):
        release["awards"] = [_drop_none({
            "id": f"{code}-award", "status": "active", "date": _datetime(data.get("date")),
            "value": _amount(data.get("amount")), "suppliers": [{"id": data["supplier"]}],
        })]  # fmt: skip
    if announcement in ("contract", "acceptance"):
        contract = _drop_none({
            "id": data.get("contract_number") or f"{code}-contract",
            "awardID": f"{code}-award", "status": "active", "value": _amount(data.get("amount")),
        })  # fmt: skip
        if announcement == "acceptance":
            contract["implementation"] = {"milestones": [_drop_none({
                "id": "acceptance", "title": "履约验收",
                "status": "met" if data.get("passed") else "notMet",
                "dateMet": _datetime(data.get("date")) if data.get("passed") else None,
                "description": data.get("report"),
            })]}  # fmt: skip
        release["contracts"] = [contract]
    return release


def ocds_package(index: int, entry: dict[str, Any], ocid_prefix: str) -> dict[str, Any]:
    """A release package holding the notice's one release."""
    release = ocds_release(index, entry, ocid_prefix)
    return {
        "uri": f"urn:sunshine-ledger:release:{release['ocid']}:{index}",
        "version": OCDS_VERSION,
        "publishedDate": entry["recorded_at"],
        "publisher": {"name": "阳光采购账本 Sunshine Ledger"},
        "releases": [release],
    }
