"""Deadline tracking 期限跟踪: every open challenge and complaint against its statutory due date.

A challenge must be answered within 7 working days, a complaint decided within 30
(财政部令第94号 art. 13, 26). The due date is the one recorded when it was filed; how it
stands today is counted on the ledger's working calendar: overdue once today is past it, due
soon when at most ``DUE_SOON`` working days are left, on time otherwise. A due date in a year
the calendar does not know is provisional, and so is a count across such a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from ledger.domain.clock import WorkingCalendar
from ledger.store.sql import Cursor

DUE_SOON: Final = 2  # working days
STATUSES: Final = {"overdue": "已逾期", "due_soon": "即将到期", "on_time": "期限内"}
KINDS: Final = {"challenge": "质疑", "complaint": "投诉"}
#: The statutory rule each kind's due date answers to.
RULES: Final = {"challenge": "challenge_answered", "complaint": "complaint_decided"}

_SQL: Final = {
    "challenge": (
        "SELECT c.number, c.procurement, p.title, c.supplier, c.filed_on, c.answer_due, "
        "c.answer_due_provisional, c.answer_due_reason, c.filed_leaf "
        "FROM pub_challenges c LEFT JOIN pub_procurements p ON p.code = c.procurement "
        "WHERE c.status = 'open' AND c.filed_leaf < ?"
    ),
    "complaint": (
        "SELECT c.number, c.procurement, p.title, c.supplier, c.filed_on, c.decision_due, "
        "c.decision_due_provisional, c.decision_due_reason, c.filed_leaf "
        "FROM pub_complaints c LEFT JOIN pub_procurements p ON p.code = c.procurement "
        "WHERE c.status = 'open' AND c.filed_leaf < ?"
    ),
}


@dataclass(frozen=True)
class Open:
    """One open challenge or complaint and how its deadline stands today."""

    kind: str  # challenge | complaint
    number: str
    procurement: str
    title: str
    supplier: str
    filed_on: str
    filed_leaf: int
    due: str | None
    provisional: bool  # the due date or today's count depends on an unknown year
    reason: str
    status: str  # overdue | due_soon | on_time | unknown (no due date recorded)
    working_days: int | None  # left (on time, due soon) or past (overdue)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, "无法计算期限")

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.number,
            "procurement": self.procurement,
            "supplier": self.supplier,
            "filed_on": self.filed_on,
            "filed_leaf": self.filed_leaf,
            "due": self.due,
            "provisional": self.provisional,
            "status": self.status,
            "working_days": self.working_days,
        }


def standing(
    calendar: WorkingCalendar, due: date | None, today: date
) -> tuple[str, int | None, bool]:
    """(status, working days left or past, whether the count is provisional)."""
    if due is None:
        return "unknown", None, False
    provisional = bool(calendar.unknown_years_between(today, due))
    if today > due:
        return "overdue", calendar.working_days_between(due, today), provisional
    left = calendar.working_days_between(today, due)
    return ("due_soon" if left <= DUE_SOON else "on_time"), left, provisional


def open_items(cur: Cursor, calendar: WorkingCalendar, today: date, size: int) -> list[Open]:
    """Every challenge and complaint open in the projection and filed below log ``size``,
    most urgent first."""
    items = []
    for kind, sql in _SQL.items():
        for row in cur.execute(sql, (size,)).fetchall():
            number, code, title, supplier, filed_on, due, provisional, reason, leaf = row
            due_day = date.fromisoformat(due) if due else None
            status, days, count_provisional = standing(calendar, due_day, today)
            items.append(
                Open(
                    kind=kind,
                    number=str(number),
                    procurement=str(code),
                    title=str(title or code),
                    supplier=str(supplier),
                    filed_on=str(filed_on),
                    filed_leaf=int(leaf),
                    due=due,
                    provisional=bool(provisional) or count_provisional,
                    reason=str(reason or ""),
                    status=status,
                    working_days=days,
                )
            )
    order = {"overdue": 0, "due_soon": 1, "on_time": 2, "unknown": 3}
    items.sort(key=lambda o: (order[o.status], o.due or "9999", o.number))
    return items
