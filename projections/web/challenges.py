# Over 400 lines by design: one page family: the challenge lookup's routes, its refusals and limits,
# and the complaint decisions.
"""Challenge lookup 质疑查询 and the public complaint decisions 投诉处理决定.

A supplier finds its challenge by number and the lookup code the ledger gave it when it filed
(``ledger.lookup``), or with a request signed by its own key. Everything shown is in the public
log already; the code only keeps the page from being a directory of who challenged what.

A wrong code, an unknown number and malformed input get one and the same refusal, byte for
byte, and the code is checked before the database is read, so neither the answer nor its timing
tells whether a number exists. Failures refuse a client address for a while and slow down
the guesses at one number, never the right code (``projections.web.ratelimit``); the form
carries a token against posts from other sites (``projections.web.form_tokens``). The code
travels in a POST body only, never in a URL, and lookup answers are ``Cache-Control:
no-store``. Nothing here logs the code.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from ledger.domain import fields
from ledger.domain.challenges import Outcome, Subject
from ledger.domain.context import Statutes, china_day
from ledger.domain.errors import Forbidden, Invalid, LedgerError
from ledger.domain.registry import Role
from ledger.http import SIGNED_REQUEST_ERRORS, read_body_limited
from ledger.ports import Database, RegistryView
from ledger.signed_requests import SignedRequest, SignedRequests
from projections.deps import (
    FormTokensDep,
    LookupCodesDep,
    LookupFailuresDep,
    ReadDb,
    RegistryDep,
    SignedRequestsDep,
    StatutesDep,
)
from projections.web import form_tokens
from projections.web.form_tokens import FormTokens
from projections.web.queries import BadRequest, last_page, parse_page
from projections.web.ratelimit import MAX_DELAY, Refused, client_key
from projections.web.render import ENV, error_page, link, page

challenges = APIRouter(tags=["challenges"])

#: ``<procurement>-ZY<n>`` (procurement codes as ``ledger.commands.PROCUREMENT_PATTERN``).
NUMBER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}-ZY[1-9][0-9]{0,2}\Z")
#: A lookup code without its dashes: 16 characters of the base32 alphabet.
CODE: Final = re.compile(r"[A-Z2-7]{16}\Z")
MAX_FORM_BYTES: Final = 2048
PAGE_SIZE: Final = 20
#: How long to wait for the projection when a right code's challenge is not there yet.
PENDING_RETRY_SECONDS: Final = 2

CHALLENGE_STATUS: Final = {"open": "待答复", "answered": "已答复", "withdrawn": "已撤回"}
COMPLAINT_STATUS: Final = {"open": "处理中", "decided": "已作出处理决定", "withdrawn": "已撤回"}
UNIT_TEXT: Final = {"working_days": "个工作日", "days": "日", "years": "年"}

# -- what a lookup shows ----------------------------------------------------------------


def _label(term: Any, value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(term(value).label)
    except ValueError:
        return value


def _zh(reason: str) -> str:
    """The Chinese half of each ``中文 / English`` note in a deadline's reason."""
    return "；".join(note.split(" / ")[0] for note in reason.split("；") if note)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _limit_text(statutes: Statutes, rule: str) -> tuple[str, str]:
    """(受理后7个工作日, its citation) from the time-limit table in force."""
    limit = statutes.limits.get(rule)
    if limit is None:
        return "", ""
    return f"受理后{limit.limit}{UNIT_TEXT.get(limit.unit, '')}", limit.citation


