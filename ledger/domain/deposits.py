"""Bid deposits refunded 退还投标保证金 within 5 working days (财政部令第87号 第三十八条).

Pure: no I/O. Where the notice asked a bid deposit (``TenderAnnounced.bid_deposit``), the
purchaser or its agency refunds each bidder's: the others' within 5 working days of the award
notice 中标通知书 (sent with the result notice, so measured from it), the winner's within 5
working days of the contract, or turns it into the performance deposit. Refunding is
measured, not ordered: ``RefundBidDeposits`` names the bidders refunded that day, and a late
refund is recorded with its finding. A deposit never refunded is found when a procurement
that ran to its acceptance is archived, with the deadline it had and no actual day; a
procurement failed or terminated is not measured here (87号令 第三十八条 counts its refunds
from the termination, which the ledger does not yet record as such). Each limit is a row of
``time_limits.toml`` with its citation; one whose start (the result notice, the contract) was
never recorded is not measured.

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
REFUND_RULES: Final = frozenset({OTHERS_RULE, WINNER_RULE})


def _rule(supplier: str, p: ProcurementRecord) -> tuple[str, date | None]:
    """The rule a bidder's refund is measured by, and the day it starts (None: not yet)."""
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
    """``action`` archives ``p`` (run to its end, not failed or terminated) with a deposit
    never refunded: each rule's finding, with the bidders it names and no actual day."""
    if action is not Action.ARCHIVE or p.state.closed is not None:
        return []
    missing: dict[str, list[str]] = {}
    for supplier in bidders(p):
        if supplier not in p.refunded:
            missing.setdefault(_rule(supplier, p)[0], []).append(supplier)
    found = []
    for rule in sorted(missing):
        start = p.dates.get(Action.SIGN_CONTRACT if rule == WINNER_RULE else Action.ANNOUNCE_RESULT)
        limit = limits.get(rule)
        if start is None or limit is None or not limit.is_time_limit:
            continue
        due = calendar.deadline_for(limit, start)
        found.append(
            Finding(
                rule=rule,
                citation=limit.citation,
                description_zh=f"{limit.description_zh}（归档时仍未退还：{'、'.join(missing[rule])}）",
                deadline=due.due,
                actual=None,
                provisional=due.provisional,
                reason=due.reason,
                start=start,
                basis=basis_value(calendar.basis(limit, due)),
            )
        )
    return found
