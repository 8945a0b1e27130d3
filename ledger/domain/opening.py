"""The opening 开标 at the minute of the bid deadline.

Pure: no I/O. A 招标 is opened at the same moment its bids close, at the place the documents
name (财政部令第87号 第三十九条; 招标投标法 第三十四条). An opening at another minute did
happen, so it is recorded with a finding, never refused; an opening the box never closed for
is refused elsewhere (the bid box).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from ledger.domain.competition import TENDERS
from ledger.domain.lifecycle import Irregularity
from ledger.domain.vocabulary import Method

OPENING_AT_DEADLINE: Final = "opening_at_deadline"
OPENING_CITATION: Final = "财政部令第87号 第三十九条；招标投标法 第三十四条"


def moment(day: date, minute: str) -> str:
    """``YYYY-MM-DD HH:MM``, Beijing time."""
    return f"{day.isoformat()} {minute}"


def opening_irregularities(
    method: Method, opened_at: str | None, deadline: date | None, deadline_minute: str | None
) -> tuple[Irregularity, ...]:
    """A 招标 opened at another minute than its deadline's."""
    if method not in TENDERS or opened_at is None or deadline is None or not deadline_minute:
        return ()
    due = moment(deadline, deadline_minute)
    if opened_at == due:
        return ()
    return (
        Irregularity(
            OPENING_AT_DEADLINE,
            f"开标应当在招标文件确定的提交投标文件截止时间的同一时间进行；截止时间{due}，"
            f"开标时间{opened_at}",
            OPENING_CITATION,
        ),
    )
