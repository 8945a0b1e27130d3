"""The published payload formats: the checked-in JSON Schema is what the code gives, every
notice of the demo year as the publisher pushes it validates against it, and the API's
OpenAPI document names both formats in its ``webhooks``."""

from __future__ import annotations

import json
import sqlite3

import orjson
from conftest import DemoLedger
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from ledger.log_format import SCHEMA_DIR
from publisher import payload_schema
from publisher.payloads import notice_body
from sunshine.app import create_app


def test_the_checked_in_payload_schemas_are_what_the_code_gives() -> None:
    for path, text in payload_schema.published().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run `.venv/bin/python -m publisher.payload_schema`"
        )


def test_every_demo_notice_pushed_fits_the_notice_schema(demo_template: DemoLedger) -> None:
    def load(name: str) -> dict[str, object]:
        schema: dict[str, object] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
        return schema

    entry_schema = load("log-entry.schema.json")
    registry = Registry().with_resource(
        payload_schema.LOG_ENTRY, Resource.from_contents(entry_schema)
    )
    notice = load("notice-payload.schema.json")
    Draft202012Validator.check_schema(notice)
    validator = Draft202012Validator(notice, registry=registry, format_checker=FormatChecker())
    with sqlite3.connect(demo_template.data / "ledger.db") as conn:
        leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM log_leaves ORDER BY idx")]
    checked = 0
    for index, leaf in enumerate(leaves):
        entry = orjson.loads(leaf)
        if not entry["data"].get("announcement"):
            continue
        for marker in (None, "演示数据，纯属虚构"):
            body = orjson.loads(notice_body(index, entry, leaf, "notice", marker))
            errors = sorted(validator.iter_errors(body), key=str)
            assert not errors, f"notice {index}: {errors[0].message}"
        checked += 1
    assert checked > 700
    # A body that is not a notice is refused.
    assert not validator.is_valid({"type": "notice.tender", "timestamp": "x", "data": {}})


def test_the_openapi_document_names_the_payloads_as_webhooks() -> None:
    openapi = create_app().openapi()
    assert openapi["openapi"].startswith("3.1")
    hooks = openapi["webhooks"]
    schemas = openapi["components"]["schemas"]
    for name, ref in (("notice", "NoticePayload"), ("ocdsNotice", "OcdsNoticePayload")):
        body = hooks[name]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{ref}"}
        assert schemas[ref]["$id"].endswith("-payload.schema.json")
