"""A drafted command's entries laid over a projection, in a transaction always rolled back.

The workbench's preview asks what a command would do before it is signed: the red flags it
would raise, the notice page it would publish. The answer comes from the projection's own
handlers, never a second copy of them: in one transaction of that projection (under its
lock, so its worker waits), the leaves it has not applied yet are applied first, so it sees
what the ledger decided on; then the drafted entries at the indices they would take; then
``read`` reads what they made; and the transaction is rolled back, so nothing stays. When
the projection lags by more than ``MAX_LAG`` leaves the answer is None (not known now)
rather than a wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final, Generic, TypeVar

from ledger.domain.schema.entry import parse_entry
from ledger.log.follower import Entry, consumer_lock
from ledger.log.reader import LogReader
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from projections.projection import Projection

MAX_LAG: Final = 200  # leaves applied on the way; beyond, the preview does without

T = TypeVar("T")


class _Undo(Exception, Generic[T]):
    """Leaves the transaction, which rolls it back, with what was read."""

    def __init__(self, found: T | None):
        super().__init__("rolled back")
        self.found = found


def read_over_drafted(
    db: SQLiteDatabase | PostgresDatabase,
    projection: Projection,
    drafted: Sequence[Entry],
    read: Callable[[Cursor, int], T],
) -> T | None:
    """What ``read(cur, first)`` finds once ``drafted`` (entries without their index yet)
    are applied from index ``first`` on; None when the projection lags too far."""
    try:
        with db.write(consumer_lock(projection.name)) as cur:
            first = _laid(cur, projection, drafted)
            raise _Undo(None if first is None else read(cur, first))
    except _Undo as undone:
        found: T | None = undone.found
        return found


def _laid(cur: Cursor, projection: Projection, drafted: Sequence[Entry]) -> int | None:
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
        projection.apply(cur, first + offset, replace(entry, index=first + offset), b"")
    projection.flush(cur)
    return first
