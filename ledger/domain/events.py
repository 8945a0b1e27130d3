"""The signed event: every stored event carries the command that caused it.

`command` and `data` are kept as canonical JSON *text*, not as dicts, so the
event store's transcoder never reinterprets what an actor signed (a payload key
such as "_type_" would otherwise be decoded as a datetime), and so the leaf can be
assembled from canonical pieces without re-encoding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import orjson
from eventsourcing.domain import Aggregate

from ledger.domain.schema.values import Value


@dataclass(frozen=True)
class Signed:
    """Who signed the command that causes an event, and what exactly they signed."""

    actor: str
    key: str
    command: str  # canonical JSON text of the signed command object
    signature: str  # standard base64 Ed25519 signature over `command`

    def fields(self, data: Value) -> dict[str, str]:
        """The event's fields: who signed what, and the entry's data as canonical JSON."""
        text = _canonical(data.dump())
        _TRIGGERED.text, _TRIGGERED.data = text, data
        return {
            "actor": self.actor,
            "key": self.key,
            "command": self.command,
            "signature": self.signature,
            "data": text,
        }


def _canonical(data: dict[str, Any]) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


V = TypeVar("V", bound=Value)


class _Triggered(threading.local):
    """The typed data whose text this thread made last (``Signed.fields``): the event a
    decision is triggering with it applies that value instead of parsing its own text."""

    text: str | None = None
    data: Value | None = None


_TRIGGERED = _Triggered()


def data_of(text: str, kind: type[V]) -> V:
    """An event's data as ``kind``: the validated value it was just made from, when ``text``
    is that very string (the event a decision triggers), else parsed from its text (every
    event read from the store, and so every replay). A value dumps to its text and parses
    back to an equal value, so both give the same record."""
    data = _TRIGGERED.data
    if _TRIGGERED.text is text and type(data) is kind:
        return data
    return kind.model_validate_json(text)


class ValueAggregate(Aggregate):
    """An aggregate whose attributes are all immutable values (str, int, enum, UUID).

    The event store's cache hands out a copy of a cached aggregate for each command;
    for such an aggregate a shallow copy with its own pending-event list is a full
    copy, and far cheaper than `copy.deepcopy` walking UUIDs and datetimes.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> ValueAggregate:
        clone = object.__new__(type(self))  # as copy.copy, without its protocol's detour
        clone.__dict__.update(self.__dict__)
        clone._pending_events = list(self._pending_events)  # events are immutable
        return clone


class SignedEvent(Aggregate.Event):
    """An event on an existing stream."""

    event_type: ClassVar[str] = ""
    actor: str
    key: str
    command: str
    signature: str
    data: str



class SignedCreated(Aggregate.Created):
    """The first event of a stream."""

    event_type: ClassVar[str] = ""
    actor: str
    key: str
    command: str
    signature: str
    data: str

