"""The form's preview 预览: what the public page will show once the official signs, and which
rules the action would break, before anything is signed.

``POST /workbench/preview`` takes the command the form built (type, procurement, payload and
any sealed values), as the signed-in official's: the ledger decides it as it would decide the
signed command (``Ledger.draft``), storing nothing, and the answer is an HTML fragment: each
entry as the procurement's public page shows it (``step_entry`` of ``_timeline.html``, the
macro that page uses); for a command that publishes a notice 公告, the notice page itself as
the public will see it (``notice.notice_pages``: the page's own view code and template, on the
public projection with the entries applied in a transaction always rolled back), marked
预览（尚未记录）; and a warning per finding the entries would carry, in the ledger's own
words and citation. A refusal is answered as ``POST /commands`` answers it.

Cross-site requests: the session cookie is ``SameSite=Strict``; the body must be JSON (a
cross-site form cannot send that without a preflight this server never allows) and a
browser's ``Origin``, when sent, must be this server's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ledger.application import Draft
from ledger.domain.errors import Forbidden, MalformedCommand
from ledger.domain.registry import Role
from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import Entry
from ledger.domain.schema.values import Finding
from ledger.http import read_body_limited
from ledger.ports import Database
from projections.deps import CommandsDep, Db, FlagConfigDep, RegistryDep, WorkbenchSessionsDep
from projections.flags.config import FlagConfig
from projections.flags.dry_run import WouldRaise, would_raise
from projections.flags.rules import finding_kind
from projections.supervision.auth import PRIVATE
from projections.web import queries
from projections.web.pages import committee_by_role, committee_names, suppliers_named
from projections.web.render import ENV
from projections.workbench.auth import PATH, Official, WorkbenchRoute, require_official
from projections.workbench.forms import FORMS
from projections.workbench.notice import announces, notice_pages

preview = APIRouter(prefix=PATH, route_class=WorkbenchRoute, tags=["workbench"])

#: What the form sends: the command but for who signs it, when, and its nonce.
FIELDS: Final = frozenset({"type", "procurement", "payload", "sealed"})

#: Who is warned of the red flags its action would raise: those who answer for a procurement
#: and those who supervise it. A flag is a supervisory reading (its summary may weigh a
#: supplier's record against others'); a supplier or an expert is warned of findings only.
FLAGS_SHOWN: Final = frozenset({
    Role.PURCHASER, Role.AGENCY, Role.FINANCE_OFFICE, Role.INSPECTOR,
    Role.SUPERVISION_DEPARTMENT,
})  # fmt: skip


@preview.post(
    "/preview",
    summary="What a command would show on the public page and which findings it would record",
    responses={
        200: {"content": {"text/html": {}}, "description": "the public entries and warnings"},
        401: {"description": "not signed in, or the session's key was revoked"},
        403: {"description": "another origin, or the actor may not do this"},
        415: {"description": "not JSON"},
        422: {"description": "fields not of the payload's schema, or a rule refuses it"},
    },
)
async def preview_command(
    request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep,
    commands: CommandsDep, db: Db, flags: FlagConfigDep,
) -> Response:  # fmt: skip
    official = require_official(request, sessions, registry)
    _same_origin(request)
    body = await read_body_limited(request)
    command, sealed = _command(body, official)
    envelope = orjson.dumps({"command": command} | ({"sealed": sealed} if sealed else {}))
    draft = await run_in_threadpool(commands.draft, envelope)
    raised = (
        await run_in_threadpool(red_flags, db, flags, command, draft)
        if Role(official.role) in FLAGS_SHOWN else []
    )  # fmt: skip
    entries = drafted(command, draft)
    notices = await run_in_threadpool(notice_pages, db, entries) if announces(entries) else []
    html = await run_in_threadpool(render, db, command["procurement"], draft, raised, notices)
    return Response(html, media_type="text/html; charset=utf-8", headers=dict(PRIVATE))


def _same_origin(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise MalformedCommand("the preview takes the command as JSON", status=415,
                               code="unsupported_media_type")  # fmt: skip
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise Forbidden(f"rule workbench.same_origin: a preview is asked from {own} only",
                        code="cross_origin")  # fmt: skip


def _command(body: bytes, official: Official) -> tuple[dict[str, Any], dict[str, Any]]:
    """The command as the signed-in official would sign it now; its sealed values."""
    try:
        given = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedCommand("the body is not JSON") from None
    if not isinstance(given, dict) or not set(given) <= FIELDS:
        raise MalformedCommand('body must be {"type", "procurement", "payload", "sealed"}')
    kind = given.get("type")
    if not isinstance(kind, str) or kind not in FORMS:
        raise MalformedCommand(f"no form records a command of type {kind!r}")
    sealed = given.get("sealed") or {}
    if not isinstance(sealed, dict):
        raise MalformedCommand('sealed must be an object {"<commitment>": {"value", "salt"}}')
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    command = {
        "type": kind,
        "procurement": given.get("procurement"),
        "payload": given.get("payload"),
        "actor": official.actor,
        "key": official.key,
        "issued_at": now,
        "nonce": secrets.token_urlsafe(24),
    }
    return command, sealed


def red_flags(
    db: Database, config: FlagConfig, command: dict[str, Any], draft: Draft
) -> list[WouldRaise] | None:
    """The red flags the draft would raise, besides those its findings become (warned of
    already); None when the flags cannot be known now."""
    raised = would_raise(db, config, drafted(command, draft))
    if raised is None:
        return None
    warned = {finding_kind(f.rule) for f in draft.findings}
    return [flag for flag in raised if flag.kind not in warned]


def drafted(command: dict[str, Any], draft: Draft) -> list[Entry[Any]]:
    """The draft's entries as the log would hold them, but for their index."""
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return [
        Entry(0, e.stream, e.version, e.type, at, command["actor"], command["key"], command,
              "", e.data)
        for e in draft.entries
    ]  # fmt: skip


