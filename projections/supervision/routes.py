"""The supervisory views 监督视图 under ``/supervision``: sign-in, home, history, deadlines.

Every view but the sign-in itself depends on ``require_inspector``. Query parameters are
taken as plain strings and checked here: an unknown parameter, a size that is not a
non-negative integer, a reversed range or a point beyond the log is a 4xx with a message in
Chinese (a page) or a stable code (JSON), never a 500 and never data. Pages and exports are
``Cache-Control: no-store`` and carry the checkpoint they were computed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ledger.commands import PROCUREMENT_PATTERN
from ledger.domain.context import china_day
from ledger.http import SIGNED_REQUEST_ERRORS, read_body_limited
from ledger.log.reader import LogReader
from projections.deps import (
    InspectorDep,
    ReadDb,
    ReadLogDep,
    RegistryDep,
    SealedDep,
    SessionsDep,
    SignedRequestsDep,
    StatutesDep,
)
from projections.supervision import history
from projections.supervision.auth import (
    COOKIE,
    COOKIE_PATH,
    PRIVATE,
    SESSION_SECONDS,
    Refused,
    Sessions,
    SupervisionRoute,
    sign_in,
    token_of,
)
from projections.supervision.checkpoint import (
    Stamp,
    consistent_read,
    current_checkpoint,
    position_in,
    projection_position,
    signed_checkpoint,
    stamp_at,
)
from projections.supervision.deadlines import KINDS, STATUSES, open_items
from projections.supervision.people import actor_names
from projections.web import queries
from projections.web.render import ENV, wants_html

supervision = APIRouter(prefix="/supervision", route_class=SupervisionRoute, tags=["supervision"])

#: What every inspector-only operation may answer besides its data.
INSPECTOR_ONLY: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "a parameter that is not allowed, or malformed"},
    401: {"description": "not signed in, or the session expired or ended"},
    403: {"description": "signed in, but not as an inspector (or the key was revoked)"},
}
#: ... and those reading a procurement's history at a log size.
HISTORY: Final[dict[int | str, dict[str, Any]]] = {
    **INSPECTOR_ONLY,
    404: {"description": "no such procurement, or a log size beyond the log"},
    503: {"description": "the views have not reached that log size yet"},
}

#: The projection whose per-procurement index and challenge tables these views read.
PUBLIC: Final = "public"
#: A log size has at most this many digits (leaf indices are BIGINT).
MAX_DIGITS: Final = 18


# -- answering ----------------------------------------------------------------------------


def bad(parameter: str, zh: str, status: int = 400, code: str = "bad_request") -> Refused:
    return Refused(status, code, f"{parameter}: {zh}", zh)


def private_page(
    request: Request, template: str, stamp: Stamp | None, status: int = 200, **context: Any
) -> Response:
    body = ENV.get_template(template).render(request=request, stamp=stamp, **context)
    headers = dict(PRIVATE) | (stamp.headers() if stamp else {})
    return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                    headers=headers)  # fmt: skip


def export(stamp: Stamp, body: dict[str, Any]) -> JSONResponse:
    """A JSON export: the figures and the checkpoint they were computed at."""
    return JSONResponse({"computed_at": stamp.as_json(), **body},
                        headers=dict(PRIVATE) | stamp.headers())  # fmt: skip


def params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, refusing unknown or repeated ones."""
    seen: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            known = "、".join(allowed) or "无"
            zh = f"未知的查询参数“{name[:40]}”（可用：{known}）。"
            raise bad(name, zh, code="unknown_parameter")
        if name in seen:
            raise bad(name, f"查询参数“{name}”只能出现一次。")
        seen[name] = value
    return seen


def wants_json(given: Mapping[str, str], request: Request) -> bool:
    fmt = given.get("format")
    if fmt not in (None, "json", "html"):
        raise bad("format", "format 只能是 json 或 html。")
    return fmt == "json" or (fmt is None and not wants_html(request))


def log_size(given: Mapping[str, str], name: str, reader: LogReader) -> int | None:
    """A log size from the query (1 … the log's size), or None when not given."""
    raw = given.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_DIGITS:
        raise bad(name, f"{name} 须为不超过{MAX_DIGITS}位的非负整数（日志条数）。")
    size = int(raw)
    if size < 1:
        raise bad(name, f"{name} 须至少为 1（日志的前若干条记录）。")
    total = reader.size()
    if size > total:
        raise bad(name, f"日志目前只有 {total} 条记录，没有第 {size} 条。", 404, "beyond_log")
    return size


def _projected(db: Any, size: int) -> None:
    if size > projection_position(db, PUBLIC):
        raise Refused(503, "catching_up", "the views have not reached that log size yet; "
                      "try again in a moment", "视图尚未处理到该位置，请稍后再试。")  # fmt: skip


