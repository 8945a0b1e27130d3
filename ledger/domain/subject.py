"""采购标的: what a procurement buys, as its notices state it.

A tender notice may list its items, each with its code in the 政府采购品目分类目录, and set a
最高限价 within the budget, never a 最低限价 (财政部令第87号 第十二条). A result notice lists
its 主要标的 with 规格型号, quantity, unit price and 服务要求, and the 代理服务费 charged
(第六十九条).

Pure: no I/O. Each error names the field's path (``payload.items[2].quantity``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ledger.domain import fields, text
from ledger.domain.errors import Invalid
from ledger.domain.money import Money
from ledger.domain.schema import entries as E

CATALOGUE_CITATION: Final = "政府采购品目分类目录（财库〔2022〕31号）"
CEILING_CITATION: Final = "财政部令第87号 第十二条"
RESULT_CITATION: Final = "财政部令第87号 第六十九条"
#: A 品目 code: its section (A 货物, B 工程, C 服务) and two to eight digits, two per level.
CATALOGUE: Final = re.compile(r"[ABC][0-9]{2}(?:[0-9]{2}){0,4}\Z")
#: The catalogue's sections. Finer codes are checked for their form only: the catalogue's
#: full table is not held here (README, "What we doubt").
SECTIONS: Final = {"A": "货物", "B": "工程", "C": "服务"}
QUANTITY: Final = re.compile(r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,3})?\Z")
#: A notice lists its main items, not a bill of quantities.
MAX_ITEMS: Final = 50


def catalogue_section(code: str) -> str:
    """The section a 品目 code belongs to: 货物, 工程 or 服务."""
    return SECTIONS[code[0]]


def tender_items(payload: Mapping[str, Any]) -> list[E.Item] | None:
    """``payload.items``, the tender's 采购标的, or ``None`` where the notice lists none."""
    return [
        E.Item(
            name=_line(item, where, "name", 100),
            catalogue=_catalogue(item, f"{where}.catalogue"),
            quantity=_quantity(item, f"{where}.quantity"),
            unit=_line(item, where, "unit", 10),
        )
        for where, item in _listed(payload, ("name", "catalogue", "quantity", "unit"))
    ] or None


def awarded_items(payload: Mapping[str, Any]) -> list[E.AwardedItem] | None:
    """``payload.items``, a result's 主要标的 (第六十九条), or ``None`` where none is given."""
    allowed = ("name", "specification", "quantity", "unit", "unit_price", "service")
    found = []
    for where, item in _listed(payload, allowed):
        service = _line(item, where, "service", 200, required=False)
        found.append(E.AwardedItem(
            name=_line(item, where, "name", 100),
            specification=_line(item, where, "specification", 200),
            quantity=_quantity(item, f"{where}.quantity"),
            unit=_line(item, where, "unit", 10),
            unit_price=Money.parse(item.get("unit_price"), f"{where}.unit_price"),
            **({"service": service} if service else {}),
        ))  # fmt: skip
    return found or None


def ceiling_price(payload: Mapping[str, Any], budget: Money) -> Money | None:
    """``payload.ceiling_price``, the 最高限价: within the budget (第十二条)."""
    if payload.get("ceiling_price") is None:
        return None
    ceiling = Money.parse(payload["ceiling_price"], "payload.ceiling_price")
    if ceiling.fen > budget.fen:
        raise Invalid(
            f"payload.ceiling_price: 最高限价 {ceiling}元 exceeds the budget {budget}元; it is "
            f"set within the budget ({CEILING_CITATION})",
            code="ceiling_over_budget",
        )
    if ceiling.fen <= 0:
        raise Invalid("payload.ceiling_price: 最高限价 must be more than zero")
    return ceiling


def _listed(
    payload: Mapping[str, Any], allowed: tuple[str, ...]
) -> list[tuple[str, Mapping[str, Any]]]:
    """Each item of ``payload.items`` with its path, each an object of ``allowed`` fields."""
    items = payload.get("items")
    if items is None:
        return []
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise Invalid(f"payload.items must be a list of 1–{MAX_ITEMS} items")
    found: list[tuple[str, Mapping[str, Any]]] = []
    for n, item in enumerate(items):
        where = f"payload.items[{n}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where} must be an object")
        fields.only(item, allowed, where)
        found.append((where, item))
    return found


def _line(
    item: Mapping[str, Any], where: str, name: str, limit: int, required: bool = True
) -> str:
    return text.parse_line(item.get(name), f"{where}.{name}", limit=limit, required=required)


def _catalogue(item: Mapping[str, Any], where: str) -> str:
    value = item.get("catalogue")
    if not isinstance(value, str) or CATALOGUE.match(value) is None:
        raise Invalid(
            f"{where} must be a code of the {CATALOGUE_CITATION}: A (货物), B (工程) or C "
            "(服务) and two to eight digits, e.g. A02010104"
        )
    return value


def _quantity(item: Mapping[str, Any], where: str) -> str:
    value = item.get("quantity")
    if not isinstance(value, str) or QUANTITY.match(value) is None or float(value) <= 0:
        raise Invalid(f"{where} must be a positive quantity with up to 3 decimals, as a string")
    return value
