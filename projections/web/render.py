"""Rendering pages: one Jinja2 environment (autoescaping every value), labels, ETags.

Every page is rendered from projection rows; whatever a user wrote (titles, requirements,
challenge texts) reaches the page only through autoescaping. A page's ETag is a digest of its
bytes, so a client revalidating an unchanged page gets 304 without a body.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any, Final

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ledger.domain.lifecycle import Stage
from ledger.domain.money import Money, format_cny, format_wan
from ledger.domain.vocabulary import AnnouncementType, Category, Method

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"


def yuan(fen: int | None) -> str:
    """An amount in fen as ¥1,234,567.89 (empty for none)."""
    return "" if fen is None else format_cny(Money.from_fen(fen))


def wan(fen: int | None) -> str:
    """An amount in fen as 万元 with two decimals."""
    return "" if fen is None else format_wan(Money.from_fen(fen))


def _label(term: type[Any]) -> Any:
    def label(value: str | None) -> str:
        if not value:
            return ""
        try:
            return str(term(value).label)
        except ValueError:
            return value

    return label


def chinese_date(value: str | date | None) -> str:
    """2026-05-08 → 2026年5月8日."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


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
        announcement_label=_label(AnnouncementType),
        method_label=_label(Method),
        category_label=_label(Category),
        stage_label=_label(Stage),
        chinese_date=chinese_date,
    )
    env.globals.update(
        announcement_types=list(AnnouncementType),
        methods=list(Method),
        categories=list(Category),
    )
    return env


ENV: Final = environment()


def page(
    request: Request,
    template: str,
    status: int = 200,
    media_type: str = "text/html; charset=utf-8",
    max_age: int = 60,
    **context: Any,
) -> Response:
    """Render ``template``; answer 304 when the client already holds these exact bytes."""
    body = ENV.get_template(template).render(request=request, **context).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if status == 200 and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)
