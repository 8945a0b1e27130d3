"""The publisher: a planner thread, delivery workers, and on PostgreSQL a LISTEN thread.

Each worker loops: claim a due job (the lease is committed first), send it, then act on
the answer: 2xx → NoticeDelivered receipt → done; 410 → the destination is disabled;
429/503 → the site's Retry-After pauses the destination; other failures → retry later, or
give up and append NoticeDeliveryFailed (a dead letter). A crash anywhere leaves a lease
that runs out, and the job is taken up again: sent once more under the same webhook-id
(the site sees a retry of a message it may have handled), or only its receipt recorded;
the ledger refuses a second NoticeDelivered, so receipts stay one per (notice, site).

One dead site does not slow the others: each destination has at most ``max_in_flight``
requests at once in a process (so a site that never answers holds that many workers, not
all), and
after ``circuit_failures`` consecutive failures its circuit opens for
``circuit_cooldown``: its jobs are not claimed meanwhile. Idle workers sleep until the
next job is due, a NOTIFY (PostgreSQL) or the planner (this process) wakes them.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import orjson
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.application import Ledger
from ledger.domain.schema import entries as E
from ledger.log.follower import Follower
from ledger.log.loop import follow
from publisher import retry
from publisher.config import Destination, PublisherConfig
from publisher.metrics import WorkerMetrics
from publisher.payloads import notice_body
from publisher.planner import Planner, backfill
from publisher.receipts import ReceiptWriter
from publisher.schema import CHANNEL, OCDS, Job, rfc3339
from publisher.sending import Outcome, Sender, clean
from publisher.store import JobStore

#: The receipts counted by kind (the metric's label is the entry kind).
DELIVERED, FAILED = E.NoticeDelivered.__name__, E.NoticeDeliveryFailed.__name__

logger = logging.getLogger("sunshine.publisher")

BATCH = 500  # leaves planned per transaction
PLANNER_IDLE = 0.05  # seconds between looks at the log when it has not grown
MIN_WAIT = 0.005


class Slots:
    """Requests under way to each destination in this process, at most its max_in_flight."""

    def __init__(self, config: PublisherConfig):
        self._free = {d.name: d.tuning.max_in_flight for d in config.destinations}
        self._lock = threading.Lock()
        self._starved = False  # a worker found no slot free and waits

    def take(self) -> set[str]:
        """One slot of every destination that has one free."""
        with self._lock:
            names = {name for name, free in self._free.items() if free > 0}
            for name in names:
                self._free[name] -= 1
            if not names:
                self._starved = True
            return names

    def give(self, names: set[str]) -> bool:
        """Return slots; True when a worker waits for one (wake it)."""
        with self._lock:
            for name in names:
                self._free[name] += 1
            if not names or not self._starved:
                return False
            self._starved = False
            return True


class Publisher:
    def __init__(self, ledger: Ledger, config: PublisherConfig, key: Ed25519PrivateKey,
                 workers: int = 4, metrics: WorkerMetrics | None = None,
                 seed: int | None = None) -> None:  # fmt: skip
        self.ledger = ledger
        self.config = config
        self.workers = max(0, workers)
        self.metrics = metrics or WorkerMetrics()
        self.store = JobStore(ledger.db)
        self.planner = Planner(config, ledger.config.database.is_sqlite)
        self.follower = Follower(ledger.db, self.planner)
        self.receipts = ReceiptWriter(ledger, key)
        self.sender = Sender(key)
        self.slots = Slots(config)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.rng = random.Random(seed)  # noqa: S311 - jitter, not secrets
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._generation = 0
        self._threads: list[threading.Thread] = []

    # -- life --------------------------------------------------------------------------------

    def setup(self) -> None:
        """Tables, the planner's position, the destinations, and backfill for new ones.
        An application role that may not create tables (``create_tables`` off) finds them
        made by `sunshine db-setup`."""
        create = self.ledger.config.create_tables
        if create:
            self.store.create()
        self.follower.setup(create)
        new = self.store.register(self.config.destinations, time.time())
        if new:
            backfill(self.ledger.db, self.planner, new)

    def start(self) -> None:
        self._stop.clear()
        runs: list[tuple[str, Callable[[], None]]] = [("planner", self._plan_loop)]
        if not self.ledger.config.database.is_sqlite:
            runs.append(("listener", self._listen_loop))
        for n in range(self.workers):
            runs.append((f"worker-{n}", partial(self._work_loop, f"{self.name}:{n}")))
        for name, run in runs:
            thread = threading.Thread(target=run, name=f"publisher-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self.sender.close()

    def request_stop(self) -> None:
        """Ask the loops to end (safe from a signal handler); ``stop`` then joins them."""
        self._stop.set()

    def wait(self) -> None:
        """Until stopped (a signal handler calls ``stop`` from another thread)."""
        while not self._stop.wait(1.0):
            pass

    def drain(
        self,
        timeout: float | None = None,
        poll: float = 0.05,
        progress: Callable[[int], None] | None = None,
        every: float = 5.0,
    ) -> None:
        """Start, deliver every notice in the log to every enabled destination (each job done
        or dead), then stop: ``sunshine publish --once``. With no workers, plan only.
        ``progress`` hears the jobs still outstanding every ``every`` seconds once the log is
        planned (a count that rose again would mislead). TimeoutError after ``timeout``."""
        self.start()
        names = [d.name for d in self.config.destinations]
        deadline = None if timeout is None else time.monotonic() + timeout
        told = time.monotonic()
        if self.workers:  # a disabled site's notices past their time: failure receipts owed
            self.store.age_disabled(self.config.destinations, time.time())
        try:
            while not self._stop.is_set():
                caught_up = self.follower.position() >= self.ledger.reader.size()
                # Told only once the log is planned: before, the queue lacks the notices not
                # yet planned, and a count that rises again would mislead.
                report = progress is not None and caught_up and time.monotonic() - told >= every
                # The queue is counted only when it can end the run or is to be reported.
                counted = self.workers and (caught_up or report)
                left = self.store.outstanding(names) if counted else 0
                if caught_up and left == 0:
                    break  # (no workers: planning only)
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"jobs still outstanding after {timeout} s")
                if report and progress is not None:
                    progress(left)
                    told = time.monotonic()
                time.sleep(poll)
        finally:
            self.stop()

    def wake(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # -- loops -------------------------------------------------------------------------------

    def _plan_loop(self) -> None:
        follow(self._stop, self._plan, PLANNER_IDLE, "planning", logger)

    def _plan(self) -> bool:
        """Plan the jobs of the next leaves; wake the workers when there are new ones."""
        before = self.follower.position()
        with self.store.serial:
            after = self.follower.catch_up(limit=BATCH)
        if after != before:
            self.wake()
        return after != before

    def _listen_loop(self) -> None:
        """PostgreSQL: NOTIFY from planners and requeues in any process wakes the workers."""
        while not self._stop.is_set():
            try:
                conninfo = self.ledger.config.database.conninfo()
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.wake()
            except psycopg.Error:
                logger.exception("listening for new jobs failed; polling meanwhile")
                self._stop.wait(1.0)

    def _work_loop(self, worker: str) -> None:
        turn = self.rng.randrange(max(1, len(self.config.destinations)))
        while not self._stop.is_set():
            seen = self._generation
            try:
                turn += 1
                handled, wake_at = self.work_once(worker, turn)
            except Exception:
                logger.exception("a delivery step failed; the job's lease will run out")
                self._stop.wait(1.0)
                continue
            if handled:
                continue
            wait = self.config.poll_interval
            if wake_at is not None:
                wait = max(MIN_WAIT, min(wait, wake_at - time.time()))
            with self._wake:
                if self._generation == seen and not self._stop.is_set():
                    self._wake.wait(wait)

    # -- one job -----------------------------------------------------------------------------

    def work_once(self, worker: str, turn: int = 0) -> tuple[bool, float | None]:
        """Claim and handle one job; (whether there was one, when one may next be due)."""
        ds = self.config.destinations
        order = ds[turn % len(ds) :] + ds[: turn % len(ds)] if ds else ()
        # A slot of each site is held while claiming: the sites at their limit in this
        # process are not claimed from (the table's count keeps the limit across processes,
        # approximately: two processes claiming at once may both pass it).
        held = self.slots.take()
        kept: str | None = None
        try:
            jobs, wake_at = self.store.claim_batch(
                worker, [d for d in order if d.name in held], time.time(), self.config.lease_margin
            )
            if not jobs:
                return False, wake_at
            job = jobs[0]
            kept = job.destination
            if self.slots.give(held - {kept}):
                self.wake()
            held = set()
            d = self.config.destination(job.destination)
            assert d is not None  # claims only consider the configured destinations
            if job.state == "delivered":
                self._record_delivered(job, d)
            elif job.state == "failed":
                self._record_failed(job, d)
            else:
                self._attempt_all(jobs, d)
            return True, None
        finally:
            if self.slots.give(held | ({kept} if kept else set())):
                self.wake()

    def _attempt_all(self, jobs: list[Job], d: Destination) -> None:
        """Send a batch in a row while the site answers 2xx, then record the receipts of
        those delivered together. After a failure the rest of the batch is released."""
        delivered: list[Job] = []
        leaves = self.ledger.reader.entries_at([j.notice for j in jobs])
        lease_ends = jobs[0].due_at
        for n, job in enumerate(jobs):
            if self._stop.is_set():
                self.store.release(jobs[n:])
                break
            now = time.time()
            if n and now + d.tuning.timeout + self.config.lease_margin / 2 > lease_ends:
                # A slow batch: its lease must outlast this request.
                lease_ends = now + d.tuning.timeout + self.config.lease_margin
                if not self.store.extend(jobs, lease_ends):
                    break  # lost: another worker has taken them
            done = self._attempt(job, d, leaves.get(job.notice))
            if done is None:
                self.store.release(jobs[n + 1 :])
                break
            delivered.append(done)
        self._record_delivered_all(delivered, d)

    def _attempt(self, job: Job, d: Destination, leaf: bytes | None) -> Job | None:
        """One request; the job with what the site answered when it took it, else None
        (the failure is settled: retry, give up, or the site disabled)."""
        try:
            if leaf is None:
                raise LookupError(f"no log entry at index {job.notice}")
            entry = orjson.loads(leaf)
            self.ledger.registry.learn_notice(job.notice, entry)  # the receipt names it
            release = self._release(job.notice) if d.tuning.format == "ocds" else None
            body = notice_body(job.notice, entry, leaf, d.tuning.format, self.config.marker,
                               release)  # fmt: skip
        except Exception as exc:  # a notice we cannot render: retried, then a dead letter
            logger.exception("notice %s: no %s body", job.notice, d.tuning.format)
            outcome = Outcome("payload", error=clean(f"cannot build the body: {exc!r}", 400))
        else:
            outcome = self.sender.send(d, job.webhook_id, body)
        self.metrics.attempt(d.name, outcome.reason, outcome.status, outcome.seconds)
        now = time.time()
        if outcome.ok:
            self.metrics.lag.labels(d.name).observe(max(0.0, now - job.planned_at))
            # The receipt goes to the ledger right after the batch: a crash before it is
            # recorded leaves the lease to run out, and the notice is sent again under the
            # same webhook-id.
            return replace(job, status=outcome.status, response_digest=outcome.digest,
                           delivered_at=rfc3339(now))  # fmt: skip
        if outcome.reason == "gone":
            reason = (f"{outcome.error} at {rfc3339(now)}; disabled until "
                      f"`sunshine deliveries --enable {d.name}`")  # fmt: skip
            if self.store.disable(job, 410, reason):
                logger.warning("destination %s disabled: %s", d.name, reason)
        else:
            self._failed_attempt(job, d, outcome, now)
        return None

    def _release(self, notice: int) -> dict[str, Any] | None:
        """The notice's OCDS release, as the planner made it (``ledger.ocds``)."""
        with self.ledger.db.read() as cur:
            return OCDS.release_at(cur, notice, self.config.ocid_prefix)

    def _failed_attempt(self, job: Job, d: Destination, outcome: Outcome, now: float) -> None:
        breaker = d if outcome.against_site else None
        if retry.exhausted(job.round_attempts, job.round_started, d.tuning, now):
            at = rfc3339(now)
            if self.store.give_up(job, outcome.status, outcome.error, at,
                                  self.config.lease_margin, breaker):  # fmt: skip
                self.metrics.dead_letters.labels(d.name).inc()
                self._record_failed(replace(
                    job, state="failed", last_status=outcome.status, last_error=outcome.error,
                    failed_at=at,
                ), d)  # fmt: skip
            return
        pause = outcome.retry_after
        backoff = retry.backoff(job.round_attempts, d.tuning, self.rng)
        delay = backoff if pause is None else pause
        self.store.retry(job, now + delay, outcome.status, outcome.error, breaker,
                         None if pause is None else now + pause)  # fmt: skip

    def _record_delivered(self, job: Job, d: Destination) -> None:
        self._record_delivered_all([job], d)

    def _record_delivered_all(self, jobs: list[Job], d: Destination) -> None:
        """NoticeDelivered receipts for jobs the site took, stored together; a receipt the
        ledger did not take is owed, and tried again later."""
        if not jobs:
            return
        outcomes: list[bool | Exception]
        try:
            with self.store.serial:
                outcomes = [*self.receipts.delivered_all(jobs, d)]
        except Exception as exc:
            outcomes = [exc] * len(jobs)
        recorded = []
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._complain(job, outcome)
                self.store.delivered(job, time.time() + self.config.receipt_retry)
                continue
            recorded.append(job)
            if outcome:
                self.metrics.receipts.labels(DELIVERED).inc()
        self.store.recorded_all(recorded)

    def _record_failed(self, job: Job, d: Destination) -> None:
        try:
            with self.store.serial:
                receipt = self.receipts.failed(job, d)
        except Exception as exc:
            self._complain(job, exc)
            self.store.defer_receipt(job, time.time() + self.config.receipt_retry)
            return
        if receipt.delivered:
            self.store.recorded(job)
            return
        self.store.dead(job, receipt.failures)
        if receipt.new:
            self.metrics.receipts.labels(FAILED).inc()

    def _complain(self, job: Job, exc: Exception) -> None:
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        logger.error("receipt for notice %s to %s not recorded (tried again later): %s",
                     job.notice, job.destination, message)  # fmt: skip
        self.metrics.receipt_errors.inc()
