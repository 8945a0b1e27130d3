"""The retry schedule: exponential backoff with full jitter, over about three days.

After the n-th failed attempt of a round the next one waits a random time in
[0, min(retry_cap, retry_base · 2^(n-1))] (full jitter: retries of many notices to one site
spread out instead of arriving together). With the defaults (30 s doubling to 6 h) that is
about ten attempts in the first day's first hours, then one every three hours on average.
A round ends with the job dead-lettered once ``give_up_after`` (3 days) has passed since its
first attempt, or after ``max_attempts`` when that is set. A requeue starts a new round.

A 429 or 503 with Retry-After is honoured as given (up to ``retry_after_max``) instead.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from publisher.config import Tuning


def backoff(round_attempts: int, tuning: Tuning, rng: random.Random) -> float:
    """Seconds to wait after the ``round_attempts``-th attempt failed."""
    exponent = max(0, min(round_attempts - 1, 62))
    ceiling = min(tuning.retry_cap, tuning.retry_base * 2.0**exponent)
    return rng.uniform(0.0, ceiling)


def exhausted(round_attempts: int, round_started: float | None, tuning: Tuning, now: float) -> bool:
    """Whether a job whose latest attempt just failed is to be given up."""
    if tuning.max_attempts and round_attempts >= tuning.max_attempts:
        return True
    started = now if round_started is None else round_started
    return now - started >= tuning.give_up_after


def retry_after(value: str | None, tuning: Tuning, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP-date); None when absent or
    unreadable. Clamped to [0, retry_after_max]: a site cannot park a job for a year."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, tuning.retry_after_max))
