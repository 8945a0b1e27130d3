"""The published command schemas: ``docs/schema/commands.schema.json`` is what the payload
classes give, and every command the demo year submits fits both it and the classes: the
registry's, the lifecycle's, the statutes', the receipts', and the suppliers' sealed bids
and challenges, as their envelopes are disclosed in the log."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from conftest import DemoLedger
from jsonschema import Draft202012Validator, FormatChecker

from ledger import log_format
from ledger.command_schemas import commands_schema
from ledger.domain.schema.payload_check import field_errors
from ledger.domain.schema.payloads import PAYLOADS

PUBLISHED = log_format.SCHEMA_DIR / "commands.schema.json"


def test_the_checked_in_commands_schema_is_what_the_payload_classes_give() -> None:
    expected = json.dumps(commands_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert PUBLISHED.read_text(encoding="utf-8") == expected, (
        "docs/schema/commands.schema.json is out of date with ledger/domain/schema/payloads.py: "
        "run `.venv/bin/python -m ledger.log_format` and commit the result"
    )


def _commands(value: Any) -> Iterator[dict[str, Any]]:
    """Every signed command in a leaf: its own, and those of the envelopes it discloses (a
    sealed bid's, a challenge's), which travel as canonical JSON text."""
    if isinstance(value, dict):
        command = value.get("command")
        if isinstance(command, str) and command.startswith("{"):
            yield from _commands(orjson.loads(command))
        elif isinstance(command, dict):
            yield from _commands(command)
        if isinstance(value.get("type"), str) and isinstance(value.get("payload"), dict):
            yield value
        for key, inner in value.items():
            if key != "command":
                yield from _commands(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _commands(inner)


@pytest.fixture(scope="module")
def demo_commands(demo_template: DemoLedger) -> list[dict[str, Any]]:
    with sqlite3.connect(demo_template.data / "ledger.db") as conn:
        leaves = [orjson.loads(r[0]) for r in conn.execute("SELECT leaf FROM log_leaves")]
    return [c for leaf in leaves for c in _commands(leaf) if c["type"] in PAYLOADS]


def test_every_command_of_the_demo_year_fits_its_payload_class(
    demo_commands: list[dict[str, Any]],
) -> None:
    kinds = Counter(c["type"] for c in demo_commands)
    for command in demo_commands:
        assert field_errors(command["type"], command["payload"]) == [], command
    # the year submits nearly every kind, the suppliers' sealed ones among them
    assert len(kinds) >= 40, sorted(set(PAYLOADS) - set(kinds))
    assert kinds["SubmitBid"] >= 500 and kinds["ObtainDocuments"] >= 500
    assert kinds["FileChallenge"] >= 5  # those disclosed to a complaint


def test_every_command_of_the_demo_year_fits_the_published_schema(
    demo_commands: list[dict[str, Any]],
) -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    command = Draft202012Validator(
        {**schema["$defs"]["Command"], "$defs": schema["$defs"]}, format_checker=FormatChecker()
    )
    for signed in demo_commands:
        errors = sorted(command.iter_errors(signed), key=str)
        assert not errors, f"{signed['type']}: {errors[0].message}"
    plan = next(c for c in demo_commands if c["type"] == "FilePlan")
    assert not command.is_valid({**plan, "payload": {**plan["payload"], "budget": 1000}})
    assert not command.is_valid({**plan, "payload": {**plan["payload"], "surprise": 1}})
    assert not command.is_valid({**plan, "type": "FileStrangePlan"})
