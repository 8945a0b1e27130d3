"""The finance office's statute pages: adopting the working calendar 采纳工作日历 and the
time-limit table 采纳法定时限表 from the workbench, as ``sunshine statutes`` does on the
command line.

``GET`` proposes the packaged data (the chinese-calendar package's years; the table shipped
with the ledger); ``POST`` (a form with the text of a file the browser read) proposes an
uploaded file's, or lists its mistakes in Chinese. The page shows the proposal and what it
changes against the log's adoption now, and carries the payload exactly as the server built
it; the browser signs that payload with the official's held key (``workbench-statutes.js``)
and posts it to ``POST /commands``, where the ledger checks it again.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.calendar_files import load_time_limits
from ledger.domain.context import Statutes
from ledger.domain.registry import Role
from ledger.http import read_body_limited
from ledger.ports import RegistryView
from ledger.statute_payloads import package_calendar_payload, packaged_time_limits_payload
from projections.deps import RegistryDep, StatutesDep, WorkbenchSessionsDep
from projections.supervision.auth import Refused, Sessions
from projections.workbench.auth import PATH, Official, WorkbenchRoute, require_official
from projections.workbench.routes import page, role_label
from projections.workbench.statute_files import (
    FileRefused,
    calendar_from_file,
    calendar_shown,
    file_name,
    table_shown,
    time_limits_from_file,
)

statutes = APIRouter(prefix=PATH + "/statutes", route_class=WorkbenchRoute, tags=["workbench"])

#: The two pages: their command and heading.
PAGES: Final = {"calendar": ("AdoptCalendar", "采纳工作日历"),
                "time-limits": ("AdoptTimeLimits", "采纳法定时限表")}  # fmt: skip


def _finance_office(request: Request, sessions: Sessions, registry: RegistryView) -> Official:
    official = require_official(request, sessions, registry)
    if official.role != Role.FINANCE_OFFICE.value:
        raise Refused(
            403, "forbidden",
            "rule statutes.adopt: only a finance office adopts the calendar and the table",
            "只有财政部门可以采纳工作日历和法定时限表：请用财政部门人员的密钥登录。",
        )  # fmt: skip
    return official


def _which(which: str) -> tuple[str, str]:
    if which not in PAGES:
        raise Refused(404, "not_found", f"no statute page {which!r}", "没有这一页面。")
    return PAGES[which]


def _proposal(which: str, text: str | None, name: str) -> dict[str, Any]:
    if which == "calendar":
        return package_calendar_payload() if text is None else calendar_from_file(text, name)
    packaged = packaged_time_limits_payload()
    if text is None:
        return packaged
    return time_limits_from_file(text, name, load_time_limits(), packaged["source"])


def _render(
    request: Request, official: Official, which: str, now: Statutes,
    payload: dict[str, Any] | None, errors: list[str], uploaded: str,
) -> Response:  # fmt: skip
    kind, heading = _which(which)
    context: dict[str, Any] = {}
    if payload is not None and which == "calendar":
        context["years"] = calendar_shown(payload, now.calendar)
    elif payload is not None:
        context["rules"], context["dropped"] = table_shown(payload, now.limits)
    return page(
        request, "workbench/statutes.html", status=422 if errors else 200, official=official,
        role=role_label(official), which=which, kind=kind, heading=heading, errors=errors,
        uploaded=uploaded, source=None if payload is None else payload["source"],
        payload="" if payload is None else orjson.dumps(payload).decode(), **context,
    )  # fmt: skip


@statutes.get("/{which}", include_in_schema=False)
def proposed(
    which: str, request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep,
    now: StatutesDep,
) -> Response:  # fmt: skip
    official = _finance_office(request, sessions, registry)
    _which(which)
    return _render(request, official, which, now, _proposal(which, None, ""), [], "")


@statutes.post("/{which}", include_in_schema=False)
async def uploaded(
    which: str, request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep,
    now: StatutesDep,
) -> Response:  # fmt: skip
    official = _finance_office(request, sessions, registry)
    _which(which)
    form = parse_qs((await read_body_limited(request)).decode("utf-8", "replace"))
    text = (form.get("text") or [""])[0].replace("\r\n", "\n")
    name = file_name((form.get("name") or [""])[0])
    if not text.strip():
        return _render(request, official, which, now, None, ["请先选择要采纳的文件。"], name)
    try:
        payload = _proposal(which, text, name)
    except FileRefused as refused:
        return _render(request, official, which, now, None, refused.errors, name)
    return _render(request, official, which, now, payload, [], name)
