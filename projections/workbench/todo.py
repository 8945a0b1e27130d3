"""待办: what an official's organisation must do next, by the statutory clocks.

Read from the public projection (the procurements' records and the open challenges and
complaints) and counted on the ledger's working calendar with the adopted time-limit table,
as the supervisory deadline view counts (``projections.supervision.deadlines.standing``):

* purchaser and agency: answer each open challenge on their procurements (7 working days,
  财政部令第94号 第十三条); announce the result within 2 working days of the award
  (``result_announced_after_award``); the purchaser signs the contract within 30 days of
  the award notice (``contract_signed_after_award_notice``). Works tenders (招标投标法, their
  own clocks) and framework agreements (a contract per call-off) are not listed for those two;
* finance office: decide each open complaint (30 working days), but a works tender's, which
  its 行政监督部门 decides (it sees those);
* supplier: its open complaints (the decision it awaits), and, for each challenge it filed
  that is still open, the last day to complain once the answer period ends (15 working days,
  政府采购法 第五十五条). A challenge's challenger is sealed: it is read through the registry.

Overdue first, then by due date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final
from urllib.parse import urlencode

from pydantic import TypeAdapter

from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.lifecycle import Action
from ledger.domain.record import ProcurementRecord
from ledger.domain.registry import Role
from ledger.domain.vocabulary import Method
from ledger.store.sql import Cursor
from projections.supervision.deadlines import STATUSES, standing

RECORD: Final = TypeAdapter(ProcurementRecord)
_ORDER: Final = {"overdue": 0, "due_soon": 1, "on_time": 2, "unknown": 3}


#: Which form does a 待办 item (by the start of its words), and the field its number fills.
FORMS: Final = (
    ("发布中标（成交）结果公告", "AnnounceResult", ""),
    ("签订政府采购合同", "SignContract", ""),
    ("答复质疑", "AnswerChallenge", "challenge"),
    ("作出投诉处理决定", "DecideComplaint", "complaint"),
    ("如对质疑答复不满意，提起投诉", "FileComplaint", "challenge"),
)


@dataclass(frozen=True)
class Due:
    """One thing to do, by when, and how it stands today."""

    what: str  # 答复质疑 …
    procurement: str
    title: str
    due: date
    citation: str
    status: str  # overdue | due_soon | on_time
    working_days: int | None  # left, or past when overdue
    provisional: bool  # counted through a year whose holidays the calendar does not know
    reference: str = ""  # the challenge's or complaint's number

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, "无法计算期限")

    @property
    def link(self) -> str:
        return f"/procurements/{self.procurement}"

    @property
    def form(self) -> str | None:
        """The workbench form that does it, its procurement and number filled in."""
        for start, kind, field in FORMS:
            if self.what.startswith(start):
                query = {"procurement": self.procurement}
                if field and self.reference:
                    query[field] = self.reference
                return f"/workbench/forms/{kind}?{urlencode(query)}"
        return None


def _due(
    statutes: Statutes, today: date, what: str, code: str, title: str, due: date,
    citation: str, provisional: bool = False, reference: str = "",
) -> Due:  # fmt: skip
    status, days, counted_provisionally = standing(statutes.calendar, due, today)
    return Due(what, code, title, due, citation, status, days,
               provisional or counted_provisionally, reference)  # fmt: skip


def _limit(statutes: Statutes, name: str) -> TimeLimit | None:
    return statutes.limits.get(name)


def _citation(statutes: Statutes, name: str, otherwise: str) -> str:
    limit = _limit(statutes, name)
    return limit.citation if limit is not None else otherwise


def _lifecycle(
    cur: Cursor, statutes: Statutes, today: date, role: Role, organisation: str
) -> list[Due]:
    """Results to announce and contracts to sign on the organisation's procurements."""
    column = "purchaser" if role is Role.PURCHASER else "agency"
    rows = cur.execute(
        f"SELECT record FROM pub_procurements WHERE {column} = ? AND closed IS NULL",  # noqa: S608
        (organisation,),
    ).fetchall()
    result = _limit(statutes, "result_announced_after_award")
    contract = _limit(statutes, "contract_signed_after_award_notice")
    items = []
    for (raw,) in rows:
        p = RECORD.validate_json(raw)
        if p.supervisor is not None or p.method is Method.FRAMEWORK_AGREEMENT:
            continue
        awarded, announced = p.dates.get(Action.DECIDE_AWARD), p.dates.get(Action.ANNOUNCE_RESULT)
        if result and awarded and not announced:
            deadline = statutes.calendar.deadline_for(result, awarded)
            items.append(_due(statutes, today, "发布中标（成交）结果公告", p.code, p.title,
                              deadline.due, result.citation, deadline.provisional))  # fmt: skip
        signed = p.dates.get(Action.SIGN_CONTRACT)
        if contract and announced and not signed and role is Role.PURCHASER:
            deadline = statutes.calendar.deadline_for(contract, announced)
            items.append(_due(statutes, today, "签订政府采购合同", p.code, p.title,
                              deadline.due, contract.citation, deadline.provisional))  # fmt: skip
    return items


