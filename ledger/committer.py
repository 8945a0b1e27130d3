"""Group commit: commands decided at the same time are stored in one transaction.

Each command is decided (signature, rules, domain) in its own request thread. The
first thread to reach the store becomes the committer and saves every command
queued by then in one transaction, so concurrent requests share one durable
commit instead of paying one each. A batch that fails as a whole (a replayed
nonce, a conflicting version) is retried one command at a time, so each command
gets exactly its own outcome. Commands that change a key are never batched: a
command signed by a key must not share a transaction with that key's revocation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from ledger.domain.registry import Key
from ledger.store.recorders import CommandGuard

Recordings = list[Any]
logger = logging.getLogger(__name__)


@dataclass
class Pending:
    aggregates: list[Aggregate]
    guard: CommandGuard
    future: Future[Recordings] = field(default_factory=Future)

    @property
    def events(self) -> int:
        return sum(len(a.pending_events) for a in self.aggregates)

    @property
    def alone(self) -> bool:
        return any(isinstance(a, Key) for a in self.aggregates)


class GroupCommitter:
    def __init__(
        self,
        app: Application[Any],
        max_batch: int = 64,
        after_commit: Callable[[], object] | None = None,
    ):
        self.app = app
        self.max_batch = max_batch
        self.after_commit = after_commit
        self._queue: list[Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def store(self, aggregates: list[Aggregate], guard: CommandGuard) -> Recordings:
        return self.store_many([(aggregates, guard)])[0].result()

    def store_many(
        self, commands: Sequence[tuple[list[Aggregate], CommandGuard]]
    ) -> list[Future[Recordings]]:
        """Several commands of one caller, queued together so that they share a commit; each
        future holds its command's recordings or why it was not stored."""
        items = [Pending(aggregates, guard) for aggregates, guard in commands]
        with self._queue_lock:
            self._queue.extend(items)
        for item in items:
            while not item.future.done():
                with self._commit_lock:
                    if item.future.done():
                        break
                    with self._queue_lock:
                        batch = self._queue[: self.max_batch]
                        del self._queue[: self.max_batch]
                    self._commit(batch)
        return [item.future for item in items]

    def _commit(self, batch: Sequence[Pending]) -> None:
        together = [p for p in batch if not p.alone]
        if len(together) > 1:
            counts = [p.events for p in together]
            try:
                recordings = self._save(together)
            except Exception:  # noqa: S110 — each command is retried alone below
                pass
            else:
                start = 0
                for pending, count in zip(together, counts, strict=True):
                    pending.future.set_result(recordings[start : start + count])
                    start += count
        for pending in batch:
            if not pending.future.done():
                try:
                    pending.future.set_result(self._save([pending]))
                except Exception as exc:
                    pending.future.set_exception(exc)
        if self.after_commit is not None:
            try:
                self.after_commit()
            except Exception:
                # The commands are stored; their receipts will say "pending" and the
                # next integration picks them up.
                logger.exception("integration after commit failed")

    def _save(self, batch: Sequence[Pending]) -> Recordings:
        aggregates = [a for p in batch for a in p.aggregates]
        # Saving collects (removes) pending events; keep them for a retry on failure.
        pending = [(a, list(a.pending_events)) for a in aggregates]
        events = [event for a in aggregates for event in a.collect_events()]
        try:
            # The event store directly: Application.save adds only runtime protocol
            # checks (slow on Python 3.11), snapshots and notifications we do not use.
            return list(self.app.events.put(events, guards=[p.guard for p in batch]))
        except Exception:
            for aggregate, events in pending:
                aggregate.pending_events[:] = events
            raise
