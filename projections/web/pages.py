"""The public pages 公告页面: home, announcement lists, notices, procurements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ledger.store.sql import PostgresDatabase, SQLiteDatabase
from projections.web.render import page

pages = APIRouter(include_in_schema=False)


def get_db(request: Request) -> SQLiteDatabase | PostgresDatabase:
    db: SQLiteDatabase | PostgresDatabase = request.app.state.ledger.db
    return db


Db = Annotated[SQLiteDatabase | PostgresDatabase, Depends(get_db)]


def _rows(db: SQLiteDatabase | PostgresDatabase, sql: str, params: Any = ()) -> list[Any]:
    with db.read() as cur:
        return cur.execute(sql, params).fetchall()


@pages.get("/")
def home(request: Request, db: Db) -> Response:
    latest = _rows(
        db,
        "SELECT leaf_index, type, title, published_on FROM pub_announcements "
        "ORDER BY published_on DESC, leaf_index DESC LIMIT 20",
    )
    return page(request, "home.html", latest=latest)
