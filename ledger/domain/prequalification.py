"""The 资格预审 result 资格预审结果: who was found qualified, who was refused and why.

Pure: no I/O. A procurement that called for qualification applications (资格预审公告: an
invited tender, 财政部令第87号 第十四条, or a works tender, 招标投标法实施条例 第十五条) records
its result once, on or after the day the applications closed and before the invitation to
bid (its tender notice, which the lifecycle table orders after it). The applicants are
judged by the standards the prequalification documents state (87号令 第二十一条; 招标投标法
实施条例 第十八条), so each refusal carries its reason.

The invitations go to three or more suppliers drawn at random from the qualified (政府采购法
第三十四条; 实施条例 第二十一条; 87号令 第十四条); a works tender with fewer than three
qualified must be tendered again (招标投标法实施条例 第十九条). Fewer is recorded with a
finding, not refused: the 资格预审 did end that way. The minimums are rows of the time-limit
table (unit ``bidders``), each with its citation, so an operator can correct them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from ledger.domain.clock import TimeLimit
from ledger.domain.competition import below_minimum
from ledger.domain.lifecycle import Action
from ledger.domain.record import ProcurementRecord
from ledger.domain.schema.values import Finding

#: Qualified suppliers an invited tender draws its invitations from.
MINIMUM: Final = "minimum_prequalified"
#: …and a works tender, which otherwise tenders again.
WORKS_MINIMUM: Final = "works_minimum_prequalified"
RULES: Final = frozenset({MINIMUM, WORKS_MINIMUM})


def result_refusal(p: ProcurementRecord, on: date) -> str | None:
    """Why ``p``'s 资格预审 result cannot be recorded on ``on``; None when it can."""
    rule = "rule lifecycle.record_prequalification"
    if p.prequalification_deadline is None:
        return (
            f"{rule}: procurement {p.code} has called for no qualification applications "
            "(资格预审公告); its result follows the call"
        )
    if Action.RECORD_PREQUALIFICATION in p.dates:
        return f"{rule}: the 资格预审 result of {p.code} is already recorded"
    if on < p.prequalification_deadline:
        return (
            f"{rule}: payload.date ({on.isoformat()}) is before the applications closed "
            f"({p.prequalification_deadline.isoformat()}); the applicants are judged once "
            "all of them are in"
        )
    return None


def qualified_findings(
    works: bool, qualified: int, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    """The minimum a result with ``qualified`` suppliers found qualified broke, if any."""
    return below_minimum(WORKS_MINIMUM if works else MINIMUM, qualified, "通过资格预审", limits)
