"""A procurement's record as the log tells it, and the one fold that builds it.

``fold(record, data)`` applies one entry of a procurement (its own stream, its challenges and
complaints) to what was known before it. It is pure and reads the entry's data alone, so
everyone who replays the log gets the same record: the aggregate the ledger decides on, the
verifier's replay, the inspector's history at any point and the public projection all fold
with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal, TypeVar, assert_never

from ledger.domain.lifecycle import Action
from ledger.domain.money import Money
from ledger.domain.progress import State
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.vocabulary import CallOffSelection, Category, Method, Outcome

Status = Literal["open", "answered", "decided", "withdrawn"]


@dataclass(frozen=True)
class Bid:
    """An opened bid: the supplier and the commitment to its price."""

    supplier: str
    price: str  # commitment, standard base64


@dataclass(frozen=True)
class ClosedBox:
    """A bid box closed at the deadline: the root over its padded set, and its size."""

    root: str
    size: int
    closed_on: date


@dataclass(frozen=True)
class Objection:
    """A challenge 质疑 or complaint 投诉, as its procurement's record keeps it."""

    number: str
    supplier: str | None  # None for a challenge: its challenger is sealed in ``envelope``
    filed_on: date
    status: Status = "open"
    closed_on: date | None = None
    outcome: Outcome | None = None
    challenge: str | None = None  # a complaint's challenge
    screened: bool = False  # a complaint the finance office screened 审查 (accepted or not)
    screened_on: date | None = None  # …on that day
    envelope: str | None = None  # a challenge's sealed FileChallenge, its commitment


@dataclass(frozen=True)
class CallOff:
    """A framework agreement's call-off contract 采购合同 (stage two, 财政部令第110号)."""

    number: str
    supplier: str
    selection: CallOffSelection
    amount: Money
    signed_on: date
    announced_on: date | None = None


K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", "ProcurementRecord", Objection, CallOff)


def _changed(value: R, **changes: Any) -> R:
    """``dataclasses.replace`` for this module's frozen values, none of which checks or
    derives anything on construction: the fields copied as they are and the changed ones set,
    without calling ``__init__`` (the record has some fifty fields: ``replace`` cost a fold
    more than all its other work). A name that is not a field is still refused."""
    unknown = changes.keys() - _FIELDS[type(value)]
    if unknown:
        raise TypeError(f"{type(value).__name__} has no field {sorted(unknown)[0]!r}")
    changed = object.__new__(type(value))
    changed.__dict__.update(value.__dict__, **changes)
    return changed


def _frozen(items: Mapping[K, V]) -> Mapping[K, V]:
    # A fresh dict, typed read-only: a record never shares one with the record it came from.
    return dict(items)


@dataclass(frozen=True)
class ProcurementRecord:
    """One procurement 采购项目 after the entries folded so far."""

    code: str
    purchaser: str
    agency: str | None
    title: str
    category: Category
    method: Method
    budget: Money
    region: str
    requirement: str
    rationale: str
    state: State
    dates: Mapping[Action, date]  # the latest day of each action
    last_date: date  # the latest day of any action or bid on its own stream
    bid_deadline: date | None = None
    bid_deadline_time: str | None = None  # HH:MM China time; None: the end of the day
    proposed_supplier: str | None = None  # a single source's supplier
    box: ClosedBox | None = None  # the bid box, once closed
    bids: tuple[Bid, ...] = ()  # the bids, once opened
    valid_bidders: tuple[str, ...] | None = None  # after the evaluation
    ranking: tuple[str, ...] = ()  # the committee's candidates in order, when ranked
    committee: str | None = None  # commitment to the evaluation committee
    winner: str | None = None
    award_amount: Money | None = None
    contract_number: str | None = None
    contract_amount: Money | None = None
    contract_documents: tuple[E.Document, ...] = ()  # 合同文本 the signing attached
    supplements: tuple[str, ...] = ()  # the supplementary contracts' numbers 补充合同
    supplementary_total: Money = field(default_factory=Money.zero)  # all of them together
    admitted: tuple[str, ...] = ()  # a framework agreement's admitted suppliers 入围供应商
    term_ends: date | None = None  # the last day of a framework agreement's term 有效期
    call_offs: Mapping[str, CallOff] = field(default_factory=dict)  # by contract number
    call_off_total: Money = field(default_factory=Money.zero)  # all call-offs together
    bid_deposit: Money | None = None  # the bid deposit its notice asked 投标保证金
    ceiling: Money | None = None  # the 最高限价 its notice set
    supervisor: str | None = None  # a works tender's 行政监督部门, named on its notice
    prequalification_deadline: date | None = None  # when its 资格预审 applications closed
    qualified: tuple[str, ...] | None = None  # the suppliers its 资格预审 found qualified
    candidates_until: date | None = None  # the end of a works tender's candidates' 公示
    refunded: tuple[str, ...] = ()  # the bidders whose deposits were refunded
    accepted: bool | None = None
    suspended_by: str | None = None  # the challenge or complaint that suspended it
    challenges: Mapping[str, Objection] = field(default_factory=dict)
    complaints: Mapping[str, Objection] = field(default_factory=dict)

    @property
    def answerers(self) -> frozenset[str]:
        """Who answers its challenges 质疑: its purchaser, and its agency if it appointed one."""
        return frozenset(o for o in (self.purchaser, self.agency) if o)

    @property
    def bidders(self) -> frozenset[str]:
        """Suppliers that took part: every bidder, and a single source's proposed supplier."""
        taken = {bid.supplier for bid in self.bids}
        if self.proposed_supplier is not None:
            taken.add(self.proposed_supplier)
        return frozenset(taken)

    def bid_of(self, supplier: str) -> Bid | None:
        return next((bid for bid in self.bids if bid.supplier == supplier), None)


