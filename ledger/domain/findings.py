"""Findings: what an action that broke a time limit or came out of order records.

Pure: no I/O. An irregular action is recorded, not refused (DOMAIN.md, "What inspectors look
for"); the finding attached to it names the rule, its legal source, the deadline and the
actual date.

* ``TIMED_STEPS`` says, for a lifecycle action, which earlier action's date starts which rule
  of ``time_limits.toml``; ``timing_findings`` runs the clock over it.
* ``CHALLENGE_STEPS`` does the same for the challenge and complaint streams;
  ``stream_timing_findings`` runs it.

Rules of the time-limit table not listed here have no lifecycle start and end to measure:
the announcement and result periods and the retention period are spans, not acts; the
bidder minimum is a count; a substantive correction cannot be told from any other here; a
challenge is measured from when the supplier knew, and a complaint from the end of the
answer period, neither of which is an event of its own stream.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, TypeVar

from ledger.domain.clock import Basis, Breach, Check, TimeLimit, WorkingCalendar
from ledger.domain.lifecycle import Action, Irregularity
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import StreamData
from ledger.domain.schema.values import Basis as BasisValue
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method

K = TypeVar("K", bound=Hashable)


def breach_finding(breach: Breach, limit: TimeLimit) -> Finding:
    """The finding of a broken time limit; ``limit`` is the rule ``breach`` broke."""
    if breach.rule_id != limit.id:
        raise ValueError(f"breach of rule {breach.rule_id} is not a breach of {limit.id}")
    return Finding(
        rule=breach.rule_id,
        citation=breach.citation,
        description_zh=limit.description_zh,
        deadline=breach.deadline,
        actual=breach.actual,
        provisional=breach.provisional,
        reason=breach.reason,
        **_timed(breach.start, breach.basis),
    )


def pass_record(check: Check) -> Finding:
    """A limit found kept on a provisional deadline: recorded so that the year's calendar,
    once adopted, re-evaluates it (DOMAIN.md, "Corrections (turn 2)", calendar)."""
    limit, deadline = check.limit, check.deadline
    return Finding(
        rule=limit.id,
        citation=limit.citation,
        description_zh=limit.description_zh,
        deadline=deadline.due,
        actual=check.actual,
        provisional=deadline.provisional,
        reason=deadline.reason,
        **_timed(check.start, check.basis),
    )


def recorded_passes(calendar: WorkingCalendar) -> dict[str, list[Finding]]:
    """The ``provisional_passes`` field of an entry decided on a ``recording()`` calendar:
    left out when there are none, so an entry without them is written as before."""
    kept: dict[tuple[str, date], Finding] = {}
    for check in calendar.provisional_passes:
        kept.setdefault((check.limit.id, check.start), pass_record(check))
    return {"provisional_passes": list(kept.values())} if kept else {}


def _timed(start: date | None, basis: Basis | None) -> dict[str, Any]:
    if start is None or basis is None:
        return {}
    return {"start": start, "basis": basis_value(basis)}


def basis_value(basis: Basis) -> BasisValue:
    """The log's form of what a deadline was computed with."""
    return BasisValue(
        table=basis.table, calendars={str(year): entry for year, entry in basis.calendars}
    )


def irregularity_finding(irregularity: Irregularity) -> Finding:
    """The finding of an action out of order (lifecycle.decide): no deadline, no date."""
    return Finding(
        rule=irregularity.rule,
        citation=irregularity.citation,
        description_zh=irregularity.description_zh,
        deadline=None,
        actual=None,
        provisional=False,
        reason="",
    )


@dataclass(frozen=True)
class TimedStep:
    """``action`` is measured by rule ``rule`` from the date of the earlier ``start``.

    ``methods`` limits the row to those procurement methods; empty means every method.
    """

    action: Action
    start: Action
    rule: str
    methods: frozenset[Method] = frozenset()
    at_threshold_only: bool = False  # only at or above the open-tender threshold

    def applies(self, method: Method, at_threshold: bool = True) -> bool:
        if self.at_threshold_only and not at_threshold:
            return False
        return not self.methods or method in self.methods