_CHALLENGES: Final = (
    "SELECT c.number, c.procurement, p.title, c.answer_due, c.answer_due_provisional "
    "FROM pub_challenges c JOIN pub_procurements p ON p.code = c.procurement "
    "WHERE c.status = 'open' AND c.answer_due IS NOT NULL"
)
_COMPLAINTS: Final = (
    "SELECT c.number, c.procurement, p.title, c.decision_due, c.decision_due_provisional, "
    "p.record FROM pub_complaints c JOIN pub_procurements p ON p.code = c.procurement "
    "WHERE c.status = 'open' AND c.decision_due IS NOT NULL"
)


def _challenges_to_answer(
    cur: Cursor, statutes: Statutes, today: date, role: Role, organisation: str
) -> list[Due]:
    column = "p.purchaser" if role is Role.PURCHASER else "p.agency"
    rows = cur.execute(f"{_CHALLENGES} AND {column} = ?", (organisation,)).fetchall()
    cited = _citation(statutes, "challenge_answered", "财政部令第94号 第十三条")
    return [
        _due(statutes, today, f"答复质疑（{number}）", code, title, date.fromisoformat(due),
             cited, bool(provisional), number)
        for number, code, title, due, provisional in rows
    ]  # fmt: skip


def _complaints_to_decide(
    cur: Cursor, statutes: Statutes, today: date, role: Role, organisation: str
) -> list[Due]:
    items = []
    cited = _citation(statutes, "complaint_decided", "财政部令第94号 第二十六条")
    for number, code, title, due, provisional, raw in cur.execute(_COMPLAINTS).fetchall():
        handler = RECORD.validate_json(raw).supervisor  # a works tender's 行政监督部门
        if (role is Role.FINANCE_OFFICE and handler is None) or (
            role is Role.SUPERVISION_DEPARTMENT and handler == organisation
        ):
            items.append(_due(statutes, today, f"作出投诉处理决定（{number}）", code, title,
                              date.fromisoformat(due), cited, bool(provisional),
                              number))  # fmt: skip
    return items


def open_challenges(cur: Cursor) -> list[str]:
    """The numbers of the open challenges: a supplier's own are found among them by their
    sealed challenger, read outside this cursor (``own_challenges``)."""
    return [str(n) for (n, *_) in cur.execute(_CHALLENGES).fetchall()]


def own_challenges(
    numbers: list[str], organisation: str, challenger: Callable[[str], str | None]
) -> frozenset[str]:
    return frozenset(n for n in numbers if challenger(n) == organisation)


def _supplier(
    cur: Cursor, statutes: Statutes, today: date, organisation: str, mine: frozenset[str]
) -> list[Due]:
    items = [
        _due(statutes, today, f"等待投诉处理决定（{number}）", code, title,
             date.fromisoformat(due), "财政部令第94号 第二十六条", bool(provisional), number)
        for number, code, title, due, provisional, _ in cur.execute(
            f"{_COMPLAINTS} AND c.supplier = ?", (organisation,)
        ).fetchall()
    ]  # fmt: skip
    complain = _limit(statutes, "complaint_filed_after_answer_period")
    if complain is None:
        return items
    for number, code, title, due, provisional in cur.execute(_CHALLENGES).fetchall():
        if number not in mine:
            continue
        deadline = statutes.calendar.deadline_for(complain, date.fromisoformat(due))
        items.append(_due(statutes, today, f"如对质疑答复不满意，提起投诉（{number}）", code,
                          title, deadline.due, complain.citation,
                          bool(provisional) or deadline.provisional, number))  # fmt: skip
    return items


def to_do(
    cur: Cursor, statutes: Statutes, today: date, role: Role, organisation: str,
    mine: frozenset[str] = frozenset(),
) -> list[Due]:  # fmt: skip
    """The organisation's 待办 for an official of ``role``, overdue first (``mine``: a
    supplier's own open challenges)."""
    items: list[Due] = []
    if role in (Role.PURCHASER, Role.AGENCY):
        items += _challenges_to_answer(cur, statutes, today, role, organisation)
        items += _lifecycle(cur, statutes, today, role, organisation)
    elif role in (Role.FINANCE_OFFICE, Role.SUPERVISION_DEPARTMENT):
        items += _complaints_to_decide(cur, statutes, today, role, organisation)
    elif role is Role.SUPPLIER:
        items += _supplier(cur, statutes, today, organisation, mine)
    items.sort(key=lambda d: (_ORDER[d.status], d.due, d.procurement, d.reference))
    return items
