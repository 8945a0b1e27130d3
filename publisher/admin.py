"""The publisher's admin API: list delivery jobs, requeue dead letters, Prometheus metrics.

Requests are signed like commands: the body is an envelope of type ``ListDeliveries`` or
``RequeueDelivery``, signed by an actor of the finance office or the publishing service with
a key the ledger holds valid, issued within the last few minutes, and used once
(``ledger.signed_requests``). Nothing is recorded in the log. Unsigned or badly signed: 401;
another role: 403; sent again: 409.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ledger.commands import Command
from ledger.domain.errors import Forbidden, Invalid, LedgerError, MalformedCommand, NotFound
from ledger.domain.registry import Role
from ledger.http import read_body_limited
from ledger.signed_requests import SignedRequest, SignedRequests
from publisher.deps import JobStoreDep, MetricsDep, MetricsTokenDep, SignedRequestsDep
from publisher.metrics_access import bearer_matches
from publisher.schema import STATES
from publisher.store import JobStore

ADMINS: Final = frozenset({Role.FINANCE_OFFICE, Role.PUBLISHER})
MAX_LIMIT: Final = 1000

admin = APIRouter(tags=["publisher"])


class Unauthenticated(LedgerError):
    status = 401
    code = "unauthenticated"


def _admin(request: SignedRequest) -> None:
    if request.key.role not in ADMINS:
        raise Forbidden(
            f"rule publisher.admin: delivery jobs are managed by the finance office 财政部门 "
            f"or the publishing service 发布服务; {request.command.actor} is "
            f"{request.key.role.value}"
        )


def _authorised(requests: SignedRequests, body: bytes, kind: str) -> Command:
    try:
        return requests.accept(body, kind, _admin).command
    except MalformedCommand as exc:
        raise Unauthenticated(f"a signed {kind} request is required: {exc.message}") from None


def _optional(payload: dict[str, Any], name: str, kind: type) -> Any:
    value = payload.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise Invalid(f"payload.{name} must be a {kind.__name__}")
    return value


def _filters(payload: dict[str, Any]) -> tuple[int | None, str | None]:
    notice = _optional(payload, "notice", int)
    if notice is not None and notice < 0:
        raise Invalid("payload.notice must be a log index (≥ 0)")
    return notice, _optional(payload, "destination", str)


def list_deliveries(requests: SignedRequests, store: JobStore, body: bytes) -> dict[str, Any]:
    payload = _authorised(requests, body, "ListDeliveries").payload
    extra = sorted(set(payload) - {"state", "destination", "notice", "limit", "after"})
    if extra:
        raise Invalid(f"payload has unknown field {extra[0]!r}")
    state = _optional(payload, "state", str)
    if state is not None and state not in STATES:
        raise Invalid(f"payload.state must be one of {', '.join(STATES)}")
    notice, destination = _filters(payload)
    limit = _optional(payload, "limit", int) or 100
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"payload.limit must be from 1 to {MAX_LIMIT}")
    after = _optional(payload, "after", dict)
    cursor = None
    if after is not None:
        notice_after, destination_after = after.get("notice"), after.get("destination")
        if not isinstance(notice_after, int) or not isinstance(destination_after, str):
            raise Invalid('payload.after must be {"notice": n, "destination": "name"}')
        cursor = (notice_after, destination_after)
    jobs = store.jobs(state, destination, notice, limit, cursor)
    counts: dict[str, dict[str, int]] = {}
    for (name, job_state), n in sorted(store.counts().items()):
        counts.setdefault(name, {})[job_state] = n
    last = jobs[-1] if len(jobs) == limit else None
    return {
        "deliveries": [job.as_json() for job in jobs],
        "next": None if last is None else {"notice": last.notice, "destination": last.destination},
        "counts": counts,
        "destinations": [d.as_json() for d in store.destinations()],
    }


def requeue_deliveries(requests: SignedRequests, store: JobStore, body: bytes) -> dict[str, Any]:
    command = _authorised(requests, body, "RequeueDelivery")
    extra = sorted(set(command.payload) - {"notice", "destination"})
    if extra:
        raise Invalid(f"payload has unknown field {extra[0]!r}")
    notice, destination = _filters(command.payload)
    requeued = store.requeue(notice, destination)
    return {
        "requeued": [{"notice": n, "destination": d} for n, d in requeued],
        "count": len(requeued),
    }


@admin.post(
    "/publisher/deliveries",
    summary="List delivery jobs (signed ListDeliveries)",
    description=(
        'Body: a signed request of type "ListDeliveries", payload {"state"?, "destination"?, '
        '"notice"?, "limit"? (≤ 1000), "after"? {notice, destination}}, by an actor of the '
        "finance office or the publishing service. Answers the jobs, the next page's cursor, "
        "counts by destination and state, and each destination's state."
    ),
    responses={401: {"description": "unsigned or badly signed"}, 403: {"description": "role"}},
)
async def deliveries(
    request: Request, requests: SignedRequestsDep, store: JobStoreDep
) -> JSONResponse:
    body = await read_body_limited(request)
    answer = await run_in_threadpool(list_deliveries, requests, store, body)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@admin.post(
    "/publisher/deliveries/requeue",
    summary="Requeue dead delivery jobs (signed RequeueDelivery)",
    description=(
        'Body: a signed request of type "RequeueDelivery", payload {"notice"?, '
        '"destination"?}: every dead job matching is due again with a fresh retry schedule. '
        "Each signed request works once."
    ),
    responses={
        401: {"description": "unsigned or badly signed"},
        403: {"description": "role"},
        409: {"description": "the request's nonce was used already"},
    },
)
async def requeue(
    request: Request, requests: SignedRequestsDep, store: JobStoreDep
) -> JSONResponse:
    body = await read_body_limited(request)
    answer = await run_in_threadpool(requeue_deliveries, requests, store, body)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@admin.get(
    "/metrics",
    summary="Prometheus metrics of the delivery queue (operator's bearer token)",
    description=(
        "Served only when the operator configured a token file (SUNSHINE_METRICS_TOKEN_FILE), "
        "to requests with `Authorization: Bearer <token>`; otherwise 404."
    ),
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}},
        401: {"description": "no bearer token, or not the operator's"},
        404: {"description": "metrics are not served on this API (no token configured)"},
    },
)
async def metrics(
    request: Request, token: MetricsTokenDep, registry: MetricsDep
) -> Response:
    if token is None:
        raise NotFound("metrics are not served on this API")
    if not bearer_matches(request, token):
        return JSONResponse(
            {"code": "unauthenticated", "message": "metrics need the operator's bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    text = await run_in_threadpool(generate_latest, registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
