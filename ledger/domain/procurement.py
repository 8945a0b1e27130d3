"""The procurement 采购项目 as an aggregate: one stream per procurement, one event per action.

Every event's ``data`` holds what the ledger decided (validated fields, the notice it
publishes, the findings it raised), as its kind's typed value (``schema.entries``). The
aggregate's state is the ``ProcurementRecord`` that ``record.fold`` builds from that data
alone, so replaying the log gives the same procurement whoever replays it: the verifier,
the inspector's history and the public pages fold the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, get_args

import orjson

from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate, data_of
from ledger.domain.lifecycle import Action
from ledger.domain.record import fold, opened
from ledger.domain.registry import stream_id
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA

#: Actions by the entry that records them.
ACTION_OF_KIND: Final[Mapping[type[E.EntryData], Action]] = MappingProxyType(
    {kind.data: kind.action for kind in BY_DATA.values() if kind.action is not None}
)


def procurement_stream(code: str) -> Any:
    return stream_id("procurement", code)


class Procurement(ValueAggregate):
    """One procurement project, from its plan to its archive; ``record`` is where it stands."""

    class PlanFiled(SignedCreated):
        event_type = E.PlanFiled.__name__
        data_class = E.PlanFiled  # the library makes it a ``Procurement.Event`` too

    class Event(SignedEvent):
        """An entry on an existing procurement; ``data_class`` is its kind."""

        event_type: ClassVar[str] = ""
        data_class: ClassVar[type[E.ProcurementData]]

        def apply(self, aggregate: Procurement) -> None:
            data = data_of(self.data, self.data_class)
            aggregate.record = fold(aggregate.record, data)
            if isinstance(data, E.TenderAnnounced | E.AnnouncementCorrected) and data.bid_deadline:
                aggregate.deadline_signed_at = orjson.loads(self.command).get("issued_at")

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.record = opened(data_of(data, E.PlanFiled))
        #: When the notice that set the bid deadline in force was signed (RFC 3339): a
        #: deadline recorded before it passed is the electronic box's own, which then takes
        #: no envelope signed after it (``bid_commands.before_deadline``).
        self.deadline_signed_at: str | None = None

    @property
    def code(self) -> str:
        return self.record.code


def _event_class(data_class: type[E.ProcurementData]) -> type[Procurement.Event]:
    # One class per entry kind, reachable by its topic ("…procurement:Procurement.<name>"),
    # the topic every stored event of that kind carries.
    name = data_class.__name__
    cls = type(name, (Procurement.Event,), {"event_type": name, "data_class": data_class})
    cls.__qualname__ = f"Procurement.{name}"
    cls.__module__ = __name__
    setattr(Procurement, name, cls)
    return cls


#: The event class of each entry kind on an existing procurement.
EVENTS: Final[Mapping[type[E.ProcurementData], type[Procurement.Event]]] = MappingProxyType(
    {data: _event_class(data) for data in get_args(E.ProcurementData) if data is not E.PlanFiled}
)
