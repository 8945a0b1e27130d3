"""Red-flag pages for inspectors 风险预警: ``/supervision/flags`` and ``/supervision/flags/{id}``.

The list is filtered by kind, purchaser, procurement, severity and a date range; each flag's
page lists its evidence: the log entries that raise it, each linked to ``/log/entries/{i}``
and carrying its inclusion proof against the signed checkpoint the page states. Everything
is read in one snapshot with the projection's position, so the stamp covers exactly the
flags shown. ``?format=json`` answers the same as an export carrying that checkpoint.

Every route requires a signed-in inspector; a bad filter is a 400 (a Chinese page for a
browser, JSON for an API client) and never any data.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ledger.domain.context import china_day
from ledger.log.reader import LogReader
from projections.deps import InspectorDep, ReadDb, ReadLogDep, RegistryDep
from projections.flags import SEVERITIES, FlagKind
from projections.flags import queries as q
from projections.supervision.auth import PRIVATE, Refused, SupervisionRoute
from projections.supervision.checkpoint import NoCheckpoint, Stamp, consistent_read, position_in
from projections.supervision.checkpoint import stamp_at as _stamp_at
from projections.supervision.people import actor_names
from projections.web.queries import BadRequest, Database, last_page
from projections.web.render import ENV, EVENT_LABELS, link

flags_routes = APIRouter(
    prefix="/supervision", route_class=SupervisionRoute, include_in_schema=False
)

PROJECTION: Final = "flags"
SEVERITY_LABELS: Final = {"high": "高", "medium": "中", "low": "低"}


def _today() -> date:
    """The day in China: items on a clock are overdue from the day after their due date."""
    return china_day(datetime.now(UTC))


def _bad(bad: BadRequest) -> Refused:
    return Refused(bad.status, "bad_filter",
                   f"query parameter {bad.parameter[:40]!r} is not valid", bad.message)  # fmt: skip


def _format(request: Request) -> str:
    value = request.query_params.get("format", "html")
    if value not in ("html", "json"):
        raise Refused(400, "bad_filter", "format: html or json", "格式须为 html 或 json。")
    return value


def _stamp(db: Database, position: int) -> Stamp:
    stamp = _stamp_at(db, position) if position > 0 else None
    if stamp is None:
        raise NoCheckpoint("the red flags have not been computed yet; try again in a moment")
    return stamp


def _page(request: Request, template: str, stamp: Stamp, **context: Any) -> Response:
    body = ENV.get_template(template).render(
        request=request, stamp=stamp, kinds=list(FlagKind), severity_labels=SEVERITY_LABELS,
        **context,
    )  # fmt: skip
    return Response(body, media_type="text/html; charset=utf-8",
                    headers=dict(PRIVATE) | stamp.headers())  # fmt: skip


def _export(stamp: Stamp, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"computed_at": stamp.as_json(), **body},
                        headers=dict(PRIVATE) | stamp.headers())  # fmt: skip


def _flag_json(flag: q.Flag) -> dict[str, Any]:
    return {
        "id": flag.id, "kind": flag.kind, "label": flag.label, "severity": flag.severity,
        "procurement": flag.procurement, "title": flag.title, "purchaser": flag.purchaser,
        "purchaser_name": flag.purchaser_name, "raised_on": flag.raised_on,
        "raised_leaf": flag.raised_leaf, "overdue": flag.overdue, "summary": flag.summary,
        "details": flag.details, "url": f"/supervision/flags/{flag.id}",
    }  # fmt: skip


@flags_routes.get("/flags")
def flag_list(request: Request, inspector: InspectorDep, db: ReadDb) -> Response:
    wanted = _format(request)
    if len(request.query_params.multi_items()) != len(request.query_params):
        raise Refused(400, "bad_filter", "a query parameter is repeated", "查询参数重复。")
    today = _today()
    with consistent_read(db) as cur:
        try:
            filters, number = q.parse_filters(cur, request.query_params)
        except BadRequest as bad:
            raise _bad(bad) from None
        position = position_in(cur, PROJECTION)
        flags = q.list_flags(cur, filters, today, number)
        # Counts by kind under the other filters, so the page can switch kinds.
        counts = q.count_by_kind(cur, replace(filters, kind=None), today)
        purchasers = q.purchasers(cur) if wanted == "html" else None
    stamp = _stamp(db, position)
    total = counts.get(filters.kind, 0) if filters.kind else sum(counts.values())
    last = last_page(total, q.PAGE_SIZE)
    if number > last:
        zh = f"共{last}页，没有第{number}页。"
        raise Refused(404, "not_found", f"page {number} of {last}", zh)
    params = filters.params()
    if wanted == "json":
        return _export(stamp, {
            "as_of": today.isoformat(), "filters": params, "total": total, "counts": counts,
            "page": number, "pages": last, "flags": [_flag_json(f) for f in flags],
        })  # fmt: skip
    return _page(
        request, "supervision/flags.html", stamp, inspector=inspector, flags=flags,
        filters=filters, counts=counts, total=total, today=today, purchasers=purchasers,
        severities=SEVERITIES, page_number=number, last_page=last,
        prev_link=link("/supervision/flags", params, number - 1) if number > 1 else None,
        next_link=link("/supervision/flags", params, number + 1) if number < last else None,
        json_link=link("/supervision/flags", params | {"format": "json"}, number),
        kind_link=lambda kind: link(
            "/supervision/flags", {k: v for k, v in (params | {"kind": kind}).items() if v}
        ),
    )  # fmt: skip


@flags_routes.get("/flags/{flag_id}")
def flag_page(
    request: Request, flag_id: str, inspector: InspectorDep, db: ReadDb, log_view: ReadLogDep,
    registry: RegistryDep,
) -> Response:
    wanted = _format(request)
    if set(request.query_params) - {"format"}:
        raise Refused(400, "bad_filter", "only format is accepted here", "本页只接受 format 参数。")
    if not q.valid_id(flag_id):
        raise Refused(404, "not_found", "no such flag", "没有这条预警。")
    with consistent_read(db) as cur:
        flag = q.find_flag(cur, flag_id, _today())
        evidence = q.evidence(cur, flag_id) if flag else []
        total = q.evidence_count(cur, flag_id) if flag else 0
        position = position_in(cur, PROJECTION)
    if flag is None:
        raise Refused(404, "not_found", "no such flag", "没有这条预警。")
    stamp = _stamp(db, position)
    size = stamp.checkpoint_size
    entries = [_entry(log_view.reader, leaf, note, size) for leaf, note in evidence]
    if wanted == "json":
        return _export(stamp, {"flag": _flag_json(flag), "evidence": entries,
                               "evidence_total": total})  # fmt: skip
    return _page(request, "supervision/flags_detail.html", stamp, inspector=inspector,
                 flag=flag, entries=entries, evidence_total=total,
                 actors=actor_names(registry, (e["actor"] for e in entries)))  # fmt: skip


def _entry(log: LogReader, index: int, note: str, size: int) -> dict[str, Any]:
    """One piece of evidence: the leaf as the log holds it and its proof against ``size``."""
    leaf = orjson.loads(log.entry(index))
    data = leaf.get("data") or {}
    leaf_hash, proof = log.inclusion(index, size)
    return {
        "leaf_index": index,
        "note": note,
        "event": leaf.get("type"),
        "event_label": EVENT_LABELS.get(leaf.get("type", ""), leaf.get("type")),
        "date": data.get("date"),
        "actor": leaf.get("actor"),
        "procurement": data.get("procurement"),
        "entry_url": f"/log/entries/{index}",
        "proof_url": f"/log/proof/inclusion?index={index}&size={size}",
        "leaf_hash": base64.b64encode(leaf_hash).decode(),
        "inclusion_proof": [base64.b64encode(h).decode() for h in proof],
        "checkpoint_size": size,
    }
