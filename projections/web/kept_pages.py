"""Kept list and notice pages answered before routing, on the event loop.

A page kept by ``page_cache`` is the page for its address while the public projection stays
at the state it was rendered at. Answering it through its route cost far more than the page
itself: FastAPI's routing and dependencies, a hand-off to the thread pool, a connection
checked out to read the projection's position, the filters parsed. ``KeptPages`` looks the
address up as the client sent it, learns the projection's state, and answers the kept page
when that state is the page's; anything else (an address not kept, a newer state, another
path) goes on to the routes, which render and keep it.

How fresh: the state compared is read by a read that began after the request arrived, so a
kept page shows every leaf the projection had applied when the request came, as a page
rendered for it would. On PostgreSQL requests arriving together share that read
(``StateReads``): one read at a time, on the event loop over a connection of the process's
own (``PositionQuery``: one round trip, where a pooled transaction in a worker thread takes
three and a hand-off), and the requests that arrive while it runs wait for the next. On
SQLite each request reads the row itself, on the event loop: a read of one row from a file
costs less than handing it to a thread and back (a reader of a WAL database waits for no
writer).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final

import psycopg
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.store.sql import PostgresDatabase, SQLiteDatabase
from projections.deps import ReadSideResources
from projections.web.page_cache import PageCache, State, asked_address
from projections.web.render import answer

__all__ = ["KeptPages", "StateReads"]

#: The pages ``page_cache`` keeps: the announcement list (and its searches) and each notice.
KEPT_PATHS: Final = re.compile(r"/announcements(/[0-9]+)?")


class StateReads:
    """The projection's state for the requests of one event loop, read once for all the
    requests waiting when a read begins."""

    def __init__(
        self,
        read: Callable[[], State],
        in_loop: bool = False,
        query: Callable[[], Awaitable[State]] | None = None,
    ):
        self._read = read
        self._in_loop = in_loop  # each call reads at once, on the loop (SQLite)
        self._query = query  # a read on the loop itself (PostgreSQL), else ``read`` in a thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: asyncio.Future[State] | None = None  # begun before some waiters came
        self._next: asyncio.Future[State] | None = None  # begins when the running one ends

    async def current(self) -> State:
        """The state as of a read begun after this call."""
        if self._in_loop:
            return self._read()
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # another loop (a test's client): its reads are not ours
            self._loop, self._running, self._next = loop, None, None
        if self._running is None:
            self._running = self._begin(loop)
            waited = self._running
        else:
            if self._next is None:
                self._next = loop.create_future()
            waited = self._next
        # shielded: a request that goes away does not cancel the others' read
        return await asyncio.shield(waited)

    def _begin(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[State]:
        future: asyncio.Future[State] = loop.create_future()
        self._reading(loop).add_done_callback(lambda done: self._ended(loop, future, done))
        return future

    def _reading(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[State]:
        if self._query is not None:
            return asyncio.ensure_future(self._query())
        return loop.run_in_executor(None, self._read)

    def _ended(
        self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[State],
        done: asyncio.Future[State],
    ) -> None:
        if done.cancelled():
            future.cancel()
        elif (error := done.exception()) is not None:
            future.set_exception(error)
            future.add_done_callback(_retrieved)
        else:
            future.set_result(done.result())
        if self._loop is not loop or self._running is not future:
            return
        self._running, following, self._next = None, self._next, None
        if following is not None:
            self._running = following
            self._reading(loop).add_done_callback(
                lambda done: self._ended(loop, following, done)
            )


class PositionQuery:
    """The projection's state asked of PostgreSQL on the event loop, over one connection of
    this process in autocommit (a single statement: one round trip), opened on first use
    and again after a failure or on another loop."""

    def __init__(self, conninfo: str, projection: str):
        self._conninfo = conninfo
        self._projection = projection
        self._connection: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self) -> State:
        loop = asyncio.get_running_loop()
        if self._connection is None or self._connection.closed or self._loop is not loop:
            self._connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            )
            self._loop = loop
        connection = self._connection
        try:
            cursor = await connection.execute(
                "SELECT position, version FROM projection_positions WHERE name = %s",
                (self._projection,),
            )
            rows = await cursor.fetchall()
        except psycopg.Error:
            self._connection = None
            await connection.close()
            raise
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


def _retrieved(future: asyncio.Future[State]) -> None:
    """A failed read's error is each waiter's (they go on to the routes); none left waiting
    is no error of the loop's."""
    future.exception()


class KeptPages:
    """ASGI middleware: a kept list or notice page answered without its route (GET; HEAD
    is a GET by then, ``HeadAsGet``, and the security headers are added around it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._reads: tuple[PageCache, StateReads] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not KEPT_PATHS.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        reads = self._state_reads(scope)
        kept = None if reads is None else reads[0].kept(
            asked_address(scope["path"], scope["query_string"])
        )
        if reads is None or kept is None:
            await self.app(scope, receive, send)
            return
        state, rendered = kept
        try:
            now = await reads[1].current()
        except Exception:  # the routes read it again, and answer what went wrong
            now = None
        if now != state:
            await self.app(scope, receive, send)
            return
        if_none_match = next(
            (value.decode("latin-1") for name, value in scope["headers"]
             if name == b"if-none-match"), "",
        )  # fmt: skip
        await answer(if_none_match, rendered)(scope, receive, send)

    def _state_reads(self, scope: Scope) -> tuple[PageCache, StateReads] | None:
        """The app's page cache and the reads of its state (None before it was given them,
        or where no page is kept)."""
        state = getattr(scope.get("app"), "state", None)
        resources = getattr(state, "read_side", None)
        ports = getattr(state, "ledger_ports", None)
        if not isinstance(resources, ReadSideResources) or not resources.pages.max_bytes:
            return None
        if self._reads is None or self._reads[0] is not resources.pages:
            db = resources.read_db or getattr(ports, "db", None)
            if db is None:
                return None
            cache = resources.pages
            in_loop = isinstance(db, SQLiteDatabase)
            query = (
                PositionQuery(db.url.conninfo(), cache.projection)
                if isinstance(db, PostgresDatabase) else None
            )  # fmt: skip
            self._reads = (cache, StateReads(lambda: cache.state(db), in_loop, query))
        return self._reads
