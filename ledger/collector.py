"""The interpreter's cyclic garbage collector during long batch work.

A rebuild or a verification makes millions of short-lived objects (parsed entries, rows)
and almost no reference cycles. CPython collects its youngest generation after every 700
allocations, walking every young object each time; over a rebuild of 245,000 leaves that
was some 1,300 walks and 7% of its time. ``fewer_collections`` raises the threshold for a
block, or a call as a decorator, and restores it after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: The youngest generation collected after 50,000 allocations; the older two as often as
#: their own thresholds say (20 and 100 collections of the younger one).
BATCH_THRESHOLD: Final = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector at ``BATCH_THRESHOLD`` for the block, as it was after, whatever the
    block raised. The setting is the process's: other threads collect less often meanwhile
    (memory held by cycles waits a little longer; nothing else changes)."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
