"""The red flags a drafted command would raise (the workbench's preview), by the projection's
own handlers and the operator's thresholds: never a second copy of the rules.

The drafted entries are laid over the flags projection in a transaction that is always
rolled back (``projections.drafted``): the flags they raise or add to are read, and nothing
stays; None when the projection lags too far to know now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.log.follower import Entry
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from projections.drafted import read_over_drafted
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind
from projections.flags.projection import FlagsProjection


@dataclass(frozen=True)
class WouldRaise:
    """A red flag the drafted entries would raise, or add to."""

    kind: FlagKind
    summary: str


def would_raise(
    db: SQLiteDatabase | PostgresDatabase, config: FlagConfig, drafted: Sequence[Entry]
) -> list[WouldRaise] | None:
    """The flags ``drafted`` (entries without their index yet) would raise, in order."""
    return read_over_drafted(db, FlagsProjection(config), drafted, _raised)


def _raised(cur: Cursor, first: int) -> list[WouldRaise]:
    rows = cur.execute(
        "SELECT f.kind, f.summary, MIN(e.leaf_index) FROM flag_flags f "
        "JOIN flag_evidence e ON e.flag_id = f.id WHERE e.leaf_index >= ? "
        "GROUP BY f.id, f.kind, f.summary ORDER BY MIN(e.leaf_index), f.kind",
        (first,),
    ).fetchall()
    return [WouldRaise(FlagKind(kind), str(summary)) for kind, summary, _ in rows]
