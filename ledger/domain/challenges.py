"""Challenges 质疑 and complaints 投诉: a supplier's objections, each its own stream.

A supplier that took part challenges the purchaser or its agency, who must answer within 7
working days; a supplier not satisfied, or not answered in time, complains to the finance
office, which must decide within 30 working days (财政部令第94号). Either may suspend the
procurement (``Suspend`` on the procurement names the challenge or complaint as its cause).

Numbers are given by the ledger: ``<procurement>-ZY<n>`` for the n-th challenge of a
procurement and ``<procurement>-TS<n>`` for the n-th complaint. Late filings, answers and
decisions are recorded with findings, never refused: they happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Final, TypeVar

import orjson
from eventsourcing.domain import Aggregate

from ledger.domain import fields, text
from ledger.domain.clock import Deadline
from ledger.domain.context import Context, ContextHandler, Statutes
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.findings import limit_finding, stream_timing_findings
from ledger.domain.lifecycle import Stage
from ledger.domain.procurement import Procurement
from ledger.domain.procurement_commands import (
    action_date,
    finding_json,
    load,
    participants,
)
from ledger.domain.registry import Role, stream_id
from ledger.domain.roles import may_challenge, may_decide_complaint
from ledger.domain.vocabulary import Term

MAX_PER_PROCUREMENT: Final = 999


class Subject(Term):
    """What a challenge objects to 质疑事项 (财政部令第94号 art. 10)."""

    DOCUMENTS = "documents"
    PROCESS = "process"
    RESULT = "result"

    @property
    def label(self) -> str:
        return {"documents": "采购文件", "process": "采购过程", "result": "中标（成交）结果"}[
            self.value
        ]


class Outcome(Term):
    """How a challenge was answered or a complaint decided."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    REJECTED = "rejected"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {
            "upheld": "成立",
            "partly_upheld": "部分成立",
            "rejected": "不成立",
            "dismissed": "驳回（不予受理）",
        }[self.value]


class _Stream(ValueAggregate):
    """What challenges and complaints share: a number, a procurement, a supplier, a status."""

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        values = orjson.loads(data)
        self.number: str = values["number"]
        self.procurement: str = values["procurement"]
        self.supplier: str = values["supplier"]
        self.filed_on = date.fromisoformat(values["date"])
        self.status = "open"
        self.closed_on: date | None = None
        self.outcome: Outcome | None = None

    def close(self, values: dict[str, Any], status: str) -> None:
        self.status = status
        self.closed_on = date.fromisoformat(values["date"])
        if values.get("outcome"):
            self.outcome = Outcome(values["outcome"])


class Challenge(_Stream):
    """A challenge 质疑, from filing to its answer or withdrawal."""

    class Filed(SignedCreated):
        event_type = "ChallengeFiled"

    class Answered(SignedEvent):
        event_type = "ChallengeAnswered"

        def apply(self, aggregate: Challenge) -> None:
            aggregate.close(self.values, "answered")

    class Withdrawn(SignedEvent):
        event_type = "ChallengeWithdrawn"

        def apply(self, aggregate: Challenge) -> None:
            aggregate.close(self.values, "withdrawn")


class Complaint(_Stream):
    """A complaint 投诉 to the finance office, from filing to its decision or withdrawal."""

    class Filed(SignedCreated):
        event_type = "ComplaintFiled"

    class Decided(SignedEvent):
        event_type = "ComplaintDecided"

        def apply(self, aggregate: Complaint) -> None:
            aggregate.close(self.values, "decided")

    class Withdrawn(SignedEvent):
        event_type = "ComplaintWithdrawn"

        def apply(self, aggregate: Complaint) -> None:
            aggregate.close(self.values, "withdrawn")

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        super().__init__(actor, key, command, signature, data)
        self.challenge: str = orjson.loads(data)["challenge"]


def _findings(ctx: Context, event: str, on: date, history: dict[str, date]) -> list[Any]:
    found = stream_timing_findings(event, on, history, ctx.statutes.calendar, ctx.statutes.limits)
    return [finding_json(f) for f in found]


def _limit_finding(ctx: Context, rule: str, start: date, on: date) -> list[dict[str, Any]]:
    found = limit_finding(rule, start, on, ctx.statutes.calendar, ctx.statutes.limits)
    return [] if found is None else [finding_json(found)]


def _next_number(ctx: Context, kind: str, procurement: str, mark: str) -> str:
    for n in range(1, MAX_PER_PROCUREMENT + 1):
        number = f"{procurement}-{mark}{n}"
        if not ctx.view.taken(kind, number):
            return number
    raise Conflict(f"procurement {procurement} has {MAX_PER_PROCUREMENT} {kind}s already")


def statutory_deadline(statutes: Statutes, rule: str, start: date) -> Deadline | None:
    """When ``rule`` falls due counting from ``start``; None if the table lacks the rule."""
    limit = statutes.limits.get(rule)
    return None if limit is None else statutes.calendar.deadline_for(limit, start)


def deadline(ctx: Context, rule: str, start: date) -> Deadline | None:
    return statutory_deadline(ctx.statutes, rule, start)


