"""The workbench's forms: one page per command type, built in the browser from the JSON
Schema the ledger checks the payload against (``ledger.domain.schema.payloads``).

``GET /workbench/forms/{type}`` is the form's page (to the signed-in only); ``GET
/workbench/forms/{type}/schema.json`` the payload's schema, with each field's Chinese title
and, for a formatted string, the Chinese sentence the server answers (``x-message``), so the
browser lists every error before signing and the server, checking again, says the same.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ledger.domain.registry import Role
from ledger.domain.schema.payloads import PAYLOADS
from projections.deps import DocumentsDep, RegistryDep, WorkbenchSessionsDep
from projections.supervision.auth import PRIVATE, Refused
from projections.workbench.auth import PATH, WorkbenchRoute, require_official
from projections.workbench.routes import SIGNED_IN_ONLY, page, role_label

forms = APIRouter(prefix=PATH + "/forms", route_class=WorkbenchRoute, tags=["workbench"])

#: Commands services sign by program: no person records them.
BY_PROGRAM: Final = frozenset({"ImportRelease", "RecordDelivery", "RecordDeliveryFailure"})

#: Commands a finance office records on a page of their own (``statutes``), which proposes
#: the payload from the packaged data or an uploaded file instead of a form to fill.
OWN_PAGES: Final = {"AdoptCalendar": "/workbench/statutes/calendar",
                    "AdoptTimeLimits": "/workbench/statutes/time-limits"}  # fmt: skip

#: The forms, in the lifecycle's order, with what each records (the payload's description).
FORMS: Final = {
    k: v.__doc__ or k for k, v in PAYLOADS.items() if k not in BY_PROGRAM and k not in OWN_PAGES
}

#: Commands of the registry: about no procurement.
REGISTRY: Final = frozenset({
    "RegisterOrganisation", "AmendOrganisation", "RecordDebarment", "RegisterActor",
    "RegisterKey", "RevokeKey",
})  # fmt: skip

#: Query parameters a link may prefill: a 待办 item's procurement and challenge number, the
#: bid a change or withdrawal supersedes.
PREFILL: Final = ("procurement", "challenge", "complaint", "supersedes", "withdraw")


def _kind(kind: str) -> str:
    if kind not in FORMS:
        raise Refused(404, "not_found", f"no form for {kind!r}", "没有这一表单。")
    return kind


@forms.get("", include_in_schema=False)
def index(request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep) -> Response:
    official = require_official(request, sessions, registry)
    listed = [(k, (v.strip().splitlines() or [k])[0]) for k, v in FORMS.items()]
    finance = official.role == Role.FINANCE_OFFICE.value
    statutes = [(path, (PAYLOADS[k].__doc__ or k).strip().splitlines()[0])
                for k, path in OWN_PAGES.items() if finance]  # fmt: skip
    return page(request, "workbench/forms.html", official=official,
                role=role_label(official), forms=listed, statutes=statutes)  # fmt: skip


@forms.get("/report", include_in_schema=False)
def report(request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep) -> Response:
    """Where an evaluation expert signs the evaluation report 评审报告 with their own key. The
    report travels in the link's fragment, never to the server: the page shows it in words
    and gives the 签名码 the agency puts in the committee's sealed list (``CompleteEvaluation``,
    ``ledger.domain.committee``). Registered before ``/{kind}``, which would take its name."""
    official = require_official(request, sessions, registry)
    if official.role != Role.EVALUATION_EXPERT.value:
        raise Refused(
            403, "forbidden",
            "rule workbench.report: only an evaluation expert 评审专家 signs an evaluation report",
            "只有评审专家签署评审报告：请用评审专家本人的密钥登录。",
        )  # fmt: skip
    return page(request, "workbench/report.html", official=official, role=role_label(official))


@forms.get("/{kind}", include_in_schema=False)
def form(
    kind: str, request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep,
    documents: DocumentsDep,
) -> Response:  # fmt: skip
    official = require_official(request, sessions, registry)
    prefill = {k: request.query_params.get(k, "")[:100] for k in PREFILL}
    heading = (FORMS[_kind(kind)].strip().splitlines() or [kind])[0]
    return page(request, "workbench/form.html", official=official, kind=kind,
                heading=heading, prefill=prefill, registry=kind in REGISTRY,
                document_max=documents.max_bytes)  # fmt: skip


@forms.get(
    "/{kind}/schema.json", summary="The JSON Schema of one command type's payload",
    responses={**SIGNED_IN_ONLY, 404: {"description": "no form for this command type"}},
)
def schema(
    kind: str, request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep
) -> JSONResponse:
    require_official(request, sessions, registry)
    body: dict[str, Any] = PAYLOADS[_kind(kind)].model_json_schema()
    return JSONResponse(body, headers=dict(PRIVATE))
