"""Challenges 质疑 and complaints 投诉: a supplier's objections, each its own stream.

A supplier that took part challenges the purchaser or its agency, who must answer within 7
working days; a supplier not satisfied, or not answered in time, complains to the finance
office, which must screen it within 5 working days, accepting it 受理 or not 不予受理, and
decide within 30 working days (财政部令第94号 第二十一、二十六条). Either may suspend the
procurement (``Suspend`` on the procurement names the challenge or complaint as its cause).

Numbers are given by the ledger: ``<procurement>-ZY<n>`` for the n-th challenge of a
procurement and ``<procurement>-TS<n>`` for the n-th complaint. Late filings, answers and
decisions are recorded with findings, never refused: they happened.

A challenge is sealed like a bid: the supplier's signed ``FileChallenge`` or
``WithdrawChallenge`` is its envelope, kept in the sealed store, and the public entry is
the box service's, carrying the number, dates, subject and deadline with a commitment to
the envelope. Who challenged, and why, is read by the purchaser, its agency, the finance
office and inspectors (``sealed_reads``). A complaint is public (94号令 第三十七条): it
discloses its challenge's envelope, which shows anyone that the complainant challenged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, Final, TypeVar

from eventsourcing.domain import Aggregate

from ledger.domain import fields, text
from ledger.domain.bid_box import envelope_command, with_standing
from ledger.domain.bid_commands import no_box
from ledger.domain.clock import Deadline
from ledger.domain.context import Context, ContextHandler, LedgerView, Statutes
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.findings import limit_finding, recorded_passes, stream_timing_findings
from ledger.domain.known_dates import NotYetKnown, is_declared, should_have_known
from ledger.domain.lifecycle import Stage
from ledger.domain.procurement_commands import (
    action_date,
    complaint_handler,
    load,
    participants,
)
from ledger.domain.record import ProcurementRecord, Status
from ledger.domain.registry import Role, stream_id
from ledger.domain.roles import may_challenge, may_decide_complaint
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.schema.values import Commitment, Due, Finding, Opened
from ledger.domain.vocabulary import Outcome as Outcome
from ledger.domain.vocabulary import Subject as Subject
from ledger.domain.works import (
    COMPLAINT_DECIDED,
    COMPLAINT_SCREENED,
    answer_rule,
    complaint_filed_findings,
    complaint_start,
    is_works_tender,
    objection_findings,
    result_known_on,
)

MAX_PER_PROCUREMENT: Final = 999
FILE_CHALLENGE: Final = "FileChallenge"
WITHDRAW_CHALLENGE: Final = "WithdrawChallenge"
#: The supplier's commands the box seals, recording its own entry in their place.
SEALED_CHALLENGE_COMMANDS: Final = frozenset({FILE_CHALLENGE, WITHDRAW_CHALLENGE})


class _Stream(ValueAggregate):
    """What challenges and complaints share: a number, a procurement, a status."""

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        filed = self.filed(data)
        self.number = filed.number
        self.procurement = filed.procurement
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

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        super().__init__(actor, key, command, signature, data)
        self.envelope = self.filed(data).envelope.commitment  # the sealed FileChallenge

    @staticmethod
    def filed(data: str) -> E.ChallengeFiled:
        return E.ChallengeFiled.model_validate_json(data)


class Complaint(_Stream):
    """A complaint 投诉 to the finance office, from filing to its decision or withdrawal."""

    class Filed(SignedCreated):
        event_type = E.ComplaintFiled.__name__

    class Screened(SignedEvent):
        event_type = E.ComplaintScreened.__name__

        def apply(self, aggregate: Complaint) -> None:
            screened = E.ComplaintScreened.model_validate_json(self.data)
            aggregate.screened = True
            aggregate.screened_on = screened.date
            if not screened.accepted:  # 不予受理: it ends, dismissed
                aggregate.close(screened, "decided")
                aggregate.outcome = Outcome.DISMISSED

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
        filed = self.filed(data)
        self.challenge = filed.challenge
        self.supplier = filed.supplier
        self.screened = False
        self.screened_on: date | None = None

    @staticmethod
    def filed(data: str) -> E.ComplaintFiled:
        return E.ComplaintFiled.model_validate_json(data)


def _findings(
    ctx: Context,
    event: type[E.StreamData],
    on: date,
    history: dict[type[E.StreamData], date],
    works: bool = False,
) -> list[Finding]:
    s = ctx.statutes
    return list(stream_timing_findings(event, on, history, s.calendar, s.limits, works))


def _works(procurement: ProcurementRecord) -> bool:
    """A works tender: its objections and complaints follow 招标投标法 (``works``)."""
    return is_works_tender(procurement.category, procurement.method)


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


def answer_deadline(ctx: Context, challenge: Challenge, works: bool = False) -> Deadline | None:
    return deadline(ctx, answer_rule(works), challenge.filed_on)


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


def challenger(view: LedgerView, challenge: Challenge) -> str | None:
    """The organisation that filed ``challenge``, from its envelope in the sealed store;
    None if the store does not hold it."""
    disclosure = view.disclosure(challenge.envelope)
    if disclosure is None or not isinstance(disclosure.value, dict):
        return None
    actor = view.actor(str(envelope_command(disclosure.value)["actor"]))
    return None if actor is None else actor.organisation


def is_sealed_challenge(value: object) -> bool:
    """Whether a kept sealed value is a challenge's envelope (its filing or withdrawal)."""
    if not isinstance(value, dict) or set(value) != {"command", "signature"}:
        return False
    try:
        command = envelope_command(value)
    except (TypeError, ValueError):
        return False
    return command.get("type") in SEALED_CHALLENGE_COMMANDS


