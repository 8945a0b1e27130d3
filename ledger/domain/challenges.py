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
from dataclasses import replace
from datetime import date
from typing import Final, TypeVar

from eventsourcing.domain import Aggregate

from ledger.domain import fields, text
from ledger.domain.clock import Deadline
from ledger.domain.context import Context, ContextHandler, Statutes
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.findings import limit_finding, stream_timing_findings
from ledger.domain.lifecycle import Stage
from ledger.domain.procurement_commands import (
    action_date,
    load,
    participants,
)
from ledger.domain.record import ProcurementRecord, Status
from ledger.domain.registry import Role, stream_id
from ledger.domain.roles import may_challenge, may_decide_complaint
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.schema.values import Due, Finding
from ledger.domain.vocabulary import Outcome as Outcome
from ledger.domain.vocabulary import Subject as Subject

MAX_PER_PROCUREMENT: Final = 999


class _Stream(ValueAggregate):
    """What challenges and complaints share: a number, a procurement, a supplier, a status."""

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        filed = self.filed(data)
        self.number = filed.number
        self.procurement = filed.procurement
        self.supplier = filed.supplier
        self.filed_on = filed.date
        self.status: Status = "open"
        self.closed_on: date | None = None
        self.outcome: Outcome | None = None

    @staticmethod
    def filed(data: str) -> E.ChallengeFiled | E.ComplaintFiled:
        raise NotImplementedError

    def close(self, closing: E.StreamData, status: Status) -> None:
        self.status = status
        self.closed_on = closing.date
        if isinstance(closing, E.ChallengeAnswered | E.ComplaintDecided):
            self.outcome = closing.outcome


class Challenge(_Stream):
    """A challenge 质疑, from filing to its answer or withdrawal."""

    class Filed(SignedCreated):
        event_type = E.ChallengeFiled.__name__

    class Answered(SignedEvent):
        event_type = E.ChallengeAnswered.__name__

        def apply(self, aggregate: Challenge) -> None:
            aggregate.close(E.ChallengeAnswered.model_validate_json(self.data), "answered")

    class Withdrawn(SignedEvent):
        event_type = E.ChallengeWithdrawn.__name__

        def apply(self, aggregate: Challenge) -> None:
            aggregate.close(E.ChallengeWithdrawn.model_validate_json(self.data), "withdrawn")

    @staticmethod
    def filed(data: str) -> E.ChallengeFiled:
        return E.ChallengeFiled.model_validate_json(data)


class Complaint(_Stream):
    """A complaint 投诉 to the finance office, from filing to its decision or withdrawal."""

    class Filed(SignedCreated):
        event_type = E.ComplaintFiled.__name__

    class Decided(SignedEvent):
        event_type = E.ComplaintDecided.__name__

        def apply(self, aggregate: Complaint) -> None:
            aggregate.close(E.ComplaintDecided.model_validate_json(self.data), "decided")

    class Withdrawn(SignedEvent):
        event_type = E.ComplaintWithdrawn.__name__

        def apply(self, aggregate: Complaint) -> None:
            aggregate.close(E.ComplaintWithdrawn.model_validate_json(self.data), "withdrawn")

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        super().__init__(actor, key, command, signature, data)
        self.challenge = self.filed(data).challenge

    @staticmethod
    def filed(data: str) -> E.ComplaintFiled:
        return E.ComplaintFiled.model_validate_json(data)


def _findings(
    ctx: Context, event: type[E.StreamData], on: date, history: dict[type[E.StreamData], date]
) -> list[Finding]:
    found = stream_timing_findings(event, on, history, ctx.statutes.calendar, ctx.statutes.limits)
    return list(found)


def _limit_finding(ctx: Context, rule: str, start: date, on: date) -> list[Finding]:
    found = limit_finding(rule, start, on, ctx.statutes.calendar, ctx.statutes.limits)
    return [] if found is None else [found]


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


def complaint_period_start(answer_due: Deadline | None, filed: date) -> date:
    """Whence the complaint period of a challenge runs: the END of its 7-working-day answer
    period (答复期满后, 政府采购法 第五十五条; 财政部令第94号 第十七条), however early, late or
    never the answer came; with no answer rule in the table, the challenge's filing."""
    return answer_due.due if answer_due else filed


def due_value(due: Deadline | None) -> Due | None:
    """A statutory deadline as entry data: the day, and whether it is provisional and why."""
    if due is None:
        return None
    return Due(date=due.due, provisional=due.provisional, reason=due.reason)


# -- challenges -------------------------------------------------------------------------


def file_challenge(ctx: Context) -> list[Aggregate]:
    """FileChallenge: a supplier that took part objects to documents, process or result."""
    procurement = load(ctx).record
    # Before the opening the public record knows no bidder: the sealed box does.
    boxed = {e.supplier for e in ctx.view.bid_box(procurement.code) if e.supplier is not None}
    taken = participants(procurement)
    may_challenge(ctx.signer, replace(taken, bidders=taken.bidders | boxed))
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
    data = E.ChallengeFiled(
        number=number,
        procurement=procurement.code,
        supplier=ctx.signer.organisation,
        date=on,
        known_on=known,
        subject=Subject.from_payload(ctx.payload, "subject"),
        grounds=text.requirement(ctx.payload, "grounds"),
        findings=_limit_finding(ctx, "challenge_filed_after_known", known, on),
        # The answer is due 7 working days on; provisional in a year without holidays known.
        answer_due=due_value(deadline(ctx, "challenge_answered", on)),
    )
    return [
        Challenge._create(
            Challenge.Filed, id=stream_id("challenge", number), **ctx.signed.fields(data)
        )
    ]


