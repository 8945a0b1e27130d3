"""The checkpoint a supervisory view was computed at 计算依据.

Every view states how much of the log it covers and the signed checkpoint that commits to
exactly those entries, and every export carries the same, so a figure can be recomputed
later from the log alone and checked against a checkpoint the log signed.

A view read from a projection covers the entries that projection has applied (its position
in ``projection_positions``); a view that replays leaves covers those it replayed. Signed
checkpoints exist at the end of every integration batch, so a projection that has caught up
sits on one. If it stopped between two (it applies leaves in batches of its own), the stamp
names the next signed checkpoint, which contains those entries, and says so.

Usage by a view: ``stamp = current_checkpoint(db, "my_projection")`` (or without a
projection for the latest), or, to read the rows and the position in one snapshot,
``with consistent_read(db) as cur: size = position_in(cur, "my_projection"); …`` then
``stamp_at(db, size)``; pass ``stamp=stamp`` to a template that includes
``supervision/_stamp.html``; put ``stamp.as_json()`` in a JSON export, ``stamp.headers()``
on any export response and ``stamp.comment_lines()`` atop a CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from ledger.domain.errors import LedgerError
from ledger.log.note import NoteError, parse_checkpoint
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from projections.web.formats import beijing_time

Database = SQLiteDatabase | PostgresDatabase


@dataclass(frozen=True)
class Stamp:
    """A view covers log entries ``0 … size-1``; ``checkpoint_size`` is the size of the
    signed checkpoint (``note``) that commits to them (equal to ``size`` when ``exact``)."""

    size: int
    checkpoint_size: int
    origin: str
    root: str  # standard base64, as in the note
    note: str  # the whole signed note, exactly as /log/checkpoint served it
    signed_at: str  # when the log signed it (as stored)

    @property
    def exact(self) -> bool:
        return self.size == self.checkpoint_size

    @property
    def signed_at_china(self) -> str:
        """When it was signed, in Beijing time and in Chinese (2026年11月25日 14:03)."""
        return beijing_time(str(self.signed_at))

    def as_json(self) -> dict[str, Any]:
        """What an export carries: enough to fetch the same entries and check them."""
        return {
            "log_size": self.size,
            "checkpoint": {
                "origin": self.origin,
                "size": self.checkpoint_size,
                "root": self.root,
                "signed_at": str(self.signed_at),
                "note": self.note,
            },
            "how_to_check": (
                f"recompute from log entries 0..{self.size - 1} (GET /log/entries) and check "
                f"them against this signed checkpoint (size {self.checkpoint_size}); keep the "
                "note and run `sunshine verify --checkpoint <file>` later"
            ),
        }

    def headers(self) -> dict[str, str]:
        """HTTP headers an export response carries (ASCII: the note itself goes in the body)."""
        return {
            "Sunshine-Log-Size": str(self.size),
            "Sunshine-Checkpoint-Size": str(self.checkpoint_size),
            "Sunshine-Checkpoint-Root": self.root,
            "Sunshine-Checkpoint-Origin": self.origin,
        }

    def comment_lines(self) -> list[str]:
        """Lines to put atop a CSV export (``#`` comments), the signed note included."""
        lines = [
            f"# 计算依据 computed at: log entries 0..{self.size - 1} (log size {self.size})",
            f"# 签名检查点 signed checkpoint: size {self.checkpoint_size}, root {self.root}, "
            f"origin {self.origin}, signed at {self.signed_at}",
            "# signed note:",
        ]
        return lines + [f"#   {line}" for line in self.note.rstrip("\n").split("\n")]


class NoCheckpoint(LedgerError):
    """The log has not signed a checkpoint covering what was asked for (yet)."""

    status = 503
    code = "no_checkpoint"


_COLUMNS: Final = "SELECT size, note, signed_at FROM log_checkpoints"


def _stamp(size: int, row: tuple[Any, ...] | None) -> Stamp | None:
    if row is None:
        return None
    note = str(row[1])
    try:
        body = parse_checkpoint(note[: note.rfind("\n\n") + 1])
    except NoteError:
        return None  # not a note this log wrote; `sunshine verify` names such damage
    root = note.split("\n")[2]
    return Stamp(size, int(row[0]), body.origin, root, note, str(row[2]))


def latest_checkpoint(db: Database) -> Stamp | None:
    """The latest signed checkpoint, covering the whole log it signed."""
    with db.read() as cur:
        row = cur.execute(f"{_COLUMNS} ORDER BY size DESC LIMIT 1").fetchone()
    return None if row is None else _stamp(int(row[0]), row)


def signed_checkpoint(db: Database, size: int) -> Stamp | None:
    """The checkpoint signed at exactly ``size``, if the log signed one there."""
    with db.read() as cur:
        row = cur.execute(f"{_COLUMNS} WHERE size = ?", (size,)).fetchone()
    return _stamp(size, row)


def stamp_at(db: Database, size: int) -> Stamp | None:
    """The stamp of a view over entries ``0 … size-1``: the checkpoint signed at that size,
    else the first signed after it; None if none is signed that far yet."""
    with db.read() as cur:
        row = cur.execute(
            f"{_COLUMNS} WHERE size >= ? ORDER BY size LIMIT 1",
            (size,),
        ).fetchone()
    return _stamp(size, row)


def projection_position(db: Database, projection: str) -> int:
    """How many leaves the projection has applied (0 before it started)."""
    with db.read() as cur:
        return position_in(cur, projection)


def position_in(cur: Cursor, projection: str) -> int:
    """As ``projection_position``, within the caller's read (see ``consistent_read``)."""
    row = cur.execute(
        "SELECT position FROM projection_positions WHERE name = ?", (projection,)
    ).fetchone()
    return 0 if row is None else int(row[0])


@contextmanager
def consistent_read(db: Database) -> Iterator[Cursor]:
    """A read that sees one snapshot throughout, so a projection's position and the rows
    read with it agree (SQLite's read transactions always do; PostgreSQL needs REPEATABLE
    READ, its default READ COMMITTED sees each statement's own moment)."""
    with db.read() as cur:
        if not db.url.is_sqlite:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cur


def current_checkpoint(db: Database, projection: str | None = None) -> Stamp:
    """The stamp of a view computed now: over what ``projection`` has applied, or over the
    whole signed log. Raises ``NoCheckpoint`` (503) before anything is signed or applied."""
    if projection is None:
        stamp = latest_checkpoint(db)
    else:
        position = projection_position(db, projection)
        stamp = stamp_at(db, position) if position > 0 else None
    if stamp is None:
        raise NoCheckpoint("no signed checkpoint covers this view yet; try again in a moment")
    return stamp