def answer_deadline(ctx: Context, challenge: Challenge) -> Deadline | None:
    return deadline(ctx, "challenge_answered", challenge.filed_on)


def complaint_period_end(closed_on: date | None, answer_due: Deadline | None, filed: date) -> date:
    """Whence the complaint period of a challenge runs: its answer, else the end of its
    answer period (else, with no such rule in the table, its filing)."""
    return closed_on or (answer_due.due if answer_due else filed)


def due_json(due: Deadline | None) -> dict[str, Any] | None:
    """A statutory deadline as event data: the day, and whether it is provisional and why."""
    if due is None:
        return None
    return {"date": due.due.isoformat(), "provisional": due.provisional, "reason": due.reason}


# -- challenges -------------------------------------------------------------------------


def file_challenge(ctx: Context) -> list[Aggregate]:
    """FileChallenge: a supplier that took part objects to documents, process or result."""
    procurement = load(ctx)
    may_challenge(ctx.signer, participants(procurement))
    fields.only(ctx.payload, ("date", "subject", "grounds", "known_on"))
    on = action_date(ctx, None)
    known = text.day(ctx.payload, "known_on")
    text.ensure_order(known, on, ("payload.known_on", "payload.date"))
    if procurement.state.closed == "archived" or procurement.state.progress is Stage.NONE:
        raise Conflict(
            "rule challenges.open_procurement: a challenge is filed on a procurement that was "
            f"announced and is not archived (current: {procurement.state.label})",
            code="lifecycle",
        )
    number = _next_number(ctx, "challenge", procurement.code, "ZY")
    data = {
        "number": number,
        "procurement": procurement.code,
        "supplier": ctx.signer.organisation,
        "date": on.isoformat(),
        "known_on": known.isoformat(),
        "subject": Subject.from_payload(ctx.payload, "subject").value,
        "grounds": text.requirement(ctx.payload, "grounds"),
        "findings": _limit_finding(ctx, "challenge_filed_after_known", known, on),
        # The answer is due 7 working days on; provisional in a year without holidays known.
        "answer_due": due_json(deadline(ctx, "challenge_answered", on)),
    }
    return [
        Challenge._create(
            Challenge.Filed, id=stream_id("challenge", number), **ctx.signed.fields(data)
        )
    ]


_S = TypeVar("_S", bound=_Stream)


def _open(
    ctx: Context, procurement: Procurement, kind: str, find: Callable[[str], _S | None]
) -> _S:
    """The open challenge or complaint on this procurement that ``payload.<kind>`` numbers."""
    number = ctx.payload.get(kind)
    found = find(number) if isinstance(number, str) else None
    if found is None or found.procurement != procurement.code:
        raise Invalid(
            f"payload.{kind} must be the number of a {kind} on {procurement.code}",
            code=f"unknown_{kind}",
        )
    if found.status != "open":
        raise Conflict(f"{kind} {found.number} is already {found.status}")
    return found


def _open_challenge(ctx: Context, procurement: Procurement) -> Challenge:
    return _open(ctx, procurement, "challenge", ctx.view.challenge)


def answer_challenge(ctx: Context) -> list[Aggregate]:
    """AnswerChallenge: the purchaser or its agency answers in writing 质疑答复."""
    procurement = load(ctx)
    p = participants(procurement)
    if not (
        (ctx.signer.role is Role.PURCHASER and ctx.signer.organisation == p.purchaser)
        or (ctx.signer.role is Role.AGENCY and ctx.signer.organisation == p.agency)
    ):
        raise Forbidden(
            "rule roles.answer_challenge: a challenge is answered by the purchaser of the "
            f"procurement ({p.purchaser}) or its appointed agency ({p.agency or 'none'}); "
            f"{ctx.signer.actor} acts as {ctx.signer.role.value} of {ctx.signer.organisation}"
        )
    fields.only(ctx.payload, ("challenge", "date", "outcome", "answer"))
    challenge = _open_challenge(ctx, procurement)
    on = action_date(ctx, None)
    text.ensure_order(challenge.filed_on, on, ("the challenge's filing", "payload.date"))
    data = {
        "number": challenge.number,
        "procurement": procurement.code,
        "date": on.isoformat(),
        "outcome": Outcome.from_payload(ctx.payload, "outcome").value,
        "answer": text.requirement(ctx.payload, "answer"),
        "findings": _findings(ctx, "ChallengeAnswered", on, {"ChallengeFiled": challenge.filed_on}),
    }
    if data["outcome"] == Outcome.DISMISSED:
        raise Invalid("payload.outcome: a challenge is upheld, partly_upheld or rejected")
    challenge.trigger_event(Challenge.Answered, **ctx.signed.fields(data))
    return [challenge]


