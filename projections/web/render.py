"""Rendering pages: one Jinja2 environment (autoescaping every value), labels, ETags.

Every page is rendered from projection rows; whatever a user wrote (titles, requirements,
challenge texts) reaches the page only through autoescaping. A page's ETag is a digest of its
bytes, so a client revalidating an unchanged page gets 304 without a body.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ledger.domain.challenges import Outcome, Subject
from ledger.domain.schema.kinds import KINDS
from ledger.domain.subject import catalogue_section
from ledger.domain.vocabulary import AnnouncementType, CallOffSelection, Category, Method
from projections.web.documents import document_format, document_hex, file_size
from projections.web.formats import (
    announcement_label,
    beijing_time,
    category_label,
    chinese_date,
    label_of,
    method_label,
    stage_label,
    wan,
    yuan,
)
from projections.web.freshness import Freshness
from projections.web.page_cache import Rendered
from projections.web.shown import shown, shown_list, shown_organisation

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"

__all__ = [
    "ENV", "EVENT_LABELS", "HERE", "STATIC", "answer", "error_page", "etag_of", "link", "page",
    "render", "respond", "respond_rendered", "routing_error_page", "wants_html",
]  # fmt: skip

#: The Chinese name of every entry kind on a procurement's public timeline.
EVENT_LABELS: Final = {kind.name: kind.label_zh for kind in KINDS}


#: How a procurement ended (the lifecycle's ``closed``).
CLOSURE_LABELS: Final = {"failed": "已废标", "terminated": "已终止", "archived": "已归档"}


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event, event)


def banner(request: Request | None) -> str:
    """The text the operator has every page show atop (``Settings.banner``; the demo's
    演示数据，纯属虚构), or '' (also for a page rendered outside a request)."""
    if request is None:
        return ""
    resources = getattr(request.app.state, "read_side", None)
    text = getattr(resources, "banner", "")
    return text if isinstance(text, str) else ""


def freshness(request: Request | None) -> Freshness | None:
    """How fresh a page read from a streaming replica is (``ReadSideResources.freshness``),
    or None: on the primary, on SQLite, and outside a request."""
    if request is None:
        return None
    resources = getattr(request.app.state, "read_side", None)
    probe = getattr(resources, "freshness", None)
    return probe() if callable(probe) else None


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        yuan=yuan,
        wan=wan,
        announcement_label=announcement_label,
        method_label=method_label,
        category_label=category_label,
        stage_label=stage_label,
        outcome_label=label_of(Outcome),
        subject_label=label_of(Subject),
        selection_label=label_of(CallOffSelection),
        chinese_date=chinese_date,
        beijing_time=beijing_time,
        event_label=event_label,
        closure_label=lambda value: CLOSURE_LABELS.get(value, value),
        catalogue_section=catalogue_section,
        document_hex=document_hex,
        file_size=file_size,
        document_format=document_format,
    )
    env.globals.update(
        banner=banner,
        freshness=freshness,
        announcement_types=list(AnnouncementType),
        methods=list(Method),
        categories=list(Category),
        shown=shown,
        shown_list=shown_list,
        shown_organisation=shown_organisation,
    )
    return env


ENV: Final = environment()


def respond(
    request: Request,
    body: bytes,
    media_type: str,
    status: int = 200,
    max_age: int = 60,
    cache: str | None = None,
) -> Response:
    """``body`` with its ETag; 304 when the client already holds these exact bytes.

    ``cache`` replaces the Cache-Control of ``max_age`` (an archive page's ``immutable``).
    Error pages are not cached: the projection may be a moment behind the log, and a
    notice that is 404 now is there a second later."""
    return respond_rendered(request, Rendered(body, etag_of(body)), media_type, status, max_age,
                            cache)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def respond_rendered(
    request: Request,
    rendered: Rendered,
    media_type: str = "text/html; charset=utf-8",
    status: int = 200,
    max_age: int = 60,
    cache: str | None = None,
) -> Response:
    """``respond`` for a page rendered before, its ETag with it (``page_cache``)."""
    return answer(request.headers.get("if-none-match", ""), rendered, media_type, status,
                  max_age, cache)


def answer(
    if_none_match: str,
    rendered: Rendered,
    media_type: str = "text/html; charset=utf-8",
    status: int = 200,
    max_age: int = 60,
    cache: str | None = None,
) -> Response:
    """``respond_rendered`` to a request whose If-None-Match is ``if_none_match`` (the
    kept pages answer before a ``Request`` is made, ``kept_pages``)."""
    body, etag = rendered.body, rendered.etag
    cache = (cache or f"public, max-age={max_age}") if status < 400 else "no-store"
    headers = {"ETag": etag, "Cache-Control": cache}
    if status == 200 and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """If-None-Match: "*" or a list of (possibly weak) tags (RFC 9110 §13.1.2)."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def page(
    request: Request,
    template: str,
    status: int = 200,
    media_type: str = "text/html; charset=utf-8",
    max_age: int = 60,
    **context: Any,
) -> Response:
    """Render ``template`` and answer it with ``respond``."""
    body = ENV.get_template(template).render(request=request, **context).encode()
    return respond(request, body, media_type, status, max_age)


def render(request: Request, template: str, **context: Any) -> Rendered:
    """``template`` rendered, with its ETag, to answer now and again (``page_cache``)."""
    body = ENV.get_template(template).render(request=request, **context).encode()
    return Rendered(body, etag_of(body))


def link(path: str, params: dict[str, str], page_number: int = 1) -> str:
    """``path`` with the filters and, past the first, the page number."""
    query = dict(params) | ({"page": str(page_number)} if page_number > 1 else {})
    return path + ("?" + urlencode(query) if query else "")


def error_page(request: Request, status: int, message: str, title: str = "") -> Response:
    """A page in Chinese saying what went wrong, with a 4xx status."""
    heading = title or {400: "请求有误", 404: "未找到"}.get(status, "无法完成请求")
    return page(request, "error.html", status=status, heading=heading, message=message)


def wants_html(request: Request) -> bool:
    """Browsers ask for text/html; API clients (httpx, curl: */*) get JSON."""
    return "text/html" in request.headers.get("accept", "")


#: What a browser is told at an address no page answers, or with a method it does not take.
_ROUTING_ERRORS: Final = {
    404: "本站没有这个网址的页面。请检查网址，或从首页、公告列表查找所需内容。",
    405: "这个网址不接受此种请求方式。",
}


def routing_error_page(request: Request, status: int) -> Response | None:
    """The page for a routing error (an unknown path, a wrong method), or None for others."""
    message = _ROUTING_ERRORS.get(status)
    return None if message is None else error_page(request, status, message)
