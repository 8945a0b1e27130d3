"""The red flags a drafted command would raise (the workbench's preview), by the projection's
own handlers and the operator's thresholds: never a second copy of the rules.

The drafted entries are applied after the last leaf, in one transaction of the flags
projection (under its lock, so its worker waits) that is always rolled back: the flags they
raise or add to are read, and nothing stays. Leaves the projection has not applied yet are
applied first, in the same transaction, so the rules see what the ledger decided on; when it
lags by more than ``MAX_LAG`` leaves, the answer is None (not known now) rather than a wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from ledger.domain.schema.entry import parse_entry
from ledger.log.follower import Entry, consumer_lock
from ledger.log.reader import LogReader
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind
from projections.flags.projection import FlagsProjection

MAX_LAG: Final = 200  # leaves applied on the way; beyond, the preview does without flags


@dataclass(frozen=True)
class WouldRaise:
    """A red flag the drafted entries would raise, or add to."""

    kind: FlagKind
    summary: str


class _Undo(Exception):
    """Leaves the transaction, which rolls it back, with what it found."""

    def __init__(self, found: list[WouldRaise] | None):
        super().__init__("rolled back")
        self.found = found


def would_raise(
    db: SQLiteDatabase | PostgresDatabase, config: FlagConfig, drafted: Sequence[Entry]
) -> list[WouldRaise] | None:
    """The flags ``drafted`` (entries without their index yet) would raise, in order."""
    projection = FlagsProjection(config)
    try:
        with db.write(consumer_lock(projection.name)) as cur:
            raise _Undo(_applied(cur, projection, drafted))
    except _Undo as undone:
        return undone.found


def _applied(
    cur: Cursor, projection: FlagsProjection, drafted: Sequence[Entry]
) -> list[WouldRaise] | None:
    row = cur.execute(
        "SELECT position FROM projection_positions WHERE name = ?", (projection.name,)
    ).fetchone()
    if row is None:
        return None
    position = int(row[0])
    behind = LogReader.entries_in(cur, position, MAX_LAG + 1)
    if len(behind) > MAX_LAG:
        return None
    for offset, leaf in enumerate(behind):
        projection.apply(cur, position + offset, parse_entry(leaf), leaf)
    first = position + len(behind)
    for offset, entry in enumerate(drafted):
        index = first + offset
        projection.apply(cur, index, replace(entry, index=index), b"")
    rows = cur.execute(
        "SELECT f.kind, f.summary, MIN(e.leaf_index) FROM flag_flags f "
        "JOIN flag_evidence e ON e.flag_id = f.id WHERE e.leaf_index >= ? "
        "GROUP BY f.id, f.kind, f.summary ORDER BY MIN(e.leaf_index), f.kind",
        (first,),
    ).fetchall()
    return [WouldRaise(FlagKind(kind), str(summary)) for kind, summary, _ in rows]
