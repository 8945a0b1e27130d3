"""The red-flags projection's tables and the few ways it writes them.

* ``flag_flags``: a flag raised by events (its id is ``<kind>:<subject>``, so a rebuild gives
  the same ids), with the leaf that raised it, its severity, a summary and details (JSON).
* ``flag_pending``: items on a statutory clock (a challenge to answer, a result to
  announce…) with their due date. They are flags only once overdue, which depends on today,
  not on events: the queries read them with the day they are asked (``queries``). An
  item closed late becomes a raised flag with the same id; closed in time, it is gone.
* ``flag_evidence``: the leaves each flag (or pending item) rests on, with a note.
* ``flag_procurements``: what the rules need to know of each procurement so far; the window
  flags (splitting, repeated winners, single-source share) read their group from it through
  an index, so one event touches one group, never the whole log.
* ``flag_counts``: running totals of the window flags (a group's pieces and sum, a
  purchaser's plans and single-source plans, its awards and each supplier's wins);
* ``flag_streams``: challenges and complaints (number → procurement, filed leaf);
  ``flag_organisations``: names for the pages, addresses and telephones for the bidders of
  an opening.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Final

import orjson

from ledger.store.sql import Cursor
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind

TABLES: Final = (
    "flag_flags",
    "flag_pending",
    "flag_evidence",
    "flag_procurements",
    "flag_streams",
    "flag_seats",
    "flag_frameworks",
    "flag_organisations",
    "flag_debarments",
    "flag_prequalified",
    "flag_counts",
)

CREATE: Final = [
    # who each 资格预审 found qualified (prequalified.py)
    "CREATE TABLE IF NOT EXISTS flag_prequalified (procurement TEXT PRIMARY KEY, "
    "leaf_index BIGINT NOT NULL, qualified TEXT NOT NULL)",
    # 禁止参加政府采购活动 periods the registry recorded (debarment.py)
    "CREATE TABLE IF NOT EXISTS flag_debarments (leaf_index BIGINT PRIMARY KEY, "
    "code TEXT NOT NULL, since TEXT NOT NULL, until TEXT NOT NULL, "
    "document_number TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS flag_flags (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "subject TEXT NOT NULL, procurement TEXT, purchaser TEXT, raised_leaf BIGINT NOT NULL, "
    "raised_on TEXT NOT NULL, severity TEXT NOT NULL, summary TEXT NOT NULL, "
    "details TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS flag_flags_by_leaf ON flag_flags (raised_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_flags_by_kind ON flag_flags (kind, raised_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_flags_by_purchaser ON flag_flags (purchaser, raised_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_flags_by_day ON flag_flags (raised_on, raised_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_flags_by_procurement ON flag_flags (procurement)",
    "CREATE TABLE IF NOT EXISTS flag_pending (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "subject TEXT NOT NULL, procurement TEXT, purchaser TEXT, start_leaf BIGINT NOT NULL, "
    "due TEXT NOT NULL, overdue_on TEXT NOT NULL, severity TEXT NOT NULL, "
    "summary TEXT NOT NULL, details TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS flag_pending_by_day ON flag_pending (overdue_on)",
    "CREATE INDEX IF NOT EXISTS flag_pending_by_procurement ON flag_pending (procurement)",
    "CREATE TABLE IF NOT EXISTS flag_evidence (flag_id TEXT NOT NULL, leaf_index BIGINT NOT NULL, "
    "note TEXT NOT NULL, PRIMARY KEY (flag_id, leaf_index))",
    "CREATE TABLE IF NOT EXISTS flag_procurements (code TEXT PRIMARY KEY, "
    "purchaser TEXT NOT NULL, title TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, budget_fen BIGINT NOT NULL, plan_leaf BIGINT NOT NULL, "
    "plan_date TEXT NOT NULL, plan_status TEXT NOT NULL, plan_period TEXT NOT NULL, "
    "split_group TEXT, method_leaf BIGINT, intention_leaf BIGINT, tender_leaf BIGINT, "
    "tender_date TEXT, deadline TEXT, deadline_leaf BIGINT, bids TEXT NOT NULL, "
    "opened_leaf BIGINT, results TEXT NOT NULL, eval_leaf BIGINT, award_leaf BIGINT, "
    "award_date TEXT, award_period TEXT, winner TEXT, award_fen BIGINT, result_leaf BIGINT, "
    "contract_leaf BIGINT, ceiling_fen BIGINT, ceiling_leaf BIGINT, sections TEXT, "
    "stem TEXT, failed_leaf BIGINT, failed_date TEXT, opened_date TEXT, "
    "contract_fen BIGINT)",
    "CREATE INDEX IF NOT EXISTS flag_procurements_by_winner ON flag_procurements (winner)",
    "CREATE INDEX IF NOT EXISTS flag_procurements_by_stem ON flag_procurements (purchaser, stem)",
    "CREATE INDEX IF NOT EXISTS flag_procurements_by_group "
    "ON flag_procurements (split_group, plan_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_procurements_by_plan_period "
    "ON flag_procurements (purchaser, plan_period, plan_leaf)",
    "CREATE INDEX IF NOT EXISTS flag_procurements_by_award_period "
    "ON flag_procurements (purchaser, award_period, winner)",
    "CREATE TABLE IF NOT EXISTS flag_streams (number TEXT PRIMARY KEY, "
    "procurement TEXT NOT NULL, filed_leaf BIGINT NOT NULL, closed_leaf BIGINT)",
    # Each organisation as the registry knows it now (the leaf being applied): its name for
    # the pages, its address and telephone (with the leaves that set them) for shared_contact.
    "CREATE TABLE IF NOT EXISTS flag_organisations (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, address TEXT, address_leaf BIGINT, telephone TEXT, "
    "telephone_leaf BIGINT)",
    # Running totals of the window flags: plans|<purchaser>|<period>, wins|…|<supplier> …
    "CREATE TABLE IF NOT EXISTS flag_counts (key TEXT PRIMARY KEY, n BIGINT NOT NULL)",
    # Each expert's seat on a committee the result notice disclosed, with the supplier the
    # committee's procurement awarded: the same expert recurring with the same winner.
    "CREATE TABLE IF NOT EXISTS flag_seats (expert TEXT NOT NULL, winner TEXT NOT NULL, "
    "period TEXT NOT NULL, procurement TEXT NOT NULL, name TEXT NOT NULL, "
    "leaf BIGINT NOT NULL, PRIMARY KEY (expert, winner, period, procurement))",
    # The items each framework agreement covers, with its region and term (outside_framework).
    "CREATE TABLE IF NOT EXISTS flag_frameworks (catalogue TEXT NOT NULL, region TEXT NOT NULL, "
    "procurement TEXT NOT NULL, item TEXT NOT NULL, signed TEXT NOT NULL, "
    "term_ends TEXT NOT NULL, leaf BIGINT NOT NULL, "
    "PRIMARY KEY (catalogue, region, procurement, item))",
]

#: (leaf index, note): one piece of evidence; the page reads the leaf itself for the rest.
Evidence = tuple[int, str]


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def flag_id(kind: FlagKind, subject: str) -> str:
    return f"{kind.value}:{subject}"


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New details over old; lists (findings, matches) accumulate without repeats."""
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, list) and isinstance(old.get(key), list):
            merged[key] = old[key] + [v for v in value if v not in old[key]]
        else:
            merged[key] = value
    return merged