def deadline_view(
    statutes: Statutes,
    rule: str,
    due: str | None,
    provisional: int | bool,
    reason: str,
    is_open: bool,
    closed_on: str | None,
    today: date,
) -> dict[str, Any] | None:
    """A recorded deadline, with how it stands today: working days left, or over."""
    due_day = _day(due)
    if due_day is None:
        return None
    calendar = statutes.calendar
    text, citation = _limit_text(statutes, rule)
    view: dict[str, Any] = {
        "date": due,
        "limit_text": text,
        "citation": citation,
        "provisional": bool(provisional),
        "reason": reason,
        "reason_zh": _zh(reason),
        "remaining_working_days": None,
        "overdue_working_days": None,
        "count_provisional": False,
        "late_working_days": None,
    }
    if is_open:
        if today <= due_day:
            view["remaining_working_days"] = calendar.working_days_between(today, due_day)
        else:
            view["overdue_working_days"] = calendar.working_days_between(due_day, today)
        # A count across a year whose holidays are unknown is as provisional as the date.
        view["count_provisional"] = bool(calendar.unknown_years_between(today, due_day))
    closed = _day(closed_on)
    if closed is not None and closed > due_day:
        view["late_working_days"] = calendar.working_days_between(due_day, closed)
    return view


def _complaint_period(
    statutes: Statutes, status: str, due: str | None, today: date
) -> dict[str, Any] | None:
    """Until when a complaint may be filed: 15 working days after the END of the answer
    period, however early the answer came, or after it ran out unanswered (政府采购法
    第五十五条; 财政部令第94号 第十七条). Computed on today's calendar."""
    limit = statutes.limits.get("complaint_filed_after_answer_period")
    start = _day(due)
    if limit is None or not limit.is_time_limit or start is None:
        return None
    if not (status == "answered" or (status == "open" and today > start)):
        return None
    deadline = statutes.calendar.deadline_for(limit, start)
    return {
        "date": deadline.due.isoformat(),
        "limit_text": f"答复期满后{limit.limit}{UNIT_TEXT.get(limit.unit, '')}",
        "citation": limit.citation,
        "provisional": deadline.provisional,
        "reason": deadline.reason,
        "reason_zh": _zh(deadline.reason),
        "expired": today > deadline.due,
    }


_CHALLENGE_SQL: Final = (
    "SELECT c.number, c.procurement, p.title, p.purchaser, po.name, c.supplier, so.name, "
    "c.subject, c.filed_on, c.known_on, c.grounds, c.answer_due, c.answer_due_provisional, "
    "c.answer_due_reason, c.status, c.outcome, c.closed_on, c.answer "
    "FROM pub_challenges c "
    "LEFT JOIN pub_procurements p ON p.code = c.procurement "
    "LEFT JOIN pub_organisations po ON po.code = p.purchaser "
    "LEFT JOIN pub_organisations so ON so.code = c.supplier "
    "WHERE c.number = ?"
)
_COMPLAINTS_SQL: Final = (
    "SELECT number, filed_on, grounds, decision_due, decision_due_provisional, "
    "decision_due_reason, status, outcome, closed_on, decision "
    "FROM pub_complaints WHERE challenge = ? ORDER BY filed_leaf"
)


def challenge_view(
    db: Database, statutes: Statutes, number: str, today: date
) -> dict[str, Any] | None:
    """Challenge ``number`` as a lookup shows it (JSON-ready), or None if not projected."""
    with db.read() as cur:
        row = cur.execute(_CHALLENGE_SQL, (number,)).fetchone()
        complaints = cur.execute(_COMPLAINTS_SQL, (number,)).fetchall() if row else []
    if row is None:
        return None
    (
        number, procurement, title, purchaser, purchaser_name, supplier, supplier_name,
        subject, filed_on, known_on, grounds, answer_due, answer_provisional, answer_reason,
        status, outcome, closed_on, answer,
    ) = row  # fmt: skip
    is_open = status == "open"
    return {
        "number": number,
        "procurement": {"code": procurement, "title": title or procurement},
        "purchaser": {"code": purchaser, "name": purchaser_name or purchaser},
        "supplier": {"code": supplier, "name": supplier_name or supplier},
        "subject": {"value": subject, "label": _label(Subject, subject)},
        "filed_on": filed_on,
        "known_on": known_on,
        "grounds": grounds,
        "status": {"value": status, "label": CHALLENGE_STATUS.get(status, status)},
        "answer_due": deadline_view(
            statutes, "challenge_answered", answer_due, answer_provisional, answer_reason,
            is_open, closed_on if status == "answered" else None, today,
        ),
        "answer": None if status != "answered" else {
            "date": closed_on,
            "outcome": {"value": outcome, "label": _label(Outcome, outcome)},
            "text": answer,
        },
        "withdrawn_on": closed_on if status == "withdrawn" else None,
        "complaint_period": None if complaints else _complaint_period(
            statutes, status, answer_due, today
        ),
        "complaints": [_complaint_view(statutes, c, today) for c in complaints],
    }  # fmt: skip


