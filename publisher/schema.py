"""The publisher's tables and their rows: delivery jobs (dead letters included) and the
destinations' shared state.

A job is one notice for one destination, keyed by (notice, destination). Its ``state``:

``pending``   due at ``due_at`` (planned, retrying, requeued, or held by a disabled site);
``leased``    a worker is sending it; the lease (token ``lease``) runs out at ``due_at``;
``delivered`` the site answered 2xx but the ledger did not take the NoticeDelivered receipt
              yet (it is tried again from ``due_at``);
``failed``    the retries are exhausted; a NoticeDeliveryFailed receipt is owed;
``done``      delivered and its receipt is in the ledger;
``dead``      given up and its failure receipt is in the ledger: a dead letter, which an
              operator may requeue.

``publisher_destinations`` holds each site's shared state: disabled (410 Gone) and why, the
circuit breaker (consecutive failures, ``open_until``), and the rate limiter's next slot.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ledger.ocds.teller import Teller
from ledger.store.sql import Cursor

STATES: Final = ("pending", "leased", "delivered", "failed", "done", "dead")
OPEN: Final = "('pending', 'leased', 'delivered', 'failed')"  # literal: the partial index's
CHANNEL: Final = "sunshine_publisher"
SCHEMA_LOCK: Final = 0x50554253  # "PUBS": creating the tables, once at a time

SCHEMA: Final = [
    "CREATE TABLE IF NOT EXISTS publisher_jobs (notice BIGINT NOT NULL, "
    "destination TEXT NOT NULL, procurement TEXT NOT NULL, announcement TEXT NOT NULL, "
    "webhook_id TEXT NOT NULL, state TEXT NOT NULL, due_at DOUBLE PRECISION NOT NULL, "
    "lease TEXT, worker TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
    "round_attempts INTEGER NOT NULL DEFAULT 0, failed_attempts INTEGER NOT NULL DEFAULT 0, "
    "round_started DOUBLE PRECISION, planned_at DOUBLE PRECISION NOT NULL, "
    "last_status INTEGER, last_error TEXT, status INTEGER, response_digest TEXT, "
    "delivered_at TEXT, failed_at TEXT, failures_recorded INTEGER NOT NULL DEFAULT 0, "
    "updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (notice, destination))",
    f"CREATE INDEX IF NOT EXISTS publisher_jobs_queue ON publisher_jobs (destination, due_at) "
    f"WHERE state IN {OPEN}",
    "CREATE INDEX IF NOT EXISTS publisher_jobs_state ON publisher_jobs "
    "(state, destination, notice)",
    "CREATE TABLE IF NOT EXISTS publisher_destinations (name TEXT PRIMARY KEY, "
    "url TEXT NOT NULL, added_at DOUBLE PRECISION NOT NULL, disabled_at DOUBLE PRECISION, "
    "disabled_reason TEXT, failures INTEGER NOT NULL DEFAULT 0, "
    "open_until DOUBLE PRECISION NOT NULL DEFAULT 0, "
    "next_slot DOUBLE PRECISION NOT NULL DEFAULT 0)",
]
#: Each notice's OCDS release, made by the planner as it plans the notice.
OCDS: Final = Teller("publisher_ocds")
TABLES: Final = ("publisher_jobs", "publisher_destinations", *OCDS.tables())


def rfc3339(moment: float | None = None) -> str:
    """A Unix time (now by default) as the receipts write it: UTC, milliseconds, ``Z``."""
    when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


COLUMNS: Final = (
    "notice, destination, procurement, announcement, webhook_id, state, due_at, lease, worker, "
    "attempts, round_attempts, round_started, planned_at, last_status, last_error, status, "
    "response_digest, delivered_at, failed_at, failures_recorded"
)


@dataclass(frozen=True)
class Job:
    notice: int
    destination: str
    procurement: str
    announcement: str
    webhook_id: str
    state: str
    due_at: float
    lease: str | None
    worker: str | None
    attempts: int  # HTTP attempts ever made (a receipt reports this)
    round_attempts: int  # since planned or requeued (the retry schedule counts these)
    round_started: float | None
    planned_at: float
    last_status: int | None
    last_error: str | None
    status: int | None
    response_digest: str | None
    delivered_at: str | None
    failed_at: str | None
    failures_recorded: int

    @classmethod
    def of(cls, row: Sequence[Any]) -> Job:
        return cls(*row)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "lease"}


@dataclass(frozen=True)
class DestinationState:
    name: str
    url: str
    disabled_at: float | None
    disabled_reason: str | None
    failures: int
    open_until: float
    next_slot: float

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def notify(cur: Cursor, sqlite: bool) -> None:
    """Wake workers listening on PostgreSQL when this transaction commits."""
    if not sqlite:
        cur.execute(f"SELECT pg_notify('{CHANNEL}', '')")


def plan_job(cur: Cursor, notice: int, destination: str, procurement: str, announcement: str,
             webhook_id: str, now: float) -> None:  # fmt: skip
    """One job per (notice, destination): planning the same notice again changes nothing."""
    cur.execute(
        "INSERT INTO publisher_jobs (notice, destination, procurement, announcement, webhook_id, "
        "state, due_at, planned_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
        "ON CONFLICT (notice, destination) DO NOTHING",
        (notice, destination, procurement, announcement, webhook_id, now, now, now),
    )


def mark_done_by_receipt(cur: Cursor, notice: int, destination: str) -> None:
    """A NoticeDelivered leaf: whatever the job's state, the notice is delivered."""
    cur.execute(
        "UPDATE publisher_jobs SET state = 'done', lease = NULL WHERE notice = ? "
        "AND destination = ? AND state <> 'done'",
        (notice, destination),
    )
