"""The lookup limiter: failures in sliding windows per client and per challenge number,
refunds for successes, an exact limit under racing threads, bounded memory."""

from __future__ import annotations

import threading

import pytest

from projections.web.ratelimit import (
    Attempt,
    FailureLimiter,
    SlidingWindow,
    client_key,
)


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **kw: int | float) -> FailureLimiter:
    settings: dict[str, float] = {
        "client_limit": 5,
        "client_window": 600,
        "number_limit": 20,
        "number_window": 3600,
    }
    return FailureLimiter(**(settings | kw), clock=clock)  # type: ignore[arg-type]


def test_the_sixth_failure_in_ten_minutes_waits_until_the_first_leaves() -> None:
    clock = Clock()
    limit = limiter(clock)
    for second in range(5):
        clock.now = 1000.0 + second * 60
        assert isinstance(limit.begin("203.0.113.7", "p1-ZY1"), Attempt)
    clock.now = 1000.0 + 300
    assert limit.begin("203.0.113.7", "p1-ZY1") == 300  # the first failure leaves at 1600
    assert limit.begin("203.0.113.7", None) == 300  # malformed input is refused the same
    assert isinstance(limit.begin("198.51.100.1", "p1-ZY1"), Attempt)  # another client
    clock.now = 1600.0
    assert isinstance(limit.begin("203.0.113.7", "p1-ZY2"), Attempt)  # one slot freed
    assert limit.begin("203.0.113.7", "p1-ZY2") == 60  # the second left at 1660


def test_a_number_is_limited_across_clients() -> None:
    clock = Clock()
    limit = limiter(clock)
    for n in range(20):
        assert isinstance(limit.begin(f"10.0.0.{n}", "p1-ZY1"), Attempt)
    wait = limit.begin("10.0.1.1", "p1-ZY1")
    assert wait == 3600
    assert isinstance(limit.begin("10.0.1.1", "p1-ZY2"), Attempt)  # other numbers are open
    clock.now += 3600
    assert isinstance(limit.begin("10.0.1.1", "p1-ZY1"), Attempt)


def test_successes_are_refunded_and_never_limited() -> None:
    clock = Clock()
    limit = limiter(clock)
    for _ in range(50):
        attempt = limit.begin("203.0.113.7", "p1-ZY1")
        assert isinstance(attempt, Attempt)
        limit.succeeded(attempt)
    assert len(limit.by_client) == 0 and len(limit.by_number) == 0
    # Failures before and after a success still count: the success refunds itself only.
    for _ in range(4):
        limit.begin("203.0.113.7", "p1-ZY1")
    ok = limit.begin("203.0.113.7", "p1-ZY1")
    assert isinstance(ok, Attempt)
    limit.succeeded(ok)
    assert isinstance(limit.begin("203.0.113.7", "p1-ZY1"), Attempt)
    assert limit.begin("203.0.113.7", "p1-ZY1") == 600


def test_racing_threads_get_exactly_the_limit() -> None:
    limit = FailureLimiter(client_limit=5, client_window=600, number_limit=1000)
    start = threading.Barrier(40)
    admitted: list[object] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait()
        result = limit.begin("203.0.113.7", f"p1-ZY{n % 3 + 1}")
        with lock:
            admitted.append(result)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(a, Attempt) for a in admitted) == 5
    assert all(isinstance(a, Attempt) or a == 600 for a in admitted)


def test_memory_stays_bounded_under_a_flood_of_keys() -> None:
    clock = Clock()
    limit = limiter(clock, client_limit=1000, max_keys=100)
    for n in range(1000):
        limit.begin(f"client-{n}", f"p{n}-ZY1")
    assert len(limit.by_client) <= 100 and len(limit.by_number) <= 100
    # The most recent failures are the ones kept.
    assert limit.by_number.retry_after("p999-ZY1", clock.now) == 0
    assert len(limit.by_number._events["p999-ZY1"]) == 1


def test_expired_keys_are_dropped_before_recent_ones() -> None:
    clock = Clock()
    window = SlidingWindow(limit=2, window=10, max_keys=3)
    window.add("old", clock.now)
    window.add("a", clock.now + 9)
    window.add("b", clock.now + 9)
    window.add("c", clock.now + 10.5)  # "old" has expired: it goes, "a" and "b" stay
    assert sorted(window._events) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same /64: one client
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_its_64(host: str | None, key: str) -> None:
    assert client_key(host) == key


def test_a_window_needs_sane_settings() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(limit=0, window=10)
    with pytest.raises(ValueError):
        SlidingWindow(limit=1, window=0)