def _complaint_view(statutes: Statutes, row: tuple[Any, ...], today: date) -> dict[str, Any]:
    number, filed_on, grounds, due, provisional, reason, status, outcome, closed_on, text = row
    return {
        "number": number,
        "filed_on": filed_on,
        "grounds": grounds,
        "status": {"value": status, "label": COMPLAINT_STATUS.get(status, status)},
        "decision_due": deadline_view(
            statutes, "complaint_decided", due, provisional, reason, status == "open",
            closed_on if status == "decided" else None, today,
        ),
        "decision": None if status != "decided" else {
            "date": closed_on,
            "outcome": {"value": outcome, "label": _label(Outcome, outcome)},
            "text": text,
        },
        "withdrawn_on": closed_on if status == "withdrawn" else None,
    }  # fmt: skip


def _today() -> date:
    """Statutory days are counted in China."""
    return china_day(datetime.now(UTC))


# -- the lookup form --------------------------------------------------------------------


def _private(
    request: Request,
    template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page for one person's eyes: never stored by a browser or a proxy, never revalidated."""
    body = ENV.get_template(template).render(request=request, **context).encode()
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
        **(headers or {}),
    }
    return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                    headers=headers)  # fmt: skip


def _form_page(
    request: Request,
    tokens: FormTokens,
    status: int = 200,
    headers: dict[str, str] | None = None,
    message: str | None = None,
    retry_minutes: int = 0,
) -> Response:
    """The lookup form (with a message), its token in a hidden field and in a cookie."""
    token = tokens.for_page(form_tokens.cookie_of(request))
    response = _private(
        request, "challenge_lookup.html", status, headers, message=message,
        retry_minutes=retry_minutes, form_token=token, form_field=form_tokens.FIELD,
        max_delay=int(MAX_DELAY),
    )  # fmt: skip
    form_tokens.set_cookie(response, request, token)
    return response


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form of a lookup; None when it is not one, or is oversized."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("application/x-www-form-urlencoded"):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in parsed.items() if values}


def normalise_number(value: str) -> str | None:
    """A challenge number as typed (full-width characters from a Chinese IME are folded)."""
    number = unicodedata.normalize("NFKC", value).strip()
    # The ledger writes ZY in capitals; procurement codes keep their case.
    number = re.sub(r"-zy([0-9]+)\Z", r"-ZY\1", number, flags=re.IGNORECASE)
    return number if NUMBER.match(number) else None


def normalise_code(value: str) -> str | None:
    code = unicodedata.normalize("NFKC", value).upper()
    code = "".join(ch for ch in code if ch not in "- ")
    return code if CODE.match(code) else None


@challenges.get("/challenges/lookup", include_in_schema=False)
def lookup_form(request: Request, tokens: FormTokensDep) -> Response:
    return _form_page(request, tokens)


