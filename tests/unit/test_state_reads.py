"""Kept pages learn the projection's state from a read begun after the request came
(``kept_pages.StateReads``): requests arriving together share one, never an older one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from projections.web.kept_pages import StateReads
from projections.web.page_cache import State

T = TypeVar("T")


def run(scene: Coroutine[Any, Any, T]) -> T:
    """``scene`` on an event loop of its own thread (a browser's test may hold this one's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scene).result()


class Positions:
    """The projection's position as reads see it: each read returns it, the first holding
    until let go (a read in flight while the position moves on)."""

    def __init__(self) -> None:
        self.position = 1
        self.reads = 0
        self.reading = threading.Event()
        self.go_on = threading.Event()

    def read(self) -> State:
        self.reads += 1
        seen = self.position
        if self.reads == 1:
            self.reading.set()
            self.go_on.wait()
        return (seen, 1)


def test_a_request_arriving_during_a_read_waits_for_the_next_one() -> None:
    positions = Positions()
    reads = StateReads(positions.read)

    async def scene() -> tuple[State, list[State]]:
        early = asyncio.ensure_future(reads.current())
        await asyncio.to_thread(positions.reading.wait)  # the read has seen position 1
        positions.position = 2  # the projector applies a leaf; then requests arrive
        late = [asyncio.ensure_future(reads.current()) for _ in range(5)]
        await asyncio.sleep(0)  # let them join before the first read ends
        positions.go_on.set()
        return await early, list(await asyncio.gather(*late))

    early, late = run(scene())
    assert early == (1, 1)
    assert late == [(2, 1)] * 5  # none answered by the read begun before it came
    assert positions.reads == 2  # the five shared one read


def test_a_failed_read_fails_its_waiters_and_the_next_read_is_made() -> None:
    answers: list[State | Exception] = [RuntimeError("the database went away"), (3, 1)]

    def read() -> State:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    reads = StateReads(read)

    async def scene() -> tuple[BaseException | State, State]:
        try:
            failed: BaseException | State = await reads.current()
        except RuntimeError as error:
            failed = error
        return failed, await reads.current()

    failed, then = run(scene())
    assert isinstance(failed, RuntimeError)
    assert then == (3, 1)


def test_reads_on_the_loop_are_shared_the_same_way() -> None:
    """PostgreSQL's reads run on the event loop (``PositionQuery``): same sharing."""
    position, queries = [1], [0]

    async def scene() -> tuple[State, list[State], int]:
        held = asyncio.Event()

        async def query() -> State:
            queries[0] += 1
            seen = position[0]
            if queries[0] == 1:
                await held.wait()
            return (seen, 1)

        reads = StateReads(lambda: (0, 0), query=query)
        early = asyncio.ensure_future(reads.current())
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # the first query has seen position 1
        position[0] = 2
        late = [asyncio.ensure_future(reads.current()) for _ in range(5)]
        await asyncio.sleep(0)
        held.set()
        return await early, list(await asyncio.gather(*late)), queries[0]

    early, late, count = run(scene())
    assert early == (1, 1)
    assert late == [(2, 1)] * 5
    assert count == 2