# -- challenges -------------------------------------------------------------------------


def file_challenge(ctx: Context) -> list[Aggregate]:
    """FileChallenge: a supplier that took part objects to documents, process or result."""
    procurement = load(ctx).record
    subject = Subject.from_payload(ctx.payload, "subject")
    declared = ("known_on",) if is_declared(subject) else ()
    fields.only(ctx.payload, ("date", "subject", "grounds", *declared))
    # Before the opening the public record knows no bidder: the sealed box does.
    documents = subject is Subject.DOCUMENTS
    boxed = with_standing(ctx.view.bid_box(procurement.code), documents)
    taken = participants(procurement)
    may_challenge(ctx.signer, replace(taken, bidders=taken.bidders | boxed))
    on = action_date(ctx, None)
    if procurement.state.closed == "archived" or procurement.state.progress is Stage.NONE:
        raise Conflict(
            "rule challenges.open_procurement: a challenge is filed on a procurement that was "
            f"announced and is not archived (current: {procurement.state.label})",
            code="lifecycle",
        )
    works = _works(procurement)
    known = _known_on(ctx, procurement, subject, on)
    if works:
        s = ctx.statutes
        found = objection_findings(
            subject, on, procurement.bid_deadline, procurement.candidates_until,
            s.calendar, s.limits,
        )  # fmt: skip
    else:
        found = _limit_finding(ctx, "challenge_filed_after_known", known, on)
    text.requirement(ctx.payload, "grounds")  # sealed in the envelope, but required
    number = _next_number(ctx, "challenge", procurement.code, "ZY")
    if ctx.box is None:
        raise no_box()
    public = {"date": on.isoformat(), "known_on": known.isoformat(), "subject": subject.value}
    commitment, _, signed = ctx.box.seal_for(
        BY_DATA[E.ChallengeFiled].command, procurement.code, ctx.signer.organisation, public
    )
    data = E.ChallengeFiled(
        number=number,
        procurement=procurement.code,
        date=on,
        known_on=known,
        subject=subject,
        findings=found,
        **recorded_passes(ctx.statutes.calendar),
        # The answer is due 7 working days on (a works objection: 3 days); provisional in a
        # year without holidays known.
        answer_due=due_value(deadline(ctx, answer_rule(works), on)),
        envelope=Commitment(commitment=commitment),
    )
    return [
        Challenge._create(Challenge.Filed, id=stream_id("challenge", number), **signed.fields(data))
    ]


def _known_on(ctx: Context, procurement: ProcurementRecord, subject: Subject, on: date) -> date:
    """The challenge's 应知之日 (``known_dates``): computed from the documents' or the
    result's notice, declared by the supplier for the process."""
    if is_declared(subject):
        known = text.day(ctx.payload, "known_on")
        text.ensure_order(known, on, ("payload.known_on", "payload.date"))
        return known
    if subject is Subject.RESULT and _works(procurement):
        published = result_known_on(procurement.dates)
        if published is None:
            raise Conflict(
                "rule challenges.known_on: 工程招标的评标结果异议在中标候选人公示期间提出，"
                "中标候选人尚未公示（招标投标法实施条例 第五十四条）",
                code="lifecycle",
            )
        return published
    received = _received(ctx, procurement.code) if subject is Subject.DOCUMENTS else None
    try:
        computed = should_have_known(
            subject, procurement.dates, ctx.statutes.calendar, ctx.statutes.limits,
            received=received,
        )  # fmt: skip
    except NotYetKnown as e:
        raise Conflict(
            f"rule challenges.known_on: {subject.label}的质疑自应知之日起算，{e}"
            "（政府采购法实施条例 第五十三条；财政部令第94号 第十条）",
            code="lifecycle",
        ) from None
    return computed.day


