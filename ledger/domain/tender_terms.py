"""What a tender notice states besides its subject: the government-procurement policies it
applies, how its documents are obtained, and a single source's experts.

* 落实政府采购政策 (``policies``): whether the procurement is reserved for 中小企业, or gives
  small and micro enterprises a 价格扣除 (财库〔2020〕46号 第八条、第九条), whether imported
  products are accepted, and whether consortia may bid (政府采购法 第二十四条). The
  standard notice of 财办库〔2020〕50号 has a heading for each.
* 获取采购文件 (``obtaining``): where, how and at what price the documents are obtained
  (财政部令第87号 第十三条第（五）项); the period is the notice's date to its
  ``documents_until``.
* 单一来源公示 (``experts``): the 专业人员 who argued that only one supplier can meet the need,
  with their 工作单位, 职称 and 论证意见 (实施条例 第三十八条; 财政部令第74号 第三十八条).

Pure: no I/O. Each error names the field's path (``payload.policies.sme``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ledger.domain import fields, text
from ledger.domain.errors import Invalid
from ledger.domain.money import Money
from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import SmePolicy

POLICY_CITATION: Final = "财库〔2020〕46号 第八条、第九条；政府采购法 第二十四条"
OBTAINING_CITATION: Final = "财政部令第87号 第十三条"
EXPERTS_CITATION: Final = "政府采购法实施条例 第三十八条；财政部令第74号 第三十八条"
#: 价格扣除 as a whole percentage. The ranges differ by category and have changed
#: (README, "What we doubt"), so only its form is checked here.
MAX_DEDUCTION: Final = 20
MAX_EXPERTS: Final = 10


def policies(payload: Mapping[str, Any]) -> E.Policies | None:
    """``payload.policies``, or ``None`` where the notice states none."""
    given = payload.get("policies")
    if given is None:
        return None
    where = "payload.policies"
    if not isinstance(given, dict):
        raise Invalid(f"{where} must be an object: sme, imports, consortium")
    fields.only(given, ("sme", "price_deduction", "imports", "consortium"), where)
    sme = SmePolicy.parse(given.get("sme"), f"{where}.sme")
    deduction = given.get("price_deduction")
    if sme is SmePolicy.PRICE_DEDUCTION:
        if not (isinstance(deduction, int) and not isinstance(deduction, bool)
                and 1 <= deduction <= MAX_DEDUCTION):  # fmt: skip
            raise Invalid(
                f"{where}.price_deduction must be the 价格扣除 for small and micro "
                f"enterprises, a whole percentage from 1 to {MAX_DEDUCTION} ({POLICY_CITATION})"
            )
    elif deduction is not None:
        raise Invalid(f"{where}.price_deduction is given only with sme = price_deduction")
    return E.Policies(
        sme=sme,
        **({"price_deduction": deduction} if deduction is not None else {}),
        imports=_yes_no(given, where, "imports", "接受进口产品"),
        consortium=_yes_no(given, where, "consortium", "接受联合体投标"),
    )


def obtaining(payload: Mapping[str, Any]) -> E.Obtaining | None:
    """``payload.obtaining``: where, how and at what price the documents are obtained."""
    given = payload.get("obtaining")
    if given is None:
        return None
    where = "payload.obtaining"
    if not isinstance(given, dict):
        raise Invalid(f"{where} must be an object: place, method, price")
    fields.only(given, ("place", "method", "price"), where)
    price = Money.parse(given.get("price"), f"{where}.price")  # 0.00: free
    return E.Obtaining(
        place=text.parse_line(given.get("place"), f"{where}.place", limit=200),
        method=text.parse_line(given.get("method"), f"{where}.method", limit=100),
        price=price,
    )


def experts(payload: Mapping[str, Any]) -> list[E.Expert] | None:
    """``payload.experts``: a single source's 专业人员 and their 论证意见."""
    given = payload.get("experts")
    if given is None:
        return None
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_EXPERTS:
        raise Invalid(
            f"payload.experts must list the 1–{MAX_EXPERTS} 专业人员 who gave the 论证意见, "
            f"each with name, unit, title and opinion ({EXPERTS_CITATION})"
        )
    found = []
    for n, expert in enumerate(given):
        where = f"payload.experts[{n}]"
        if not isinstance(expert, dict):
            raise Invalid(f"{where} must be an object: name, unit, title, opinion")
        fields.only(expert, ("name", "unit", "title", "opinion"), where)
        found.append(E.Expert(
            name=text.parse_line(expert.get("name"), f"{where}.name", limit=50),
            unit=text.parse_line(expert.get("unit"), f"{where}.unit", limit=100),
            title=text.parse_line(expert.get("title"), f"{where}.title", limit=50),
            opinion=text.parse_requirement(expert.get("opinion"), f"{where}.opinion"),
        ))  # fmt: skip
    return found


def _yes_no(given: Mapping[str, Any], where: str, name: str, what: str) -> bool:
    value = given.get(name)
    if not isinstance(value, bool):
        raise Invalid(f"{where}.{name} must be true or false (是否{what})")
    return value
