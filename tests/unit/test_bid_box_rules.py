"""The bid box's pure rules, for any number of bids and any course of changes: the closed set
hides the count, its root does not depend on the order bids came in, and each supplier's
chain ends in exactly one live envelope."""

from __future__ import annotations

import base64
import hashlib
import random

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.bid_box import (
    MIN_BUCKET,
    BoxEntry,
    box_root,
    bucket_size,
    dummies,
    live_envelope,
    statuses,
)
from ledger.domain.bid_commands import signed_late
from ledger.domain.sealed import check_disclosure


def commitment(n: int) -> str:
    return base64.b64encode(hashlib.sha256(n.to_bytes(8, "big")).digest()).decode()


@given(st.integers(min_value=0, max_value=300))
def test_the_bucket_hides_the_count(count: int) -> None:
    size = bucket_size(count)
    assert size >= max(MIN_BUCKET, count) and size & (size - 1) == 0
    assert size < 2 * max(MIN_BUCKET, count)  # the next power of two, no larger
    if count <= MIN_BUCKET:
        assert size == MIN_BUCKET  # one bid and eight close alike


@given(st.integers(min_value=0, max_value=20), st.randoms(use_true_random=False))
def test_the_root_is_the_sets_not_the_orders(count: int, rng: random.Random) -> None:
    envelopes = [commitment(n) for n in range(count)]
    padding = dummies(count)
    members = envelopes + [c for c, _ in padding]
    assert len(members) == bucket_size(count)
    for c, disclosure in padding:  # each dummy opens to null with its own salt
        check_disclosure(c, disclosure.value, disclosure.salt_b64)
    shuffled = list(members)
    rng.shuffle(shuffled)
    assert box_root(shuffled) == box_root(members)
    if count:
        assert box_root([*members[1:], commitment(999)]) != box_root(members)


# A supplier's course: each step a change (False) or a withdrawal (True) of its latest.
courses = st.lists(st.lists(st.booleans(), max_size=4), min_size=1, max_size=5)


@given(courses)
def test_each_supplier_has_exactly_one_live_envelope(plan: list[list[bool]]) -> None:
    entries: list[BoxEntry] = []
    n = 0
    for s, steps in enumerate(plan):
        supplier = f"s{s}"
        entries.append(BoxEntry(commitment(n), supplier))
        n += 1
        for withdraw in steps:
            latest = live_envelope(entries, supplier)
            assert latest is not None
            entries.append(BoxEntry(commitment(n), supplier, latest.commitment, withdraw))
            n += 1
    found = statuses(entries)
    for s, steps in enumerate(plan):
        mine = [e for e in entries if e.supplier == f"s{s}"]
        live = [e for e in mine if found[e.commitment] in ("bid", "withdrawn")]
        assert live == [mine[-1]] and live_envelope(entries, f"s{s}") == mine[-1]
        assert found[mine[-1].commitment] == ("withdrawn" if steps and steps[-1] else "bid")
        assert all(found[e.commitment] == "superseded" for e in mine[:-1])


def test_an_envelope_is_late_by_its_signature_only_in_a_live_box() -> None:
    """A deadline of 2026-05-06 09:30 (Beijing), its notice signed before it passed: an
    envelope signed at 09:31 is late, one signed in the deadline's minute is not; the same
    deadline recorded afterwards is a paper tender transcribed, its stated times counting."""
    deadline = "2026-05-06 09:30"
    live = "2026-04-10T02:00:00Z"  # 10:00 Beijing, weeks before
    assert signed_late(deadline, live, "2026-05-06T01:31:00.5Z")  # 09:31 Beijing
    assert not signed_late(deadline, live, "2026-05-06T01:30:59Z")
    assert not signed_late(deadline, "2026-12-01T02:00:00Z", "2026-12-01T02:01:00Z")
    assert not signed_late(deadline, None, "2026-05-07T01:00:00Z")