def _received(ctx: Context, procurement: str) -> date | None:
    """The day the signer's organisation first put an envelope in the procurement's box
    (obtained the documents or bid): its receipt of the documents."""
    days = []
    for entry in ctx.view.bid_box(procurement, ctx.signer.organisation):
        disclosure = ctx.view.disclosure(entry.commitment)
        if disclosure is None or not isinstance(disclosure.value, dict):
            continue
        day = envelope_command(disclosure.value).get("payload", {}).get("date")
        if isinstance(day, str):
            days.append(date.fromisoformat(day))
    return min(days, default=None)


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
        findings=_findings(ctx, E.ChallengeAnswered, on, filed, _works(procurement)),
        **recorded_passes(ctx.statutes.calendar),
    )
    challenge.trigger_event(Challenge.Answered, **ctx.signed.fields(data))
    return [challenge]


def withdraw_challenge(ctx: Context) -> list[Aggregate]:
    """WithdrawChallenge: the supplier that filed it withdraws it."""
    procurement = load(ctx).record
    fields.only(ctx.payload, ("challenge", "date", "reason"))
    challenge = _open_challenge(ctx, procurement)
    _own(ctx, challenger(ctx.view, challenge), "challenge")
    on = action_date(ctx, None)
    text.ensure_order(challenge.filed_on, on, ("the challenge's filing", "payload.date"))
    text.requirement(ctx.payload, "reason")  # sealed in the envelope, but required
    if ctx.box is None:
        raise no_box()
    public = {"challenge": challenge.number, "date": on.isoformat()}
    commitment, _, signed = ctx.box.seal_for(
        BY_DATA[E.ChallengeWithdrawn].command, procurement.code, ctx.signer.organisation, public
    )
    data = E.ChallengeWithdrawn(
        number=challenge.number,
        procurement=procurement.code,
        date=on,
        envelope=Commitment(commitment=commitment),
    )
    challenge.trigger_event(Challenge.Withdrawn, **signed.fields(data))
    return [challenge]


