"""The organisation directory's pages 单位名录 and its JSON.

``/organisations`` lists and searches (by name or 统一社会信用代码, by kind, paginated);
``/organisations/{统一社会信用代码}`` shows one: its identity, its amendments, the notices that
name it and, for a supplier, what it won. The same at ``….json`` for programs.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from projections.deps import ReadDb
from projections.web import directory, queries
from projections.web.queries import BadRequest
from projections.web.render import error_page, link, page

__all__ = ["directory_pages"]

directory_pages = APIRouter(include_in_schema=False)


def _listing(request: Request, db: ReadDb) -> dict[str, Any]:
    q = directory.parse_query(request.query_params.get("q"))
    kind = directory.parse_kind(request.query_params.get("kind"))
    number = queries.parse_page(request.query_params.get("page"))
    total = directory.count(db, q, kind)
    last = queries.last_page(total, directory.PAGE_SIZE)
    if number > last:
        raise BadRequest("page", f"共{last}页，没有第{number}页。", status=404)
    params = {k: v for k, v in (("q", q), ("kind", kind)) if v}
    return {
        "q": q,
        "kind": kind,
        "organisations": directory.search(db, q, kind, number),
        "total": total,
        "page_number": number,
        "last_page": last,
        "params": params,
    }


@directory_pages.get("/organisations.json")
def organisations_json(request: Request, db: ReadDb) -> Response:
    try:
        found = _listing(request, db)
    except BadRequest as bad:
        return JSONResponse({"error": bad.message, "parameter": bad.parameter}, bad.status)
    return JSONResponse({
        "total": found["total"], "page": found["page_number"], "pages": found["last_page"],
        "organisations": [o.json() for o in found["organisations"]],
    })  # fmt: skip


@directory_pages.get("/organisations")
def organisations(request: Request, db: ReadDb) -> Response:
    try:
        found = _listing(request, db)
    except BadRequest as bad:
        return error_page(request, bad.status, bad.message)
    params, number, last = found["params"], found["page_number"], found["last_page"]
    return page(
        request,
        "organisations.html",
        **found,
        kinds=directory.KINDS,
        first_link=link("/organisations", params),
        prev_link=link("/organisations", params, number - 1) if number > 1 else None,
        next_link=link("/organisations", params, number + 1) if number < last else None,
    )


def _one(db: ReadDb, key: str) -> dict[str, Any] | None:
    found = directory.find(db, key)
    if found is None:
        return None
    return {
        "o": found,
        "changes": directory.changes(db, found.code),
        "debarments": directory.debarments(db, found.code),
        "notices": queries.notices_naming(db, found.code),
        "awards": directory.awards(db, found.code) if found.kind == "supplier" else [],
    }


@directory_pages.get("/organisations/{key}.json")
def organisation_json(db: ReadDb, key: str) -> Response:
    one = _one(db, key)
    if one is None and (credit_code := directory.moved(db, key)) is not None:
        return RedirectResponse(f"/organisations/{credit_code}.json", 308)
    if one is None:
        return JSONResponse({"error": f"单位名录中没有“{key}”。"}, 404)
    return JSONResponse({
        "organisation": one["o"].json(),
        "changes": [{"leaf_index": c.leaf_index, "recorded_at": c.recorded_at,
                     "changes": c.changes} for c in one["changes"]],
        "debarments": [asdict(d) for d in one["debarments"]],
        "notices": [{"leaf_index": n.leaf_index, "type": n.type, "title": n.title,
                     "procurement": n.procurement, "published_on": n.published_on}
                    for n in one["notices"]],
        "awards": [{"procurement": a.procurement, "title": a.title, "category": a.category,
                    "method": a.method, "amount": f"{a.amount_fen // 100}.{a.amount_fen % 100:02d}"}
                   for a in one["awards"]],
    })  # fmt: skip


@directory_pages.get("/organisations/{key}")
def organisation(request: Request, db: ReadDb, key: str) -> Response:
    one = _one(db, key)
    if one is None and (credit_code := directory.moved(db, key)) is not None:
        return RedirectResponse(f"/organisations/{credit_code}", 308)
    if one is None:
        return error_page(request, 404, f"单位名录中没有统一社会信用代码为“{key}”的单位。")
    return page(request, "organisation.html", **one, sme_labels=directory.SME_LABELS)