@dataclass(frozen=True)
class StreamStep:
    """Event ``event`` of a challenge or complaint stream is measured from event ``start``;
    ``works``: the row binds works tenders (``works``), which follow 招标投标法, not the rest."""

    event: type[StreamData]
    start: type[StreamData]
    rule: str
    works: bool = False


_A = Action
_M = Method

#: The longest a suspension lasts (政府采购法 第五十七条): acts after its end are lawful.
SUSPENSION_RULE: Final = "suspension_longest"


def suspension_lapsed(
    suspended: bool,
    on: date,
    history: Mapping[Action, date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> bool:
    """True when an act ``on`` comes after the lawful end of the procurement's suspension,
    counted from its latest ``Suspend`` in ``history``; False without such a rule."""
    start = history.get(Action.SUSPEND)
    limit = limits.get(SUSPENSION_RULE)
    if not suspended or start is None or limit is None or not limit.is_time_limit:
        return False
    return on > calendar.deadline_for(limit, start).due


#: Which earlier action starts which time limit, per action (rule ids of time_limits.toml).
#: The response deadline of a method is taken as the day bids or responses are opened, and
#: documents as issued with the procurement announcement.
TIMED_STEPS: Final[tuple[TimedStep, ...]] = (
    # Intention disclosed ≥ 30 days before procurement starts (财库〔2020〕10号).
    TimedStep(_A.ANNOUNCE_TENDER, _A.DISCLOSE_INTENTION, "intention_disclosed_before_procurement"),
    # Every 招标, open and invited: documents issued → bid deadline ≥ 20 days (政府采购法
    # 第三十五条; 财政部令第87号 第十九条).
    TimedStep(
        _A.OPEN_BIDS,
        _A.ANNOUNCE_TENDER,
        "tender_documents_to_bid_deadline",
        frozenset({_M.OPEN_TENDER, _M.INVITED_TENDER}),
    ),
    # Negotiation / inquiry documents → first response ≥ 3 working days (财政部令第74号).
    TimedStep(
        _A.OPEN_BIDS,
        _A.ANNOUNCE_TENDER,
        "negotiation_documents_to_first_response",
        frozenset({_M.COMPETITIVE_NEGOTIATION, _M.INQUIRY}),
    ),
    # Consultation documents → first response ≥ 10 days (财库〔2014〕214号).
    TimedStep(
        _A.OPEN_BIDS,
        _A.ANNOUNCE_TENDER,
        "consultation_documents_to_first_response",
        frozenset({_M.COMPETITIVE_CONSULTATION}),
    ),
    # Framework agreement, stage one: the 征集公告 → response deadline ≥ 20 days (财政部令第
    # 110号, article and period to be checked).
    TimedStep(
        _A.OPEN_BIDS,
        _A.ANNOUNCE_TENDER,
        "framework_documents_to_response_deadline",
        frozenset({_M.FRAMEWORK_AGREEMENT}),
    ),
    # Single source at or above the open-tender threshold: the 公示 runs ≥ 5 working days
    # BEFORE the request for approval (实施条例 第三十八条), so the approval comes no earlier.
    TimedStep(
        _A.APPROVE_METHOD,
        _A.ANNOUNCE_TENDER,
        "single_source_notice_period",
        frozenset({_M.SINGLE_SOURCE}),
        at_threshold_only=True,
    ),
    # Result announced ≤ 2 working days after the award (财政部令第87号 art. 69).
    TimedStep(_A.ANNOUNCE_RESULT, _A.DECIDE_AWARD, "result_announced_after_award"),
    # Contract signed ≤ 30 days after the award notice (政府采购法 art. 46).
    TimedStep(_A.SIGN_CONTRACT, _A.ANNOUNCE_RESULT, "contract_signed_after_award_notice"),
    # Contract announced ≤ 2 working days after signing (实施条例 art. 50).
    TimedStep(_A.ANNOUNCE_CONTRACT, _A.SIGN_CONTRACT, "contract_announced_after_signing"),
    # Contract filed 备案 ≤ 7 working days after signing (政府采购法 第四十七条); one never
    # filed is found at the archive (``contracts``).
    TimedStep(_A.FILE_CONTRACT, _A.SIGN_CONTRACT, "contract_filed_after_signing"),
    # A suspension lifted ≤ 30 days after it began (政府采购法 第五十七条).
    TimedStep(_A.RESUME, _A.SUSPEND, SUSPENSION_RULE),
)

#: The same for the challenge (质疑) and complaint (投诉) streams, by entry kind.
CHALLENGE_STEPS: Final[tuple[StreamStep, ...]] = (
    # Challenge answered ≤ 7 working days after it was received (财政部令第94号 art. 13).
    StreamStep(E.ChallengeAnswered, E.ChallengeFiled, "challenge_answered"),
    # Complaint screened (受理 or 不予受理) ≤ 5 working days after it was received (财政部令
    # 第94号 第二十一条).
    StreamStep(E.ComplaintScreened, E.ComplaintFiled, "complaint_screened"),
    # Complaint decided ≤ 30 working days after it was received (财政部令第94号 art. 26).
    StreamStep(E.ComplaintDecided, E.ComplaintFiled, "complaint_decided"),
    # Works tenders (招标投标法实施条例): an objection 异议 answered ≤ 3 days after it was
    # received (第二十二条、第五十四条); a complaint screened by the 行政监督部门 ≤ 3 working
    # days after it was received, and decided ≤ 30 working days after it was accepted 受理
    # (第六十一条).
    StreamStep(E.ChallengeAnswered, E.ChallengeFiled, "works_objection_answered", works=True),
    StreamStep(E.ComplaintScreened, E.ComplaintFiled, "works_complaint_screened", works=True),
    StreamStep(E.ComplaintDecided, E.ComplaintScreened, "works_complaint_decided", works=True),
)


def limit_finding(
    rule: str,
    start: date,
    on: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> Finding | None:
    """Rule ``rule`` measured from ``start`` to ``on``: its finding if broken; None when it
    was kept or the table has no such rule."""
    limit = limits.get(rule)
    if limit is None:
        return None
    breach = calendar.check(limit, start, on)
    return None if breach is None else breach_finding(breach, limit)


def _check(
    rule: str,
    start: date,
    on: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> Finding | None:
    if rule not in limits:
        raise KeyError(f"time limit {rule} is not in the time-limit table")
    return limit_finding(rule, start, on, calendar, limits)


def timing_findings(
    action: Action,
    on: date,
    history: Mapping[Action, date],
    method: Method,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
    at_threshold: bool = True,
) -> tuple[Finding, ...]:
    """The time limits ``action``, done ``on``, broke, measured from the dates in ``history``.

    ``history`` maps each earlier action of the procurement to its date. A row whose start
    action is not in ``history`` is not measured (its absence is a matter for the lifecycle).
    ``at_threshold``: the procurement's budget is at or above the open-tender threshold.
    """
    rows = [
        (s.start, s.rule)
        for s in TIMED_STEPS
        if s.action is action and s.applies(method, at_threshold)
    ]
    return _measured(rows, on, history, calendar, limits)


def stream_timing_findings(
    event: type[StreamData],
    on: date,
    history: Mapping[type[StreamData], date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
    works: bool = False,
) -> tuple[Finding, ...]:
    """As ``timing_findings``, for an event of a challenge or complaint stream; ``works``:
    of a works tender."""
    rows = [(s.start, s.rule) for s in CHALLENGE_STEPS if s.event == event and s.works == works]
    return _measured(rows, on, history, calendar, limits)


def _measured(
    rows: Sequence[tuple[K, str]],
    on: date,
    history: Mapping[K, date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> tuple[Finding, ...]:
    """Each (start, rule) row whose start is in ``history``, checked; the breaches found."""
    found = []
    for start_key, rule in rows:
        start = history.get(start_key)
        if start is not None:
            finding = _check(rule, start, on, calendar, limits)
            if finding is not None:
                found.append(finding)
    return tuple(found)