_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls)) for cls in (ProcurementRecord, Objection, CallOff)
}


def opened(data: E.PlanFiled) -> ProcurementRecord:
    """The record a plan opens."""
    return ProcurementRecord(
        code=data.procurement,
        purchaser=data.purchaser,
        agency=data.agency,
        title=data.title,
        category=data.category,
        method=data.method,
        budget=data.budget,
        region=data.region,
        requirement=data.requirement,
        rationale=data.rationale,
        state=data.state,
        dates=_frozen({Action.FILE_PLAN: data.date}),
        last_date=data.date,
    )


# Over 60 lines by design: the fold: one match arm per kind of entry, each a line or two.
def fold(
    record: ProcurementRecord | None, data: E.ProcurementData | E.StreamData
) -> ProcurementRecord:
    """``record`` after one more entry of its procurement (``None`` before the plan)."""
    if isinstance(data, E.PlanFiled):
        return opened(data)
    if record is None:
        raise ValueError(f"{type(data).__name__} of {data.procurement} before its plan")
    if isinstance(data, E.Lifecycle):
        record = _acted(record, data)
    match data:
        case E.BidBoxClosed():
            box = ClosedBox(data.root, data.size, data.date)
            return _changed(record, box=box, last_date=_later(record, data.date))
        case E.BidsOpened():
            bids = tuple(Bid(bid.supplier, bid.price.commitment) for bid in data.bids)
            return _changed(record, bids=bids)
        case E.TenderAnnounced():
            return _changed(
                record,
                bid_deadline=data.bid_deadline or record.bid_deadline,
                bid_deadline_time=data.bid_deadline_time,
                proposed_supplier=data.supplier or record.proposed_supplier,
                bid_deposit=data.bid_deposit,
                supervisor=data.supervisor,
                ceiling=data.ceiling_price,
            )
        case E.AnnouncementCorrected():
            if data.bid_deadline is None:
                return record
            return _changed(
                record, bid_deadline=data.bid_deadline, bid_deadline_time=data.bid_deadline_time
            )
        case E.EvaluationCompleted():
            valid = tuple(result.supplier for result in data.results if result.valid)
            ranked = sorted((r.rank, r.supplier) for r in data.results if r.rank is not None)
            return _changed(
                record,
                valid_bidders=valid,
                ranking=tuple(supplier for _, supplier in ranked),
                committee=data.committee.commitment,
            )
        case E.CandidatesPublished():
            return _changed(record, candidates_until=data.period_end)
        case E.PrequalificationAnnounced():
            return _changed(record, prequalification_deadline=data.application_deadline)
        case E.PrequalificationCompleted():
            return _changed(record, qualified=tuple(data.qualified))
        case E.AwardDecided():
            admitted = tuple(data.admitted or ())
            return _changed(
                record, winner=data.supplier, award_amount=data.amount, admitted=admitted
            )
        case E.ContractSigned():
            return _changed(
                record,
                contract_number=data.contract_number,
                contract_amount=data.amount,
                term_ends=data.term_ends,
                contract_documents=tuple(data.documents or ()),
            )
        case E.CallOffSigned():
            call_off = CallOff(
                data.contract_number, data.supplier, data.selection, data.amount, data.date
            )
            call_offs = _frozen({**record.call_offs, data.contract_number: call_off})
            return _changed(record, call_offs=call_offs, call_off_total=data.total)
        case E.CallOffAnnounced():
            before = record.call_offs.get(data.contract_number)
            if before is None:
                raise ValueError(f"call-off {data.contract_number} announced before it was signed")
            announced = _changed(before, announced_on=data.date)
            call_offs = _frozen({**record.call_offs, data.contract_number: announced})
            return _changed(record, call_offs=call_offs)
        case E.SupplementaryContractSigned():
            return _changed(
                record,
                supplements=(*record.supplements, data.contract_number),
                supplementary_total=data.total,
            )
        case E.BidDepositsRefunded():
            return _changed(record, refunded=(*record.refunded, *data.suppliers))
        case E.AcceptanceRecorded():
            return _changed(record, accepted=data.passed)
        case E.ProcurementSuspended():
            return _changed(record, suspended_by=data.cause)
        case E.ProcurementResumed():
            return _changed(record, suspended_by=None)
        case (
            E.PlanApproved() | E.PlanRejected() | E.MethodApproved() | E.IntentionDisclosed()
            | E.ResultAnnounced() | E.ContractAnnounced() | E.ContractFiled()
            | E.TenderReportFiled() | E.Archived()
            | E.ProcurementFailed() | E.ProcurementTerminated()
        ):  # fmt: skip
            return record  # the state, the day and the action's date are all they change
        case E.ChallengeFiled():
            filed = Objection(data.number, None, data.date, envelope=data.envelope.commitment)
            return _changed(record, challenges=_frozen({**record.challenges, data.number: filed}))
        case E.ComplaintFiled():
            filed = Objection(data.number, data.supplier, data.date, challenge=data.challenge)
            return _changed(record, complaints=_frozen({**record.complaints, data.number: filed}))
        case E.ChallengeAnswered():
            return _closed(record, "challenges", data.number, "answered", data.date, data.outcome)
        case E.ChallengeWithdrawn():
            return _closed(record, "challenges", data.number, "withdrawn", data.date, None)
        case E.ComplaintScreened():
            return _screened(record, data)
        case E.ComplaintDecided():
            return _closed(record, "complaints", data.number, "decided", data.date, data.outcome)
        case E.ComplaintWithdrawn():
            return _closed(record, "complaints", data.number, "withdrawn", data.date, None)
        case E.PlanFiled():
            raise AssertionError("handled above")
        case _:
            assert_never(data)


