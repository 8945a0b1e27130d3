"""The workbench's routes: its page, and the sign-in an official's browser makes on it.

``GET /workbench`` is the sign-in page to anyone without a valid session (with why the last
one ended: expired, signed out, its key revoked), and the official's own workbench to the
signed-in. The JSON routes mirror the supervisory sign-in's (``/supervision/challenge``,
``/supervision/session``) for a working-day session scoped to ``/workbench``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ledger.domain.context import CHINA, Statutes, china_day
from ledger.domain.registry import Colleague, Organisation, Role
from ledger.domain.roles import ROLE_LABELS
from ledger.http import SIGNED_REQUEST_ERRORS, read_body_limited
from ledger.ports import RegistryView
from projections.deps import (
    Db,
    RegistryDep,
    SignedRequestsDep,
    StatutesDep,
    WorkbenchSessionsDep,
)
from projections.supervision.auth import PRIVATE, Refused, Sessions, token_of
from projections.supervision.checkpoint import consistent_read
from projections.web.render import ENV
from projections.workbench.auth import (
    COOKIE,
    OFFICIALS,
    PATH,
    WORKING_DAY,
    Official,
    WorkbenchRoute,
    require_official,
    sign_in_official,
)
from projections.workbench.todo import Due, open_challenges, own_challenges, to_do

workbench = APIRouter(prefix=PATH, route_class=WorkbenchRoute, tags=["workbench"])

SIGNED_IN_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in, or the session expired, ended or its key was revoked"},
    403: {"description": "a service's key: services do not use the workbench"},
}


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    body = ENV.get_template(template).render(request=request, **context)
    return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                    headers=dict(PRIVATE))  # fmt: skip


def beijing(seconds: int) -> str:
    """A Unix time as the pages show it: 2026年11月20日 17:30（北京时间）."""
    moment = datetime.fromtimestamp(seconds, CHINA)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}（北京时间）"


def role_label(official: Official) -> str:
    return ROLE_LABELS.get(Role(official.role), "") if official.role else ""


@workbench.get("", include_in_schema=False)
def home(
    request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep, db: Db,
    statutes: StatutesDep,
) -> Response:  # fmt: skip
    try:
        official = require_official(request, sessions, registry)
    except Refused as ended:
        # Without a session: the sign-in page, saying why a session the browser held ended.
        why = ended.zh if token_of(request, COOKIE) else ""
        answer = page(request, "workbench/sign_in.html", ended=why, roles=_role_names())
        if why:
            answer.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
        return answer
    return page(
        request, "workbench/home.html", official=official, role=role_label(official),
        until=beijing(official.expires_at),
        enrol=enrolment(request, official, registry), recorded=_recorded(request),
        todo=_to_do(official, db, statutes, registry), today=china_day(datetime.now(UTC)),
    )  # fmt: skip


def _to_do(official: Official, db: Any, statutes: Statutes, registry: RegistryView) -> list[Due]:
    today, role = china_day(datetime.now(UTC)), Role(official.role)
    mine: frozenset[str] = frozenset()
    if role is Role.SUPPLIER:  # its challenges are sealed: their challengers read one by one
        with consistent_read(db) as cur:
            numbers = open_challenges(cur)
        mine = own_challenges(numbers, official.organisation, registry.challenger)
    with consistent_read(db) as cur:
        return to_do(cur, statutes, today, role, official.organisation, mine)


@dataclass(frozen=True)
class Enrolment:
    """The staff and keys of the organisation an administrator enrols people for."""

    organisation: Organisation
    staff: list[Colleague]
    finance: bool  # the finance office, which may open any organisation's

    @property
    def active_keys(self) -> list[tuple[Colleague, str]]:
        return [(c, k) for c in self.staff for k, revoked in c.keys if not revoked]


def enrolment(request: Request, official: Official, registry: RegistryView) -> Enrolment | None:
    """What the official administers: its own organisation, if it is its administrator
    (``roles.ADMINISTRATION``); the finance office any organisation (``?organisation=``)."""
    finance = official.role == Role.FINANCE_OFFICE.value
    code = official.organisation
    wanted = request.query_params.get("organisation", "").strip()
    if finance and wanted:
        code = wanted[:64]
    if not finance and registry.administrator(code) != official.actor:
        return None
    organisation = registry.organisation(code)
    if organisation is None:
        raise Refused(404, "not_found", f"no organisation {code!r}",
                      f"没有编号为“{code}”的单位。")  # fmt: skip
    return Enrolment(organisation, registry.staff(code), finance)


def _recorded(request: Request) -> int | None:
    """The leaf index of what the official just recorded (the page reloads to say so)."""
    raw = request.query_params.get("recorded", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _role_names() -> list[str]:
    return [ROLE_LABELS[r] for r in Role if r in OFFICIALS]


@workbench.get("/challenge", summary="A fresh sign-in challenge for the workbench")
def challenge(sessions: WorkbenchSessionsDep) -> JSONResponse:
    text, expires = sessions.challenge()
    return JSONResponse(
        {
            "challenge": text,
            "expires_at": datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z"),
            "sign": 'a request of type "SignIn", procurement null, payload {"challenge": …}, '
            "signed like a command, posted to POST /workbench/session",
        },
        headers=PRIVATE,
    )


@workbench.post(
    "/session",
    summary="Sign in to the workbench with a signed SignIn request; a working-day session",
    responses={
        **SIGNED_REQUEST_ERRORS,
        401: {"description": "bad signature, key or challenge"},
        403: {"description": "a service's key"},
    },
)
async def open_session(
    request: Request, requests: SignedRequestsDep, sessions: WorkbenchSessionsDep
) -> JSONResponse:
    body = await read_body_limited(request)
    token, who = await run_in_threadpool(sign_in_official, requests, sessions, body)
    answer = JSONResponse(
        {
            "token": token,
            "token_type": "Bearer",
            "expires_in": WORKING_DAY,
            "expires_at": who.expires_at,
            "actor": who.actor,
            "organisation": who.organisation,
            "role": who.role,
        },
        headers=PRIVATE,
    )
    answer.set_cookie(
        COOKIE, token, max_age=WORKING_DAY, path=PATH, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return answer


@workbench.get("/session", summary="Who is signed in to the workbench", responses=SIGNED_IN_ONLY)
def whoami(request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep) -> JSONResponse:
    official = require_official(request, sessions, registry)
    return JSONResponse(
        {"actor": official.actor, "organisation": official.organisation, "role": official.role,
         "expires_at": official.expires_at}, headers=PRIVATE,
    )  # fmt: skip


def _end_session(request: Request, sessions: Sessions, answer: Response) -> Response:
    try:
        token = token_of(request, COOKIE)
        if token:
            sessions.end(sessions.decode(token))
    except Refused:
        pass  # an expired or foreign token: nothing to end, the cookie goes anyway
    answer.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
    return answer


@workbench.delete("/session", status_code=204, summary="Sign out of the workbench")
def close_session(request: Request, sessions: WorkbenchSessionsDep) -> Response:
    return _end_session(request, sessions, Response(status_code=204, headers=PRIVATE))


@workbench.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, sessions: WorkbenchSessionsDep) -> Response:
    return _end_session(request, sessions, RedirectResponse(PATH, status_code=303))
