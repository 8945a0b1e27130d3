"""Failed lookups counted in SQLite and PostgreSQL: two limiters on one database (two
processes of the service) share one count, racing attempts get exactly the limit, successes
are not counted, old rows go, and client addresses are not stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ledger.store.sql import PostgresDatabase, SQLiteDatabase, open_database
from ledger.store.url import DatabaseURL
from projections.web.lookup_failures import TABLE, Attempt, LookupFailures
from projections.web.ratelimit import Limits, Refused

Database = SQLiteDatabase | PostgresDatabase
KEY = bytes(range(32))
LIMITS = Limits(client_failures=5, client_window=600, number_free=3, number_window=3600,
                first_delay=1, max_delay=8)  # fmt: skip


class Clock:
    """Wall-clock seconds that pass only when a test says so, shared by both limiters."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def databases(db_url: DatabaseURL) -> Iterator[tuple[Database, Database]]:
    """Two connections to one database, as two server processes have."""
    first, second = open_database(db_url), open_database(db_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(databases: tuple[Database, Database], clock: Clock) -> tuple[LookupFailures, ...]:
    one, two = (LookupFailures(db, KEY, LIMITS, clock) for db in databases)
    one.create()
    two.create()  # a second process's setup finds the table there
    return one, two


def rows(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as cur:
        return [(c, n) for c, n in cur.execute(f"SELECT client, number FROM {TABLE}").fetchall()]


def test_two_processes_share_a_client_s_failures(pair: tuple[LookupFailures, ...]) -> None:
    one, two = pair
    for limiter in (one, two, one, two, one):
        assert isinstance(limiter.begin("203.0.113.7", "p1-ZY1"), Attempt)
    # Five failures in all, three here and two there: both refuse the sixth.
    assert two.begin("203.0.113.7", "p1-ZY2") == Refused(600)
    assert one.begin("203.0.113.7", None) == Refused(600)
    assert isinstance(one.begin("198.51.100.1", "p1-ZY2"), Attempt)  # another client


def test_a_refused_client_may_try_again_when_its_first_failure_leaves(
    pair: tuple[LookupFailures, ...], clock: Clock
) -> None:
    one, two = pair
    for _ in range(5):
        one.begin("203.0.113.7", "p1-ZY1")
        clock.now += 60
    assert two.begin("203.0.113.7", "p1-ZY1") == Refused(300)
    clock.now += 300
    assert isinstance(two.begin("203.0.113.7", "p1-ZY1"), Attempt)
    assert one.begin("203.0.113.7", "p1-ZY1") == Refused(60)


def test_a_number_s_failures_from_everywhere_delay_but_never_refuse(
    pair: tuple[LookupFailures, ...], clock: Clock
) -> None:
    one, two = pair
    delays = []
    for n in range(8):
        limiter = (one, two)[n % 2]
        attempt = limiter.begin(f"10.0.0.{n}", "p1-ZY1")
        assert isinstance(attempt, Attempt)
        delays.append(attempt.delay)
    assert delays == [0, 0, 0, 1, 2, 4, 8, 8]
    other = one.begin("10.0.0.9", "p1-ZY2")
    assert isinstance(other, Attempt) and other.delay == 0  # other numbers are not slowed
    clock.now += 3600  # the number's failures leave its window
    fresh = two.begin("10.0.0.9", "p1-ZY1")
    assert isinstance(fresh, Attempt) and fresh.delay == 0


def test_successes_are_not_counted(
    pair: tuple[LookupFailures, ...], databases: tuple[Database, Database]
) -> None:
    one, two = pair
    for n in range(50):
        attempt = (one, two)[n % 2].begin("203.0.113.7", "p1-ZY1")
        assert isinstance(attempt, Attempt) and attempt.delay == 0
        (two, one)[n % 2].succeeded(attempt)  # the other process may see it succeed
    assert rows(databases[0]) == []
    # Failures before and after a success still count: a success removes only itself.
    for _ in range(4):
        one.begin("203.0.113.7", "p1-ZY1")
    ok = two.begin("203.0.113.7", "p1-ZY1")
    assert isinstance(ok, Attempt)
    one.succeeded(ok)
    assert isinstance(one.begin("203.0.113.7", "p1-ZY1"), Attempt)
    assert two.begin("203.0.113.7", "p1-ZY1") == Refused(600)


def test_racing_attempts_on_two_processes_get_exactly_the_limit(
    pair: tuple[LookupFailures, ...],
) -> None:
    one, two = pair
    start = threading.Barrier(20)
    results: list[Attempt | Refused] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait()
        result = (one, two)[n % 2].begin("203.0.113.7", f"p1-ZY{n % 3 + 1}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Attempt) for r in results) == 5
    assert all(isinstance(r, Attempt) or r == Refused(600) for r in results)


def test_rows_older_than_every_window_are_deleted(
    pair: tuple[LookupFailures, ...], databases: tuple[Database, Database], clock: Clock
) -> None:
    one, _ = pair
    for n in range(60):
        one.begin(f"client-{n}", f"p{n}-ZY1")
    clock.now += 3600
    for n in range(60, 160):  # a sweep comes with every hundredth attempt of a process
        one.begin(f"client-{n}", f"p{n}-ZY1")
    left = rows(databases[0])
    assert len(left) == 100 and ("p0-ZY1" not in {number for _, number in left})


def test_client_addresses_are_kept_only_as_keyed_hashes(
    pair: tuple[LookupFailures, ...], databases: tuple[Database, Database], clock: Clock
) -> None:
    one, _ = pair
    one.begin("203.0.113.7", "p1-ZY1")
    one.begin("203.0.113.7", None)  # malformed input: the client's count only
    (client, number), (same, none) = rows(databases[0])
    assert client == same and "203.0.113" not in client and len(client) == 32
    assert (number, none) == ("p1-ZY1", None)
    # Under another server key the same address is another hash: no table to look it up in.
    elsewhere = LookupFailures(databases[1], bytes(32), LIMITS, clock)
    elsewhere.begin("203.0.113.7", "p1-ZY1")
    assert len({c for c, _ in rows(databases[0])}) == 2
