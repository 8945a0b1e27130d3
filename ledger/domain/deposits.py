"""Bid deposits refunded 退还投标保证金 within 5 working days (财政部令第87号 第三十八、二十九条).

Pure: no I/O. Where the notice asked a bid deposit (``TenderAnnounced.bid_deposit``), the
purchaser or its agency refunds each bidder's: the others' within 5 working days of the award
notice 中标通知书 (sent with the result notice, so measured from it), the winner's within 5
working days of the contract, or turns it into the performance deposit; and where the
procurement failed 废标 or was terminated 终止 after its bids were opened, every bidder's within
5 working days of that closing (第二十九条). Refunding is measured, not ordered:
``RefundBidDeposits`` names the bidders refunded that day, and a late refund is recorded with
its finding. A deposit never refunded is found when the procurement is archived, with the
deadline it had and no actual day. Each limit is a row of ``time_limits.toml`` with its
citation; one whose start (the result notice, the contract, the closing) was never recorded
is not measured.

The bidders are those whose bids were opened: a procurement closed before its opening keeps
its box sealed, and a refund named in the public log would tell who bid (README, "The sealed
bid box"); so would the refund of a bid withdrawn before the deadline (第三十八条). Neither is
recorded here.

The ledger finds them when it records the act, and `sunshine verify --check-timing` finds them
again from the log (``verify_timing``), so a finding forged or left out is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import basis_value, limit_finding
from ledger.domain.lifecycle import Action
from ledger.domain.record import ProcurementRecord
from ledger.domain.schema.values import Finding

OTHERS_RULE: Final = "bid_deposit_refunded_to_others"
WINNER_RULE: Final = "bid_deposit_refunded_to_winner"
CLOSED_RULE: Final = "bid_deposit_refunded_after_termination"
REFUND_RULES: Final = frozenset({OTHERS_RULE, WINNER_RULE, CLOSED_RULE})
#: The act that closes a procurement failed or terminated, by its closed state.
CLOSINGS: Final = {"failed": Action.DECLARE_FAILURE, "terminated": Action.TERMINATE}


def _rule(supplier: str, p: ProcurementRecord) -> tuple[str, date | None]:
    """The rule a bidder's refund is measured by, and the day it starts (None: not yet)."""
    closing = CLOSINGS.get(p.state.closed or "")
    if closing is not None:
        return CLOSED_RULE, p.dates.get(closing)
    if supplier == p.winner:
        return WINNER_RULE, p.dates.get(Action.SIGN_CONTRACT)
    return OTHERS_RULE, p.dates.get(Action.ANNOUNCE_RESULT)


def bidders(p: ProcurementRecord) -> tuple[str, ...]:
    """The bidders whose deposits are to be refunded: every opened bid's, where the notice
    asked one."""
    return () if p.bid_deposit is None else tuple(bid.supplier for bid in p.bids)


def refund_findings(
    suppliers: Iterable[str],
    on: date,
    p: ProcurementRecord,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """Refunds to ``suppliers`` on ``on``: each rule broken, once."""
    found: dict[str, Finding] = {}
    for supplier in suppliers:
        rule, start = _rule(supplier, p)
        if start is None or rule in found:
            continue
        finding = limit_finding(rule, start, on, calendar, limits)
        if finding is not None:
            found[rule] = finding
    return [found[rule] for rule in sorted(found)]


def unrefunded_findings(
    action: Action,
    p: ProcurementRecord,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """``action`` archives ``p`` with a deposit never refunded: each rule's finding, with the
    bidders it names and no actual day."""
    if action is not Action.ARCHIVE:
        return []
    missing: dict[str, tuple[date | None, list[str]]] = {}
    for supplier in bidders(p):
        if supplier not in p.refunded:
            rule, start = _rule(supplier, p)
            missing.setdefault(rule, (start, []))[1].append(supplier)
    found = []
    for rule in sorted(missing):
        start, suppliers = missing[rule]
        limit = limits.get(rule)
        if start is None or limit is None or not limit.is_time_limit:
            continue
        due = calendar.deadline_for(limit, start)
        found.append(
            Finding(
                rule=rule,
                citation=limit.citation,
                description_zh=f"{limit.description_zh}（归档时仍未退还：{'、'.join(suppliers)}）",
                deadline=due.due,
                actual=None,
                provisional=due.provisional,
                reason=due.reason,
                start=start,
                basis=basis_value(calendar.basis(limit, due)),
            )
        )
    return found
