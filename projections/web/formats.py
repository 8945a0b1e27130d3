"""How values are written on the pages: amounts, dates, times and the vocabulary's labels.

The 验证 button (``static/verify.js``) writes a notice's values with its own copy of the
amount, date and label formats and compares the texts (``shown``), so the two must agree
character for character: ``tests/e2e/test_browser_formats.py`` runs both on the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

from ledger.domain.context import CHINA
from ledger.domain.errors import Invalid
from ledger.domain.lifecycle import Stage
from ledger.domain.money import Money, format_cny, format_wan
from ledger.domain.vocabulary import AnnouncementType, Category, Method

__all__ = [
    "announcement_label", "beijing_time", "category_label", "chinese_date", "label_of",
    "method_label", "stage_label", "wan", "yuan",
]  # fmt: skip


def _money(amount: Money | int | str | None) -> Money | None:
    """An amount, fen (a projection column) or a yuan string (event data); None for
    anything else."""
    if isinstance(amount, Money):
        return amount
    if isinstance(amount, bool) or amount is None:
        return None
    if isinstance(amount, int):
        return Money.from_fen(amount)
    try:
        return Money.parse(amount, "amount")
    except Invalid:
        return None

def yuan(amount: Money | int | str | None) -> str:
    """An amount (fen or a yuan string) as ¥1,234,567.89 (empty for none)."""
    money = _money(amount)
    return "" if money is None else format_cny(money)

def wan(amount: Money | int | str | None) -> str:
    """An amount (fen or a yuan string) as 万元 with two decimals."""
    money = _money(amount)
    return "" if money is None else format_wan(money)

def label_of(term: type[Any]) -> Callable[[str | None], str]:
    def label(value: str | None) -> str:
        if not value:
            return ""
        try:
            return str(term(value).label)
        except ValueError:
            return value

    return label

announcement_label: Final = label_of(AnnouncementType)
method_label: Final = label_of(Method)
category_label: Final = label_of(Category)
stage_label: Final = label_of(Stage)

def chinese_date(value: str | date | None) -> str:
    """2026-05-08 → 2026年5月8日 (anything that is not a date is shown as it is)."""
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value)
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"

def beijing_time(value: str | None) -> str:
    """A moment as a page shows it: Beijing time, in Chinese, to the minute.

    An RFC 3339 instant (the log's ``recorded_at``, ``2026-03-02T01:30:56.728Z``) is turned
    into Beijing time; a moment written without an offset (``2026-03-02 09:30``, as the bid
    box records its closing) is Beijing time already. Both read ``2026年3月2日 09:30``;
    anything else is shown as it is."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    local = moment if moment.tzinfo is None else moment.astimezone(CHINA)
    return f"{chinese_date(local.date())} {local:%H:%M}"