def withdraw_challenge(ctx: Context) -> list[Aggregate]:
    """WithdrawChallenge: the supplier that filed it withdraws it."""
    procurement = load(ctx)
    fields.only(ctx.payload, ("challenge", "date", "reason"))
    challenge = _open_challenge(ctx, procurement)
    _own(ctx, challenge.supplier, "challenge")
    on = action_date(ctx, None)
    text.ensure_order(challenge.filed_on, on, ("the challenge's filing", "payload.date"))
    data = {
        "number": challenge.number,
        "procurement": procurement.code,
        "date": on.isoformat(),
        "reason": text.requirement(ctx.payload, "reason"),
    }
    challenge.trigger_event(Challenge.Withdrawn, **ctx.signed.fields(data))
    return [challenge]


def _own(ctx: Context, supplier: str, kind: str) -> None:
    if ctx.signer.role is not Role.SUPPLIER or ctx.signer.organisation != supplier:
        raise Forbidden(
            f"rule roles.withdraw_{kind}: only the supplier that filed it ({supplier}) may "
            f"withdraw it; {ctx.signer.actor} is of {ctx.signer.organisation}"
        )


# -- complaints -----------------------------------------------------------------------


def file_complaint(ctx: Context) -> list[Aggregate]:
    """FileComplaint: after its challenge was answered, or not answered in time."""
    procurement = load(ctx)
    fields.only(ctx.payload, ("challenge", "date", "grounds"))
    number = ctx.payload.get("challenge")
    challenge = ctx.view.challenge(number) if isinstance(number, str) else None
    if challenge is None or challenge.procurement != procurement.code:
        raise Invalid(
            "rule complaints.after_challenge: a complaint names the challenge it follows "
            f"(payload.challenge), a challenge on {procurement.code}",
            code="unknown_challenge",
        )
    if ctx.signer.role is not Role.SUPPLIER or ctx.signer.organisation != challenge.supplier:
        raise Forbidden(
            "rule roles.file_complaint: a complaint is filed by the supplier that filed the "
            f"challenge ({challenge.supplier}); {ctx.signer.actor} is of "
            f"{ctx.signer.organisation}"
        )
    on = action_date(ctx, None)
    answer_due = answer_deadline(ctx, challenge)
    if challenge.status == "withdrawn":
        raise Conflict(f"challenge {challenge.number} was withdrawn", code="lifecycle")
    if challenge.status == "open" and answer_due is not None and on <= answer_due.due:
        raise Conflict(
            "rule complaints.after_challenge: a complaint follows the challenge's answer, or "
            f"the end of its answer period ({answer_due.due.isoformat()})",
            code="lifecycle",
        )
    period_end = complaint_period_end(challenge.closed_on, answer_due, challenge.filed_on)
    complaint_number = _next_number(ctx, "complaint", procurement.code, "TS")
    data = {
        "number": complaint_number,
        "procurement": procurement.code,
        "challenge": challenge.number,
        "supplier": ctx.signer.organisation,
        "date": on.isoformat(),
        "grounds": text.requirement(ctx.payload, "grounds"),
        "findings": _limit_finding(ctx, "complaint_filed_after_answer_period", period_end, on),
        "decision_due": due_json(deadline(ctx, "complaint_decided", on)),
    }
    return [
        Complaint._create(
            Complaint.Filed, id=stream_id("complaint", complaint_number), **ctx.signed.fields(data)
        )
    ]


def _open_complaint(ctx: Context, procurement: Procurement) -> Complaint:
    return _open(ctx, procurement, "complaint", ctx.view.complaint)


def decide_complaint(ctx: Context) -> list[Aggregate]:
    """DecideComplaint: the finance office's decision 投诉处理决定."""
    may_decide_complaint(ctx.signer)
    procurement = load(ctx)
    fields.only(ctx.payload, ("complaint", "date", "outcome", "decision"))
    complaint = _open_complaint(ctx, procurement)
    on = action_date(ctx, None)
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    data = {
        "number": complaint.number,
        "procurement": procurement.code,
        "date": on.isoformat(),
        "outcome": Outcome.from_payload(ctx.payload, "outcome").value,
        "decision": text.requirement(ctx.payload, "decision"),
        "findings": _findings(ctx, "ComplaintDecided", on, {"ComplaintFiled": complaint.filed_on}),
    }
    complaint.trigger_event(Complaint.Decided, **ctx.signed.fields(data))
    return [complaint]


def withdraw_complaint(ctx: Context) -> list[Aggregate]:
    procurement = load(ctx)
    fields.only(ctx.payload, ("complaint", "date", "reason"))
    complaint = _open_complaint(ctx, procurement)
    _own(ctx, complaint.supplier, "complaint")
    on = action_date(ctx, None)
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    data = {
        "number": complaint.number,
        "procurement": procurement.code,
        "date": on.isoformat(),
        "reason": text.requirement(ctx.payload, "reason"),
    }
    complaint.trigger_event(Complaint.Withdrawn, **ctx.signed.fields(data))
    return [complaint]


CHALLENGE_HANDLERS: Final[dict[str, ContextHandler]] = {
    "FileChallenge": file_challenge,
    "AnswerChallenge": answer_challenge,
    "WithdrawChallenge": withdraw_challenge,
    "FileComplaint": file_complaint,
    "DecideComplaint": decide_complaint,
    "WithdrawComplaint": withdraw_complaint,
}