def _stamp_at(db: Any, size: int) -> Stamp:
    stamp = stamp_at(db, size)
    if stamp is None:
        raise Refused(503, "no_checkpoint", "no signed checkpoint covers that size yet",
                      "日志尚未签署覆盖该位置的检查点，请稍后再试。")  # fmt: skip
    return stamp


# -- sign-in ------------------------------------------------------------------------------


@supervision.get("/challenge", summary="A fresh sign-in challenge for an inspector")
def challenge(sessions: SessionsDep) -> JSONResponse:
    text, expires = sessions.challenge()
    return JSONResponse(
        {
            "challenge": text,
            "expires_at": datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z"),
            "sign": 'a request of type "SignIn", procurement null, payload {"challenge": …}, '
            "signed like a command, posted to POST /supervision/session",
        },
        headers=PRIVATE,
    )


@supervision.post(
    "/session",
    summary="Sign in with a signed SignIn request; answers a 15-minute session token",
    responses={
        **SIGNED_REQUEST_ERRORS,
        401: {"description": "bad signature, key or challenge"},
        403: {"description": "not an inspector"},
    },
)
async def open_session(
    request: Request, requests: SignedRequestsDep, sessions: SessionsDep
) -> JSONResponse:
    body = await read_body_limited(request)
    token, who = await run_in_threadpool(sign_in, requests, sessions, body)
    answer = JSONResponse(
        {
            "token": token,
            "token_type": "Bearer",
            "expires_in": SESSION_SECONDS,
            "expires_at": who.expires_at,
            "actor": who.actor,
            "organisation": who.organisation,
        },
        headers=PRIVATE,
    )
    answer.set_cookie(
        COOKIE, token, max_age=SESSION_SECONDS, path=COOKIE_PATH, httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip
    return answer


@supervision.get("/session", summary="Who is signed in, and until when", responses=INSPECTOR_ONLY)
def whoami(inspector: InspectorDep) -> JSONResponse:
    return JSONResponse(
        {"actor": inspector.actor, "organisation": inspector.organisation,
         "expires_at": inspector.expires_at}, headers=PRIVATE,
    )  # fmt: skip


def _end_session(request: Request, sessions: Sessions, answer: Response) -> Response:
    """End the session the request carries (if it is a valid one) and drop the cookie."""
    try:
        token = token_of(request)
        if token:
            sessions.end(sessions.decode(token))
    except Refused:
        pass  # an expired or foreign token: nothing to end, the cookie goes anyway
    answer.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return answer


@supervision.delete("/session", status_code=204, summary="Sign out")
def close_session(request: Request, sessions: SessionsDep) -> Response:
    return _end_session(request, sessions, Response(status_code=204, headers=PRIVATE))


@supervision.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, sessions: SessionsDep) -> Response:
    redirect = RedirectResponse("/supervision/sign-in", status_code=303)
    return _end_session(request, sessions, redirect)


@supervision.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request) -> Response:
    return private_page(request, "supervision/sign_in.html", None)


# -- home, history, deadlines -------------------------------------------------------------


@supervision.get("", include_in_schema=False)
def home(request: Request, inspector: InspectorDep, db: ReadDb) -> Response:
    params(request, ())
    stamp = current_checkpoint(db, PUBLIC)
    return private_page(request, "supervision/home.html", stamp, inspector=inspector)


@supervision.get("/procurements", include_in_schema=False)
def find_procurement(request: Request, inspector: InspectorDep) -> Response:
    """The home page's form: go to the history of the procurement named."""
    code = params(request, ("code",)).get("code", "").strip()
    if not PROCUREMENT_PATTERN.match(code):
        raise bad("code", "请输入项目编号（字母、数字、连字符）。")
    return RedirectResponse(f"/supervision/procurements/{code}", status_code=303)


def _known(db: queries.Database, code: str) -> None:
    size = projection_position(db, PUBLIC)
    if not PROCUREMENT_PATTERN.match(code) or not history.leaf_indices(db, code, size):
        raise Refused(404, "not_found", f"no procurement {code[:64]!r}",
                      f"没有项目编号为“{code[:64]}”的采购项目。")  # fmt: skip


