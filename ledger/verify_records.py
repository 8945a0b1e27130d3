"""The procurements the lifecycle replay keeps: open ones as records, closed ones packed.

A closed procurement (archived, failed, terminated) takes few more entries, yet a late one
(a challenge, a complaint, a sealed read, a finding after the close) may still refer to it
and must be judged against the very record an open one would be. So a closed record is kept
whole, pickled and compressed (a quarter of the room its objects take), and unpacked again
only when an entry asks for it. Memory then grows with the open records and a packed
copy of each closed one.
"""

from __future__ import annotations

import pickle
import zlib

from ledger.domain.record import ProcurementRecord


def _pack(record: ProcurementRecord) -> bytes:
    return zlib.compress(pickle.dumps(record, pickle.HIGHEST_PROTOCOL))


def _unpack(packed: bytes) -> ProcurementRecord:
    # Only bytes _pack made in this process are unpacked: nothing from the log or outside.
    record = pickle.loads(zlib.decompress(packed))  # noqa: S301
    assert isinstance(record, ProcurementRecord)
    return record


class Procurements:
    """Each procurement's record by its code, as the entries so far folded it."""

    def __init__(self) -> None:
        self._open: dict[str, ProcurementRecord] = {}
        self._closed: dict[str, bytes] = {}

    def get(self, code: str) -> ProcurementRecord | None:
        record = self._open.get(code)
        if record is None:
            packed = self._closed.get(code)
            return None if packed is None else _unpack(packed)
        return record

    def __getitem__(self, code: str) -> ProcurementRecord:
        record = self.get(code)
        if record is None:
            raise KeyError(code)
        return record

    def __setitem__(self, code: str, record: ProcurementRecord) -> None:
        if record.state.closed is None:
            self._open[code] = record
            self._closed.pop(code, None)
        else:
            self._closed[code] = _pack(record)
            self._open.pop(code, None)

    def __contains__(self, code: object) -> bool:
        return code in self._open or code in self._closed

    def __len__(self) -> int:
        return len(self._open) + len(self._closed)

    @property
    def closed(self) -> int:
        """How many are kept packed."""
        return len(self._closed)
