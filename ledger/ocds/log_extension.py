"""Our OCDS extension: ``links`` from a release to the log entry it was made from, and the
SHA-256 and address of an attached document.

OCDS 1.1 has no field for either, so the releases' ``links`` (``rel`` ``log-entry`` with the
leaf's index and hash, ``rel`` ``log-proof`` with the proof bundle) and a document's
``sha256`` and ``address`` (below the ledger's root, as a link's ``href``) are declared by a
small extension
the service serves itself at ``/ocds/extension/log-entry/`` (``extension.json`` and
``release-schema.json``); a package names it by that address, so validators (libcoveocds,
ocdskit) know the field instead of reporting it as additional.
"""

from __future__ import annotations

from typing import Any, Final

#: Where the service serves the extension, below its root.
PATH: Final = "/ocds/extension/log-entry"


def extension(root: str) -> dict[str, Any]:
    """The extension's metadata, documented by the service's API reference at ``root``."""
    return {**_EXTENSION, "documentationUrl": {"en": f"{root.rstrip('/')}/docs"}}


_EXTENSION: Final[dict[str, Any]] = {
    "name": {"en": "Transparency log entry", "zh": "透明日志条目"},
    "description": {
        "en": "Adds links from a release to the signed, Merkle-logged entry it was made from "
        "(its index and leaf hash) and to that entry's inclusion-proof bundle, so a reader "
        "can verify the release's source against the log's signed checkpoint; and gives each "
        "attached document the SHA-256 the signed entry records and its address.",
        "zh": "发布（release）链接到其所依据的已签名透明日志条目（序号与叶哈希）及其包含证明，"
        "读者可据此对照日志签名检查点验证；附件注明经签名条目所记的 SHA-256 摘要及其下载地址。",
    },
    "compatibility": ["1.1"],
    "schemas": ["release-schema.json"],
}

RELEASE_SCHEMA: Final[dict[str, Any]] = {
    "properties": {
        "links": {
            "title": "Links",
            "description": "Links to the log entry this release was made from (rel "
            "'log-entry', with its index and leaf hash) and to its proof bundle "
            "(rel 'log-proof').",
            "type": "array",
            "items": {"$ref": "#/definitions/LogLink"},
            "wholeListMerge": True,
        }
    },
    "definitions": {
        "Document": {
            "properties": {
                "sha256": {
                    "title": "SHA-256",
                    "description": "Base64 of the document's SHA-256, as the signed log entry "
                    "that attaches it records.",
                    "type": "string",
                    "pattern": "^[A-Za-z0-9+/]{43}=$",
                },
                "address": {
                    "title": "Address",
                    "description": "The document's address below the ledger's root "
                    "(/documents/<hex of its SHA-256>); it is served with its digest.",
                    "type": "string",
                },
            }
        },
        "LogLink": {
            "title": "Log link",
            "description": "A link to a log entry or its proof bundle.",
            "type": "object",
            "required": ["rel", "href"],
            "properties": {
                "rel": {
                    "title": "Relation",
                    "description": "'log-entry' for the entry, 'log-proof' for its bundle.",
                    "type": "string",
                    "enum": ["log-entry", "log-proof"],
                },
                "href": {
                    "title": "Address",
                    "description": "The address below the ledger's root.",
                    "type": "string",
                },
                "index": {
                    "title": "Leaf index",
                    "description": "The entry's index in the log.",
                    "type": "integer",
                    "minimum": 0,
                },
                "leafHash": {
                    "title": "Leaf hash",
                    "description": "Base64 of the RFC 6962 leaf hash (SHA-256 of 0x00 and the "
                    "leaf).",
                    "type": "string",
                },
            },
        }
    },
}


def files(root: str) -> dict[str, dict[str, Any]]:
    """The extension's files by name, as served below ``PATH``."""
    return {"extension.json": extension(root), "release-schema.json": RELEASE_SCHEMA}


def url(root: str) -> str:
    """The extension's address at the service whose root is ``root``."""
    return f"{root.rstrip('/')}{PATH}/extension.json"


def root_of(uri: str) -> str | None:
    """The service's root in a package's ``uri`` (``…/ocds/2026/releases.json``)."""
    at = uri.find("/ocds/")
    return uri[:at] if at > 0 else None
