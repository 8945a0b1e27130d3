# Over 400 lines by design: one job: every statement of the delivery queue (claim, settle, requeue)
# for both databases.
"""Claiming and settling delivery jobs (the tables: ``publisher.schema``).

Claiming commits the lease before any network call, and no transaction spans a request. A
job whose lease ran out (its worker died) is claimable again: ``leased`` ones are sent again
(same webhook-id), ``delivered``/``failed`` ones only get their receipt. Every update after
the claim names the lease token, so a worker that lost its lease changes nothing.
On PostgreSQL claims take rows ``FOR UPDATE SKIP LOCKED``: workers in several processes
never wait for each other or take the same job.

On SQLite this process's writers queue on a lock of ours (``serial``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from ledger.log.follower import POSITIONS
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from publisher.config import Destination
from publisher.schema import (
    COLUMNS,
    OPEN,
    SCHEMA,
    SCHEMA_LOCK,
    DestinationState,
    Job,
    notify,
    rfc3339,
)


class JobStore:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase):
        self.db = db
        self.sqlite = db.url.is_sqlite
        # SQLite has one writer at a time and wakes a waiting one late (its busy handler
        # sleeps): this process's writers queue on a lock of ours instead. The publisher
        # takes it for its ledger appends too.
        self.serial: AbstractContextManager[Any] = (
            threading.Lock() if self.sqlite else nullcontext()
        )
        self._lock = "" if self.sqlite else " FOR UPDATE SKIP LOCKED"
        self._row_lock = "" if self.sqlite else " FOR UPDATE"

    @contextmanager
    def _write(self, lock: int = 0) -> Iterator[Cursor]:
        with self.serial, self.db.write(lock) as cur:
            yield cur

    def create(self) -> None:
        # The planner's position table too: processes starting together on PostgreSQL
        # would otherwise race to create it (CREATE ... IF NOT EXISTS is not atomic there).
        with self._write(SCHEMA_LOCK) as cur:
            for statement in (*POSITIONS, *SCHEMA):
                cur.execute(statement)

    def register(self, destinations: Sequence[Destination], now: float) -> list[str]:
        """Record the configured destinations; the names seen for the first time."""
        new = []
        with self._write(SCHEMA_LOCK) as cur:
            for d in destinations:
                row = cur.execute(
                    "INSERT INTO publisher_destinations (name, url, added_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO NOTHING RETURNING name",
                    (d.name, d.url, now),
                ).fetchone()
                if row is None:
                    cur.execute(
                        "UPDATE publisher_destinations SET url = ? WHERE name = ?", (d.url, d.name)
                    )
                else:
                    new.append(d.name)
        return new

    # -- claiming -------------------------------------------------------------------------

    def claim(
        self, worker: str, destinations: Sequence[Destination], now: float, lease_margin: float
    ) -> tuple[Job | None, float | None]:
        """The next due job of the first destination (in the order given) that may be sent
        to now, leased to ``worker``; else None and when something may next be due."""
        jobs, wake = self.claim_batch(worker, destinations, now, lease_margin, batch=False)
        return (jobs[0] if jobs else None), wake

    # Over 60 lines by design: one transaction: the claim of a batch, in both databases' SQL.
    def claim_batch(
        self,
        worker: str,
        destinations: Sequence[Destination],
        now: float,
        lease_margin: float,
        batch: bool = True,
    ) -> tuple[list[Job], float | None]:
        """As ``claim``; to a healthy site without a rate limit, up to its ``batch`` due jobs
        under one lease (sent in a row by one worker, so they count as one request in flight).
        """
        wake: float | None = None
        if not destinations:  # every site is at its limit in this process
            return [], None

        def later(moment: float | None) -> None:
            nonlocal wake
            if moment is not None and moment > now:
                wake = moment if wake is None else min(wake, moment)

        with self._write() as cur:
            # A receipt owed is taken first, whatever the state of its site.
            names = [d.name for d in destinations]
            marks = ", ".join("?" for _ in names)
            row = cur.execute(
                f"SELECT {COLUMNS} FROM publisher_jobs WHERE state IN ('delivered', 'failed') "  # noqa: S608
                f"AND due_at <= ? AND destination IN ({marks}) ORDER BY due_at LIMIT 1{self._lock}",
                (now, *names),
            ).fetchone()
            if row is not None:
                job = Job.of(row)
                return [self._lease(cur, job, worker, now, lease_margin, attempt=False)], None
            states = {s.name: s for s in self._destinations(cur)}
            busy = dict(  # requests under way: a batch shares one lease
                cur.execute(
                    "SELECT destination, COUNT(DISTINCT lease) FROM publisher_jobs "
                    "WHERE state = 'leased' AND due_at > ? GROUP BY destination",
                    (now,),
                ).fetchall()
            )
            for d in destinations:
                state = states.get(d.name)
                if state is not None and state.disabled_at is not None:
                    self._age_while_disabled(cur, d, state, now)
                    continue
                if state is not None and state.open_until > now:
                    later(state.open_until)
                    continue
                if int(busy.get(d.name, 0)) >= d.tuning.max_in_flight:
                    continue
                if d.tuning.rate_limit and state is not None and state.next_slot > now:
                    later(state.next_slot)
                    continue
                row = cur.execute(
                    f"SELECT {COLUMNS} FROM publisher_jobs WHERE destination = ? "  # noqa: S608
                    f"AND state IN {OPEN} AND due_at <= ? ORDER BY due_at LIMIT 1{self._lock}",
                    (d.name, now),
                ).fetchone()
                if row is None:
                    nxt = cur.execute(
                        "SELECT MIN(due_at) FROM publisher_jobs WHERE destination = ? "  # noqa: S608
                        f"AND state IN {OPEN}",
                        (d.name,),
                    ).fetchone()
                    later(None if nxt is None or nxt[0] is None else float(nxt[0]))
                    continue
                job = Job.of(row)
                if job.state in ("delivered", "failed"):  # only the receipt is owed
                    return [self._lease(cur, job, worker, now, lease_margin, attempt=False)], None
                if d.tuning.rate_limit and not self._take_slot(cur, d, now):
                    continue
                more: list[Job] = []
                healthy = state is None or state.failures == 0
                if batch and d.tuning.batch > 1 and not d.tuning.rate_limit and healthy:
                    rows = cur.execute(
                        f"SELECT {COLUMNS} FROM publisher_jobs WHERE destination = ? "  # noqa: S608
                        "AND state IN ('pending', 'leased') AND due_at <= ? "
                        f"AND notice <> ? ORDER BY due_at LIMIT ?{self._lock}",
                        (d.name, now, job.notice, d.tuning.batch - 1),
                    ).fetchall()
                    more = [Job.of(r) for r in rows]
                # As for one request: a batch that runs long renews it (``extend``), so a
                # worker that dies mid-batch holds its notices no longer than one job.
                lease = d.tuning.timeout + lease_margin
                token = secrets.token_hex(8)
                return [
                    self._lease(cur, j, worker, now, lease, attempt=True, token=token)
                    for j in (job, *more)
                ], None
        return [], wake

    def age_disabled(self, destinations: Sequence[Destination], now: float) -> None:
        """``_age_while_disabled`` for every disabled one of these destinations."""
        with self._write() as cur:
            states = {s.name: s for s in self._destinations(cur)}
            for d in destinations:
                state = states.get(d.name)
                if state is not None and state.disabled_at is not None:
                    self._age_while_disabled(cur, d, state, now)

    def _age_while_disabled(
        self, cur: Cursor, d: Destination, state: DestinationState, now: float
    ) -> None:
        """A disabled site's notices are held, but their clock runs on: past give_up_after
        they fail like any other (a NoticeDeliveryFailed receipt is owed, and for a site
        the law requires, a finding), so a site gone for good is not a silent gap."""
        reason = f"not sent: the destination was disabled at {rfc3339(state.disabled_at or now)}"
        if state.disabled_reason:
            reason += f" ({state.disabled_reason})"
        cur.execute(
            "UPDATE publisher_jobs SET state = 'failed', due_at = ?, failed_at = ?, "
            "last_error = ?, updated_at = ? WHERE destination = ? AND state = 'pending' "
            "AND COALESCE(round_started, planned_at) <= ?",
            (now, rfc3339(now), reason[:500], now, d.name, now - d.tuning.give_up_after),
        )  # fmt: skip

    def _take_slot(self, cur: Cursor, d: Destination, now: float) -> bool:
        """The rate limiter: the destination's row is locked, so slots are never shared."""
        row = cur.execute(
            f"SELECT next_slot FROM publisher_destinations WHERE name = ?{self._row_lock}",  # noqa: S608
            (d.name,),
        ).fetchone()
        slot = 0.0 if row is None else float(row[0])
        if slot > now:
            return False
        cur.execute(
            "UPDATE publisher_destinations SET next_slot = ? WHERE name = ?",
            (max(slot, now) + 1.0 / d.tuning.rate_limit, d.name),
        )
        return True

    def _lease(
        self, cur: Cursor, job: Job, worker: str, now: float, seconds: float, attempt: bool,
        token: str | None = None,
    ) -> Job:  # fmt: skip
        token = token or secrets.token_hex(8)
        step = 1 if attempt else 0
        started = job.round_started if job.round_started is not None or not attempt else now
        state = "leased" if attempt else job.state
        cur.execute(
            "UPDATE publisher_jobs SET state = ?, lease = ?, worker = ?, due_at = ?, "
            "attempts = attempts + ?, round_attempts = round_attempts + ?, round_started = ?, "
            "updated_at = ? WHERE notice = ? AND destination = ?",
            (state, token, worker, now + seconds, step, step, started, now, job.notice,
             job.destination),
        )  # fmt: skip
        return Job(**{
            **job.__dict__, "state": state, "lease": token, "worker": worker,
            "due_at": now + seconds, "attempts": job.attempts + step,
            "round_attempts": job.round_attempts + step, "round_started": started,
        })  # fmt: skip

    # -- after the attempt (each names the lease: a worker that lost it changes nothing) -------

    def _owned(self, cur: Cursor, job: Job, sets: str, params: Sequence[Any]) -> bool:
        row = cur.execute(
            f"UPDATE publisher_jobs SET {sets}, updated_at = ? WHERE notice = ? "  # noqa: S608
            "AND destination = ? AND lease = ? RETURNING notice",
            (*params, time.time(), job.notice, job.destination, job.lease),
        ).fetchone()
        return row is not None

    def extend(self, jobs: Sequence[Job], until: float) -> bool:
        """Renew the lease of a batch (every job under it not yet settled, sent or not);
        False if it was lost."""
        if not jobs:
            return True
        with self._write() as cur:
            rows = cur.execute(
                "UPDATE publisher_jobs SET due_at = ? WHERE destination = ? AND lease = ? "
                "AND state = 'leased' RETURNING notice",
                (until, jobs[0].destination, jobs[0].lease),
            ).fetchall()
        return len(rows) > 0

    def release(self, jobs: Sequence[Job]) -> None:
        """Leased jobs of a batch not sent after all (an earlier one failed): due again now,
        their counted attempt taken back."""
        if not jobs:
            return
        with self._write() as cur:
            for job in jobs:
                self._owned(
                    cur, job,
                    "state = 'pending', lease = NULL, due_at = ?, attempts = attempts - 1, "
                    "round_started = CASE WHEN round_attempts = 1 THEN NULL "
                    "ELSE round_started END, round_attempts = round_attempts - 1",
                    (time.time(),),
                )  # fmt: skip

    def recorded_all(self, jobs: Sequence[Job]) -> None:
        """``recorded`` for several jobs, in one transaction and one round trip (each still
        named by its lease)."""
        if not jobs:
            return
        now = time.time()
        with self._write() as cur:
            cur.executemany(
                f"UPDATE publisher_jobs SET {_SETTLED}, updated_at = ? "  # noqa: S608
                "WHERE notice = ? AND destination = ? AND lease = ?",
                [(*_settled("done", j.due_at, j), now, j.notice, j.destination, j.lease)
                 for j in jobs],
            )  # fmt: skip
            self._site_answers(cur, {j.destination for j in jobs})

    def delivered(self, job: Job, due_at: float) -> bool:
        """The site took it but the ledger did not take its receipt yet: owed from ``due_at``."""
        return self._succeeded(job, "delivered", due_at)

    def recorded(self, job: Job) -> bool:
        """The site took it and its receipt is in the ledger: done."""
        return self._succeeded(job, "done", job.due_at)

    def _succeeded(self, job: Job, state: str, due_at: float) -> bool:
        with self._write() as cur:
            owned = self._settle(cur, job, state, due_at)
            if owned:
                self._site_answers(cur, {job.destination})
            return owned

    def _settle(self, cur: Cursor, job: Job, state: str, due_at: float) -> bool:
        return self._owned(cur, job, _SETTLED, _settled(state, due_at, job))

    def _site_answers(self, cur: Cursor, names: set[str]) -> None:
        """The sites answered again: their circuits' counts start over."""
        for name in sorted(names):
            cur.execute(
                "UPDATE publisher_destinations SET failures = 0 WHERE name = ? AND failures > 0",
                (name,),
            )

    def retry(self, job: Job, due_at: float, status: int | None, error: str,
              breaker: Destination | None, pause_until: float | None = None) -> bool:  # fmt: skip
        """Try again at ``due_at``; ``breaker``: the failure counts towards opening the circuit."""
        with self._write() as cur:
            owned = self._owned(
                cur, job,
                "state = 'pending', lease = NULL, due_at = ?, last_status = ?, last_error = ?, "
                "failed_attempts = failed_attempts + 1",
                (due_at, status, error),
            )  # fmt: skip
            if owned:
                self._failure(cur, job.destination, breaker, pause_until)
            return owned

    def give_up(self, job: Job, status: int | None, error: str, at: str, hold: float,
                breaker: Destination | None) -> bool:  # fmt: skip
        """Retries exhausted: a failure receipt is owed."""
        with self._write() as cur:
            owned = self._owned(
                cur, job,
                "state = 'failed', due_at = ?, last_status = ?, last_error = ?, failed_at = ?, "
                "failed_attempts = failed_attempts + 1",
                (time.time() + hold, status, error, at),
            )  # fmt: skip
            if owned:
                self._failure(cur, job.destination, breaker, None)
            return owned

    def _failure(self, cur: Cursor, name: str, breaker: Destination | None,
                 pause_until: float | None) -> None:  # fmt: skip
        row = cur.execute(
            "SELECT failures, open_until FROM publisher_destinations "  # noqa: S608
            f"WHERE name = ?{self._row_lock}",
            (name,),
        ).fetchone()
        if row is None:
            return
        failures, open_until = int(row[0]), float(row[1])
        if breaker is not None:
            failures += 1
            if failures >= breaker.tuning.circuit_failures:
                open_until = max(open_until, time.time() + breaker.tuning.circuit_cooldown)
        if pause_until is not None:
            open_until = max(open_until, pause_until)
        cur.execute(
            "UPDATE publisher_destinations SET failures = ?, open_until = ? WHERE name = ?",
            (failures, open_until, name),
        )

    def disable(self, job: Job, status: int, reason: str) -> bool:
        """410 Gone: the site is disabled and says why; its jobs wait until it is enabled."""
        now = time.time()
        with self._write() as cur:
            owned = self._owned(
                cur, job,
                "state = 'pending', lease = NULL, due_at = ?, last_status = ?, last_error = ?, "
                "failed_attempts = failed_attempts + 1",
                (now, status, reason),
            )  # fmt: skip
            if owned:
                cur.execute(
                    "UPDATE publisher_destinations SET disabled_at = ?, disabled_reason = ? "
                    "WHERE name = ?",
                    (now, reason, job.destination),
                )
            return owned

    def dead(self, job: Job, failures: int) -> bool:
        """Its failure receipt is in the ledger (which now holds ``failures`` of them for this
        delivery): a dead letter."""
        with self._write() as cur:
            return self._owned(
                cur, job, "state = 'dead', lease = NULL, failures_recorded = ?", (failures,)
            )

    def defer_receipt(self, job: Job, due_at: float) -> bool:
        """The ledger did not take the failure receipt: try again at ``due_at``."""
        with self._write() as cur:
            return self._owned(cur, job, "lease = NULL, due_at = ?", (due_at,))

    # -- operations -------------------------------------------------------------------------

    def requeue(self, notice: int | None = None, destination: str | None = None,
                cur: Cursor | None = None) -> list[tuple[int, str]]:  # fmt: skip
        """Dead letters back to pending, due now, with a fresh retry schedule."""
        if cur is None:
            with self._write() as own:
                return self.requeue(notice, destination, own)
        where, params = _filters(notice, destination)
        now = time.time()
        rows = cur.execute(
            "UPDATE publisher_jobs SET state = 'pending', due_at = ?, round_attempts = 0, "  # noqa: S608
            f"round_started = NULL, lease = NULL, updated_at = ? WHERE state = 'dead'{where} "
            "RETURNING notice, destination",
            (now, now, *params),
        ).fetchall()
        if rows:
            notify(cur, self.sqlite)
        return sorted((int(n), str(d)) for n, d in rows)

    def enable(self, name: str) -> bool:
        with self._write() as cur:
            row = cur.execute(
                "UPDATE publisher_destinations SET disabled_at = NULL, disabled_reason = NULL, "
                "failures = 0, open_until = 0 WHERE name = ? RETURNING name",
                (name,),
            ).fetchone()
            notify(cur, self.sqlite)
            return row is not None

    def jobs(self, state: str | None = None, destination: str | None = None,
             notice: int | None = None, limit: int = 100, after: tuple[int, str] | None = None,
             ) -> list[Job]:  # fmt: skip
        where, params = _filters(notice, destination)
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        if after is not None:
            where += " AND (notice > ? OR (notice = ? AND destination > ?))"
            params += [after[0], after[0], after[1]]
        with self.db.read() as cur:
            rows = cur.execute(
                f"SELECT {COLUMNS} FROM publisher_jobs WHERE 1 = 1{where} "  # noqa: S608
                "ORDER BY notice, destination LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [Job.of(r) for r in rows]

    def job(self, notice: int, destination: str) -> Job | None:
        found = self.jobs(notice=notice, destination=destination, limit=1)
        return found[0] if found else None

    def counts(self) -> dict[tuple[str, str], int]:
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT destination, state, COUNT(*) FROM publisher_jobs "
                "GROUP BY destination, state"
            ).fetchall()
        return {(str(d), str(s)): int(n) for d, s, n in rows}

    def attempt_totals(self) -> dict[str, tuple[int, int]]:
        """Per destination: HTTP attempts made, and those that failed."""
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT destination, SUM(attempts), SUM(failed_attempts) FROM publisher_jobs "
                "GROUP BY destination"
            ).fetchall()
        return {str(d): (int(a or 0), int(f or 0)) for d, a, f in rows}

    def outstanding(self, names: Sequence[str]) -> int:
        """Jobs not yet done or dead, of these destinations: a disabled one's only when a
        receipt is owed (its other jobs wait for it to be enabled)."""
        if not names:
            return 0
        marks = ", ".join("?" for _ in names)
        with self.db.read() as cur:
            row = cur.execute(
                f"SELECT COUNT(*) FROM publisher_jobs j WHERE j.state IN {OPEN} "  # noqa: S608
                f"AND j.destination IN ({marks}) AND (j.state IN ('delivered', 'failed') "
                "OR NOT EXISTS (SELECT 1 FROM publisher_destinations d "
                "WHERE d.name = j.destination AND d.disabled_at IS NOT NULL))",
                tuple(names),
            ).fetchone()
        return 0 if row is None else int(row[0])

    def destinations(self) -> list[DestinationState]:
        with self.db.read() as cur:
            return self._destinations(cur)

    def _destinations(self, cur: Cursor) -> list[DestinationState]:
        rows = cur.execute(
            "SELECT name, url, disabled_at, disabled_reason, failures, open_until, next_slot "
            "FROM publisher_destinations ORDER BY name"
        ).fetchall()
        return [DestinationState(*r) for r in rows]


#: What the site's 2xx settles on a job (its values: ``_settled``).
_SETTLED = (
    "state = ?, lease = NULL, due_at = ?, status = ?, last_status = ?, response_digest = ?, "
    "delivered_at = ?"
)


def _settled(state: str, due_at: float, job: Job) -> tuple[Any, ...]:
    return (state, due_at, job.status, job.status, job.response_digest, job.delivered_at)


def _filters(notice: int | None, destination: str | None) -> tuple[str, list[Any]]:
    where, params = "", list[Any]()
    if notice is not None:
        where += " AND notice = ?"
        params.append(notice)
    if destination is not None:
        where += " AND destination = ?"
        params.append(destination)
    return where, params
