"""What an OCDS release needs to know of a procurement, folded from its log entries.

A notice alone does not say everything its release should: a result notice's release lists
the bids disclosed at the opening, a contract notice's release the day the contract was
signed, an acceptance's the contract's number, and every release the names of the parties.
``Story`` gathers those facts as the entries come, one fold (``told``), so the OCDS
projection and the publisher build the same release from the same entries.

Bids come from the opening (``BidsOpened``) alone: before it no bid is public.
"""

from __future__ import annotations

from datetime import date
from typing import assert_never

from pydantic import BaseModel, ConfigDict

from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import (
    CallOffSelection,
    Category,
    FundingSource,
    Method,
    SmeStatus,
)

#: What an amendment may change of an organisation, as ``Organisation`` names it.
_AMENDABLE = ("name", "address", "region", "credit_code", "contact", "telephone", "sme")


class Organisation(BaseModel):
    """A party as the registry names it: its identity (统一社会信用代码), address, contact
    and, for a supplier, its declared 中小企业 status."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    address: str
    region: str
    credit_code: str | None = None
    contact: str | None = None
    telephone: str | None = None
    sme: SmeStatus | None = None


def registered(
    before: Organisation | None, data: E.OrganisationRegistered | E.OrganisationAmended
) -> Organisation | None:
    """The organisation after a registry entry (``None``: an amendment of one never seen)."""
    if isinstance(data, E.OrganisationRegistered):
        return Organisation(
            code=data.code, name=data.name, address=data.address, region=data.region,
            credit_code=data.credit_code, contact=data.contact, telephone=data.telephone,
            sme=data.sme,
        )  # fmt: skip
    if before is None:
        return None
    changed = {k: v for k in _AMENDABLE if (v := getattr(data, k)) is not None}
    return before.model_copy(update=changed)


class OpenedBid(BaseModel):
    """A bid as the opening disclosed it."""

    model_config = ConfigDict(frozen=True)

    supplier: str
    price: str  # yuan, two decimals
    valid: bool | None = None  # after the evaluation


class Supplement(BaseModel):
    """A supplementary contract 补充合同 as its notice states it."""

    model_config = ConfigDict(frozen=True)

    number: str
    date: date
    content: str
    amount: str


class Story(BaseModel):
    """One procurement as its releases tell it."""

    model_config = ConfigDict(frozen=True)

    code: str
    title: str
    purchaser: str
    agency: str | None
    category: Category
    method: Method
    budget: str
    requirement: str = ""
    rationale: str = ""  # why the method (the plan's, or the finance office's approval)
    funding_source: FundingSource | None = None  # the plan's 资金来源
    budget_item: E.BudgetItem | None = None  # the plan's 预算项目
    qualifications: str | None = None
    contact: str | None = None
    tender_start: date | None = None  # the day the tender notice was published
    bid_deadline: date | None = None
    bid_deadline_time: str | None = None  # HH:MM China time; None: the end of the day
    proposed_supplier: str | None = None  # a single source's
    opened_on: date | None = None
    bids: tuple[OpenedBid, ...] = ()
    winner: str | None = None
    award_amount: str | None = None
    result_on: date | None = None  # the result notice's day: the award's date
    contract_number: str | None = None
    contract_amount: str | None = None
    signed_on: date | None = None
    accepted: bool | None = None
    items: tuple[E.Item, ...] = ()  # 采购标的, as the tender notice lists them
    ceiling: str | None = None  # 最高限价, yuan
    published_time: str | None = None  # HH:MM the tender notice was published
    awarded_items: tuple[E.AwardedItem, ...] = ()  # 主要标的 of the result notice
    supplements: tuple[Supplement, ...] = ()  # 补充合同, in the order signed
    tender_documents: tuple[E.Document, ...] = ()  # 采购文件 the tender notice attached
    contract_documents: tuple[E.Document, ...] = ()  # 合同文本 the signing attached
    #: How a framework agreement's call-offs chose their supplier, in order of first use.
    selections: tuple[CallOffSelection, ...] = ()
    last: int = -1  # the last leaf folded: a replayed leaf changes nothing

    @property
    def opened(self) -> bool:
        return self.opened_on is not None


# Over 60 lines by design: the fold: one arm per kind of a procurement's entry.
def told(before: Story | None, index: int, data: E.ProcurementData) -> Story | None:
    """The story after leaf ``index`` (``None`` while nothing told the procurement's summary)."""
    if before is not None and index <= before.last:
        return before  # folded already
    if before is None:
        if not isinstance(data, E.Summary):
            return None  # nothing to tell of yet: no summary of the procurement
        # Usually the plan; a notice recorded before its plan (procured first, filed later)
        # starts the story with the summary every notice repeats.
        before = Story(
            code=data.procurement, title=data.title, purchaser=data.purchaser,
            agency=data.agency, category=data.category, method=data.method,
            budget=str(data.budget),
        )  # fmt: skip
    s = before.model_copy(update={"last": index})
    match data:
        case E.PlanFiled():
            return _summary(s, data).model_copy(
                update={"requirement": s.requirement or data.requirement,
                        "rationale": s.rationale or data.rationale,
                        "funding_source": data.funding_source,
                        "budget_item": data.budget_item}
            )  # fmt: skip
        case E.MethodApproved():
            return s.model_copy(
                update={"method": data.method, "rationale": data.rationale or s.rationale}
            )
        case E.IntentionDisclosed():
            return _summary(s, data)
        case E.PrequalificationAnnounced():
            return _summary(s, data).model_copy(update={
                "requirement": data.requirement, "qualifications": data.qualifications,
                "contact": data.contact,
            })  # fmt: skip
        case E.TenderAnnounced():
            return _summary(s, data).model_copy(update={
                "requirement": data.requirement, "qualifications": data.qualifications,
                "contact": data.contact, "tender_start": data.date,
                "bid_deadline": data.bid_deadline or s.bid_deadline,
                "bid_deadline_time": data.bid_deadline_time,
                "proposed_supplier": data.supplier, "rationale": data.reason or s.rationale,
                "items": tuple(data.items or ()), "published_time": data.published_time,
                "ceiling": None if data.ceiling_price is None else str(data.ceiling_price),
                "tender_documents": tuple(data.documents or ()),
            })  # fmt: skip
        case E.AnnouncementCorrected():
            moved = {"bid_deadline": data.bid_deadline,
                     "bid_deadline_time": data.bid_deadline_time} if data.bid_deadline else {}
            return _summary(s, data).model_copy(update=moved)
        case E.BidsOpened():
            bids = tuple(OpenedBid(supplier=b.supplier, price=_price(b.price.value))
                         for b in data.bids)  # fmt: skip
            return s.model_copy(update={"opened_on": data.date, "bids": bids})
        case E.EvaluationCompleted():
            valid = {r.supplier: r.valid for r in data.results}
            bids = tuple(b.model_copy(update={"valid": valid.get(b.supplier)}) for b in s.bids)
            return s.model_copy(update={"bids": bids})
        case E.AwardDecided():
            return s.model_copy(update={"winner": data.supplier, "award_amount": str(data.amount)})
        case E.ResultAnnounced():
            return _summary(s, data).model_copy(update={
                "winner": data.supplier, "award_amount": str(data.amount), "result_on": data.date,
                "awarded_items": tuple(data.items or ()),
            })  # fmt: skip
        case E.ContractSigned():
            return s.model_copy(update={
                "contract_number": data.contract_number, "contract_amount": str(data.amount),
                "signed_on": data.date, "contract_documents": tuple(data.documents or ()),
            })  # fmt: skip
        case E.ContractAnnounced():
            return _summary(s, data).model_copy(update={
                "contract_number": data.contract_number,
                "contract_amount": s.contract_amount or str(data.amount),
                "contract_documents": tuple(data.documents or s.contract_documents),
            })  # fmt: skip
        case E.AcceptanceRecorded():
            return _summary(s, data).model_copy(update={"accepted": data.passed})
        case E.CallOffAnnounced():  # a call-off is told within its agreement, not apart
            chosen = s.selections if data.selection in s.selections else (
                *s.selections, data.selection)  # fmt: skip
            return _summary(s, data).model_copy(update={"selections": chosen})
        case E.ProcurementFailed() | E.ProcurementTerminated() | E.CandidatesPublished():
            return _summary(s, data)
        case E.SupplementaryContractSigned():
            added = Supplement(number=data.contract_number, date=data.date,
                               content=data.content, amount=str(data.amount))  # fmt: skip
            return _summary(s, data).model_copy(update={"supplements": (*s.supplements, added)})
        case (
            E.PlanApproved() | E.PlanRejected() | E.BidBoxClosed() | E.ContractFiled()
            | E.TenderReportFiled() | E.BidDepositsRefunded() | E.Archived()
            | E.CallOffSigned() | E.PrequalificationCompleted()
            | E.ProcurementSuspended() | E.ProcurementResumed()
        ):  # fmt: skip
            # nothing a release tells (a bid is public only once opened; the qualified are
            # those the invitations are drawn from)
            return s
        case _:
            assert_never(data)


def _summary(story: Story, data: E.Summary) -> Story:
    """What every notice repeats of the procurement, as the notice says it now."""
    return story.model_copy(update={
        "title": data.title, "purchaser": data.purchaser, "agency": data.agency,
        "category": data.category, "method": data.method, "budget": str(data.budget),
    })  # fmt: skip


def _price(value: object) -> str:
    """An opened price: the yuan string the bidder sealed."""
    if isinstance(value, str):
        return value
    raise ValueError(f"an opened bid price is {value!r}, not a yuan amount")