@supervision.get(
    "/procurements/{code}", summary="A procurement's full history (inspectors)", responses=HISTORY
)
def procurement_history(
    request: Request, code: str, inspector: InspectorDep, db: ReadDb, log_view: ReadLogDep,
    sealed: SealedDep, registry: RegistryDep,
) -> Response:  # fmt: skip
    given = params(request, ("as_of", "checkpoint", "format"))
    as_json = wants_json(given, request)
    if "as_of" in given and "checkpoint" in given:
        raise bad("as_of", "as_of 与 checkpoint 只能给出一个。")
    _known(db, code)
    as_of = log_size(given, "as_of", log_view.reader)
    at = log_size(given, "checkpoint", log_view.reader)
    if at is not None:
        found = signed_checkpoint(db, at)
        if found is None:
            raise bad("checkpoint", f"日志没有在 {at} 条记录处签署检查点。", 404, "no_checkpoint")
        _projected(db, at)
        stamp = found
    elif as_of is not None:
        _projected(db, as_of)
        stamp = _stamp_at(db, as_of)
    else:
        stamp = current_checkpoint(db, PUBLIC)
    steps = history.timeline(db, log_view.reader, sealed, code, stamp.size, stamp.checkpoint_size)
    snapshot = history.replay(steps, stamp.size)
    if as_json:
        return export(stamp, {"procurement": code, "state": snapshot.as_json(),
                              "entries": [s.as_json() for s in steps]})  # fmt: skip
    names = queries.names(db, history.codes_in(steps))
    return private_page(
        request, "supervision/procurement.html", stamp, inspector=inspector, code=code,
        steps=steps, state=history.described(snapshot, names), snapshot=snapshot, names=names,
        actors=actor_names(registry, (s.actor for s in steps)), as_of=as_of or at,
        sealed_text=history.sealed_text, pretty=history.pretty,
        compare=history.default_comparison(steps),
    )  # fmt: skip


@supervision.get(
    "/procurements/{code}/diff", summary="What changed between two log sizes", responses=HISTORY
)
def procurement_diff(
    request: Request, code: str, inspector: InspectorDep, db: ReadDb, log_view: ReadLogDep,
    sealed: SealedDep, registry: RegistryDep,
) -> Response:  # fmt: skip
    given = params(request, ("from", "to", "format"))
    as_json = wants_json(given, request)
    _known(db, code)
    for name in ("from", "to"):
        if name not in given:
            raise bad(name, f"请给出 {name}（日志条数）。")
    start = log_size(given, "from", log_view.reader)
    end = log_size(given, "to", log_view.reader)
    assert start is not None and end is not None
    if start >= end:
        raise bad("from", f"起点（{start}）须早于终点（{end}）。", code="reversed_range")
    _projected(db, end)
    stamp = _stamp_at(db, end)
    steps = history.timeline(db, log_view.reader, sealed, code, end, stamp.checkpoint_size)
    before, after = history.replay(steps, start), history.replay(steps, end)
    between = [s for s in steps if start <= s.index < end]
    names = queries.names(db, history.codes_in(steps))
    changed = history.changes(before, after, names)
    if as_json:
        return export(stamp, {
            "procurement": code, "from": start, "to": end,
            "entries": [s.as_json() for s in between],
            "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in changed],
            "before": before.as_json(), "after": after.as_json(),
        })  # fmt: skip
    return private_page(
        request, "supervision/diff.html", stamp, inspector=inspector, code=code, start=start,
        end=end, between=between, changes=changed, names=names,
        actors=actor_names(registry, (s.actor for s in between)),
    )  # fmt: skip


@supervision.get(
    "/deadlines",
    summary="Every open challenge and complaint against its due date",
    responses=INSPECTOR_ONLY,
)
def deadlines(
    request: Request, inspector: InspectorDep, db: ReadDb, statutes: StatutesDep
) -> Response:
    given = params(request, ("status", "kind", "format"))
    as_json = wants_json(given, request)
    status, kind = given.get("status") or None, given.get("kind") or None
    if status is not None and status not in STATUSES:
        raise bad("status", "status 只能是 overdue、due_soon 或 on_time。")
    if kind is not None and kind not in KINDS:
        raise bad("kind", "kind 只能是 challenge 或 complaint。")
    today = china_day(datetime.now(UTC))
    with consistent_read(db) as cur:
        size = position_in(cur, PUBLIC)
        items = open_items(cur, statutes.calendar, today, size)
    stamp = _stamp_at(db, size) if size else current_checkpoint(db, PUBLIC)
    shown = [i for i in items if (status in (None, i.status)) and (kind in (None, i.kind))]
    if as_json:
        return export(stamp, {"today": today.isoformat(), "items": [i.as_json() for i in shown]})
    counts = {s: sum(1 for i in items if i.status == s) for s in STATUSES}
    return private_page(
        request, "supervision/deadlines.html", stamp, inspector=inspector, items=shown,
        today=today, counts=counts, chosen=status, kind=kind, statuses=STATUSES, kinds=KINDS,
    )  # fmt: skip