def render(
    db: Database, procurement: str | None, draft: Draft, flags: list[WouldRaise] | None = None,
    notices: Sequence[str] | None = (),
) -> str:  # fmt: skip
    """The draft's entries as the public page shows them, the notice pages they publish
    (``notice.notice_pages``; None when they cannot be known now), and its warnings."""
    steps = [
        queries.Step(0, entry.type, entry.data.date.isoformat(), "", entry.data)
        for entry in draft.entries
        if isinstance(entry.data, E.ProcurementData | E.StreamData)  # the timeline's entries
    ]
    before = queries.timeline(db, procurement) if procurement else []
    codes: set[str] = set()
    found = queries.procurement(db, procurement) if procurement else None
    if found is not None:
        codes |= {c for c in (found.purchaser, found.agency, found.winner) if c}
    for step in steps:
        codes |= suppliers_named(step.typed)
        named = (getattr(step.typed, "purchaser", None), getattr(step.typed, "agency", None))
        codes |= {c for c in named if isinstance(c, str)}
    return ENV.get_template("workbench/preview.html").render(
        steps=steps,
        warnings=[(warning(f), f) for f in draft.findings],
        flags=[flagged(f) for f in flags or []],
        flags_unknown=flags is None,
        notices=notices or [],
        notices_unknown=notices is None,
        opened=any(isinstance(s.typed, E.BidsOpened) for s in [*before, *steps]),
        names=queries.names(db, codes),
        committee_names=committee_names,
        committee_by_role=committee_by_role,
    )


def warning(finding: Finding) -> str:
    """将被记为：<the finding>（依据：<its article>）, as the ledger states the rule."""
    basis = f"（依据：{finding.citation}）" if finding.citation else ""
    return f"将被记为：{finding.description_zh}{basis}"


def flagged(flag: WouldRaise) -> str:
    """将被记为预警：<the flag>：<what raised it>（依据：<the rule>）, in the projection's words."""
    return f"将被记为预警：{flag.kind.label}：{flag.summary}（依据：{flag.kind.rule_zh}）"
