"""Where `sunshine verify` reads a log from: the local database or a server's HTTP API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from eventsourcing.persistence import ApplicationRecorder

from ledger.log.leaf import parts_of
from ledger.log.nodes import completed_hashes, completed_ids, completed_nodes
from ledger.log.note import Verifier, parse_verifier_key
from ledger.store.sql import PostgresDatabase, SQLiteDatabase
from ledger.verify import BATCH, NodeCheck, Pending, VerificationFailed

PENDING_SHOWN = 5  # notification ids named in the pending-events warning


def local_batches(
    db: SQLiteDatabase | PostgresDatabase, recorder: ApplicationRecorder, size: int
) -> Iterator[list[tuple[int, bytes]]]:
    """Leaves as stored, each checked against the event it was made from. No stored event
    may lie between them without a leaf: the log takes every event in order."""
    start = 0
    after: int | None = None  # the notification id of the last leaf read; None: the first
    while start < size:
        with db.read() as cur:
            rows = cur.execute(
                "SELECT idx, notification_id, leaf FROM log_leaves "
                "WHERE idx >= ? AND idx < ? ORDER BY idx",
                (start, min(start + BATCH, size)),
            ).fetchall()
        if not rows:
            raise VerificationFailed("missing from the log", start)
        last = int(rows[-1][1])
        found = recorder.select_notifications(
            start=after, limit=len(rows) * 2 + 10, stop=last, inclusive_of_start=False
        )
        stored = {n.id: n for n in found}
        with_leaf = {int(nid) for _, nid, _ in rows}
        skipped = next((n.id for n in found if n.id not in with_leaf), None)
        batch: list[tuple[int, bytes]] = []
        for idx, nid, leaf in rows:
            index, leaf = int(idx), bytes(leaf)
            if index != start + len(batch):
                raise VerificationFailed("missing from the log", start + len(batch))
            if skipped is not None and skipped < int(nid):
                raise VerificationFailed(
                    f"the event store holds an event (notification {skipped}) stored before "
                    "this entry's event that has no leaf: the log skipped it",
                    index,
                )
            event = stored.get(int(nid))
            if event is None:
                raise VerificationFailed(
                    f"its event (notification {nid}) is missing from the event store", index
                )
            try:
                rebuilt = parts_of(event).encode(index)
            except (ValueError, KeyError, TypeError) as exc:
                raise VerificationFailed(f"its stored event cannot be read: {exc}", index) from None
            if rebuilt != leaf:
                raise VerificationFailed(
                    "the stored event differs from the leaf made from it (changed or reordered)",
                    index,
                )
            batch.append((index, leaf))
        yield batch
        start += len(batch)
        after = last


def stored_node_check(db: SQLiteDatabase | PostgresDatabase) -> NodeCheck:
    """Compares the tree nodes recomputed from the leaves with the stored ones, which every
    proof the service serves is made of: one read per batch of leaves."""

    def check(start: int, end: int, computed: list[bytes]) -> None:
        with db.read() as cur:
            if completed_hashes(cur, start, end) == computed:
                return
            stored = completed_nodes(cur, start, end)
        for (level, idx), digest in zip(completed_ids(start, end), computed, strict=True):
            have = stored.get((level, idx))
            if have == digest:
                continue
            first, last = idx << level, ((idx + 1) << level) - 1
            entries = f"entry {first}" if level == 0 else f"entries {first}–{last}"
            if have is None:
                problem = "is missing from log_nodes"
            else:
                problem = f"differs from the hash of {entries} recomputed from the leaves"
            raise VerificationFailed(
                f"stored tree node (level {level}, index {idx}) {problem}: "
                "proofs through it would not verify"
            )

    return check


def pending_events(
    db: SQLiteDatabase | PostgresDatabase, recorder: ApplicationRecorder, page: int = 1000
) -> Pending:
    """Stored events after the last leaf: committed but not yet integrated (the integrator
    has not run since, or the process died between commit and integration)."""
    with db.read() as cur:
        row = cur.execute(
            "SELECT notification_id FROM log_leaves ORDER BY idx DESC LIMIT 1"
        ).fetchone()
    after = None if row is None else int(row[0])
    count, oldest = 0, None
    first: list[int] = []
    while True:
        found = recorder.select_notifications(start=after, limit=page, inclusive_of_start=False)
        if not found:
            break
        if oldest is None:
            try:
                oldest = parts_of(found[0]).recorded_at
            except (ValueError, KeyError, TypeError):
                oldest = None  # an unreadable event is the leaf check's business once integrated
        first += [n.id for n in found[: PENDING_SHOWN - len(first)]]
        count += len(found)
        after = found[-1].id
        if len(found) < page:
            break
    return Pending(count, tuple(first), oldest)


class RemoteLog:
    def __init__(self, base_url: str, timeout: float = 30.0):
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, **params: int) -> httpx.Response:
        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise VerificationFailed(f"cannot reach {self.client.base_url}{path}: {exc}") from None
        if response.status_code != 200:
            raise VerificationFailed(
                f"{self.client.base_url}{path} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        return response

    def checkpoint(self) -> str:
        return self._get("/log/checkpoint").text

    def verifier(self) -> Verifier:
        return parse_verifier_key(self._get("/log/key").text.strip())

    def consistency(self, old: int, size: int) -> list[str]:
        answer = self._get("/log/proof/consistency", old=old, size=size).json()
        proof = answer.get("proof") if isinstance(answer, dict) else None
        if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
            raise VerificationFailed("the server's consistency proof is not a list of hashes")
        return proof

    def batches(self, size: int) -> Iterator[list[tuple[int, bytes]]]:
        start = 0
        while start < size:
            count = min(1000, size - start)
            lines = self._get("/log/entries", start=start, count=count).content.split(b"\n")
            leaves = [line for line in lines if line]
            if not leaves:
                raise VerificationFailed("missing from the server's log", start)
            yield [(start + i, leaf) for i, leaf in enumerate(leaves)]
            start += len(leaves)
