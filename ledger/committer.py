"""Group commit: commands decided at the same time are stored in one transaction.

Each command is decided (signature, rules, domain) in its own request thread. The
first thread to reach the store becomes the committer and saves every command
queued by then in one transaction, so concurrent requests share one durable
commit instead of paying one each. A batch that fails as a whole (a replayed
nonce, a conflicting version) is retried one command at a time, so each command
gets exactly its own outcome. Commands that change a key are never batched: a
command signed by a key must not share a transaction with that key's revocation.

On SQLite the same transaction integrates the events (``Integrator.integrate_in``): one
durable commit per group holds the events, their leaves and one checkpoint over them, and
each command's receipt is answered from what was appended, with no read after the commit.
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
from ledger.log.integrator import Integrated, Select
from ledger.store.recorders import CommandGuard
from ledger.store.sql import Cursor

Recordings = list[Any]
IntegrateIn = Callable[[Cursor, Select], Integrated | None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """A command's stored events, and the log's leaves when they were committed with them."""

    recordings: Recordings
    integrated: Integrated | None = None


@dataclass
class Pending:
    aggregates: list[Aggregate]
    guard: CommandGuard
    future: Future[Stored] = field(default_factory=Future)

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
        integrate_in: IntegrateIn | None = None,
    ):
        self.app = app
        self.max_batch = max_batch
        self.after_commit = after_commit
        self.integrate_in = integrate_in
        self._queue: list[Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def store(self, aggregates: list[Aggregate], guard: CommandGuard) -> Stored:
        return self.store_many([(aggregates, guard)])[0].result()

    def store_many(
        self, commands: Sequence[tuple[list[Aggregate], CommandGuard]]
    ) -> list[Future[Stored]]:
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

    def put(
        self, events: Sequence[Any], guards: Sequence[CommandGuard], integrate: bool = False
    ) -> Recordings:
        """Events already collected, with their commands' guards, in one transaction (the
        bulk path, ``ledger.bulk``), in turn with the group commits; ``integrate``: with
        their leaves and one checkpoint where the log is integrated in the commit (SQLite),
        so the events are not read back for them."""
        options: dict[str, Any] = {}
        if integrate and self.integrate_in is not None:
            options["after_insert"] = self._integrate
        with self._commit_lock:
            return list(self.app.events.put(list(events), guards=list(guards), **options))

    def _commit(self, batch: Sequence[Pending]) -> None:
        together = [p for p in batch if not p.alone]
        if len(together) > 1:
            counts = [p.events for p in together]
            try:
                stored = self._save(together)
            except Exception:  # noqa: S110 — each command is retried alone below
                pass
            else:
                start = 0
                for pending, count in zip(together, counts, strict=True):
                    mine = stored.recordings[start : start + count]
                    pending.future.set_result(Stored(mine, stored.integrated))
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

    def _save(self, batch: Sequence[Pending]) -> Stored:
        aggregates = [a for p in batch for a in p.aggregates]
        # Saving collects (removes) pending events; keep them for a retry on failure.
        pending = [(a, list(a.pending_events)) for a in aggregates]
        events = [event for a in aggregates for event in a.collect_events()]
        integrated: list[Integrated | None] = []
        options: dict[str, Any] = {}
        if self.integrate_in is not None:
            options["after_insert"] = lambda cur, select: integrated.append(
                self._integrate(cur, select)
            )
        try:
            # The event store directly: Application.save adds only runtime protocol
            # checks (slow on Python 3.11), snapshots and notifications we do not use.
            recordings = self.app.events.put(events, guards=[p.guard for p in batch], **options)
        except Exception:
            for aggregate, events in pending:
                aggregate.pending_events[:] = events
            raise
        return Stored(list(recordings), integrated[-1] if integrated else None)

    def _integrate(self, cur: Cursor, select: Select) -> Integrated | None:
        """The log's leaves within the events' transaction. Should integrating fail, the
        events are stored all the same, as when integration follows the commit: their
        receipts say "pending" and the next integration picks them up."""
        assert self.integrate_in is not None
        cur.execute("SAVEPOINT log_leaves")
        try:
            integrated = self.integrate_in(cur, select)
        except Exception:
            cur.execute("ROLLBACK TO log_leaves")
            logger.exception("integration with the commit failed")
            integrated = None
        cur.execute("RELEASE log_leaves")
        return integrated
