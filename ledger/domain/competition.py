"""Too few bidders in a 招标 供应商不足三家: counted at the opening and at the award.

Pure: no I/O. Every 招标, open AND invited, needs three bids to open and three valid bidders
to evaluate and award (政府采购法 第三十六条; 财政部令第87号 第四十一、四十四条). Fewer is
recorded with a finding, not refused: the opening or the award did happen. The minimums are
rows of the time-limit table (unit ``bidders``), each with its citation, so an operator can
correct them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ledger.domain.clock import TimeLimit
from ledger.domain.lifecycle import Action
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method

#: Every 招标: open and invited tender (政府采购法 第三十五、三十六条).
TENDERS: Final = frozenset({Method.OPEN_TENDER, Method.INVITED_TENDER})
#: Bids received by the deadline, counted at the opening.
BIDS_AT_OPENING: Final = "minimum_bids_at_opening"
#: Valid bidders after evaluation, counted at the award. The id keeps its first name, which
#: findings already recorded carry; the rule covers invited tenders too.
VALID_AT_AWARD: Final = "minimum_valid_bidders_open_tender"


def bidder_findings(
    action: Action,
    method: Method,
    bids: int,
    valid: int,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """The minimum a tender's opening (``bids`` received) or award (``valid`` bidders) broke."""
    if method not in TENDERS:
        return []
    if action is Action.OPEN_BIDS:
        rule, count, what = BIDS_AT_OPENING, bids, "投标人"
    elif action is Action.DECIDE_AWARD:
        rule, count, what = VALID_AT_AWARD, valid, "有效投标人"
    else:
        return []
    return below_minimum(rule, count, what, limits)


def below_minimum(
    rule: str, count: int, what: str, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    """The finding of ``rule``'s minimum when ``count`` suppliers (``what``) fall short of it."""
    limit = limits.get(rule)
    if limit is None or count >= limit.limit:
        return []
    return [
        Finding(
            rule=limit.id,
            citation=limit.citation,
            description_zh=f"{limit.description_zh}（{what}{count}家）",
            deadline=None,
            actual=None,
            provisional=False,
            reason="",
        )
    ]
