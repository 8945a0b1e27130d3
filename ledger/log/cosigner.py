"""Collecting cosignatures: every new checkpoint goes to every witness, in the background.

A step reads the latest signed checkpoint and sends it to each witness that has not
cosigned it (all at once, so the round trip is the slowest witness's, not the sum), with a
consistency proof from the size that witness last cosigned. A 409 tells the size the witness
knows: the step tries once more from there. Each cosignature is checked against the
witness's key before it is stored (``log_cosignatures``, append-only). A witness that is
down or refuses is retried later with growing pauses; commands never wait for any of this.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from ledger.canonical import b64encode
from ledger.log.cosignature import note_parts, signature_lines
from ledger.log.note import NoteError
from ledger.log.reader import LogReader
from ledger.log.witness_config import WitnessEndpoint
from ledger.store.sql import PostgresDatabase, SQLiteDatabase

logger = logging.getLogger("sunshine.cosigner")

#: Longest pause before trying a failing witness again.
MAX_BACKOFF_SECONDS = 30.0
MAX_RESPONSE_BYTES = 8 * 1024


@dataclass
class _Track:
    """What the log knows of one witness: the size it cosigned last, and its failures."""

    endpoint: WitnessEndpoint
    size: int | None = None  # None: not asked yet (the stored cosignatures say)
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class WitnessRefused(Exception):
    pass


class Cosigner:
    def __init__(
        self,
        db: SQLiteDatabase | PostgresDatabase,
        reader: LogReader,
        endpoints: tuple[WitnessEndpoint, ...],
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.db = db
        self.reader = reader
        self.tracks = [_Track(e) for e in endpoints]
        self.clock = clock
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=2.0))
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, len(endpoints)), thread_name_prefix="cosign"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def step(self) -> bool:
        """Send the latest checkpoint to every witness due; True if a cosignature came."""
        latest = self._latest()
        if latest is None:
            return False
        size, note = latest
        now = self.clock()
        due = [t for t in self.tracks if (t.size is None or t.size < size) and t.retry_at <= now]
        if not due:
            return False
        results = list(self._pool.map(lambda t: self._submit(t, size, note), due))
        lines = [line for line in results if line is not None]
        if lines:
            self._store(size, lines)
        return bool(lines)

    def _latest(self) -> tuple[int, str] | None:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def _submit(self, track: _Track, size: int, note: str) -> tuple[str, str, int] | None:
        with track.lock:
            try:
                if track.size is None:
                    track.size = self._stored_size(track.endpoint)
                for _ in range(2):  # once more after a 409 tells the witness's size
                    answer = self._post(track, size, note)
                    if answer is not None:
                        track.size, track.failures, track.last_error = size, 0, ""
                        return answer
                raise WitnessRefused("the witness keeps answering 409")
            except (httpx.HTTPError, WitnessRefused, NoteError) as exc:
                track.failures += 1
                track.last_error = str(exc)
                pause = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(track.failures, 8))
                track.retry_at = self.clock() + pause
                logger.warning(
                    "witness %s did not cosign size %d (%s); next try in %.1fs",
                    track.endpoint.name, size, exc, pause,
                )
                return None

    def _post(self, track: _Track, size: int, note: str) -> tuple[str, str, int] | None:
        old = track.size or 0
        if old > size:
            raise WitnessRefused(
                f"the witness has cosigned size {old}, beyond the log's {size}: "
                "it has seen another history"
            )
        proof = self.reader.consistency(old, size) if 0 < old < size else []
        body = "".join(
            [f"old {old}\n", *(f"{b64encode(p)}\n" for p in proof), "\n", note]
        ).encode("utf-8")
        endpoint = track.endpoint
        response = self._http.post(
            f"{endpoint.url}/add-checkpoint",
            content=body,
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        text = response.text[:MAX_RESPONSE_BYTES]
        if response.status_code == 409:
            known = text.strip()
            if not known.isdigit():
                raise WitnessRefused(f"409 without a size: {text[:200]!r}")
            if int(known) == old:
                raise WitnessRefused(f"409 at the same size {old}: a fork? {text[:200]!r}")
            track.size = int(known)
            return None
        if response.status_code != 200:
            raise WitnessRefused(f"{response.status_code}: {text[:200]!r}")
        return self._cosignature(endpoint, note, text)

    @staticmethod
    def _cosignature(endpoint: WitnessEndpoint, note: str, answer: str) -> tuple[str, str, int]:
        checkpoint, _ = note_parts(note)
        lines = answer.split("\n")
        if lines[-1] != "":
            raise NoteError("the witness's answer does not end with a newline")
        for line in lines[:-1]:
            [(name, blob)] = signature_lines([line])
            if endpoint.verifier.matches(name, blob):
                cosig = endpoint.verifier.verify(checkpoint, blob)
                return endpoint.verifier.name, line, cosig.timestamp
        raise NoteError(f"no cosignature from {endpoint.verifier.vkey} in the answer")

    def _stored_size(self, endpoint: WitnessEndpoint) -> int:
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT MAX(size) FROM log_cosignatures WHERE witness = ?",
                (endpoint.verifier.name,),
            ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _store(self, size: int, lines: list[tuple[str, str, int]]) -> None:
        received = datetime.now(UTC).isoformat()
        with self.db.write(lock=COSIGNER_LOCK) as cur:
            have = {
                str(r[0])
                for r in cur.execute(
                    "SELECT witness FROM log_cosignatures WHERE size = ?", (size,)
                ).fetchall()
            }
            new = [(size, w, line, ts, received) for w, line, ts in lines if w not in have]
            cur.executemany(
                "INSERT INTO log_cosignatures (size, witness, line, cosigned_at, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                new,
            )

    def status(self) -> list[dict[str, object]]:
        return [
            {"name": t.endpoint.name, "size": t.size, "failures": t.failures, "error": t.last_error}
            for t in self.tracks
        ]


# PostgreSQL advisory lock of the cosignatures' writers (processes sharing one database).
COSIGNER_LOCK = 0x53554E43
