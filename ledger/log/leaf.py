"""Leaf bytes: the RFC 8785 canonical JSON of one stored event (DESIGN.md, "Log entries").

The event keeps its signed command and its data as canonical JSON text, so the
leaf is assembled from canonical pieces in JCS key order (actor, command, data,
index, key, recorded_at, signature, stream, type, version) without re-encoding.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

_encode = json.JSONEncoder(ensure_ascii=False).encode
_PLAIN = re.compile(r"[A-Za-z0-9+/=:._-]*\Z")


def _string(text: str) -> str:
    """A JSON string; ids, keys, signatures and times need no escaping and skip the encoder."""
    return f'"{text}"' if _PLAIN.match(text) else _encode(text)


def _recorded_at(stored: str) -> str:
    # The event store writes UTC timestamps as 2026-11-25T19:52:40.843954+00:00.
    if len(stored) == 32 and stored.endswith("+00:00"):
        return stored[:26] + "Z"
    return rfc3339(datetime.fromisoformat(stored))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeafParts:
    stream: str
    version: int
    type: str
    recorded_at: str
    actor: str
    key: str
    command: str
    signature: str
    data: str

    def encode(self, index: int) -> bytes:
        return (
            f'{{"actor":{_string(self.actor)},"command":{self.command},"data":{self.data},'
            f'"index":{index},"key":{_string(self.key)},'
            f'"recorded_at":{_string(self.recorded_at)},"signature":{_string(self.signature)},'
            f'"stream":{_string(self.stream)},"type":{_string(self.type)},'
            f'"version":{self.version}}}'
        ).encode()


@lru_cache(maxsize=256)
def event_type_of(topic: str) -> str:
    cls: Any = resolve_topic(topic)
    name = getattr(cls, "event_type", "")
    if not name:
        raise ValueError(f"stored event {topic} is not a signed ledger event")
    return str(name)


def parts_of(notification: Notification) -> LeafParts:
    """Read the stored event's own fields; no cipher or compressor is configured."""
    state = orjson.loads(notification.state)
    return LeafParts(
        stream=str(notification.originator_id),
        version=notification.originator_version,
        type=event_type_of(notification.topic),
        recorded_at=_recorded_at(state["timestamp"]["_data_"]),
        actor=state["actor"],
        key=state["key"],
        command=state["command"],
        signature=state["signature"],
        data=state["data"],
    )
