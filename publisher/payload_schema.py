"""The JSON Schema of what a website receives, one per format, and the OpenAPI ``webhooks``
section that names them.

``docs/schema/notice-payload.schema.json`` is the ``notice`` format: its ``data.content``
is the notice's entry data, as ``log-entry.schema.json`` defines each notice kind.
``docs/schema/ocds-payload.schema.json`` is the ``ocds`` format: an OCDS 1.1 release
package with the bids extension, by reference to the OCDS schema. ``python -m
publisher.payload_schema`` writes both; a test fails when they differ from this module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

from ledger.domain.schema.kinds import KINDS
from ledger.domain.vocabulary import AnnouncementType
from ledger.log_format import SCHEMA_DIR
from ledger.ocds.release import BIDS_EXTENSION

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
BASE: Final = "https://sunshine-ledger.localhost/schema/"
LOG_ENTRY: Final = f"{BASE}log-entry.schema.json"
OCDS_PACKAGE: Final = (
    "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
)
BASE64_32: Final = r"^[A-Za-z0-9+/]{43}=$"


def notice_schema() -> dict[str, Any]:
    """``format = "notice"``: the Standard Webhooks ``{type, timestamp, data}`` shape."""
    notices = sorted(kind.name for kind in KINDS if kind.notices)
    types = [f"notice.{a.value}" for a in AnnouncementType]
    return {
        "$schema": DRAFT,
        "$id": f"{BASE}notice-payload.schema.json",
        "title": 'A notice as the publisher pushes it (format = "notice")',
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": types},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "when the ledger recorded the notice",
            },
            "data": {
                "type": "object",
                "required": [
                    "notice",
                    "event",
                    "announcement",
                    "announcement_zh",
                    "procurement",
                    "recorded_at",
                    "actor",
                    "content",
                    "leaf_hash",
                    "leaf",
                ],
                "additionalProperties": False,
                "properties": {
                    "notice": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "the notice's leaf index in the log",
                    },
                    "event": {"enum": notices},
                    "announcement": {"enum": [a.value for a in AnnouncementType]},
                    "announcement_zh": {"enum": [a.label for a in AnnouncementType]},
                    "procurement": {"type": "string"},
                    "recorded_at": {"type": "string", "format": "date-time"},
                    "actor": {"type": "string"},
                    "content": {
                        "description": "the notice's entry data, as its event's kind defines it",
                        "anyOf": [{"$ref": f"{LOG_ENTRY}#/$defs/{name}"} for name in notices],
                    },
                    "marker": {
                        "type": "string",
                        "description": "the publisher's marker, e.g. 演示数据，纯属虚构",
                    },
                    "leaf_hash": {
                        "type": "string",
                        "pattern": BASE64_32,
                        "description": "base64 of SHA-256(0x00 ‖ leaf)",
                    },
                    "leaf": {
                        "type": "string",
                        "contentEncoding": "base64",
                        "description": "the exact log entry",
                    },
                },
            },
        },
    }


def ocds_schema() -> dict[str, Any]:
    """``format = "ocds"``: an OCDS release package holding the notice's release."""
    return {
        "$schema": DRAFT,
        "$id": f"{BASE}ocds-payload.schema.json",
        "title": 'A notice as the publisher pushes it (format = "ocds")',
        "description": (
            "An OCDS 1.1 release package (schema 1.1.5, with the bids extension "
            f"{BIDS_EXTENSION}) holding the notice's one release; each release's links "
            "name its log entry (rel log-entry: href, index, leafHash) and proof bundle "
            "(rel log-proof)."
        ),
        "allOf": [{"$ref": OCDS_PACKAGE}],
        "properties": {"releases": {"type": "array", "minItems": 1, "maxItems": 1}},
    }


#: Where the OpenAPI document keeps each payload's schema (``components.schemas``).
COMPONENTS: Final = {"NoticePayload": notice_schema, "OcdsNoticePayload": ocds_schema}


def add_webhooks(openapi: dict[str, Any]) -> None:
    """The OpenAPI 3.1 ``webhooks`` section: what the publisher POSTs to a website, each
    body's schema in ``components.schemas``."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, make in COMPONENTS.items():
        schemas[name] = make()
    signed = (
        "Signed with the Standard Webhooks headers webhook-id, webhook-timestamp and "
        "webhook-signature (v1a: Ed25519 with the publishing service's key, also given as "
        "whpk_…; v1: HMAC-SHA256 with the site's secret)."
    )
    openapi["webhooks"] = {
        name: {
            "post": {
                "summary": f"A notice, {'as JSON' if name == 'notice' else 'as OCDS'}",
                "description": signed,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
                    },
                },
                "responses": {"200": {"description": "taken: the ledger records a receipt"}},
            }
        }
        for name, ref in (("notice", "NoticePayload"), ("ocdsNotice", "OcdsNoticePayload"))
    }


def published() -> dict[Path, str]:
    return {
        SCHEMA_DIR / "notice-payload.schema.json": _json(notice_schema()),
        SCHEMA_DIR / "ocds-payload.schema.json": _json(ocds_schema()),
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    for path, text in published().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
