"""Atom feeds 公告订阅 (RFC 4287) of announcements, narrowed by type, region, purchaser…

One feed, ``/feeds/announcements.atom``, takes the list page's fixed-choice filters; its
pages link to each other as RFC 5005 paged feeds (first, previous, next, last). Entry ids
are tag URIs (RFC 4151) built from the log's origin and the notice's leaf index, so they
never change whatever host serves the feed. The XML is written with ElementTree, which
escapes every text; the HTML summary is escaped once more inside it, as ``type="html"``
requires.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from projections.deps import ReadDb, ReadLogDep
from projections.web import queries
from projections.web.formats import (
    announcement_label,
    category_label,
    chinese_date,
    method_label,
    yuan,
)
from projections.web.queries import BadRequest, Filters, Notice
from projections.web.render import error_page, link, respond

ATOM: Final = "http://www.w3.org/2005/Atom"
MEDIA_TYPE: Final = "application/atom+xml; charset=utf-8"
PATH: Final = "/feeds/announcements.atom"
#: The archived feed's subscription document (``projections.web.archive``).
ARCHIVE_PATH: Final = "/feeds/archive/announcements.atom"
#: The year in the tag URIs: fixed, as RFC 4151 asks, so ids stay the same for ever.
TAG_YEAR: Final = "2026"
EPOCH: Final = "1970-01-01T00:00:00Z"  # the ``updated`` of a feed with no entry yet
# Characters XML 1.0 cannot carry; event text refuses most of them already.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

feeds = APIRouter(include_in_schema=False)
ET.register_namespace("", ATOM)


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def tag_authority(origin: str) -> str:
    """The host part of the log's origin (``example.org/log`` → ``example.org``)."""
    host = origin.split("/", 1)[0].lower()
    return host if re.fullmatch(r"[a-z0-9.-]+", host) else "sunshine-ledger.localhost"


def timestamp(day: str) -> str:
    """A notice's day as an RFC 3339 instant: its start in China time."""
    return f"{day}T00:00:00+08:00"


def element(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        element.text = _text(text)
    return element


def feed_title(filters: Filters, names: dict[str, str]) -> str:
    parts = ["阳光采购账本"]
    if filters.type:
        parts.append(announcement_label(filters.type))
    else:
        parts.append("政府采购公告")
    if filters.category:
        parts.append(category_label(filters.category))
    if filters.method:
        parts.append(method_label(filters.method))
    if filters.region:
        parts.append(filters.region)
    if filters.purchaser:
        parts.append(names.get(filters.purchaser, filters.purchaser))
    return " · ".join(parts)


def _rows(notice: Notice) -> list[tuple[str, str]]:
    rows = [
        ("公告类型", announcement_label(notice.type)),
        ("项目编号", notice.procurement),
        ("采购人", notice.purchaser_name),
        ("行政区域", notice.region),
        ("采购项目类别", category_label(notice.category)),
        ("采购方式", method_label(notice.method)),
        ("预算金额", yuan(notice.budget_fen)),
    ]
    if notice.winner_name:
        rows.append(("中标（成交）供应商", notice.winner_name))
    if notice.amount_fen is not None:
        rows.append(("中标（成交）金额", yuan(notice.amount_fen)))
    rows.append(("公告日期", chinese_date(notice.published_on)))
    return rows


def summary(notice: Notice) -> str:
    """The entry's summary as HTML: every value escaped, the markup ours."""
    rows = _rows(notice)
    items = Markup("").join(Markup("<li>{}：{}</li>").format(label, value) for label, value in rows)
    return str(Markup("<ul>{}</ul>").format(items))


def title(notice: Notice) -> str:
    """【type】title, and for a result its winner and amount, as a feed reader lists it."""
    text = f"【{announcement_label(notice.type)}】{notice.title}"
    if notice.winner_name and notice.amount_fen is not None:
        text += f"（中标（成交）供应商：{notice.winner_name}，金额{yuan(notice.amount_fen)}）"
    return text


def add_entry(root: ET.Element, notice: Notice, base: str, authority: str) -> None:
    """The notice as an Atom entry; its id is the same in every feed that carries it."""
    entry = element(root, "entry")
    element(entry, "id", f"tag:{authority},{TAG_YEAR}:announcement/{notice.leaf_index}")
    element(entry, "title", title(notice))
    element(entry, "updated", timestamp(notice.published_on))
    element(entry, "published", timestamp(notice.published_on))
    element(element(entry, "author"), "name", notice.purchaser_name)
    element(
        entry,
        "link",
        rel="alternate",
        type="text/html",
        href=f"{base}/announcements/{notice.leaf_index}",
    )
    element(entry, "category", term=notice.type, label=announcement_label(notice.type))
    element(entry, "summary", summary(notice), type="html")


# Over 60 lines by design: one document: an Atom feed, element by element.
@feeds.get(PATH)
def announcements_feed(request: Request, db: ReadDb, log_view: ReadLogDep) -> Response:
    try:
        filters = queries.parse_filters(db, request.query_params, queries.FEED_FILTERS)
        number = queries.parse_page(request.query_params.get("page"))
    except BadRequest as bad:
        return error_page(request, bad.status, bad.message)
    total = queries.count(db, filters)
    last = queries.last_page(total)
    if number > last:
        return error_page(request, 404, f"该订阅共{last}页，没有第{number}页。")
    notices = queries.search(db, filters, number)
    base = str(request.base_url).rstrip("/")
    params = filters.params()
    authority = tag_authority(log_view.origin)
    names = queries.names(db, {filters.purchaser} if filters.purchaser else set())

    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    # One id for every page of the same feed: the pages are parts of one logical feed.
    element(root, "id", f"tag:{authority},{TAG_YEAR}:{link('feeds/announcements', params)}")
    element(root, "title", feed_title(filters, names))
    newest = queries.newest_date(db, filters)
    element(root, "updated", timestamp(newest) if newest else EPOCH)
    element(element(root, "author"), "name", "阳光采购账本")
    element(root, "generator", "Sunshine Ledger")
    element(
        root,
        "link",
        rel="self",
        type="application/atom+xml",
        href=base + link(PATH, params, number),
    )
    element(
        root,
        "link",
        rel="alternate",
        type="text/html",
        href=base + link("/announcements", params, number),
    )
    element(root, "link", rel="first", href=base + link(PATH, params))
    element(root, "link", rel="last", href=base + link(PATH, params, last))
    if number > 1:
        element(root, "link", rel="previous", href=base + link(PATH, params, number - 1))
    if number < last:
        element(root, "link", rel="next", href=base + link(PATH, params, number + 1))
    if not params:  # the same notices, every one once in log order, for crawlers
        element(
            root,
            "link",
            rel="related",
            type="application/atom+xml",
            title="公告归档订阅（RFC 5005）",
            href=base + ARCHIVE_PATH,
        )
    for notice in notices:
        add_entry(root, notice, base, authority)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return respond(request, body, MEDIA_TYPE)
