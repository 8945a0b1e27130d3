"""The red-flags projection 预警: flags raised as leaves arrive, never by rescanning the log.

Each leaf updates what the rules know of its procurement (``flag_procurements``) and runs
the rules that leaf can change: a plan can complete a split purchase or tip a purchaser's
single-source share; opened bids can be identical; an award can come on a single bid, close
to the budget, or make one supplier a purchaser's repeated winner; every finding the ledger
attached becomes the flag it belongs to. Items on a statutory clock (a challenge to answer, a
result or contract to announce) are kept with their due date and become flags once overdue
(``flag_queries`` asks with today's date). Per event: ``flag_handlers``; tables and writes:
``flag_store``; the rules: ``flag_rules`` and ``flag_groups``; thresholds: ``flags.toml``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import orjson

from ledger.domain.calendars import build_calendar, load_time_limits
from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.context import Statutes
from ledger.store.sql import Cursor
from projections import flag_rules as rules
from projections.flag_config import FlagConfig, FlagKind, load_flag_config
from projections.flag_handlers import CLOCKS, HANDLERS, STARTS
from projections.flag_store import CREATE, TABLES, Evidence, FlagWriter, dumps, flag_id
from projections.projection import Entry

K = FlagKind
BASE_VERSION: Final = 1
Row = dict[str, Any]


class FlagsProjection:
    """Red flags with their evidence, computed incrementally from the log."""

    name = "flags"

    def __init__(self, statutes: Statutes | None = None, config: FlagConfig | None = None):
        self.config = config or load_flag_config()
        self.calendar: WorkingCalendar = statutes.calendar if statutes else build_calendar()
        self.limits: dict[str, TimeLimit] = dict(
            statutes.limits if statutes else load_time_limits()
        )
        # Other thresholds or clocks give other flags: the version carries a fingerprint of
        # them, so a changed configuration rebuilds the projection on the next start.
        clocks = {rule: repr(self.limits.get(rule)) for rule in CLOCKS}
        basis = f"{self.config.fingerprint()}|{dumps(clocks)}|{self.calendar!r}"
        self.version = BASE_VERSION * 1_000_000 + zlib.crc32(basis.encode()) % 1_000_000

    def create(self, sqlite: bool) -> Sequence[str]:
        return CREATE

    def drop(self) -> Sequence[str]:
        return [f"DROP TABLE IF EXISTS {t}" for t in TABLES]

    def tables(self) -> Sequence[str]:
        return TABLES

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        handler = HANDLERS.get(entry["type"])
        if handler is None:
            return
        run = Run(self, cur, index, entry)
        handler(run)
        run.findings()


class Run:
    """One leaf being applied: its facts, the procurement it concerns, and the writer."""

    def __init__(self, projection: FlagsProjection, cur: Cursor, index: int, entry: Entry):
        self.p = projection
        self.config = projection.config
        self.cur = cur
        self.index = index
        self.entry = entry
        self.type: str = entry["type"]
        self.data: dict[str, Any] = entry["data"]
        self.on: str = self.data.get("date", "")
        self.w = FlagWriter(cur, projection.config)
        self._row: Row | None = None

    # -- the procurement ------------------------------------------------------------------

    @property
    def code(self) -> str:
        code: str = self.data["procurement"]
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
        for finding in self.data.get("findings") or ():
            rule = finding["rule"]
            kind = rules.finding_kind(rule)
            number = self.data.get("number")
            if kind in (K.CHALLENGE_UNANSWERED_IN_TIME, K.COMPLAINT_OVERDUE) and number:
                subject = number
            elif kind is not K.LATE_OR_MISSING_NOTICE:
                subject = self.code
            elif "destination" in self.data:
                subject = f"{self.code}:{rule}:{self.data['notice']}:{self.data['destination']}"
            else:
                subject = f"{number}:{rule}" if number else f"{self.code}:{rule}"
            text = finding["description_zh"]
            evidence = [self.me(text), *self.start_of(rule)]
            detail = {k: finding.get(k) for k in ("rule", "citation", "deadline", "actual")}
            detail |= {"description_zh": text, "leaf": self.index}
            if finding.get("deadline") and finding.get("actual"):
                text += f"（期限{finding['deadline']}，实际{finding['actual']}）"
            # A flag the leaf's own data raised already keeps its summary, which says more.
            self.flag(kind, text, {"findings": [detail]}, evidence, subject, keep_summary=True)

    def start_of(self, rule: str) -> list[Evidence]:
        """The leaf a broken time limit was counted from, where the projection knows it."""
        d = self.data
        if "destination" in d:
            return [(int(d["notice"]), "送达的公告")]
        stream = {
            "challenge_answered": d.get("number"),
            "complaint_decided": d.get("number"),
            "complaint_filed_after_answer_period": d.get("challenge"),
        }.get(rule)
        if stream is not None:
            found = self.cur.execute(
                "SELECT filed_leaf, closed_leaf FROM flag_streams WHERE number = ?", (stream,)
            ).fetchone()
            if found is None:
                return []
            answered = rule == "complaint_filed_after_answer_period" and found[1] is not None
            return [(int(found[1] if answered else found[0]), "期限起算的账本条目")]
        column = STARTS.get(rule)
        return [] if column is None else self.leaf(column, "期限起算的账本条目")

    # -- clocks ------------------------------------------------------------------------------

    def clock(self, rule: str, summary: str, evidence: list[Evidence]) -> None:
        limit = self.p.limits.get(rule)
        if limit is None:
            return
        due = self.p.calendar.deadline_for(limit, date.fromisoformat(self.on))
        row = self.row()
        self.w.start_clock(
            K.LATE_OR_MISSING_NOTICE, f"{self.code}:{rule}", procurement=self.code,
            purchaser=row["purchaser"], leaf=self.index, due=due.due, summary=summary,
            details={"rule": rule, "citation": limit.citation,
                     "description_zh": limit.description_zh, "provisional": due.provisional},
            evidence=evidence,
        )  # fmt: skip

    def stop(self, rule: str) -> None:
        self.w.stop_clock(flag_id(K.LATE_OR_MISSING_NOTICE, f"{self.code}:{rule}"))


_COLUMNS: Final = (
    "code", "purchaser", "title", "category", "method", "budget_fen", "plan_leaf", "plan_date",
    "plan_status", "plan_period", "split_group", "method_leaf", "intention_leaf", "tender_leaf",
    "tender_date", "deadline", "deadline_leaf", "bids", "opened_leaf", "results", "eval_leaf",
    "award_leaf", "award_date", "award_period", "winner", "award_fen", "result_leaf",
    "contract_leaf",
)  # fmt: skip
