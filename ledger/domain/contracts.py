"""The contract's filing 合同备案: within 7 working days of signing (政府采购法 第四十七条).

Pure: no I/O. Filing is measured, not ordered: ``FileContract`` may come at any stage after
the signing, and a late one is found by its row of ``findings.TIMED_STEPS``. A contract never
filed cannot be told from one still to be filed until nothing more can be recorded: the
archive 归档 of a procurement whose contract was signed and never filed records the finding,
with the deadline the filing had and no actual day. The rule is the row
``contract_filed_after_signing`` of ``time_limits.toml``, its citation beside it.

The ledger finds it when it records the archive, and `sunshine verify --check-timing` finds it
again from the dates in the log (``verify_timing``), so a finding forged or left out is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import basis_value
from ledger.domain.lifecycle import Action
from ledger.domain.schema.values import Finding

FILING_RULE: Final = "contract_filed_after_signing"


def missing_filing_findings(
    action: Action,
    history: Mapping[Action, date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """``action`` archives a procurement whose contract was signed (``history``) and never
    filed: the finding of the filing that did not come. Nothing for any other action, for a
    procurement without a contract, or without the rule in the table."""
    signed = history.get(Action.SIGN_CONTRACT)
    limit = limits.get(FILING_RULE)
    if action is not Action.ARCHIVE or signed is None or Action.FILE_CONTRACT in history:
        return []
    if limit is None or not limit.is_time_limit:
        return []
    due = calendar.deadline_for(limit, signed)
    return [
        Finding(
            rule=limit.id,
            citation=limit.citation,
            description_zh=f"{limit.description_zh}（归档时合同仍未备案）",
            deadline=due.due,
            actual=None,
            provisional=due.provisional,
            reason=due.reason,
            start=signed,
            basis=basis_value(calendar.basis(limit, due)),
        )
    ]
