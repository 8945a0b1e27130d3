"""Works tenders 工程招标: 招标投标法 and its 实施条例, not the government-procurement clocks.

Pure: no I/O. Works 工程 procured by 招标 (open or invited) follow 招标投标法 and its 实施条例
(政府采购法实施条例 第七条). Which rule of ``time_limits.toml`` binds a step is chosen here,
by that regime; the steps themselves (the notice, the challenge 质疑 stream, which for works is
the objection 异议, the complaint 投诉) stay the ledger's one model:

* documents on sale ≥ 5 days, calendar days (实施条例 第十六条), not 5 working days;
* an objection 异议 to the documents ≥ 10 days before the bid deadline, answered within 3
  days (第二十二条); an objection to the result during the candidates' 公示, answered within 3
  days (第五十四条);
* the candidates 中标候选人 published within 3 days of the evaluation report, for ≥ 3 days,
  before the award (第五十四条);
* a complaint within 10 days of when the supplier knew, to the 行政监督部门, which decides
  whether to accept it within 3 working days and decides it within 30 working days of
  accepting it (第六十、六十一条);
* the written report 书面报告 to the 行政监督部门 within 15 days of the winner's
  determination (招标投标法 第四十七条).

The 行政监督部门 of a works tender is named on its tender announcement (``supervisor``): the
notice is where bidders read to whom they complain, and it is the first act of the tender.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import basis_value, limit_finding
from ledger.domain.lifecycle import Action
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Category, Method, Subject

TENDERS: Final = frozenset({Method.OPEN_TENDER, Method.INVITED_TENDER})

DOCUMENTS_ON_SALE: Final = "works_documents_on_sale"  # ≥ 5 days (实施条例 第十六条)
DOCUMENT_OBJECTION: Final = "works_documents_objection_before_deadline"  # ≥ 10 days (第二十二条)
OBJECTION_ANSWERED: Final = "works_objection_answered"  # ≤ 3 days (第二十二条、第五十四条)
CANDIDATES_PUBLISHED: Final = "works_candidates_published"  # ≥ 3 days (第五十四条)
#: ≤ 3 days from the evaluation report (第五十四条)
CANDIDATES_AFTER_REPORT: Final = "works_candidates_published_after_report"
CANDIDATES_RULES: Final = frozenset({CANDIDATES_PUBLISHED, CANDIDATES_AFTER_REPORT})
RESULT_OBJECTION: Final = "works_result_objection_during_publicity"  # in the 公示 (第五十四条)
COMPLAINT_FILED: Final = "works_complaint_filed"  # ≤ 10 days of knowing (第六十条)
COMPLAINT_SCREENED: Final = "works_complaint_screened"  # ≤ 3 working days (第六十一条)
COMPLAINT_DECIDED: Final = "works_complaint_decided"  # ≤ 30 working days of 受理 (第六十一条)
WRITTEN_REPORT: Final = "works_written_report"  # ≤ 15 days of the winner (招标投标法 第四十七条)

#: An award before any candidates' 公示, or before its end (实施条例 第五十四条).
AWARD_WITHOUT_CANDIDATES: Final = "works_award_without_candidates"
AWARD_DURING_PUBLICITY: Final = "works_award_before_publicity_end"
_CANDIDATES_CITATION: Final = "招标投标法实施条例 第五十四条"


def is_works_tender(category: Category, method: Method) -> bool:
    """Works procured by 招标: the regime of 招标投标法 (政府采购法实施条例 第七条)."""
    return category is Category.WORKS and method in TENDERS


def _found(
    rule: str, start: date, end: date, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    found = limit_finding(rule, start, end, calendar, limits)
    return [] if found is None else [found]


def candidates_findings(
    evaluated: date | None,
    published: date,
    until: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """A candidates' 公示 from ``published`` to ``until``, of a report completed on
    ``evaluated``: later than 3 days after the report, or shorter than 3 days, its finding."""
    late = [] if evaluated is None else _found(
        CANDIDATES_AFTER_REPORT, evaluated, published, calendar, limits
    )
    return late + _found(CANDIDATES_PUBLISHED, published, until, calendar, limits)


def award_findings(works: bool, candidates_until: date | None, awarded_on: date) -> list[Finding]:
    """A works award: after the candidates' 公示 has ended (the day after its last day);
    without a 公示, an irregularity. Nothing for any other procurement."""
    if not works:
        return []
    if candidates_until is None:
        return [Finding(
            rule=AWARD_WITHOUT_CANDIDATES, citation=_CANDIDATES_CITATION,
            description_zh="工程招标：未公示中标候选人即确定中标人",
            deadline=None, actual=None, provisional=False, reason="",
        )]  # fmt: skip
    earliest = candidates_until + timedelta(days=1)
    if awarded_on >= earliest:
        return []
    return [Finding(
        rule=AWARD_DURING_PUBLICITY, citation=_CANDIDATES_CITATION,
        description_zh="工程招标：中标候选人公示期未满即确定中标人",
        deadline=earliest, actual=awarded_on, provisional=False, reason="",
    )]  # fmt: skip


def missing_report_findings(
    works: bool,
    action: Action,
    history: Mapping[Action, date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """``action`` archives an awarded works tender whose written report never came (招标投标法
    第四十七条): its finding, with the deadline the report had and no actual day."""
    awarded = history.get(Action.DECIDE_AWARD)
    limit = limits.get(WRITTEN_REPORT)
    if not works or action is not Action.ARCHIVE or awarded is None or limit is None:
        return []
    if Action.FILE_TENDER_REPORT in history:
        return []
    due = calendar.deadline_for(limit, awarded)
    return [Finding(
        rule=WRITTEN_REPORT, citation=limit.citation,
        description_zh=f"{limit.description_zh}（归档时仍未提交）",
        deadline=due.due, actual=None, provisional=due.provisional, reason=due.reason,
        start=awarded, basis=basis_value(calendar.basis(limit, due)),
    )]  # fmt: skip


def filed_report_findings(
    awarded: date | None,
    filed_on: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """A written report filed ``filed_on``, measured from the award."""
    if awarded is None:
        return []
    return _found(WRITTEN_REPORT, awarded, filed_on, calendar, limits)


# -- objections 异议 and complaints 投诉 (the challenge and complaint streams) --------------


def answer_rule(works: bool) -> str:
    """The rule an answer to a challenge (for works, an objection 异议) is measured by."""
    return OBJECTION_ANSWERED if works else "challenge_answered"


def result_known_on(dates: Mapping[Action, date]) -> date | None:
    """A works tender's result is known when its candidates are published (第五十四条): the
    objection to it comes during their 公示. None before."""
    return dates.get(Action.PUBLISH_CANDIDATES)


def objection_findings(
    subject: Subject,
    filed_on: date,
    bid_deadline: date | None,
    candidates_until: date | None,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> list[Finding]:
    """A works objection filed too late: to the documents fewer than 10 days before the bid
    deadline in force (第二十二条); to the result after the candidates' 公示 ended (第五十四条).
    The process has no objection period in 招标投标法: nothing is measured."""
    if subject is Subject.DOCUMENTS and bid_deadline is not None:
        return _found(DOCUMENT_OBJECTION, filed_on, bid_deadline, calendar, limits)
    if subject is Subject.RESULT and candidates_until is not None and filed_on > candidates_until:
        return [Finding(
            rule=RESULT_OBJECTION, citation=_CANDIDATES_CITATION,
            description_zh="工程招标：对评标结果有异议的，应当在中标候选人公示期间提出",
            deadline=candidates_until, actual=filed_on, provisional=False, reason="",
        )]  # fmt: skip
    return []


def complaint_start(
    answered_on: date | None,
    objected_on: date,
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
) -> date:
    """When the complainant knew (第六十条): the objection's answer, or, unanswered, the end
    of its 3-day answer period; without that rule in the table, the objection's day."""
    if answered_on is not None:
        return answered_on
    limit = limits.get(OBJECTION_ANSWERED)
    return objected_on if limit is None else calendar.deadline_for(limit, objected_on).due


def complaint_filed_findings(
    start: date, filed_on: date, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit]
) -> list[Finding]:
    """A works complaint more than 10 days after the complainant knew (第六十条)."""
    return _found(COMPLAINT_FILED, start, filed_on, calendar, limits)
