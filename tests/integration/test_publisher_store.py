"""The job store on SQLite and PostgreSQL: leases, lost leases, per-site limits, the circuit,
the rate limiter, requeue, and concurrent claims that never share a job."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from ledger.store.sql import PostgresDatabase, SQLiteDatabase, open_database
from ledger.store.url import DatabaseURL
from publisher.config import Destination, Tuning
from publisher.schema import plan_job
from publisher.store import JobStore

A = Destination(
    "site-a",
    "http://a.example/x",
    Tuning(timeout=2, max_in_flight=3, circuit_failures=3, circuit_cooldown=60),
)
B = Destination("site-b", "http://b.example/x", Tuning(timeout=2, rate_limit=2))


@pytest.fixture
def store(db_url: DatabaseURL) -> Iterator[JobStore]:
    db: SQLiteDatabase | PostgresDatabase = open_database(db_url)
    jobs = JobStore(db)
    jobs.create()
    jobs.register([A, B], time.time())
    try:
        yield jobs
    finally:
        db.close()


def plan(store: JobStore, notices: range, *destinations: Destination) -> None:
    with store.db.write() as cur:
        for n in notices:
            for d in destinations:
                plan_job(cur, n, d.name, "p1", "tender", f"msg_{n}_{d.name}", time.time() - 1)


def test_a_lease_keeps_others_out_until_it_runs_out(store: JobStore) -> None:
    plan(store, range(1), A)
    now = time.time()
    job, _ = store.claim("w1", [A], now, lease_margin=1)
    assert job is not None and (job.state, job.attempts, job.worker) == ("leased", 1, "w1")
    expected: tuple[None, object] = (None, pytest.approx(now + 3, abs=0.01))
    assert store.claim("w2", [A], now, 1) == expected
    # w1 died: its lease (timeout 2 s + margin 1 s) runs out and w2 sends it again.
    again, _ = store.claim("w2", [A], now + 3.5, 1)
    assert again is not None and again.attempts == 2 and again.lease != job.lease
    # w1 comes back to life: with its lease lost, it changes nothing.
    answer: dict[str, Any] = {"status": 200, "response_digest": "digest",
                              "delivered_at": "2026-11-25T08:00:00Z"}
    assert not store.recorded(replace(job, **answer))
    assert store.recorded(replace(again, **answer))
    done = store.job(0, "site-a")
    assert done is not None and (done.state, done.status, done.worker) == ("done", 200, "w2")


def test_at_most_max_in_flight_per_site(store: JobStore) -> None:
    plan(store, range(5), A)
    now = time.time()
    claimed = [store.claim("w", [A], now, 1)[0] for _ in range(4)]
    assert [j is not None for j in claimed] == [True, True, True, False]


def test_the_circuit_opens_after_consecutive_failures(store: JobStore) -> None:
    plan(store, range(5), A)
    for _ in range(3):
        job, _ = store.claim("w", [A], time.time(), 1)
        assert job is not None
        assert store.retry(job, time.time() - 1, 500, "HTTP 500", breaker=A)
    job, wake = store.claim("w", [A], time.time(), 1)
    assert job is None and wake is not None and wake > time.time() + 50
    (state, _) = store.destinations()
    assert state.failures == 3 and state.open_until == pytest.approx(wake)


def test_the_rate_limit_spaces_requests(store: JobStore) -> None:
    plan(store, range(3), B)
    now = time.time()
    first, _ = store.claim("w", [B], now, 1)
    second, wake = store.claim("w", [B], now, 1)
    assert first is not None and second is None and wake == pytest.approx(now + 0.5)
    third, _ = store.claim("w", [B], now + 0.5, 1)
    assert third is not None


def test_a_receipt_owed_is_claimed_whatever_the_site(store: JobStore) -> None:
    plan(store, range(1), A)
    job, _ = store.claim("w1", [A], time.time(), 1)
    assert job is not None
    assert store.give_up(job, 500, "HTTP 500", "2026-11-25T08:00:00Z", hold=0, breaker=None)
    with store.db.write() as cur:  # the site is disabled meanwhile
        cur.execute("UPDATE publisher_destinations SET disabled_at = 1 WHERE name = 'site-a'")
    owed, _ = store.claim("w2", [A], time.time() + 0.1, 1)
    assert owed is not None and owed.state == "failed" and owed.attempts == 1
    assert store.dead(owed, failures=1)
    assert store.requeue(destination="site-b") == []
    assert store.requeue(notice=0) == [(0, "site-a")]
    job = store.job(0, "site-a")
    assert job is not None and (job.state, job.round_attempts, job.failures_recorded) == (
        "pending",
        0,
        1,
    )


def test_concurrent_claims_never_share_a_job(store: JobStore) -> None:
    wide = Destination("site-a", A.url, Tuning(timeout=2, max_in_flight=1000))
    plan(store, range(120), wide)
    taken: list[Any] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        while True:
            job, _ = store.claim(f"w{n}", [wide], time.time(), 30)
            if job is None:
                return
            with lock:
                taken.append((job.notice, job.destination))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == [(n, "site-a") for n in range(120)]


def test_a_batch_is_one_lease_one_request_in_flight_and_a_release_takes_back_its_attempts(
    store: JobStore,
) -> None:
    batched = replace(A, tuning=replace(A.tuning, batch=4, max_in_flight=2))
    plan(store, range(10), batched)
    now = time.time()
    first, _ = store.claim_batch("w1", [batched], now, lease_margin=1)
    assert [j.notice for j in first] == [0, 1, 2, 3]
    assert len({j.lease for j in first}) == 1  # one lease: one request in flight
    # The lease is one request's (2 s + 1 s); a batch that runs long renews it.
    assert [j.due_at for j in first] == [pytest.approx(now + 3, abs=0.01)] * 4
    assert store.extend(first, now + 5)
    renewed = [store.job(n, "site-a") for n in range(4)]
    assert [j.due_at for j in renewed if j] == [pytest.approx(now + 5, abs=0.01)] * 4
    second, _ = store.claim_batch("w2", [batched], now, 1)
    assert [j.notice for j in second] == [4, 5, 6, 7]
    assert store.claim_batch("w3", [batched], now, 1) == ([], None)  # two in flight: the limit
    # The first request of w1's batch failed: the rest is released, due now, unattempted.
    assert store.retry(first[0], now + 60, 500, "HTTP 500", breaker=batched)
    store.release(first[1:])
    for n in (1, 2, 3):
        job = store.job(n, "site-a")
        assert job is not None and (job.state, job.attempts, job.lease) == ("pending", 0, None)
        assert job.round_started is None  # its retry schedule has not begun
    # A site that failed last time is sent one notice at a time until it answers again.
    single, _ = store.claim_batch("w3", [batched], time.time(), 1)
    assert len(single) == 1


def test_a_rate_limited_site_is_never_batched(store: JobStore) -> None:
    limited = replace(B, tuning=replace(B.tuning, batch=8))
    plan(store, range(5), limited)
    jobs, _ = store.claim_batch("w", [limited], time.time(), 1)
    assert len(jobs) == 1


def test_a_claim_with_every_site_at_its_limit_finds_nothing_and_fails_nothing(
    store: JobStore,
) -> None:
    plan(store, range(3), A)
    assert store.claim_batch("w", [], time.time(), 1) == ([], None)
    assert store.claim("w", [], time.time(), 1) == (None, None)
