"""应知之日: the day a supplier knew, or should have known, that a challenged act harmed it.

The 7 working days to challenge (财政部令第94号 第十条) run from this day, and the ledger
computes it from what is challenged rather than taking the supplier's word
(政府采购法实施条例 第五十三条; 94号令 第十条):

* the documents 采购文件: the day the supplier received them, or the end of their notice
  period, whichever is later. 94号令 names both; the later is taken so that a supplier who
  obtained the documents early in the period is not counted late against the whole period
  (a reading kept here, and in the README, as a doubt an operator may correct);
* the result 中标（成交）结果: the end of the result notice's period of 1 working day;
* the process 采购过程: the end of the step challenged, which only the supplier can name: it
  declares it, and it may not be after the challenge.

Pure: the dates come from the procurement's record and, for receipt, the supplier's envelope
in the sealed bid box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.lifecycle import Action
from ledger.domain.vocabulary import Subject

#: The notice periods whose end starts the clock, by what is challenged (time_limits.toml).
DOCUMENTS_NOTICE_RULE: Final = "tender_announcement_period"
RESULT_NOTICE_RULE: Final = "result_announcement_period"


class NotYetKnown(ValueError):
    """What is challenged has not happened: no result announced to challenge."""


@dataclass(frozen=True)
class KnownOn:
    """The computed 应知之日, and whether the calendar behind it was provisional."""

    day: date
    provisional: bool = False


def _period_end(
    rule: str, start: date, calendar: WorkingCalendar, limits: Mapping[str, TimeLimit]
) -> KnownOn:
    limit = limits.get(rule)
    if limit is None or not limit.is_time_limit:
        return KnownOn(start)  # no such period in the table: known on the notice's day
    end = calendar.deadline_for(limit, start)
    return KnownOn(end.due, end.provisional)


def should_have_known(
    subject: Subject,
    dates: Mapping[Action, date],
    calendar: WorkingCalendar,
    limits: Mapping[str, TimeLimit],
    *,
    received: date | None = None,
) -> KnownOn:
    """The 应知之日 of a challenge to the documents or the result of a procurement whose
    actions fell on ``dates``; ``received``: when the challenger obtained the documents.

    Raises ``NotYetKnown`` for a result challenge before the result notice, and
    ``ValueError`` for the process, which is declared, not computed."""
    if subject is Subject.DOCUMENTS:
        announced = dates.get(Action.ANNOUNCE_TENDER)
        if announced is None:
            raise NotYetKnown("采购文件尚未发出")
        end = _period_end(DOCUMENTS_NOTICE_RULE, announced, calendar, limits)
        if received is not None and received > end.day:
            return KnownOn(received)
        return end
    if subject is Subject.RESULT:
        announced = dates.get(Action.ANNOUNCE_RESULT)
        if announced is None:
            raise NotYetKnown("中标（成交）结果尚未公告")
        return _period_end(RESULT_NOTICE_RULE, announced, calendar, limits)
    raise ValueError(f"the 应知之日 of a {subject.value} challenge is declared, not computed")


def is_declared(subject: Subject) -> bool:
    """Whether the supplier names the 应知之日 itself (a challenge to the process)."""
    return subject is Subject.PROCESS
