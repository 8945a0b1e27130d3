"""The checkpoint readers are given: signed by the log, with the witnesses' cosignatures.

``/log/checkpoint`` serves the newest checkpoint that carries at least one cosignature (the
latest one as long as none does), with the cosignature lines after the log's own signature
line, so note verifiers that know only the log's key read it as before (C2SP signed-note:
lines of unknown keys are ignored). It never goes backwards; when witnesses are slow or
down it lags the latest checkpoint, and says by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase


@dataclass(frozen=True)
class CosignedCheckpoint:
    note: str  # the log's note with the cosignature lines appended
    size: int
    latest_size: int  # of the latest signed checkpoint
    cosignatures: int

    @property
    def lag(self) -> int:
        return self.latest_size - self.size

    def headers(self) -> dict[str, str]:
        return {
            "Sunshine-Log-Size": str(self.latest_size),
            "Sunshine-Cosigned-Lag": str(self.lag),
            "Sunshine-Cosignatures": str(self.cosignatures),
        }


def _lines(cur: Cursor, size: int) -> list[str]:
    rows = cur.execute(
        "SELECT line FROM log_cosignatures WHERE size = ? ORDER BY witness", (size,)
    ).fetchall()
    return [str(r[0]) for r in rows]


def cosigned_checkpoint(db: SQLiteDatabase | PostgresDatabase) -> CosignedCheckpoint | None:
    """The checkpoint to serve, or None when the log has signed none."""
    with db.read() as cur:
        latest = cur.execute(
            "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        if latest is None:
            return None
        row = cur.execute("SELECT MAX(size) FROM log_cosignatures").fetchone()
        size, note = int(latest[0]), str(latest[1])
        if row is not None and row[0] is not None and int(row[0]) != size:
            found = cur.execute(
                "SELECT size, note FROM log_checkpoints WHERE size = ?", (int(row[0]),)
            ).fetchone()
            if found is not None:
                size, note = int(found[0]), str(found[1])
        lines = _lines(cur, size)
    return CosignedCheckpoint(
        note + "".join(f"{line}\n" for line in lines), size, int(latest[0]), len(lines)
    )


def with_cosignatures(db: SQLiteDatabase | PostgresDatabase, size: int, note: str) -> str:
    """``note`` (the log's checkpoint of ``size``) with the cosignatures collected for it."""
    with db.read() as cur:
        lines = _lines(cur, size)
    return note + "".join(f"{line}\n" for line in lines)
