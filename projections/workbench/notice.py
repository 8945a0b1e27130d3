"""The preview of a notice 公告 as its public page will show it, before anything is signed.

The drafted entries are laid over the public projection, by its own handler, in a
transaction that is always rolled back (``projections.drafted``); the notice page's own view
code (``entry_context``, ``others_context``) reads the notice back within that transaction
and the page's own template (``announcement.html``) renders its ``main`` block, as the
public will see it once recorded. The notice has no log number yet: the page is rendered as
a draft (no 验证 panel, no link to the notice itself). None when the public projection lags
too far to know now.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from markupsafe import Markup

from ledger.domain.schema import entries as E
from ledger.log.follower import Entry
from ledger.ports import Database
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from ledger.store.url import DatabaseURL
from projections.drafted import read_over_drafted
from projections.public import PublicProjection
from projections.web import queries
from projections.web.pages import entry_context, others_context
from projections.web.render import ENV


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

    def rendered(cur: Cursor, first: int) -> list[Markup]:
        # The pages' queries only read (``db.read()``): within this transaction, they read it.
        within = cast("Database", _Within(cur, db.url))
        found = [queries.announcement(within, first + n) for n in range(len(drafted))]
        return [_page(within, notice) for notice in found if notice is not None]

    return read_over_drafted(db, PublicProjection(db.url.is_sqlite), drafted, rendered)


def _page(within: Database, found: queries.Announcement) -> Markup:
    template = ENV.get_template("announcement.html")
    context = template.new_context(
        {**entry_context(found), **others_context(within, found), "draft": True}
    )
    # The whole page once, for the macros it defines (org, whereabouts); then its main.
    for _ in template.root_render_func(context):
        pass
    return Markup("".join(template.blocks["main"](context)))  # noqa: S704 (autoescaped)
