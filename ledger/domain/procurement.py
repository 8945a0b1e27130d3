"""The procurement 采购项目 as an aggregate: one stream per procurement, one event per action.

Every event's ``data`` holds what the ledger decided (validated fields, the notice it
publishes, the findings it raised), and the aggregate's state is rebuilt from that data
alone, so replaying the log gives the same procurement whoever replays it. Attributes are
immutable values, replaced rather than changed, so the cheap copy of ``ValueAggregate``
stays a full copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar, Final

import orjson

from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.lifecycle import RULES, Action, Stage, State
from ledger.domain.money import Money
from ledger.domain.registry import stream_id
from ledger.domain.vocabulary import Category, Method

#: The event a supplier's sealed bid records; not a lifecycle action of the purchaser.
BID_SUBMITTED: Final = "BidSubmitted"
#: Actions by the name of the event that records them.
ACTION_OF_EVENT: Final[Mapping[str, Action]] = MappingProxyType(
    {rule.event: action for action, rule in RULES.items()}
)


def procurement_stream(code: str) -> Any:
    return stream_id("procurement", code)


@dataclass(frozen=True)
class Bid:
    """A sealed bid: the supplier and the commitment to its price."""

    supplier: str
    price: str  # commitment, standard base64
    submitted_on: date


class Procurement(ValueAggregate):
    """One procurement project, from its plan to its archive."""

    class PlanFiled(SignedCreated):
        event_type = "PlanFiled"

    class Event(SignedEvent):
        """An action on an existing procurement; ``event_type`` names it."""

        event_type: ClassVar[str] = ""

        def apply(self, aggregate: Procurement) -> None:
            aggregate.record(self.event_type, self.values)

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        values = orjson.loads(data)
        self.code: str = values["procurement"]
        self.purchaser: str = values["purchaser"]
        self.agency: str | None = values["agency"]
        self.title: str = values["title"]
        self.category = Category(values["category"])
        self.method = Method(values["method"])
        self.budget = Money.parse(values["budget"], "budget")
        self.region: str = values["region"]
        self.rationale: str = values.get("rationale", "")
        self.state = State(plan="filed")
        self.dates: Mapping[str, str] = MappingProxyType({Action.FILE_PLAN.value: values["date"]})
        self.last_date = date.fromisoformat(values["date"])
        self.bid_deadline: date | None = None
        self.proposed_supplier: str | None = None
        self.bids: tuple[Bid, ...] = ()
        self.valid_bidders: tuple[str, ...] | None = None
        self.committee: str | None = None  # commitment to the evaluation committee
        self.winner: str | None = None
        self.award_amount: Money | None = None
        self.contract_amount: Money | None = None
        self.contract_number: str | None = None
        self.suspended_by: str | None = None

    # -- reading ------------------------------------------------------------------------

    @property
    def bidders(self) -> frozenset[str]:
        """Suppliers that took part: every bidder, and a single source's proposed supplier."""
        taken = {bid.supplier for bid in self.bids}
        if self.proposed_supplier is not None:
            taken.add(self.proposed_supplier)
        return frozenset(taken)

    def bid_of(self, supplier: str) -> Bid | None:
        return next((bid for bid in self.bids if bid.supplier == supplier), None)

    def history(self) -> dict[Action, date]:
        """The latest date of each action recorded so far."""
        return {Action(name): date.fromisoformat(day) for name, day in self.dates.items()}

    # -- applying ----------------------------------------------------------------------

    def record(self, event_type: str, values: dict[str, Any]) -> None:
        """Apply one event's data; called when the event is triggered and when replayed."""
        on = date.fromisoformat(values["date"])
        self.last_date = max(self.last_date, on)
        if event_type == BID_SUBMITTED:
            bid = Bid(values["supplier"], values["price"]["commitment"], on)
            self.bids = (*self.bids, bid)
            return
        action = ACTION_OF_EVENT[event_type]
        self.dates = MappingProxyType({**self.dates, action.value: values["date"]})
        self.state = state_from_json(values["state"])
        apply = _APPLY.get(action)
        if apply is not None:
            apply(self, values)


def _announced(p: Procurement, values: dict[str, Any]) -> None:
    if values.get("bid_deadline"):
        p.bid_deadline = date.fromisoformat(values["bid_deadline"])
    if values.get("supplier"):
        p.proposed_supplier = values["supplier"]


def _evaluated(p: Procurement, values: dict[str, Any]) -> None:
    p.valid_bidders = tuple(r["supplier"] for r in values["results"] if r["valid"])
    p.committee = values["committee"]["commitment"]


def _awarded(p: Procurement, values: dict[str, Any]) -> None:
    p.winner = values["supplier"]
    p.award_amount = Money.parse(values["amount"], "amount")


def _contracted(p: Procurement, values: dict[str, Any]) -> None:
    p.contract_amount = Money.parse(values["amount"], "amount")
    p.contract_number = values["contract_number"]


def _suspended(p: Procurement, values: dict[str, Any]) -> None:
    p.suspended_by = values["cause"]


def _resumed(p: Procurement, values: dict[str, Any]) -> None:
    p.suspended_by = None


_APPLY: Final = {
    Action.ANNOUNCE_TENDER: _announced,
    Action.CORRECT_ANNOUNCEMENT: _announced,
    Action.COMPLETE_EVALUATION: _evaluated,
    Action.DECIDE_AWARD: _awarded,
    Action.SIGN_CONTRACT: _contracted,
    Action.SUSPEND: _suspended,
    Action.RESUME: _resumed,
}


def _event_class(name: str) -> type[Procurement.Event]:
    # One class per event type, reachable by its topic ("…procurement:Procurement.<name>").
    cls = type(name, (Procurement.Event,), {"event_type": name})
    cls.__qualname__ = f"Procurement.{name}"
    cls.__module__ = __name__
    setattr(Procurement, name, cls)
    return cls


#: The event class of each event type on an existing procurement.
EVENTS: Final[Mapping[str, type[Procurement.Event]]] = MappingProxyType(
    {
        name: _event_class(name)
        for name in [BID_SUBMITTED, *(r.event for r in RULES.values())]
        if name != "PlanFiled"
    }
)


def state_json(state: State) -> dict[str, Any]:
    """A lifecycle state as event data carries it (and ``State(**…)`` reads it back)."""
    return {
        "plan": state.plan,
        "method_approved": state.method_approved,
        "progress": state.progress.value,
        "closed": state.closed,
        "suspended": state.suspended,
    }


def state_from_json(values: Mapping[str, Any]) -> State:
    return replace(State(**values), progress=Stage(values["progress"]))
