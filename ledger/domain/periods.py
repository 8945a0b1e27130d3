"""Periods a notice states or a correction leaves, measured on the notice itself.

Pure: no I/O. Unlike ``findings.TIMED_STEPS``, which measures one act from an earlier one,
these rules measure a span the act itself gives: the announcement's own period 公告期限 and
the days its documents are on sale 采购文件提供期限, from the day it was published; a
correction that may affect the bids (更正可能影响投标（响应）文件编制) against the deadline in
force after it; the evaluation report's delivery and the award from the day the purchaser
received it. Each rule is a row
of ``time_limits.toml`` with its citation; which methods it binds is said here, beside the
article. A span too short is recorded with its finding, never refused: the notice was
published (DOMAIN.md, "Two kinds of rule").

The ledger measures them when it records the act, and `sunshine verify --check-timing`
measures them again from the entry's data (``verify_timing``), so a finding forged or left
out is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import limit_finding
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method

_M = Method

#: A correction that may affect the preparation of bids or responses comes at least so long
#: before the deadline in force after it: 招标 15 days (实施条例 第三十一条; 87号令 第二十七条),
#: 磋商 5 days (财库〔2014〕214号 第十条), 谈判 and 询价 3 working days (74号令 第二十九、
#: 四十五条). Single source and framework agreements have no such rule here.
CORRECTION_RULES: Final[Mapping[Method, str]] = {
    _M.OPEN_TENDER: "substantive_correction_to_bid_deadline",
    _M.INVITED_TENDER: "substantive_correction_to_bid_deadline",
    _M.COMPETITIVE_CONSULTATION: "consultation_correction_to_deadline",
    _M.COMPETITIVE_NEGOTIATION: "negotiation_correction_to_deadline",
    _M.INQUIRY: "negotiation_correction_to_deadline",
}

#: The announcement's period 公告期限: 招标 (and 资格预审) 5 working days (87号令 第十六条);
#: 谈判, 磋商 and 询价 3 working days (财库〔2015〕135号, to be checked).
ANNOUNCEMENT_PERIOD_RULES: Final[Mapping[Method, str]] = {
    _M.OPEN_TENDER: "tender_announcement_period",
    _M.INVITED_TENDER: "tender_announcement_period",
    _M.COMPETITIVE_NEGOTIATION: "negotiation_announcement_period",
    _M.COMPETITIVE_CONSULTATION: "negotiation_announcement_period",
    _M.INQUIRY: "negotiation_announcement_period",
}

#: The documents on sale 提供（发售）期限 at least 5 working days: 招标 (实施条例 第三十一条;
#: 87号令 第十八条) and 磋商 (214号 第十条). 74号令 sets none for 谈判 and 询价.
DOCUMENTS_ON_SALE_RULES: Final[Mapping[Method, str]] = {
    _M.OPEN_TENDER: "tender_documents_on_sale",
    _M.INVITED_TENDER: "tender_documents_on_sale",
    _M.COMPETITIVE_CONSULTATION: "consultation_documents_on_sale",
}

#: The evaluation report reaches the purchaser within 2 working days of the evaluation, and
#: the purchaser confirms the winner within 5 working days of receiving it (实施条例 第四十三条;
#: 87号令 第六十八条).
#: A works tender (``works``): documents on sale ≥ 5 days, calendar days (招标投标法实施条例
#: 第十六条); 招标投标法 and its 实施条例 set no 公告期限, so none is measured.
WORKS_DOCUMENTS_ON_SALE_RULE: Final = "works_documents_on_sale"

REPORT_RULE: Final = "evaluation_report_delivered"
AWARD_RULE: Final = "award_after_report"


def _found(
    rule: str | None,
    start: date,
    end: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    if rule is None:
        return []
    found = limit_finding(rule, start, end, calendar, limits)
    return [] if found is None else [found]


def correction_findings(
    method: Method,
    affects_preparation: bool,
    corrected_on: date,
    deadline: date | None,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """A correction of ``corrected_on`` that may affect the bids, measured against the bid
    (or first response) ``deadline`` in force after it: too close, its finding."""
    if not affects_preparation or deadline is None:
        return []
    return _found(CORRECTION_RULES.get(method), corrected_on, deadline, calendar, limits)


def announcement_findings(
    method: Method,
    announced_on: date,
    period_end: date | None,
    documents_until: date | None,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
    *,
    works: bool = False,
) -> list[Finding]:
    """The periods an announcement of ``announced_on`` states, each too short: its finding.
    A period it does not state is not measured. ``works``: a works tender (``works``)."""
    found = []
    if period_end is not None and not works:
        rule = ANNOUNCEMENT_PERIOD_RULES.get(method)
        found += _found(rule, announced_on, period_end, calendar, limits)
    if documents_until is not None:
        rule = WORKS_DOCUMENTS_ON_SALE_RULE if works else DOCUMENTS_ON_SALE_RULES.get(method)
        found += _found(rule, announced_on, documents_until, calendar, limits)
    return found


def award_findings(
    evaluated_on: date | None,
    report_received: date | None,
    awarded_on: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """An award after an evaluation of ``evaluated_on`` (None: no evaluation, nothing to
    measure): the report's delivery, and the award from its receipt. An award that does not
    say when the report came is measured from the last day it could lawfully have come, so
    only an award late however the report came is found."""
    if evaluated_on is None:
        return []
    if report_received is not None:
        found = _found(REPORT_RULE, evaluated_on, report_received, calendar, limits)
        return found + _found(AWARD_RULE, report_received, awarded_on, calendar, limits)
    delivery = limits.get(REPORT_RULE)
    if delivery is None:
        return []
    latest = calendar.deadline_for(delivery, evaluated_on).due
    return _found(AWARD_RULE, latest, awarded_on, calendar, limits)
