"""Money: amounts in CNY (人民币金额), yuan to the fen, never a float.

Amounts arrive in commands as JSON strings of yuan with at most two decimals — ``"1234567.89"``,
``"0.50"``, ``"100"`` — and nothing else: numbers (a float has already lost fen; an integer
invites a float next time), exponents, a leading ``+``, spaces, thousands separators and
non-ASCII digits are refused. Amounts are never negative, and one amount is at most
``MAX_AMOUNT`` (ten trillion yuan): anything larger is a typing error, not a procurement.

A ``Money`` holds a ``Decimal`` with exactly two decimal places. Arithmetic is done on whole
fen (integers), so it is exact and independent of the ``decimal`` context: a sum of amounts
equals the sum of their fen, which is how a report reconciles to the fen. Sums may exceed
``MAX_AMOUNT``; only a single parsed amount is bounded.

Rounding happens only where a result is not a whole number of fen, and is ROUND_HALF_UP
(四舍五入, the convention of the summaries' own tables) in both places:

* ``ratio(part, whole)`` — e.g. the savings rate 资金节约率 — to 4 decimal places of the
  fraction (``Decimal("0.1205")`` is 12.05%);
* ``Money.in_wan()`` — the amount in 万元 (ten thousand yuan) to 2 decimal places.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from ledger.domain.errors import Invalid

#: The largest single amount accepted from a command, in fen (1e13 yuan).
MAX_FEN: Final = 10**15
FEN_PER_YUAN: Final = 100
FEN_PER_WAN: Final = 1_000_000  # 万元 = 10,000 yuan; its hundredths are 100 yuan

_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?\Z")
_EXAMPLE = '"1234567.89"'
#: Beyond this many digits a Decimal is refused before any integer arithmetic on it.
_MAX_DIGITS: Final = 40


def _decimal_of(fen: int, places: int) -> Decimal:
    """The non-negative integer ``fen`` scaled down by ``places`` decimals, exactly."""
    return Decimal((0, tuple(map(int, str(fen))), -places))


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative numerator, positive denominator."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + 1 if 2 * remainder >= denominator else quotient


def _fen_of(value: Decimal) -> int:
    """The whole number of fen in ``value``; ValueError if it is not one (or is negative)."""
    if not value.is_finite():
        raise ValueError(f"an amount must be a finite number, not {value}")
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    digit_list = list(digit_tuple)
    while exponent < -2 and len(digit_list) > 1 and digit_list[-1] == 0:
        digit_list.pop()  # trailing zeros below the fen: 1.500 is 1.50
        exponent += 1
    if len(digit_list) + max(exponent, 0) > _MAX_DIGITS:
        raise ValueError(f"an amount of more than {_MAX_DIGITS} digits is absurd")
    digits = int("".join(map(str, digit_list)))
    if sign and digits:
        raise ValueError(f"amounts are never negative (got {value})")
    if exponent >= -2:
        return digits * int(10 ** (exponent + 2))
    if digits:
        raise ValueError(f"an amount has at most two decimals, yuan to the fen (got {value})")
    return 0


@dataclass(frozen=True, order=True)
class Money:
    """An amount of CNY 人民币 in yuan, exactly two decimals, never negative.

    ``Money(Decimal("12.5"))`` is 12.50 yuan; a Decimal with non-zero digits below the fen,
    a negative or non-finite one, or anything that is not a Decimal is refused
    (ValueError / TypeError): the constructor is for code. Input from people goes through
    ``Money.parse``, which raises ``Invalid`` naming the field.
    """

    yuan: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.yuan, Decimal):
            raise TypeError(f"Money holds a Decimal of yuan, not {type(self.yuan).__name__}")
        # Normalise to exactly two places (and -0.00 to 0.00), so equal amounts look equal.
        # Most amounts come normalised already (from fen, or read back): kept as they are,
        # which is what normalising them gives, for a fraction of its cost.
        sign, digits, exponent = self.yuan.as_tuple()
        if type(self.yuan) is Decimal and exponent == -2 and not sign:
            if len(digits) > _MAX_DIGITS:
                raise ValueError(f"an amount of more than {_MAX_DIGITS} digits is absurd")
            return
        object.__setattr__(self, "yuan", _decimal_of(_fen_of(self.yuan), 2))

    # -- construction -------------------------------------------------------------------

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal("0.00"))

    @classmethod
    def from_fen(cls, fen: int) -> Money:
        """The amount of ``fen`` hundredths of a yuan (a non-negative int)."""
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError(f"fen must be an int, not {type(fen).__name__}")
        if fen < 0:
            raise ValueError(f"amounts are never negative (got {fen} fen)")
        # Two places already: made without ``__post_init__``'s checks, which it passes, and
        # with its fen kept (amounts are made and added by the thousand a batch).
        money = object.__new__(cls)
        object.__setattr__(money, "yuan", _decimal_of(fen, 2))
        object.__setattr__(money, "_fen", fen)
        return money

    @classmethod
    def parse(cls, value: object, field: str) -> Money:
        """An amount from a command: a JSON string of yuan with at most two decimals.

        Raises ``Invalid`` naming ``field`` for anything else: numbers of any kind, other
        types, negative amounts, more than two decimals, other spellings (exponent, '+',
        spaces, thousands separators, NaN/Infinity) and amounts above ``MAX_AMOUNT``.
        """
        if not isinstance(value, str):
            kind = _json_kind(value)
            raise Invalid(
                f"{field} must be a string of yuan like {_EXAMPLE}, not {kind}: "
                "write amounts as strings with at most two decimals"
            )
        shown = _shown(value)
        if value.startswith("-") and _AMOUNT.match(value, 1):
            raise Invalid(f"{field} must not be negative (got {shown}): amounts are never negative")
        match = _AMOUNT.match(value)
        if match is None:
            raise Invalid(
                f"{field} is not an amount (got {shown}): write yuan as a string like {_EXAMPLE} "
                "with at most two decimals (no exponent, '+', spaces or thousands separators)"
            )
        whole, decimals = match.group(1), match.group(2) or ""
        if len(decimals) > 2:
            raise Invalid(
                f"{field} has more than two decimals (got {shown}): "
                "amounts are in yuan to the fen, at most two decimals"
            )
        if len(whole) > len(str(MAX_FEN // FEN_PER_YUAN)):
            raise Invalid(_too_large(field, shown))
        fen = int(whole) * FEN_PER_YUAN + int(decimals.ljust(2, "0"))
        if fen > MAX_FEN:
            raise Invalid(_too_large(field, shown))
        return cls.from_fen(fen)

    # -- reading ------------------------------------------------------------------------

    @property
    def fen(self) -> int:
        """The amount in fen 分 (hundredths of a yuan)."""
        # Kept beside the field once known (``from_fen`` knows it), never a field itself:
        # what compares, prints and serialises an amount is its ``yuan`` alone.
        fen: int | None = self.__dict__.get("_fen")
        if fen is None:
            fen = _fen_of(self.yuan)
            object.__setattr__(self, "_fen", fen)
        return fen

    def in_wan(self) -> Decimal:
        """The amount in 万元 (ten thousand yuan), 2 decimals, rounded ROUND_HALF_UP."""
        return _decimal_of(_round_half_up(self.fen, FEN_PER_WAN // 100), 2)

    def __str__(self) -> str:
        """The canonical form, as written in events: ``"1234567.89"``, ``"0.50"``."""
        return str(self.yuan)

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money.from_fen(self.fen + other.fen)

    def __radd__(self, other: int) -> Money:
        # sum() starts from the int 0; anything else is not an amount.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.fen > self.fen:
            raise ValueError(f"{self} - {other} would be negative: amounts are never negative")
        return Money.from_fen(self.fen - other.fen)


#: The largest single amount ``Money.parse`` accepts.
MAX_AMOUNT: Final = Money.from_fen(MAX_FEN)


def money(payload: Mapping[str, Any], name: str) -> Money:
    """The required amount ``payload[name]`` (see ``Money.parse``)."""
    if payload.get(name) is None:
        raise Invalid(f"payload.{name} is required (an amount like {_EXAMPLE})")
    return Money.parse(payload[name], f"payload.{name}")


def ratio(part: Money, whole: Money) -> Decimal:
    """part / whole as a fraction with 4 decimals, rounded ROUND_HALF_UP (exact otherwise).

    The savings rate 资金节约率 is ``ratio(budget - contract, budget)``; ``Decimal("0.1205")``
    reads as 12.05%. A zero ``whole`` has no ratio: ValueError.
    """
    if whole.fen == 0:
        raise ValueError("a ratio to a zero amount is undefined")
    return _decimal_of(_round_half_up(part.fen * 10_000, whole.fen), 4)


def format_cny(amount: Money) -> str:
    """For display: ``¥1,234,567.89``."""
    return f"¥{amount.yuan:,}"


def format_wan(amount: Money) -> str:
    """For display in 万元 as the summaries write it: ``123.46万元`` (see ``Money.in_wan``)."""
    return f"{amount.in_wan():,}万元"


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return f"the number {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _too_large(field: str, shown: str) -> str:
    return (
        f"{field} is too large (got {shown}): the largest amount accepted is "
        f"{format_cny(MAX_AMOUNT)}; an amount beyond it is a typing error"
    )
