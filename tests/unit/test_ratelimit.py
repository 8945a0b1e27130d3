"""The lookup limits' rules: a client address is refused after its failures, a challenge number
is only slowed down, whatever its failures, and the right holder is never shut out by it."""

from __future__ import annotations

import pytest

from projections.web.ratelimit import Admitted, Limits, Refused, client_key

LIMITS = Limits(
    client_failures=5, client_window=600, number_free=20, number_window=3600,
    first_delay=1, max_delay=15,
)  # fmt: skip
NOW = 10_000.0


def test_the_sixth_failure_in_ten_minutes_waits_until_the_first_leaves() -> None:
    failures = [NOW - 300 + 60 * n for n in range(5)]  # at -300, -240, … -60
    assert LIMITS.decide(failures[:4], 0, NOW) == Admitted(0)
    assert LIMITS.decide(failures, 0, NOW) == Refused(300)  # the first leaves in 300 s
    # Failures older than the window no longer count; the next slot frees at the second's.
    assert LIMITS.decide(failures, 0, NOW + 300) == Admitted(0)
    assert LIMITS.decide([*failures[1:], NOW + 300], 0, NOW + 300) == Refused(60)


def test_a_refusal_is_at_least_a_second_and_rounded_up() -> None:
    failures = [NOW - 599.5] + [NOW - 1] * 4
    assert LIMITS.decide(failures, 0, NOW) == Refused(1)  # 0.5 s left: said as 1
    failures = [NOW - 100.2] * 5
    assert LIMITS.decide(failures, 0, NOW) == Refused(500)  # 499.8 s: said as 500


def test_a_number_s_failures_delay_its_attempts_and_never_refuse_them() -> None:
    # Twenty failures on a number from anywhere cost nothing; then the waits double, to 15 s.
    delays = [LIMITS.decide([], failures, NOW) for failures in (0, 19, 20, 21, 22, 23, 24)]
    assert delays == [Admitted(0), Admitted(0), Admitted(1), Admitted(2), Admitted(4),
                      Admitted(8), Admitted(15)]  # fmt: skip
    # However many: a number alone never refuses, so the right code is always checked.
    for failures in (25, 100, 10_000, 10**9):
        assert LIMITS.decide([], failures, NOW) == Admitted(15)


def test_only_the_client_refuses_and_its_refusal_wins_over_a_delay() -> None:
    full = [NOW - 10] * 5
    assert LIMITS.decide(full, 0, NOW) == Refused(590)
    assert LIMITS.decide(full, 10**6, NOW) == Refused(590)
    assert LIMITS.decide(full[:4], 10**6, NOW) == Admitted(15)


def test_delays_follow_the_settings() -> None:
    gentle = Limits(number_free=0, first_delay=0.5, max_delay=3)
    assert [gentle.number_delay(n) for n in range(5)] == [0.5, 1, 2, 3, 3]
    assert Limits(first_delay=0, max_delay=0).number_delay(10**6) == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"client_failures": 0},
        {"number_free": -1},
        {"client_window": 0},
        {"number_window": -1},
        {"first_delay": -1},
        {"first_delay": 20, "max_delay": 15},
    ],
)
def test_limits_need_sane_settings(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**settings)  # type: ignore[arg-type]


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
