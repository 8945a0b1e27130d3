"""One leaf being applied to the red flags (``Run``): its facts, its procurement, the writer.

Handlers (``handlers``) and the group rules (``groups``) take a ``Run``; it knows the
thresholds, the working calendar and the statutory limits, and nothing of the projection,
so the modules of this package import one another in one direction only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

import orjson

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.schema import entries as E
from ledger.store.sql import Cursor
from projections.flags import rules
from projections.flags.clocks import STARTS
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind
from projections.flags.store import Evidence, FlagWriter, dumps, flag_id
from projections.projection import Entry
from projections.web.formats import chinese_date

K = FlagKind
Row = dict[str, Any]


class Run:
    """One leaf being applied: its facts, the procurement it concerns, and the writer."""

    def __init__(
        self, config: FlagConfig, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit],
        cur: Cursor, index: int, entry: Entry,
    ) -> None:  # fmt: skip
        self.config = config
        self.calendar = calendar
        self.limits = limits
        self.cur = cur
        self.index = index
        self.entry = entry
        self.typed = entry.data
        day = getattr(entry.data, "date", None)
        self.on: str = "" if day is None else day.isoformat()
        self.w = FlagWriter(cur, config)
        self._row: Row | None = None

    # -- the procurement ------------------------------------------------------------------

    @property
    def code(self) -> str:
        code: str = getattr(self.typed, "procurement")  # noqa: B009 (asked of procurement entries only)
        return code

    def row(self) -> Row:
        if self._row is None:
            cur = self.cur.execute("SELECT * FROM flag_procurements WHERE code = ?", (self.code,))
            found = cur.fetchone()
            assert found is not None, f"{self.code}: an act before its plan"
            self._row = dict(zip(_COLUMNS, found, strict=True))
            self._row["bids"] = orjson.loads(self._row["bids"])
            self._row["results"] = orjson.loads(self._row["results"])
        return self._row

    def set(self, **values: Any) -> None:
        row = self.row()
        row.update(values)
        stored = {k: dumps(v) if k in ("bids", "results") else v for k, v in values.items()}
        assignments = ", ".join(f"{k} = ?" for k in stored)
        self.cur.execute(
            f"UPDATE flag_procurements SET {assignments} WHERE code = ?",  # noqa: S608
            (*stored.values(), self.code),
        )

    def name(self, code: str) -> str:
        """An organisation's name as registered, for a summary (its code if unknown)."""
        row = self.cur.execute("SELECT name FROM flag_organisations WHERE code = ?", (code,))
        found = row.fetchone()
        return code if found is None else str(found[0])

    def me(self, note: str) -> Evidence:
        return (self.index, note)

    def leaf(self, column: str, note: str) -> list[Evidence]:
        """Evidence from an earlier leaf of the procurement, if it was recorded."""
        value = self.row().get(column)
        return [] if value is None else [(int(value), note)]

    def flag(
        self, kind: FlagKind, summary: str, details: dict[str, Any], evidence: list[Evidence],
        subject: str | None = None, keep_summary: bool = False,
    ) -> str:  # fmt: skip
        row = self.row()
        return self.w.raise_flag(
            kind, subject or self.code, procurement=self.code, purchaser=row["purchaser"],
            leaf=self.index, on=self.on, summary=summary, details=details, evidence=evidence,
            keep_summary=keep_summary,
        )  # fmt: skip

    # -- findings the ledger attached ------------------------------------------------------

    def findings(self) -> None:
        d = self.typed
        for finding in getattr(d, "findings", ()):
            rule = finding.rule
            kind = rules.finding_kind(rule)
            subject = finding_subject(d, self.code, rule)
            text = finding.description_zh
            evidence = [self.me(text), *self.start_of(rule)]
            said = finding.model_dump(mode="json")
            detail = {k: said[k] for k in ("rule", "citation", "deadline", "actual")}
            detail |= {"description_zh": text, "leaf": self.index}
            if finding.deadline and finding.actual:
                due, actual = chinese_date(said["deadline"]), chinese_date(said["actual"])
                text += f"（期限{due}，实际{actual}）"
            # A flag the leaf's own data raised already keeps its summary, which says more.
            self.flag(kind, text, {"findings": [detail]}, evidence, subject, keep_summary=True)

    def start_of(self, rule: str) -> list[Evidence]:
        """The leaf a broken time limit was counted from, where the projection knows it."""
        d = self.typed
        if isinstance(d, E.DeliveryData):
            return [(d.notice, "送达的公告")]
        stream = {
            "challenge_answered": getattr(d, "number", None),
            "complaint_decided": getattr(d, "number", None),
            "works_objection_answered": getattr(d, "number", None),
            "works_complaint_screened": getattr(d, "number", None),
            "complaint_filed_after_answer_period": getattr(d, "challenge", None),
        }.get(rule)
        if stream is not None:
            # A complaint is counted from the end of the challenge's answer period, which
            # the challenge's filing fixes, however early the answer came (94号令 第十七条).
            found = self.cur.execute(
                "SELECT filed_leaf FROM flag_streams WHERE number = ?", (stream,)
            ).fetchone()
            return [] if found is None else [(int(found[0]), "期限起算的账本条目")]
        column = STARTS.get(rule)
        return [] if column is None else self.leaf(column, "期限起算的账本条目")

    # -- clocks ------------------------------------------------------------------------------

    def clock(self, rule: str, summary: str, evidence: list[Evidence]) -> None:
        limit = self.limits.get(rule)
        if limit is None:
            return
        due = self.calendar.deadline_for(limit, date.fromisoformat(self.on))
        row = self.row()
        self.w.start_clock(
            K.LATE_OR_MISSING_NOTICE, f"{self.code}:{rule}", procurement=self.code,
            purchaser=row["purchaser"], leaf=self.index, due=due.due, summary=summary,
            details={"rule": rule, "citation": limit.citation,
                     "description_zh": limit.description_zh, "provisional": due.provisional,
                     "start": self.on},
            evidence=evidence,
        )  # fmt: skip

    def stop(self, rule: str) -> None:
        self.w.stop_clock(flag_id(K.LATE_OR_MISSING_NOTICE, f"{self.code}:{rule}"))


_COLUMNS: Final = (
    "code", "purchaser", "title", "category", "method", "budget_fen", "plan_leaf", "plan_date",
    "plan_status", "plan_period", "split_group", "method_leaf", "intention_leaf", "tender_leaf",
    "tender_date", "deadline", "deadline_leaf", "bids", "opened_leaf", "results", "eval_leaf",
    "award_leaf", "award_date", "award_period", "winner", "award_fen", "result_leaf",
    "contract_leaf", "ceiling_fen", "ceiling_leaf", "sections", "stem", "failed_leaf",
    "failed_date", "opened_date", "contract_fen",
)  # fmt: skip


def finding_subject(d: object, code: str, rule: str) -> str:
    """What the flag of a finding of ``rule`` recorded by ``d`` (an entry's data, of
    procurement ``code``) is about: its procurement, stream or notice."""
    kind = rules.finding_kind(rule)
    number: str | None = getattr(d, "number", None)
    if kind in (K.CHALLENGE_UNANSWERED_IN_TIME, K.COMPLAINT_OVERDUE) and number:
        return number
    if kind is not K.LATE_OR_MISSING_NOTICE:
        return code
    if isinstance(d, E.DeliveryData):
        return f"{code}:{rule}:{d.notice}:{d.destination}"
    return f"{number}:{rule}" if number else f"{code}:{rule}"
