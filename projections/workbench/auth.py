"""Sign-in to the workbench 工作台: the inspectors' signed-challenge sign-in
(``projections.supervision.auth``) for every official who records procurement actions.

The same server secret, but keys of their own (``WORKBENCH``): a workbench session lasts a
working day (8 hours) and opens ``/workbench`` only; a supervisory token does not open it,
nor the other way round. Services (the publisher, the bid box, the importer) sign by
program, never from a browser, so they are refused. Every request re-reads the session's
key, so revoking it ends the session at once.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request

from ledger.domain.registry import Role
from ledger.signed_requests import SignedRequests
from projections.supervision.auth import (
    Inspector,
    InspectorRegistry,
    Purpose,
    Refused,
    Sessions,
    SupervisionRoute,
    require_signed_in,
    sign_in,
)

WORKING_DAY: Final = 8 * 60 * 60
COOKIE: Final = "sunshine_workbench"
PATH: Final = "/workbench"
WORKBENCH: Final = Purpose("workbench", "sunshine-workbench", WORKING_DAY, COOKIE, PATH)

#: Who signs in to the workbench: every role that acts in person. The services' roles sign
#: by program with keys kept on their servers.
OFFICIALS: Final = frozenset(
    {
        Role.PURCHASER,
        Role.AGENCY,
        Role.FINANCE_OFFICE,
        Role.SUPPLIER,
        Role.EVALUATION_EXPERT,
        Role.INSPECTOR,
        Role.SUPERVISION_DEPARTMENT,
    }
)

#: An official, as the workbench knows it: who signed in, with which key, until when.
Official = Inspector


def not_an_official() -> Refused:
    return Refused(
        403,
        "forbidden",
        "rule workbench.official: the workbench is for officials, suppliers and experts; "
        "services sign by program",
        "工作台供采购人、代理机构、财政部门、供应商、评审专家和监督人员使用；服务账户不能登录。",
    )


def not_signed_in() -> Refused:
    return Refused(
        401,
        "not_signed_in",
        "sign in to the workbench first (GET /workbench/challenge, POST /workbench/session)",
        "请先用本人的签名密钥登录工作台。",
    )


def sign_in_official(
    requests: SignedRequests, sessions: Sessions, body: bytes
) -> tuple[str, Official]:
    return sign_in(requests, sessions, body, OFFICIALS, not_an_official)


def require_official(request: Request, sessions: Sessions, keys: InspectorRegistry) -> Official:
    return require_signed_in(request, sessions, keys, OFFICIALS, not_an_official, not_signed_in)


class WorkbenchRoute(SupervisionRoute):
    """Refusals as the client wants them, on the workbench's own error page."""

    error_template = "workbench/error.html"