def _later(record: ProcurementRecord, on: date) -> date:
    return max(record.last_date, on)


def _acted(record: ProcurementRecord, data: E.Lifecycle) -> ProcurementRecord:
    """What every lifecycle entry changes: the state, the action's date, the latest day."""
    action = BY_DATA[type(data)].action  # type: ignore[index]
    assert action is not None
    return _changed(
        record,
        state=data.state,
        # A suspension lifted, or lapsed at its lawful end, has no cause any more.
        suspended_by=record.suspended_by if data.state.suspended else None,
        dates=_frozen({**record.dates, action: data.date}),
        last_date=_later(record, data.date),
    )


def _screened(record: ProcurementRecord, data: E.ComplaintScreened) -> ProcurementRecord:
    """A complaint screened: accepted, it runs on; not accepted 不予受理, it ends dismissed."""
    before = record.complaints.get(data.number)
    if before is None:
        raise ValueError(f"{data.number} screened before it was filed")
    screened = _changed(before, screened=True, screened_on=data.date)
    complaints = _frozen({**record.complaints, data.number: screened})
    record = _changed(record, complaints=complaints)
    if data.accepted:
        return record
    return _closed(record, "complaints", data.number, "decided", data.date, Outcome.DISMISSED)


def _closed(
    record: ProcurementRecord,
    which: Literal["challenges", "complaints"],
    number: str,
    status: Status,
    on: date,
    outcome: Outcome | None,
) -> ProcurementRecord:
    streams = record.challenges if which == "challenges" else record.complaints
    before = streams.get(number)
    if before is None:
        raise ValueError(f"{number} closed before it was filed")
    closed = _changed(before, status=status, closed_on=on, outcome=outcome)
    now = _frozen({**streams, number: closed})
    if which == "challenges":
        return _changed(record, challenges=now)
    return _changed(record, complaints=now)
