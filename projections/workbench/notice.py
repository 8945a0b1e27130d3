"""The preview of a notice 公告 as its public page will show it, before anything is signed.

The drafted entries are applied after the last leaf, by the public projection's own handler,
in one transaction of that projection (under its lock, so its worker waits) that is always
rolled back; the notice page's own view code (``entry_context``, ``others_context``) reads
the notice back within that transaction and the page's own template
(``announcement.html``) renders its ``main`` block, as the public will see it once recorded.
The notice has no log number yet: the page is rendered as a draft (no 验证 panel, no link to
the notice itself). Leaves the projection has not applied yet are applied first, in the same
transaction; when it lags by more than ``MAX_LAG`` leaves, the answer is None (not known now)
rather than a wait.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Final, cast

from markupsafe import Markup

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.follower import Entry, consumer_lock
from ledger.log.reader import LogReader
from ledger.ports import Database
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from ledger.store.url import DatabaseURL
from projections.public import PublicProjection
from projections.web import queries
from projections.web.pages import entry_context, others_context
from projections.web.render import ENV

MAX_LAG: Final = 200  # leaves applied on the way; beyond, the preview shows no notice page


class _Undo(Exception):
    """Leaves the transaction, which rolls it back, with the pages rendered."""

    def __init__(self, pages: list[Markup] | None):
        super().__init__("rolled back")
        self.pages = pages


class _Within:
    """The rolled-back transaction, read as the public pages read their database."""

    def __init__(self, cur: Cursor, url: DatabaseURL):
        self._cur = cur
        self.url = url

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        yield self._cur

    def write(self, lock: int) -> Any:
        raise RuntimeError("a preview writes nothing")

    def execute_script(self, statements: Sequence[str]) -> None:
        raise RuntimeError("a preview writes nothing")

    def close(self) -> None:
        pass


def announces(drafted: Sequence[Entry]) -> bool:
    """Whether any drafted entry publishes a notice (has a public notice page)."""
    return any(isinstance(e.data, E.Summary) and e.data.announcement for e in drafted)


def notice_pages(
    db: SQLiteDatabase | PostgresDatabase, drafted: Sequence[Entry]
) -> list[Markup] | None:
    """The ``main`` of each notice page ``drafted`` (entries without their index yet) would
    publish, in order; None when the public projection lags too far to know now."""
    projection = PublicProjection(db.url.is_sqlite)
    try:
        with db.write(consumer_lock(projection.name)) as cur:
            raise _Undo(_rendered(cur, db.url, projection, drafted))
    except _Undo as undone:
        return undone.pages


def _rendered(
    cur: Cursor, url: DatabaseURL, projection: PublicProjection, drafted: Sequence[Entry]
) -> list[Markup] | None:
    row = cur.execute(
        "SELECT position FROM projection_positions WHERE name = ?", (projection.name,)
    ).fetchone()
    if row is None:
        return None
    position = int(row[0])
    behind = LogReader.entries_in(cur, position, MAX_LAG + 1)
    if len(behind) > MAX_LAG:
        return None
    for offset, leaf in enumerate(behind):
        projection.apply(cur, position + offset, parse_entry(leaf), leaf)
    first = position + len(behind)
    for offset, entry in enumerate(drafted):
        projection.apply(cur, first + offset, replace(entry, index=first + offset), b"")
    # The pages' queries only read (``db.read()``): within this transaction, they read it.
    within = cast("Database", _Within(cur, url))
    found = [queries.announcement(within, first + n) for n in range(len(drafted))]
    return [_page(within, notice) for notice in found if notice is not None]


def _page(within: Database, found: queries.Announcement) -> Markup:
    template = ENV.get_template("announcement.html")
    context = template.new_context(
        {**entry_context(found), **others_context(within, found), "draft": True}
    )
    # The whole page once, for the macros it defines (org, whereabouts); then its main.
    for _ in template.root_render_func(context):
        pass
    return Markup("".join(template.blocks["main"](context)))  # noqa: S704 (autoescaped)
