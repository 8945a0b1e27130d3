"""The archived feed 公告归档订阅 (RFC 5005 §4): every notice exactly once, in log order, in
pages that never change once full, so a crawler neither misses nor repeats an entry.

``/feeds/archive/announcements.atom`` is the subscription document: the notices after the
last full page (none to 19), with ``prev-archive`` to the newest full page. Page n,
``/feeds/archive/announcements/<n>.atom``, holds the notices of ordinals (n-1)·20 … n·20-1
with ``fh:archive``, ``current``, ``prev-archive`` (from page 2) and ``next-archive``. The
next page is linked from the start, answering 302 to the subscription document until it is
full, so not one byte of a full page changes later: entries show the names the notice was
published under (frozen by the public projection), the page's ``updated`` is its newest
notice's day, and it is served ``immutable``.

A crawler follows ``prev-archive`` back from the subscription document to the first page it
has already read, then reads forward.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from projections.deps import ReadDb, ReadLogDep
from projections.web import queries
from projections.web.feeds import (
    ARCHIVE_PATH,
    ATOM,
    EPOCH,
    MEDIA_TYPE,
    TAG_YEAR,
    add_entry,
    element,
    tag_authority,
    timestamp,
)
from projections.web.queries import Notice
from projections.web.render import error_page, respond

__all__ = ["ARCHIVE_PAGE_SIZE", "FH", "IMMUTABLE", "archive", "page_path"]

#: Notices per archive page: fixed for ever, since changing it would move every notice.
ARCHIVE_PAGE_SIZE: Final = 20
FH: Final = "http://purl.org/syndication/history/1.0"
#: A full page: any cache may keep it for a year and never revalidate it.
IMMUTABLE: Final = "public, max-age=31536000, immutable"
_NUMBER = re.compile(r"[1-9][0-9]{0,8}\Z")  # "1", never "01", "+1" or " 1"

archive = APIRouter(include_in_schema=False)
ET.register_namespace("fh", FH)


def page_path(number: int) -> str:
    return f"/feeds/archive/announcements/{number}.atom"


def _document(origin: str, title: str, updated: str | None) -> ET.Element:
    """A document of the archived feed: the same id for all of them (one logical feed)."""
    authority = tag_authority(origin)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    element(root, "id", f"tag:{authority},{TAG_YEAR}:feeds/archive/announcements")
    element(root, "title", title)
    element(root, "updated", timestamp(updated) if updated else EPOCH)
    element(element(root, "author"), "name", "阳光采购账本")
    element(root, "generator", "Sunshine Ledger")
    return root


def _entries(root: ET.Element, notices: list[Notice], base: str, origin: str) -> bytes:
    authority = tag_authority(origin)
    for notice in notices:
        add_entry(root, notice, base, authority)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


@archive.get(ARCHIVE_PATH)
def subscription(request: Request, db: ReadDb, log_view: ReadLogDep) -> Response:
    total = queries.notice_total(db)
    full = total // ARCHIVE_PAGE_SIZE
    notices = queries.in_log_order(db, full * ARCHIVE_PAGE_SIZE, total)
    base = str(request.base_url).rstrip("/")
    # Its ``updated`` is the newest notice's, archived or not: this document is the feed.
    newest = queries.newest_date(db, queries.Filters())
    root = _document(log_view.origin, "阳光采购账本 · 政府采购公告归档", newest)
    element(root, "link", rel="self", type="application/atom+xml", href=base + ARCHIVE_PATH)
    element(root, "link", rel="alternate", type="text/html", href=base + "/announcements")
    if full:
        element(root, "link", rel="prev-archive", href=base + page_path(full))
    return respond(request, _entries(root, notices, base, log_view.origin), MEDIA_TYPE)


@archive.get("/feeds/archive/announcements/{number}.atom")
def archive_page(request: Request, db: ReadDb, log_view: ReadLogDep, number: str) -> Response:
    full = queries.notice_total(db) // ARCHIVE_PAGE_SIZE
    wanted = int(number) if _NUMBER.match(number) else None
    if wanted is None:
        return error_page(request, 404, f"公告归档没有“{number}”这一页：页码为 1 起的整数。")
    base = str(request.base_url).rstrip("/")
    if wanted == full + 1:  # filling up: its notices are in the subscription document
        return RedirectResponse(
            base + ARCHIVE_PATH, status_code=302, headers={"Cache-Control": "no-store"}
        )
    if wanted > full:
        return error_page(request, 404, f"公告归档现有{full}个满页，第{wanted}页尚未开始。")
    start = (wanted - 1) * ARCHIVE_PAGE_SIZE
    notices = queries.in_log_order(db, start, start + ARCHIVE_PAGE_SIZE)
    title = f"阳光采购账本 · 政府采购公告归档 · 第{wanted}页"
    newest = max((n.published_on for n in notices), default=None)  # fixed once full
    root = _document(log_view.origin, title, newest)
    ET.SubElement(root, f"{{{FH}}}archive")
    element(root, "link", rel="self", type="application/atom+xml", href=base + page_path(wanted))
    element(root, "link", rel="current", type="application/atom+xml", href=base + ARCHIVE_PATH)
    if wanted > 1:
        element(root, "link", rel="prev-archive", href=base + page_path(wanted - 1))
    element(root, "link", rel="next-archive", href=base + page_path(wanted + 1))
    body = _entries(root, notices, base, log_view.origin)
    return respond(request, body, MEDIA_TYPE, cache=IMMUTABLE)
