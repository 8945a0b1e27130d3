"""Framework agreements 框架协议 in two stages (财政部令第110号).

Pure: no I/O. Stage one runs like a tender: the 征集公告 (``AnnounceTender``), sealed responses
in the bid box (``SubmitBid``; sealed as bids are, 财政部令第87号 第二十八条 by analogy: the
responses are priced offers that compete, so no supplier nor the agency may read one before
the deadline), their opening and evaluation, then the 入围 decision (``DecideAward`` with
``admitted``), the 入围结果公告 naming every admitted supplier (``AnnounceResult``) and the
agreement itself with its term (``SignContract`` with ``term_ends``). Stage two: call-off
contracts 采购合同 (``SignCallOff``), each with one admitted supplier, within the term, each
published (``AnnounceCallOff``), their amounts summed against the agreement's.

What is impossible is refused: an agreement admitting fewer suppliers than the table's
minimum (no second stage can choose among one), a call-off with a supplier not admitted, or
after the term, or under another method. What is irregular but real is recorded with a
finding: too few suppliers eliminated, a term longer than the table's, call-offs above the
agreement's amount, a call-off's notice late. Each rule is data with its citation: the time
and count limits are rows of ``time_limits.toml``; the elimination share is ``ELIMINATION``.
The article numbers of 110号令 are to be checked (README, doubts): the citations say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import limit_finding
from ledger.domain.lifecycle import Action, Irregularity
from ledger.domain.money import Money
from ledger.domain.record import ProcurementRecord
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method

MINIMUM_ADMITTED: Final = "framework_minimum_admitted"
TERM_RULE: Final = "framework_agreement_term"
CALL_OFF_NOTICE_RULE: Final = "call_off_announced_after_signing"


@dataclass(frozen=True)
class Elimination:
    """Stage one eliminates 淘汰 at least ``share`` of the qualified responders, and at least
    ``least`` of them: a rule of the law as data, with its citation."""

    share: Fraction
    least: int
    irregularity: Irregularity


ELIMINATION: Final = Elimination(
    Fraction(1, 5),
    1,
    Irregularity(
        "framework_elimination_too_low",
        "框架协议采购第一阶段淘汰比例一般不得低于20%，且至少淘汰一家供应商",
        "财政部令第110号 第二十四条（条号待核）",
    ),
)
CALL_OFFS_OVER_AGREEMENT: Final = Irregularity(
    "call_offs_over_agreement",
    "框架协议下采购合同金额合计超过框架协议确定的采购金额",
    "财政部令第110号（条号待核）",
)


def admission_refusal(
    admitted: Sequence[str], valid: Sequence[str], limits: Mapping[str, TimeLimit]
) -> str | None:
    """Why admitting ``admitted`` out of the ``valid`` responders is impossible, or None."""
    if len(set(admitted)) != len(admitted):
        return "payload.admitted names a supplier twice"
    strangers = [s for s in admitted if s not in valid]
    if strangers:
        return (
            f"rule framework.admitted_valid: {', '.join(strangers)} is not a valid responder "
            f"of this framework agreement ({', '.join(valid) or 'none'})"
        )
    limit = limits.get(MINIMUM_ADMITTED)
    if limit is not None and len(admitted) < limit.limit:
        return (
            f"rule {limit.id}: a framework agreement admits at least {limit.limit} suppliers "
            f"(入围供应商不少于{limit.limit}家, {limit.citation}); {len(admitted)} named — "
            "with fewer the solicitation fails (废标) or is terminated"
        )
    return None


def admission_irregularities(admitted: int, valid: int) -> tuple[Irregularity, ...]:
    """Too few of the ``valid`` responders eliminated when ``admitted`` are admitted."""
    eliminated = valid - admitted
    if eliminated < ELIMINATION.least or Fraction(eliminated, max(valid, 1)) < ELIMINATION.share:
        return (ELIMINATION.irregularity,)
    return ()


def term_findings(
    signed: date, ends: date, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    """An agreement signed on ``signed`` whose term ends on ``ends``: longer than the table's."""
    finding = limit_finding(TERM_RULE, signed, ends, calendar, limits)
    return [] if finding is None else [finding]


def call_off_refusal(p: ProcurementRecord, supplier: str, on: date) -> str | None:
    """Why a call-off with ``supplier`` on ``on`` under ``p`` is impossible, or None."""
    if p.method is not Method.FRAMEWORK_AGREEMENT:
        return (
            f"rule framework.call_off: procurement {p.code} is no framework agreement "
            f"({p.method.label}); only a 框架协议 has call-off contracts"
        )
    if supplier not in p.admitted:
        return (
            f"rule framework.call_off_supplier: {supplier} is not admitted to the framework "
            f"agreement of {p.code} (入围供应商: {', '.join(p.admitted) or 'none'})"
        )
    if p.term_ends is not None and on > p.term_ends:
        return (
            f"rule framework.call_off_term: the framework agreement of {p.code} ended on "
            f"{p.term_ends.isoformat()} (框架协议有效期已届满); no call-off after its term"
        )
    return None


def total_irregularities(total: Money, agreement: Money | None) -> tuple[Irregularity, ...]:
    """The call-offs together above the agreement's amount."""
    if agreement is not None and total.fen > agreement.fen:
        return (CALL_OFFS_OVER_AGREEMENT,)
    return ()


def call_off_notice_findings(
    signed: date, on: date, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    """A call-off signed on ``signed`` announced on ``on``: late, by the table's row."""
    finding = limit_finding(CALL_OFF_NOTICE_RULE, signed, on, calendar, limits)
    return [] if finding is None else [finding]


def unannounced_findings(
    action: Action,
    p: ProcurementRecord,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """``action`` archives ``p`` with call-offs never announced: one finding each, with the
    deadline it had and no actual day."""
    limit = limits.get(CALL_OFF_NOTICE_RULE)
    if action is not Action.ARCHIVE or limit is None or not limit.is_time_limit:
        return []
    found = []
    for number in sorted(p.call_offs):
        call_off = p.call_offs[number]
        if call_off.announced_on is not None:
            continue
        due = calendar.deadline_for(limit, call_off.signed_on)
        found.append(
            Finding(
                rule=limit.id,
                citation=limit.citation,
                description_zh=f"{limit.description_zh}（归档时采购合同{number}仍未公告）",
                deadline=due.due,
                actual=None,
                provisional=due.provisional,
                reason=due.reason,
            )
        )
    return found
