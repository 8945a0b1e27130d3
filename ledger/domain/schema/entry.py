"""A log entry as a typed value: the leaf's envelope and its ``data`` as its kind's class.

``parse_entry`` reads a leaf (its bytes, or the object they decode to) and checks its data
against its kind: a leaf of an unknown kind, or whose data does not fit its kind, raises
``MalformedEntry`` naming the index, the kind and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import ValidationError

from ledger.domain.schema.entries import EntryData
from ledger.domain.schema.kinds import BY_NAME, Kind

D_co = TypeVar("D_co", bound=EntryData, covariant=True)


class MalformedEntry(ValueError):
    """A leaf that is not an entry of a known kind with the data that kind records."""


@dataclass(frozen=True)
class Entry(Generic[D_co]):
    """One leaf of the log (DESIGN.md, "Log entries")."""

    index: int
    stream: str
    version: int
    type: str
    recorded_at: str  # RFC 3339 UTC
    actor: str
    key: str
    command: dict[str, Any]  # the signed command object
    signature: str
    data: D_co

    @property
    def kind(self) -> Kind:
        return BY_NAME[self.type]


def parse_data(kind: str, data: Any, where: str = "") -> EntryData:
    """``data`` (an object, or its JSON) as the value of entry kind ``kind``."""
    found = BY_NAME.get(kind)
    if found is None:
        raise MalformedEntry(f"{where}unknown entry type {kind!r}")
    try:
        if isinstance(data, str | bytes):
            return found.data.model_validate_json(data)
        return found.data.model_validate(data)
    except ValidationError as problem:
        first = problem.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise MalformedEntry(f"{where}{kind} data.{path}: {first['msg']}") from None


def parse_entry(leaf: bytes | dict[str, Any]) -> Entry[EntryData]:
    """A leaf's bytes (or the object they decode to) as a typed entry."""
    value = orjson.loads(leaf) if isinstance(leaf, bytes) else leaf
    try:
        index = value["index"]
        where = f"entry {index}: "
        command = value["command"]
        if isinstance(command, str):
            command = orjson.loads(command)
        return Entry(
            index=index,
            stream=value["stream"],
            version=value["version"],
            type=value["type"],
            recorded_at=value["recorded_at"],
            actor=value["actor"],
            key=value["key"],
            command=command,
            signature=value["signature"],
            data=parse_data(value["type"], value["data"], where),
        )
    except (KeyError, TypeError) as problem:
        raise MalformedEntry(f"leaf lacks {problem}") from None