def add_count(cur: Cursor, key: str, by: int) -> int:
    """Add ``by`` to a running total; its new value."""
    cur.execute(
        "INSERT INTO flag_counts (key, n) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET n = flag_counts.n + excluded.n",
        (key, by),
    )
    row = cur.execute("SELECT n FROM flag_counts WHERE key = ?", (key,)).fetchone()
    return 0 if row is None else int(row[0])


def count(cur: Cursor, key: str) -> int:
    row = cur.execute("SELECT n FROM flag_counts WHERE key = ?", (key,)).fetchone()
    return 0 if row is None else int(row[0])


class FlagWriter:
    """Raises, updates and withdraws flags and pending items inside the follower's
    transaction."""

    def __init__(self, cur: Cursor, config: FlagConfig):
        self.cur = cur
        self.config = config

    def exists(self, fid: str) -> bool:
        found = self.cur.execute("SELECT 1 FROM flag_flags WHERE id = ?", (fid,)).fetchone()
        return found is not None

    def raise_flag(
        self,
        kind: FlagKind,
        subject: str,
        *,
        procurement: str | None,
        purchaser: str | None,
        leaf: int,
        on: str,
        summary: str,
        details: dict[str, Any],
        evidence: Iterable[Evidence],
        keep_summary: bool = False,
    ) -> str:
        """Raise the flag, or add to it if it stands already: new details over the old
        (lists accumulate), more evidence, and the new summary unless ``keep_summary``."""
        fid = flag_id(kind, subject)
        row = self.cur.execute("SELECT details FROM flag_flags WHERE id = ?", (fid,)).fetchone()
        if row is None:
            self.cur.execute(
                "INSERT INTO flag_flags (id, kind, subject, procurement, purchaser, raised_leaf, "
                "raised_on, severity, summary, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (fid, kind.value, subject, procurement, purchaser, leaf, on,
                 self.config.severity(kind), summary, dumps(details)),
            )  # fmt: skip
            # An item on a clock closed late: the pending row becomes this flag; its
            # evidence (the leaf that started the clock) stays under the same id.
            self.cur.execute("DELETE FROM flag_pending WHERE id = ?", (fid,))
        else:
            merged = _merge(orjson.loads(row[0]), details)
            self.cur.execute(
                "UPDATE flag_flags SET details = ? WHERE id = ?", (dumps(merged), fid)
            )
            if not keep_summary:
                self.cur.execute("UPDATE flag_flags SET summary = ? WHERE id = ?", (summary, fid))
        self.add_evidence(fid, evidence)
        return fid

    def add_evidence(self, fid: str, evidence: Iterable[Evidence]) -> None:
        first: dict[int, str] = {}
        for leaf, note in evidence:
            first.setdefault(leaf, note)  # one note per leaf: the first given
        for leaf, note in sorted(first.items()):
            self.cur.execute(
                "INSERT INTO flag_evidence (flag_id, leaf_index, note) VALUES (?, ?, ?) "
                "ON CONFLICT (flag_id, leaf_index) DO NOTHING",
                (fid, leaf, note),
            )

    def add_to_existing(self, fid: str, evidence: Sequence[Evidence]) -> None:
        """More evidence for a flag or pending item, if there is one."""
        if self.exists(fid) or self.pending(fid):
            self.add_evidence(fid, evidence)

    def remove_evidence(self, fid: str, leaf: int) -> None:
        self.cur.execute(
            "DELETE FROM flag_evidence WHERE flag_id = ? AND leaf_index = ?", (fid, leaf)
        )

    def withdraw(self, kind: FlagKind, subject: str) -> None:
        """The flag no longer holds (a group shrank): it and its evidence go."""
        fid = flag_id(kind, subject)
        if self.exists(fid):
            self.cur.execute("DELETE FROM flag_flags WHERE id = ?", (fid,))
            self.cur.execute("DELETE FROM flag_evidence WHERE flag_id = ?", (fid,))

    # -- items on a clock -------------------------------------------------------------------

    def pending(self, fid: str) -> bool:
        return (
            self.cur.execute("SELECT 1 FROM flag_pending WHERE id = ?", (fid,)).fetchone()
            is not None
        )

    def start_clock(
        self,
        kind: FlagKind,
        subject: str,
        *,
        procurement: str | None,
        purchaser: str | None,
        leaf: int,
        due: date,
        summary: str,
        details: dict[str, Any],
        evidence: Iterable[Evidence],
    ) -> None:
        fid = flag_id(kind, subject)
        if self.exists(fid) or self.pending(fid):
            return
        overdue_on = due + timedelta(days=1)
        self.cur.execute(
            "INSERT INTO flag_pending (id, kind, subject, procurement, purchaser, start_leaf, "
            "due, overdue_on, severity, summary, details) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (fid, kind.value, subject, procurement, purchaser, leaf, due.isoformat(),
             overdue_on.isoformat(), self.config.severity(kind), summary,
             dumps(details | {"due": due.isoformat()})),
        )  # fmt: skip
        self.add_evidence(fid, evidence)

    def stop_clock(self, fid: str) -> None:
        """The item was done in time (or made moot): nothing is left of it."""
        if self.pending(fid):
            self.cur.execute("DELETE FROM flag_pending WHERE id = ?", (fid,))
            if not self.exists(fid):
                self.cur.execute("DELETE FROM flag_evidence WHERE flag_id = ?", (fid,))