@challenges.post("/challenges/lookup", include_in_schema=False)
async def lookup(
    request: Request, tokens: FormTokensDep, limiter: LookupFailuresDep, codes: LookupCodesDep,
    db: ReadDb, statutes: StatutesDep,
) -> Response:  # fmt: skip
    form = await _form(request) or {}
    # A post from another site's page is turned away before it is counted: otherwise any
    # page could make its visitors guess codes, and use up a supplier's own address's tries.
    if not tokens.check(form_tokens.cookie_of(request), form.get(form_tokens.FIELD)):
        return _form_page(request, tokens, status=403, message="stale_form")
    number = normalise_number(form.get("number", ""))
    code = normalise_code(form.get("code", ""))
    client = client_key(request.client.host if request.client else None)
    # Malformed numbers name no challenge: counted against the client alone, so junk input
    # cannot fill a number's count.
    attempt = await run_in_threadpool(limiter.begin, client, number)
    if isinstance(attempt, Refused):
        # Before the code is checked: a blocked guesser learns nothing, even from a hit.
        wait = attempt.retry_after
        return _form_page(
            request, tokens, status=429, headers={"Retry-After": str(wait)}, message="too_many",
            retry_minutes=-(-wait // 60),
        )  # fmt: skip
    if attempt.delay:
        # A number many have guessed at: every attempt on it waits, right or wrong, and the
        # code is checked only then. The wait is a sleep of this task, not of a thread.
        await asyncio.sleep(attempt.delay)
    # The code is checked before anything is read: a refusal costs the same either way.
    if number is None or code is None or not codes.matches(number, code):
        return _form_page(request, tokens, status=404, message="refused")
    await run_in_threadpool(limiter.succeeded, attempt)
    view = await run_in_threadpool(challenge_view, db, statutes, number, _today())
    if view is None:
        # Only the ledger can make a right code, so the challenge exists: the projection has
        # not reached its leaf yet (it follows the log within a fraction of a second).
        return _form_page(
            request, tokens, status=503, headers={"Retry-After": str(PENDING_RETRY_SECONDS)},
            message="pending",
        )  # fmt: skip
    return _private(request, "challenge.html", c=view)


# -- the signed lookup ------------------------------------------------------------------


def signed_lookup(
    requests: SignedRequests, registry: RegistryView, db: Database, statutes: Statutes,
    body: bytes,
) -> dict[str, Any]:  # fmt: skip
    """A signed ``LookupChallenge`` (checked as every signed request is: shape, key read
    afresh, signature, a few minutes' freshness, used once); only the supplier that filed
    the challenge may read it."""
    number: str = ""

    def filer_only(request: SignedRequest) -> None:
        nonlocal number
        command, key = request.command, request.key
        fields.only(command.payload, ("challenge",))
        named = command.payload.get("challenge")
        if not isinstance(named, str) or not NUMBER.match(named):
            raise Invalid("payload.challenge must be a challenge number like <procurement>-ZY1")
        number = named
        # The event store, not the projection, says who filed it: it is current at once.
        if key.role is not Role.SUPPLIER or key.organisation != registry.challenger(number):
            # One answer whether or not the number exists: a supplier learns only its own.
            raise Forbidden(
                "rule challenges.lookup: a challenge is looked up by the supplier that filed "
                f"it; {command.actor} ({key.role.value} of {key.organisation}) filed no "
                f"challenge {number}"
            )

    requests.accept(body, "LookupChallenge", filer_only)
    view = challenge_view(db, statutes, number, _today())
    if view is None:
        raise LedgerError(
            f"challenge {number} is recorded but not yet on the public pages; sign and ask "
            "again shortly",
            code="pending",
            status=503,
        )
    return view


@challenges.post(
    "/challenges/lookup/signed",
    summary="Look up one's own challenge (signed request)",
    description=(
        'Body: a signed request like a command, of type "LookupChallenge", payload '
        '{"challenge": "<procurement>-ZY<n>"}. Answers the challenge with its statutory '
        "deadlines (provisional ones marked), its answer, and any complaint and decision, "
        "to the supplier whose organisation filed it. A request is fresh for 5 minutes and "
        "works once. Reads are not recorded."
    ),
    responses={
        **SIGNED_REQUEST_ERRORS,
        403: {"description": "not a challenge the signer's organisation filed"},
        409: {"description": "the request was sent before: sign each one afresh"},
        503: {"description": "recorded, but the public projection has not reached it yet"},
    },
)
async def lookup_signed(
    request: Request, requests: SignedRequestsDep, registry: RegistryDep, db: ReadDb,
    statutes: StatutesDep,
) -> JSONResponse:  # fmt: skip
    body = await read_body_limited(request)
    view = await run_in_threadpool(signed_lookup, requests, registry, db, statutes, body)
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


# -- the public complaint decisions -----------------------------------------------------

_DECISIONS_SQL: Final = (
    "SELECT c.number, c.procurement, p.title, po.name, c.supplier, so.name, c.filed_on, "
    "c.decision_due, c.decision_due_provisional, c.outcome, c.closed_on, c.decision, "
    "c.grounds, c.document_number, c.basis, ao.name, so.address, po.address, go.name, "
    "go.address "
    "FROM pub_complaints c "
    "LEFT JOIN pub_procurements p ON p.code = c.procurement "
    "LEFT JOIN pub_organisations po ON po.code = p.purchaser "
    "LEFT JOIN pub_organisations go ON go.code = p.agency "
    "LEFT JOIN pub_organisations so ON so.code = c.supplier "
    "LEFT JOIN pub_organisations ao ON ao.code = c.authority "
    "WHERE c.status = 'decided' ORDER BY c.closed_on DESC, c.closed_leaf DESC LIMIT ? OFFSET ?"
)


def decisions(db: Database, page_number: int) -> tuple[list[dict[str, Any]], int]:
    """One page of complaint decisions, newest first, and how many there are in all."""
    with db.read() as cur:
        (total,) = cur.execute(
            "SELECT COUNT(*) FROM pub_complaints WHERE status = 'decided'"
        ).fetchone() or (0,)
        rows = cur.execute(_DECISIONS_SQL, (PAGE_SIZE, (page_number - 1) * PAGE_SIZE)).fetchall()
    items = []
    for (
        number, procurement, title, purchaser, supplier, supplier_name, filed_on, due,
        provisional, outcome, closed_on, decision, grounds, document_number, basis, authority,
        supplier_address, purchaser_address, agency, agency_address,
    ) in rows:  # fmt: skip
        late = bool(due) and closed_on > due
        items.append({
            "number": number,
            "procurement": {"code": procurement, "title": title or procurement},
            "purchaser": purchaser or "",
            "supplier": supplier_name or supplier,
            "filed_on": filed_on,
            "decision_due": due,
            "decision_due_provisional": bool(provisional),
            "decided_on": closed_on,
            "late": late,
            "outcome": _label(Outcome, outcome),
            "decision": decision,
            # as 财政部令第94号 第三十七条 has it published
            "grounds": grounds,
            "document_number": document_number,
            "basis": basis,
            "authority": authority,
            "supplier_address": supplier_address,
            "purchaser_address": purchaser_address,
            "agency": agency,
            "agency_address": agency_address,
        })  # fmt: skip
    return items, int(total)


@challenges.get("/complaints", include_in_schema=False)
def complaint_decisions(request: Request, db: ReadDb) -> Response:
    # The page number is checked as the announcement list checks it: a bad one answers a
    # Chinese page with a 4xx status, not the API's JSON.
    try:
        number = parse_page(request.query_params.get("page"))
    except BadRequest as bad:
        return error_page(request, bad.status, bad.message)
    items, total = decisions(db, number)
    last = last_page(total, PAGE_SIZE)
    if number > last:
        return error_page(request, 404, f"共{last}页，没有第{number}页。")
    return page(
        request, "complaints.html", items=items, total=total, page_number=number,
        last_page=last, first_link=link("/complaints", {}),
        prev_link=link("/complaints", {}, number - 1) if number > 1 else None,
        next_link=link("/complaints", {}, number + 1) if number < last else None,
    )  # fmt: skip