_S = TypeVar("_S", bound=_Stream)


def _open(
    ctx: Context, procurement: ProcurementRecord, kind: str, find: Callable[[str], _S | None]
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


def _open_challenge(ctx: Context, procurement: ProcurementRecord) -> Challenge:
    return _open(ctx, procurement, "challenge", ctx.view.challenge)


def answer_challenge(ctx: Context) -> list[Aggregate]:
    """AnswerChallenge: the purchaser or its agency answers in writing 质疑答复."""
    procurement = load(ctx).record
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
    outcome = Outcome.from_payload(ctx.payload, "outcome")
    if outcome is Outcome.DISMISSED:
        raise Invalid("payload.outcome: a challenge is upheld, partly_upheld or rejected")
    filed: dict[type[E.StreamData], date] = {E.ChallengeFiled: challenge.filed_on}
    data = E.ChallengeAnswered(
        number=challenge.number,
        procurement=procurement.code,
        date=on,
        outcome=outcome,
        answer=text.requirement(ctx.payload, "answer"),
        findings=_findings(ctx, E.ChallengeAnswered, on, filed),
    )
    challenge.trigger_event(Challenge.Answered, **ctx.signed.fields(data))
    return [challenge]


def withdraw_challenge(ctx: Context) -> list[Aggregate]:
    """WithdrawChallenge: the supplier that filed it withdraws it."""
    procurement = load(ctx).record
    fields.only(ctx.payload, ("challenge", "date", "reason"))
    challenge = _open_challenge(ctx, procurement)
    _own(ctx, challenge.supplier, "challenge")
    on = action_date(ctx, None)
    text.ensure_order(challenge.filed_on, on, ("the challenge's filing", "payload.date"))
    data = E.ChallengeWithdrawn(
        number=challenge.number,
        procurement=procurement.code,
        date=on,
        reason=text.requirement(ctx.payload, "reason"),
    )
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
    procurement = load(ctx).record
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
    period_end = complaint_period_start(answer_due, challenge.filed_on)
    complaint_number = _next_number(ctx, "complaint", procurement.code, "TS")
    data = E.ComplaintFiled(
        number=complaint_number,
        procurement=procurement.code,
        challenge=challenge.number,
        supplier=ctx.signer.organisation,
        date=on,
        grounds=text.requirement(ctx.payload, "grounds"),
        findings=_limit_finding(ctx, "complaint_filed_after_answer_period", period_end, on),
        decision_due=due_value(deadline(ctx, "complaint_decided", on)),
    )
    return [
        Complaint._create(
            Complaint.Filed, id=stream_id("complaint", complaint_number), **ctx.signed.fields(data)
        )
    ]


def _open_complaint(ctx: Context, procurement: ProcurementRecord) -> Complaint:
    return _open(ctx, procurement, "complaint", ctx.view.complaint)


def decide_complaint(ctx: Context) -> list[Aggregate]:
    """DecideComplaint: the finance office's decision 投诉处理决定."""
    may_decide_complaint(ctx.signer)
    procurement = load(ctx).record
    fields.only(ctx.payload, ("complaint", "date", "outcome", "decision"))
    complaint = _open_complaint(ctx, procurement)
    on = action_date(ctx, None)
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    filed: dict[type[E.StreamData], date] = {E.ComplaintFiled: complaint.filed_on}
    data = E.ComplaintDecided(
        number=complaint.number,
        procurement=procurement.code,
        date=on,
        outcome=Outcome.from_payload(ctx.payload, "outcome"),
        decision=text.requirement(ctx.payload, "decision"),
        findings=_findings(ctx, E.ComplaintDecided, on, filed),
    )
    complaint.trigger_event(Complaint.Decided, **ctx.signed.fields(data))
    return [complaint]


def withdraw_complaint(ctx: Context) -> list[Aggregate]:
    procurement = load(ctx).record
    fields.only(ctx.payload, ("complaint", "date", "reason"))
    complaint = _open_complaint(ctx, procurement)
    _own(ctx, complaint.supplier, "complaint")
    on = action_date(ctx, None)
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    data = E.ComplaintWithdrawn(
        number=complaint.number,
        procurement=procurement.code,
        date=on,
        reason=text.requirement(ctx.payload, "reason"),
    )
    complaint.trigger_event(Complaint.Withdrawn, **ctx.signed.fields(data))
    return [complaint]


CHALLENGE_HANDLERS: Final[dict[str, ContextHandler]] = {
    BY_DATA[E.ChallengeFiled].command: file_challenge,
    BY_DATA[E.ChallengeAnswered].command: answer_challenge,
    BY_DATA[E.ChallengeWithdrawn].command: withdraw_challenge,
    BY_DATA[E.ComplaintFiled].command: file_complaint,
    BY_DATA[E.ComplaintDecided].command: decide_complaint,
    BY_DATA[E.ComplaintWithdrawn].command: withdraw_complaint,
}
