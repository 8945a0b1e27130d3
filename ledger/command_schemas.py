"""Every command with its payload's schema, published for clients: the body of ``POST
/commands`` as a discriminated union on ``command.type``, in the OpenAPI document and in
``docs/schema/commands.schema.json``.

A platform generates its client from either: one variant per command type
(``FilePlanCommand`` …), each with the payload class of ``ledger.domain.schema.payloads``,
whose fields carry their Chinese names (``title``) and the codes of closed vocabularies
with their Chinese names (``x-enum-descriptions``). ``python -m ledger.log_format`` writes
the file with the log's other schemas; a test fails when it is stale.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic.json_schema import models_json_schema

from ledger.commands import ACTOR_PATTERN, KEY_PATTERN, NONCE_PATTERN, PROCUREMENT_PATTERN
from ledger.domain.schema.payloads import PAYLOADS

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
BASE64: Final = r"^[A-Za-z0-9+/]*={0,2}$"
SCHEMA_ID: Final = "https://sunshine-ledger.localhost/schema/commands.schema.json"
#: One field error of a refused command; the error body (``Error``) lists them in ``errors``.
FIELD_ERROR: Final = {
    "title": "FieldError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "examples": ["payload.items[0].quantity"]},
        "message": {"type": "string", "description": "应当如何，中文"},
    },
}


def _pattern(regex: re.Pattern[str]) -> str:
    return "^" + regex.pattern.removesuffix(r"\Z") + "$"


def variant_name(kind: str) -> str:
    return f"{kind}Command"


def _variant(kind: str, ref: str) -> dict[str, Any]:
    """The signed command object of one type: its envelope fields, its payload's schema."""
    return {
        "type": "object",
        "title": variant_name(kind),
        "required": ["type", "procurement", "payload", "actor", "key", "issued_at", "nonce"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "const": kind},
            "procurement": {
                "anyOf": [
                    {"type": "string", "pattern": _pattern(PROCUREMENT_PATTERN)},
                    {"type": "null"},
                ],
                "title": "采购项目编号",
                "description": "采购流程、质疑投诉的命令必填；登记类命令为 null",
            },
            "payload": {"$ref": ref.format(model=f"{kind}Payload")},
            "actor": {"type": "string", "pattern": _pattern(ACTOR_PATTERN), "title": "签名人员"},
            "key": {"type": "string", "pattern": _pattern(KEY_PATTERN), "title": "密钥编号"},
            "issued_at": {"type": "string", "format": "date-time", "title": "签名时间"},
            "nonce": {"type": "string", "pattern": _pattern(NONCE_PATTERN), "title": "随机数"},
        },
    }


def definitions(ref: str) -> dict[str, Any]:
    """Every payload class and the values inside them, and a variant per command type;
    ``ref`` is where they live (``#/$defs/{model}``, ``#/components/schemas/{model}``)."""
    _, top = models_json_schema(
        [(PAYLOADS[kind], "validation") for kind in sorted(PAYLOADS)], ref_template=ref
    )
    defs: dict[str, Any] = dict(top["$defs"])
    for kind in sorted(PAYLOADS):
        defs[variant_name(kind)] = _variant(kind, ref)
    defs["Command"] = command_union(ref)
    return defs


def command_union(ref: str) -> dict[str, Any]:
    """Any command: one of the variants, told apart by ``type``."""
    kinds = sorted(PAYLOADS)
    return {
        "title": "Command",
        "description": "已签名的命令；type 决定 payload 的结构",
        "oneOf": [{"$ref": ref.format(model=variant_name(k))} for k in kinds],
        "discriminator": {
            "propertyName": "type",
            "mapping": {k: ref.format(model=variant_name(k)) for k in kinds},
        },
    }


def request_body(ref: str) -> dict[str, Any]:
    """The body of ``POST /commands``."""
    return {
        "type": "object",
        "required": ["command", "signature"],
        "additionalProperties": False,
        "properties": {
            "command": {"$ref": ref.format(model="Command")},
            "signature": {
                "type": "string",
                "pattern": BASE64,
                "description": "Ed25519 over the RFC 8785 canonical JSON of command, base64",
            },
            "sealed": {
                "type": "object",
                "description": "for each commitment in the payload, its value and salt",
                "additionalProperties": {
                    "type": "object",
                    "required": ["value", "salt"],
                    "additionalProperties": False,
                    "properties": {"value": {}, "salt": {"type": "string", "pattern": BASE64}},
                },
            },
        },
    }


def commands_schema() -> dict[str, Any]:
    """``docs/schema/commands.schema.json``: the body, every command and payload."""
    ref = "#/$defs/{model}"
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "A signed command of any type (POST /commands)",
        **request_body(ref),
        "$defs": definitions(ref),
    }


def add_to_openapi(document: dict[str, Any]) -> None:
    """The OpenAPI document with every command's schema as components: the body of ``POST
    /commands`` (``request_body``, in ``ledger.http``) refers to their union."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions("#/components/schemas/{model}"))
    schemas["FieldError"] = FIELD_ERROR
