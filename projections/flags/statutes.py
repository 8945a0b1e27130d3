"""The statutes the flags' clocks count with: the log's own statute book, as the ledger had
it at each entry — never the calendar package installed where the projection runs.

The adoptions (``CalendarAdopted``, ``TimeLimitsAdopted``) are kept in two tables as they
arrive, so a projection resumed after a restart counts with the book it had; before any
adoption every year counts on weekends alone (provisional) and the table is the packaged one,
as the ledger's own (``ledger.domain.statute_book.statutes_of``). A calendar adopted later
moves the due date of each clock still running on a provisional deadline (``recount``): an
item due on a day the adopted year works is found overdue on that day, not on the guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

import orjson

from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.schema import entries as E
from ledger.domain.statute_book import calendar_of, limits_of
from ledger.store.sql import Cursor
from projections.flags.kinds import FlagKind
from projections.flags.store import dumps

TABLES: Final = ("flag_statute_years", "flag_statute_table")

CREATE: Final = [
    "CREATE TABLE IF NOT EXISTS flag_statute_years (year INTEGER PRIMARY KEY, "
    "version BIGINT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS flag_statute_table (version BIGINT PRIMARY KEY, "
    "data TEXT NOT NULL)",
]


class StatuteBook:
    """The book as of the last leaf applied, read back from its tables when unknown."""

    def __init__(self, unadopted: Mapping[str, TimeLimit]):
        self.unadopted = unadopted
        self._kept: Statutes | None = None

    def current(self, cur: Cursor) -> Statutes:
        if self._kept is None:
            self._kept = self._read(cur)
        return self._kept

    def forget(self) -> None:
        """An adoption was applied (or rolled back): read the tables again next time."""
        self._kept = None

    def _read(self, cur: Cursor) -> Statutes:
        years = {
            int(year): (E.AdoptedYear.model_validate_json(data), int(version))
            for year, version, data in cur.execute(
                "SELECT year, version, data FROM flag_statute_years"
            ).fetchall()
        }
        table = cur.execute(
            "SELECT version, data FROM flag_statute_table ORDER BY version DESC LIMIT 1"
        ).fetchone()
        limits = (
            self.unadopted
            if table is None
            else limits_of(E.TimeLimitsAdopted.model_validate_json(table[1]), int(table[0]))
        )
        return Statutes(calendar_of(MappingProxyType(years)), limits)

    def adopt(self, cur: Cursor, version: int, d: E.CalendarAdopted | E.TimeLimitsAdopted) -> None:
        """Record an adoption; a calendar's moves the clocks it settles."""
        self.forget()
        if isinstance(d, E.TimeLimitsAdopted):
            cur.execute(
                "INSERT INTO flag_statute_table (version, data) VALUES (?, ?)",
                (version, d.model_dump_json()),
            )
            return
        for year in d.years:
            cur.execute("DELETE FROM flag_statute_years WHERE year = ?", (year.year,))
            cur.execute(
                "INSERT INTO flag_statute_years (year, version, data) VALUES (?, ?, ?)",
                (year.year, version, year.model_dump_json()),
            )
        recount(cur, self.current(cur))
        self.forget()  # read again in the next leaf's transaction, never one rolled back


def recount(cur: Cursor, statutes: Statutes) -> None:
    """Move each clock still counting on a provisional deadline to the deadline ``statutes``
    give it from its start."""
    rows = cur.execute(
        "SELECT id, details FROM flag_pending WHERE kind = ?",
        (FlagKind.LATE_OR_MISSING_NOTICE.value,),
    ).fetchall()
    for fid, text in rows:
        details = orjson.loads(text)
        limit = statutes.limits.get(details.get("rule", ""))
        if not details.get("provisional") or "start" not in details or limit is None:
            continue
        due = statutes.calendar.deadline_for(limit, date.fromisoformat(details["start"]))
        details |= {"due": due.due.isoformat(), "provisional": due.provisional}
        cur.execute(
            "UPDATE flag_pending SET due = ?, overdue_on = ?, details = ? WHERE id = ?",
            (due.due.isoformat(), (due.due + timedelta(days=1)).isoformat(), dumps(details), fid),
        )