def _own(ctx: Context, supplier: str | None, kind: str) -> None:
    # A challenger is sealed: the refusal does not name it to whoever asks.
    if ctx.signer.role is not Role.SUPPLIER or ctx.signer.organisation != supplier:
        raise Forbidden(
            f"rule roles.withdraw_{kind}: only the supplier that filed it may withdraw it; "
            f"{ctx.signer.actor} of {ctx.signer.organisation} did not"
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
    filer = challenger(ctx.view, challenge)
    if ctx.signer.role is not Role.SUPPLIER or ctx.signer.organisation != filer:
        raise Forbidden(
            "rule roles.file_complaint: a complaint is filed by the supplier that filed the "
            f"challenge; {ctx.signer.actor} of {ctx.signer.organisation} did not"
        )
    envelope = ctx.view.disclosure(challenge.envelope)
    assert envelope is not None  # the filer was read from it
    on = action_date(ctx, None)
    works = _works(procurement)
    answer_due = answer_deadline(ctx, challenge, works)
    if challenge.status == "withdrawn":
        raise Conflict(f"challenge {challenge.number} was withdrawn", code="lifecycle")
    if challenge.status == "open" and answer_due is not None and on <= answer_due.due:
        raise Conflict(
            "rule complaints.after_challenge: a complaint follows the challenge's answer, or "
            f"the end of its answer period ({answer_due.due.isoformat()})",
            code="lifecycle",
        )
    s = ctx.statutes
    if works:  # 10 days from when it knew, to the 行政监督部门 (实施条例 第六十条)
        answered = challenge.closed_on if challenge.status == "answered" else None
        start = complaint_start(answered, challenge.filed_on, s.calendar, s.limits)
        found = complaint_filed_findings(start, on, s.calendar, s.limits)
        screened_due = deadline(ctx, COMPLAINT_SCREENED, on)
        decided_start = on if screened_due is None else screened_due.due
        decision_due = deadline(ctx, COMPLAINT_DECIDED, decided_start)
    else:
        period_end = complaint_period_start(answer_due, challenge.filed_on)
        found = _limit_finding(ctx, "complaint_filed_after_answer_period", period_end, on)
        decision_due = deadline(ctx, "complaint_decided", on)
    complaint_number = _next_number(ctx, "complaint", procurement.code, "TS")
    data = E.ComplaintFiled(
        number=complaint_number,
        procurement=procurement.code,
        challenge=challenge.number,
        supplier=ctx.signer.organisation,
        date=on,
        grounds=text.requirement(ctx.payload, "grounds"),
        findings=found,
        **recorded_passes(ctx.statutes.calendar),
        # A works complaint is decided within 30 working days of its acceptance, which comes
        # within 3 working days: the latest lawful day of the decision.
        decision_due=due_value(decision_due),
        challenger=Opened(
            commitment=challenge.envelope, value=envelope.value, salt=envelope.salt_b64
        ),
    )
    return [
        Complaint._create(
            Complaint.Filed, id=stream_id("complaint", complaint_number), **ctx.signed.fields(data)
        )
    ]


def _open_complaint(ctx: Context, procurement: ProcurementRecord) -> Complaint:
    return _open(ctx, procurement, "complaint", ctx.view.complaint)


def screen_complaint(ctx: Context) -> list[Aggregate]:
    """ScreenComplaint: the finance office's screening 投诉审查, within 5 working days of the
    complaint (财政部令第94号 第二十一条): accepted 受理, or not 不予受理 with the reason."""
    procurement = load(ctx).record
    may_decide_complaint(ctx.signer, complaint_handler(procurement))
    fields.only(ctx.payload, ("complaint", "date", "accepted", "reason"))
    complaint = _open_complaint(ctx, procurement)
    if complaint.screened:
        raise Conflict(f"complaint {complaint.number} was already screened", code="lifecycle")
    on = action_date(ctx, None)
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    accepted = ctx.payload.get("accepted")
    if not isinstance(accepted, bool):
        raise Invalid(
            "payload.accepted must be true (受理) or false (不予受理, with payload.reason)"
        )
    extra: dict[str, Any] = {}
    if not accepted or ctx.payload.get("reason") is not None:
        extra["reason"] = text.requirement(ctx.payload, "reason")
    filed: dict[type[E.StreamData], date] = {E.ComplaintFiled: complaint.filed_on}
    data = E.ComplaintScreened(
        number=complaint.number,
        procurement=procurement.code,
        date=on,
        accepted=accepted,
        findings=_findings(ctx, E.ComplaintScreened, on, filed, _works(procurement)),
        **(extra | recorded_passes(ctx.statutes.calendar)),
    )
    complaint.trigger_event(Complaint.Screened, **ctx.signed.fields(data))
    return [complaint]


def decide_complaint(ctx: Context) -> list[Aggregate]:
    """DecideComplaint: the finance office's decision 投诉处理决定."""
    procurement = load(ctx).record
    may_decide_complaint(ctx.signer, complaint_handler(procurement))
    fields.only(ctx.payload, ("complaint", "date", "outcome", "decision", "document_number",
                              "basis"))  # fmt: skip
    complaint = _open_complaint(ctx, procurement)
    on = action_date(ctx, None)
    published: dict[str, Any] = {"authority": ctx.signer.organisation}  # the 执法机关
    if ctx.payload.get("document_number") is not None:
        published["document_number"] = fields.text(ctx.payload, "document_number", limit=60)
    if ctx.payload.get("basis") is not None:
        published["basis"] = text.requirement(ctx.payload, "basis")
    text.ensure_order(complaint.filed_on, on, ("the complaint's filing", "payload.date"))
    filed: dict[type[E.StreamData], date] = {E.ComplaintFiled: complaint.filed_on}
    if complaint.screened_on is not None:
        filed[E.ComplaintScreened] = complaint.screened_on
    data = E.ComplaintDecided(
        number=complaint.number,
        procurement=procurement.code,
        date=on,
        outcome=Outcome.from_payload(ctx.payload, "outcome"),
        decision=text.requirement(ctx.payload, "decision"),
        findings=_findings(ctx, E.ComplaintDecided, on, filed, _works(procurement)),
        **(published | recorded_passes(ctx.statutes.calendar)),
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
    FILE_CHALLENGE: file_challenge,
    BY_DATA[E.ChallengeAnswered].command: answer_challenge,
    WITHDRAW_CHALLENGE: withdraw_challenge,
    BY_DATA[E.ComplaintFiled].command: file_complaint,
    BY_DATA[E.ComplaintScreened].command: screen_complaint,
    BY_DATA[E.ComplaintDecided].command: decide_complaint,
    BY_DATA[E.ComplaintWithdrawn].command: withdraw_complaint,
}
