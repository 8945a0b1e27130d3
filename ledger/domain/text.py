"""User-written procurement text (项目名称, 采购需求) and dates, field by field.

Text is stored exactly as given: any script, mixed scripts and emoji round-trip unchanged,
surrounding spaces are kept, and markup such as ``<script>`` is just text — escaping is the
pages' job, never this layer's. What is refused, with a message naming the field:

* control characters other than line feed and tab (a carriage return too: lines end with
  ``\\n``), lone surrogates and bidirectional overrides (they make a page show text in another
  order than it is stored) — the same set ``ledger.canonical`` refuses for a whole command;
* in a title, any line break or tab (a title is one line), and more than ``TITLE_MAX``
  characters;
* in a requirement text, more than ``REQUIREMENT_MAX`` characters.

Lengths count Unicode code points, the way ``len`` does (an emoji like 🏥 is one).

Dates are ``"YYYY-MM-DD"`` strings of a real calendar day between ``MIN_YEAR`` and
``MAX_YEAR`` (beyond that a date is a typing error, and the statutory clock must not run off
the end of the calendar).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from ledger.domain.errors import Invalid

TITLE_MAX: Final = 200
REQUIREMENT_MAX: Final = 20_000
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2199

# C0 controls except TAB and LF, DEL, C1 controls, lone surrogates, bidi overrides/isolates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# What breaks or indents a line: LF, TAB, and the Unicode line and paragraph separators.
_NOT_ONE_LINE = re.compile("[\n\t\u2028\u2029]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _character(ch: str) -> str:
    """``U+000D`` with the character's name when it has one."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _checked(value: object, field: str, *, limit: int, required: bool, one_line: bool) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string")
    if required and not value.strip():
        raise Invalid(f"{field} must not be empty")
    if len(value) > limit:
        raise Invalid(f"{field} is longer than {limit:,} characters ({len(value):,})")
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        ch = bad.group()
        if "\ud800" <= ch <= "\udfff":
            what = "a lone surrogate (not valid Unicode)"
        elif ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            what = f"a bidirectional control {_character(ch)}"
        else:
            what = f"a control character {_character(ch)}"
        raise Invalid(
            f"{field} contains {what} at position {bad.start()}; "
            + ("only text is allowed" if one_line else "only text, line feeds and tabs are allowed")
        )
    if one_line:
        bad = _NOT_ONE_LINE.search(value)
        if bad is not None:
            raise Invalid(
                f"{field} must be a single line (found {_character(bad.group())} "
                f"at position {bad.start()})"
            )
    return value


def parse_title(value: object, field: str) -> str:
    """A title 标题/项目名称: one non-blank line of at most ``TITLE_MAX`` characters, as given."""
    return _checked(value, field, limit=TITLE_MAX, required=True, one_line=True)


def parse_line(value: object, field: str, *, limit: int, required: bool = True) -> str:
    """One line of text of at most ``limit`` characters (a name, a unit), as given."""
    if value is None and not required:
        return ""
    return _checked(value, field, limit=limit, required=required, one_line=True)


def parse_requirement(value: object, field: str, *, required: bool = True) -> str:
    """A requirement text 采购需求: lines of at most ``REQUIREMENT_MAX`` characters, as given.

    When not ``required``, an empty string (or only whitespace) is accepted.
    """
    return _checked(value, field, limit=REQUIREMENT_MAX, required=required, one_line=False)


def parse_date(value: object, field: str) -> date:
    """A calendar date 日期 written ``"YYYY-MM-DD"`` (no time, no other spelling)."""
    if not isinstance(value, str) or not _DATE.match(value):
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else None
        raise Invalid(
            f'{field} must be a date written "YYYY-MM-DD", like "2026-11-20"'
            + (f" (got {shown})" if shown else "")
        )
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} is not a day of the calendar (got {value!r})") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise Invalid(f"{field} must be in the years {MIN_YEAR}–{MAX_YEAR} (got {value!r})")
    return parsed


def ensure_order(earlier: date, later: date, names: tuple[str, str]) -> None:
    """Refuse ``later`` before ``earlier``; ``names`` are their fields, earlier first.

    The same day is in order.
    """
    if later < earlier:
        raise Invalid(
            f"{names[1]} ({later.isoformat()}) must not be before "
            f"{names[0]} ({earlier.isoformat()})"
        )


# -- reading a payload field by field, as ledger.domain.fields does -------------------------


def _present(payload: Mapping[str, Any], name: str) -> object:
    value = payload.get(name)
    if value is None:
        raise Invalid(f"payload.{name} is required")
    return value


def title(payload: Mapping[str, Any], name: str) -> str:
    """The required title ``payload[name]`` (see ``parse_title``)."""
    return parse_title(_present(payload, name), f"payload.{name}")


def requirement(payload: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    """The requirement text ``payload[name]``; ``""`` when absent and not ``required``."""
    if not required and payload.get(name) is None:
        return ""
    return parse_requirement(_present(payload, name), f"payload.{name}", required=required)


def day(payload: Mapping[str, Any], name: str) -> date:
    """The required date ``payload[name]`` (see ``parse_date``)."""
    return parse_date(_present(payload, name), f"payload.{name}")
