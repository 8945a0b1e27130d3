"""Statistics pages and exports for inspectors 统计监督: ``/supervision/statistics…``.

Every route requires a signed-in inspector (``require_inspector``); every page and export
states the checkpoint its figures were computed at. Responses are private (``no-store``):
supervisory figures are not for shared caches. A bad filter answers 400 — JSON for API
clients, a Chinese page for browsers (``SupervisionRoute``) — and never any figure.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from projections.deps import InspectorDep, ReadDb
from projections.supervision.auth import PRIVATE, Refused, SupervisionRoute
from projections.supervision.statistics import (
    BREAKDOWNS,
    BadFilter,
    Filters,
    Report,
    choices,
    compute,
    parse_filters,
)
from projections.supervision.statistics_charts import CHARTS, chart
from projections.supervision.statistics_export import (
    DEFINITIONS,
    filter_lines,
    to_csv,
    to_json,
    to_xlsx,
)
from projections.web.formats import chinese_date
from projections.web.render import ENV

statistics_routes = APIRouter(
    prefix="/supervision", route_class=SupervisionRoute, include_in_schema=False
)

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(request: Request, db: ReadDb) -> Report:
    try:
        filters = parse_filters(db, request.query_params.multi_items())
    except BadFilter as bad:
        raise Refused(
            400, "bad_filter", f"query parameter {bad.parameter[:40]!r} is not valid", bad.message
        ) from None
    return compute(db, filters)


def _html(request: Request, template: str, report: Report, **context: object) -> Response:
    assert report.stamp is not None
    body = ENV.get_template(template).render(request=request, **_context(report), **context)
    headers = {**PRIVATE, **report.stamp.headers()}
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


def _link(path: str, filters: Filters) -> str:
    return f"{path}?{urlencode(filters.params())}"


def _download(report: Report, body: bytes, media_type: str, suffix: str) -> Response:
    assert report.stamp is not None
    f = report.filters
    ascii_name = f"statistics-{f.date_from}-{f.date_to}.{suffix}"
    chinese = f"政府采购统计-{f.date_from}至{f.date_to}.{suffix}"
    headers = {
        **PRIVATE,
        **report.stamp.headers(),
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(chinese)}",
    }
    return Response(body, media_type=media_type, headers=headers)


def _period(filters: Filters) -> str:
    """2026年度 for a calendar year, else 2026年1月1日至2026年6月30日."""
    start, end = filters.date_from, filters.date_to
    if start[4:] == "-01-01" and end[4:] == "-12-31" and start[:4] == end[:4]:
        return f"{start[:4]}年度"
    return f"{chinese_date(start)}至{chinese_date(end)}"


def _scope(report: Report) -> str:
    """Whose figures: the purchaser or region filtered by, or the one region there is."""
    f = report.filters
    if f.purchaser:
        return report.names.get(f.purchaser, f.purchaser)
    regions = report.breakdowns["region"]
    if f.region or len(regions) == 1:
        return f.region or regions[0].key
    return "各行政区域"


def _context(report: Report) -> dict[str, object]:
    """What both pages show: the figures, their checkpoint, filters, charts and links."""
    period = _period(report.filters)
    return {
        "period": period,
        "period_text": period.removesuffix("度") if period.endswith("年度") else period,
        "scope": _scope(report),
        "report": report,
        "stamp": report.stamp,
        "breakdowns": BREAKDOWNS,
        "filter_lines": filter_lines(report),
        "definitions": DEFINITIONS,
        "charts": {name: Markup(chart(report, name)) for name in CHARTS},  # noqa: S704 (escaped)
        "links": {
            "page": _link("/supervision/statistics", report.filters),
            "summary": _link("/supervision/statistics/summary", report.filters),
            "csv": _link("/supervision/statistics.csv", report.filters),
            "xlsx": _link("/supervision/statistics.xlsx", report.filters),
        },
    }


@statistics_routes.get("/statistics")
def statistics_page(request: Request, db: ReadDb, inspector: InspectorDep) -> Response:
    report = _report(request, db)
    regions, purchasers = choices(db)
    return _html(
        request,
        "supervision/statistics.html",
        report,
        inspector=inspector,
        choices_regions=regions,
        choices_purchasers=purchasers,
    )


@statistics_routes.get("/statistics/summary")
def statistics_summary(request: Request, db: ReadDb, inspector: InspectorDep) -> Response:
    report = _report(request, db)
    return _html(request, "supervision/statistics_summary.html", report, inspector=inspector)


@statistics_routes.get("/statistics.csv")
def statistics_csv(request: Request, db: ReadDb, inspector: InspectorDep) -> Response:
    report = _report(request, db)
    return _download(report, to_csv(report), "text/csv; charset=utf-8", "csv")


@statistics_routes.get("/statistics.json")
def statistics_json(request: Request, db: ReadDb, inspector: InspectorDep) -> Response:
    report = _report(request, db)
    assert report.stamp is not None
    return JSONResponse(to_json(report), headers={**PRIVATE, **report.stamp.headers()})


@statistics_routes.get("/statistics.xlsx")
def statistics_xlsx(request: Request, db: ReadDb, inspector: InspectorDep) -> Response:
    report = _report(request, db)
    return _download(report, to_xlsx(report), XLSX, "xlsx")


@statistics_routes.get("/statistics/charts/{name}.svg")
def statistics_chart(request: Request, db: ReadDb, inspector: InspectorDep, name: str) -> Response:
    if name not in CHARTS:
        raise Refused(
            404,
            "not_found",
            f"no chart named {name[:40]!r}; one of {', '.join(CHARTS)}",
            f"没有这个图表，可选：{'、'.join(CHARTS)}。",
        )
    report = _report(request, db)
    assert report.stamp is not None
    headers = {**PRIVATE, **report.stamp.headers()}
    return Response(
        chart(report, name, standalone=True), media_type="image/svg+xml", headers=headers
    )
