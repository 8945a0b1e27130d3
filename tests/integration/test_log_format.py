"""The published log format: the checked-in schema and document are what the types give,
every leaf of the demo year fits them, and reading a leaf into its typed value writes the
same bytes back."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import orjson
import pytest
from conftest import DemoLedger
from jsonschema import Draft202012Validator, FormatChecker

from ledger import log_format
from ledger.domain.schema.entry import MalformedEntry, parse_data, parse_entry
from ledger.domain.schema.kinds import KINDS


def test_the_checked_in_schema_and_document_are_what_the_types_give() -> None:
    for path, text in log_format.published().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date with ledger/domain/schema: "
            "run `.venv/bin/python -m ledger.log_format` and commit the result"
        )


def test_the_document_names_every_kind_with_its_command() -> None:
    spec = log_format.SPEC.read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"### {kind.name}\n" in spec
        assert f"`{kind.command}`" in spec


@pytest.fixture(scope="module")
def demo_leaves(demo_template: DemoLedger) -> list[bytes]:
    with sqlite3.connect(demo_template.data / "ledger.db") as conn:
        return [bytes(r[0]) for r in conn.execute("SELECT leaf FROM log_leaves ORDER BY idx")]


def _validator() -> Draft202012Validator:
    path = log_format.SCHEMA_DIR / "log-entry.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_every_leaf_of_the_demo_year_validates_against_the_published_schema(
    demo_leaves: list[bytes],
) -> None:
    validator = _validator()
    kinds = set()
    for leaf in demo_leaves:
        entry = orjson.loads(leaf)
        errors = sorted(validator.iter_errors(entry), key=str)
        assert not errors, f"entry {entry['index']} ({entry['type']}): {errors[0].message}"
        kinds.add(entry["type"])
    assert len(kinds) >= 25  # the demo year exercises most kinds


def test_the_schema_refuses_what_the_format_does_not_allow(demo_leaves: list[bytes]) -> None:
    validator = _validator()
    award = next(orjson.loads(x) for x in demo_leaves if b'"type":"AwardDecided"' in x)
    assert validator.is_valid(award)
    bad: list[dict[str, Any]] = [
        {**award, "data": {**award["data"], "surprise": 1}},  # a field the kind lacks
        {**award, "data": {**award["data"], "amount": 416800}},  # an amount as a number
        {**award, "data": {k: v for k, v in award["data"].items() if k != "supplier"}},
        {**award, "type": "AwardGranted"},  # no such kind
        {**award, "extra": True},  # no such member of a leaf
    ]
    for entry in bad:
        assert not validator.is_valid(entry)


def test_reading_every_leaf_typed_writes_the_same_data_bytes(demo_leaves: list[bytes]) -> None:
    for leaf in demo_leaves:
        entry = parse_entry(leaf)
        raw = orjson.loads(leaf)["data"]
        assert orjson.dumps(entry.data.dump(), option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            raw, option=orjson.OPT_SORT_KEYS
        ), f"entry {entry.index} ({entry.type}) does not read back as written"


def test_a_leaf_of_an_unknown_kind_or_with_wrong_data_is_named(demo_leaves: list[bytes]) -> None:
    award = next(orjson.loads(x) for x in demo_leaves if b'"type":"AwardDecided"' in x)
    with pytest.raises(MalformedEntry, match="unknown entry type 'AwardGranted'"):
        parse_data("AwardGranted", award["data"])
    with pytest.raises(MalformedEntry, match=r"AwardDecided data\.amount: .*not an amount"):
        parse_data("AwardDecided", {**award["data"], "amount": "not money"})
