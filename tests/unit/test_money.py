"""CNY amounts: parsing exactly what the issue's "Bad input" allows, exact fen arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import Invalid
from ledger.domain.money import (
    MAX_AMOUNT,
    MAX_FEN,
    Money,
    format_cny,
    format_wan,
    money,
    ratio,
)

FEN = st.integers(min_value=0, max_value=MAX_FEN)


def fen_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def m(text: str) -> Money:
    return Money.parse(text, "payload.budget")


# -- accepted spellings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "fen"),
    [
        ("1234567.89", "1234567.89", 123456789),
        ("0.50", "0.50", 50),
        ("0.5", "0.50", 50),
        ("100", "100.00", 10000),
        ("0", "0.00", 0),
        ("0.00", "0.00", 0),
        ("0.01", "0.01", 1),
        ("10000000000000", "10000000000000.00", MAX_FEN),
        ("10000000000000.00", "10000000000000.00", MAX_FEN),
    ],
)
def test_accepted_amounts_are_canonical(text: str, canonical: str, fen: int) -> None:
    amount = m(text)
    assert str(amount) == canonical
    assert amount.fen == fen
    assert amount.yuan == Decimal(canonical)
    assert amount.yuan.as_tuple().exponent == -2


@given(FEN)
def test_every_fen_amount_round_trips(fen: int) -> None:
    amount = m(fen_text(fen))
    assert amount.fen == fen
    assert str(amount) == fen_text(fen)
    assert m(str(amount)) == amount
    assert Money.from_fen(fen) == amount


@given(st.lists(FEN, max_size=50))
def test_sums_are_exact_to_the_fen(fens: list[int]) -> None:
    amounts = [m(fen_text(fen)) for fen in fens]
    assert sum(amounts, Money.zero()).fen == sum(fens)
    if amounts:
        plain = sum(amounts)  # starts from the int 0
        assert isinstance(plain, Money) and plain.fen == sum(fens)
    total = Money.zero()
    for amount in amounts:
        total = total + amount
    assert total == Money.from_fen(sum(fens))


@given(FEN, FEN)
def test_subtraction_is_exact_and_never_negative(a: int, b: int) -> None:
    big, small = Money.from_fen(max(a, b)), Money.from_fen(min(a, b))
    assert (big - small).fen == abs(a - b)
    assert (big - small) + small == big
    if a != b:
        with pytest.raises(ValueError, match="never negative"):
            small - big


@given(FEN, FEN)
def test_order_follows_fen(a: int, b: int) -> None:
    assert (Money.from_fen(a) < Money.from_fen(b)) == (a < b)
    assert (Money.from_fen(a) == Money.from_fen(b)) == (a == b)


# -- the "Bad input" ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["-1", "-0.01", "-0", "-1234567.89"])
def test_negative_amounts_are_refused(text: str) -> None:
    with pytest.raises(Invalid, match=r"payload\.budget must not be negative") as info:
        m(text)
    assert info.value.code == "invalid" and info.value.status == 422


@pytest.mark.parametrize("text", ["0.001", "1.234", "100.000", "1.10000000001"])
def test_more_than_two_decimals_is_refused(text: str) -> None:
    with pytest.raises(Invalid, match=r"payload\.budget has more than two decimals"):
        m(text)


@pytest.mark.parametrize(
    "value", [1.5, 0.1, 100.0, float("nan"), float("inf"), 100, 0, True, False, None]
)
def test_numbers_and_other_json_types_are_refused(value: object) -> None:
    with pytest.raises(Invalid) as info:
        Money.parse(value, "payload.budget")
    assert info.value.message.startswith("payload.budget must be a string")
    assert "write amounts as strings with at most two decimals" in info.value.message


@pytest.mark.parametrize("value", [[], ["1.00"], {}, {"yuan": "1.00"}, Decimal("1.00"), b"1"])
def test_wrong_types_are_refused(value: object) -> None:
    with pytest.raises(Invalid, match=r"payload\.budget must be a string"):
        Money.parse(value, "payload.budget")


@pytest.mark.parametrize(
    "text",
    ["10000000000000.01", "10000000000001", "99999999999999999", "1" + "0" * 100, "9" * 10_000],
)
def test_absurd_sizes_are_refused(text: str) -> None:
    with pytest.raises(Invalid, match=r"payload\.budget is too large") as info:
        m(text)
    assert "¥10,000,000,000,000.00" in info.value.message
    assert len(info.value.message) < 300  # the input is not echoed whole


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "1e3",
        "1E3",
        "1.5e2",
        "+1",
        "+1.00",
        " 1.00",
        "1.00 ",
        "1 000",
        "1,000.00",
        "1,5",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        ".5",
        "1.",
        "01",
        "00.50",
        "0x10",
        "１００",  # full-width digits
        "١٠٠",  # Arabic-Indic digits
        "¥100",
        "100元",
        "1_000",
    ],
)
def test_other_spellings_are_refused(text: str) -> None:
    with pytest.raises(Invalid, match=r"payload\.budget is not an amount") as info:
        m(text)
    assert "at most two decimals" in info.value.message


def test_field_name_is_the_callers() -> None:
    with pytest.raises(Invalid, match=r"^payload\.bids\[2\]\.price "):
        Money.parse(1.5, "payload.bids[2].price")


def test_payload_helper() -> None:
    assert money({"budget": "12.30"}, "budget") == Money.from_fen(1230)
    with pytest.raises(Invalid, match=r"payload\.budget is required"):
        money({}, "budget")
    with pytest.raises(Invalid, match=r"payload\.budget is required"):
        money({"budget": None}, "budget")
    with pytest.raises(Invalid, match=r"payload\.budget must be a string"):
        money({"budget": 12.3}, "budget")


# -- the value object ----------------------------------------------------------------------


def test_constructor_quantizes_and_guards() -> None:
    assert str(Money(Decimal("12.5"))) == "12.50"
    assert str(Money(Decimal("1.500"))) == "1.50"
    assert str(Money(Decimal("1E+3"))) == "1000.00"
    assert str(Money(Decimal("-0.00"))) == "0.00"
    assert Money(Decimal("12.5")) == Money(Decimal("12.50"))
    assert hash(Money(Decimal("12.5"))) == hash(Money(Decimal("12.50")))
    for bad in (Decimal("1.001"), Decimal("-1"), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            Money(bad)
    for wrong in (1.5, 1, "1.00"):
        with pytest.raises(TypeError):
            Money(wrong)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money.from_fen(-1)
    with pytest.raises(TypeError):
        Money.from_fen(True)


def test_arithmetic_refuses_other_types() -> None:
    one = Money.from_fen(100)
    with pytest.raises(TypeError):
        one + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        one + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + one
    with pytest.raises(TypeError):
        one - Decimal("1")  # type: ignore[operator]
    assert 0 + one == one  # what sum() does first


def test_immutable() -> None:
    amount = Money.from_fen(1)
    with pytest.raises(AttributeError):
        amount.yuan = Decimal("2.00")  # type: ignore[misc]


def test_ratio_rounds_half_up_to_four_places() -> None:
    # The seed's own example: 256.99 saved on 2132.62 is 12.05%, not 6.99%.
    assert ratio(m("256.99"), m("2132.62")) == Decimal("0.1205")
    assert ratio(m("1"), m("3")) == Decimal("0.3333")
    assert ratio(m("2"), m("3")) == Decimal("0.6667")
    assert ratio(m("0.01"), m("200")) == Decimal("0.0001")  # 0.00005 rounds up
    assert ratio(m("0.01"), m("200.01")) == Decimal("0.0000")  # just under half
    assert ratio(m("3"), m("3")) == Decimal("1.0000")
    assert str(ratio(m("0"), m("5"))) == "0.0000"
    budget, contract = m("2132.62"), m("1875.63")
    assert ratio(budget - contract, budget) == Decimal("0.1205")
    with pytest.raises(ValueError, match="zero"):
        ratio(m("1"), m("0"))


@given(FEN, FEN.filter(bool))
def test_ratio_is_within_half_a_unit(part: int, whole: int) -> None:
    r = ratio(Money.from_fen(part), Money.from_fen(whole))
    assert r.as_tuple().exponent == -4
    error = r - Decimal(part) / Decimal(whole)
    assert Decimal("-0.00005") < error <= Decimal("0.00005")


def test_display_helpers() -> None:
    assert format_cny(m("1234567.89")) == "¥1,234,567.89"
    assert format_cny(m("0")) == "¥0.00"
    assert format_cny(m("999.5")) == "¥999.50"
    assert format_cny(MAX_AMOUNT) == "¥10,000,000,000,000.00"
    assert m("1234567.89").in_wan() == Decimal("123.46")
    assert str(m("1234567.89").in_wan()) == "123.46"
    assert str(m("0").in_wan()) == "0.00"
    assert m("50").in_wan() == Decimal("0.01")  # half of 100 yuan rounds up
    assert m("49.99").in_wan() == Decimal("0.00")
    assert m("21326200").in_wan() == Decimal("2132.62")
    assert format_wan(m("1234567.89")) == "123.46万元"
    assert format_wan(m("123456789012")) == "12,345,678.90万元"
