"""The demo organisations' identities: 统一社会信用代码, addresses, contacts and a supplier's
declared 中小企业 status, each derived from the organisation's code, so every build is the same.

The codes are well formed (GB 32100-2015, with the 组织机构代码's own check character of
GB 11714-1997 inside) and fictional: their 行政区划 digits name prefecture 99 of a province,
which no real registering office has, so no real body or company holds one of them.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from demo.catalogue import contact
from ledger.domain.credit_code import ALPHABET, check_character

#: A code's region prefix → the fictional 行政区划码 of its registering office.
REGIONS: Final[dict[str, str]] = {
    "qhx": "139901",  # 澄溪县 itself
    "czs": "139900",  # 澄州市, the city above it
    "xt": "139902",
    "hb": "139903",
    "sjz": "139904",
    "hs": "139905",
    "bj": "119901",
    "sd": "379901",
}
#: Suppliers registered with another's telephone: a sign of collusion (demo flag case).
SHARES_TELEPHONE: Final = {"qhx-ruitai": "qhx-ruifeng"}
#: 主体标识码 characters (GB 11714: digits and capitals) and their check weights.
_ORG_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
#: Streets of 澄溪县 an organisation's address is on.
STREETS: Final = (
    "长江路", "武松路", "青溪大道", "文昌街", "兴业路", "滨河路", "工业园一路", "育才路",
)  # fmt: skip
#: How a supplier's declared status falls out of its code's digest, by tenths.
_SME_BY_TENTH: Final = ("medium", "medium", "small", "small", "small", "small",
                        "micro", "micro", "micro", "not_sme")  # fmt: skip


def _digest(code: str) -> bytes:
    return hashlib.sha256(f"demo-identity:{code}".encode()).digest()


def _organisation_code(code: str) -> str:
    """A 9-character 组织机构代码: eight from the digest, then its check character."""
    body = "".join("0123456789"[b % 10] for b in _digest(code)[:8])
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _authority(name: str, kind: str) -> str:
    """登记管理部门 and 机构类别: 工商 enterprise, 机构编制 机关 or 事业单位."""
    if kind in ("supplier", "agency") and "公司" in name:
        return "91"
    if name.endswith(("医院", "保健院", "中心", "中学", "小学", "学校")):
        return "12"
    return "11"


def credit_code(code: str, name: str, kind: str) -> str:
    first17 = (
        _authority(name, kind)
        + REGIONS.get(code.split("-")[0], REGIONS["qhx"])
        + _organisation_code(code)
    )
    assert all(c in ALPHABET for c in first17)
    return first17 + check_character(first17)


def address(code: str) -> str:
    digest = _digest(code)
    street = STREETS[digest[10] % len(STREETS)]
    return f"澄溪县{street}{digest[11] % 180 + 1}号"


def sme(code: str, name: str) -> str:
    if "集团" in name:
        return "not_sme"
    return _SME_BY_TENTH[_digest(code)[12] % 10]


def identity(code: str, name: str, kind: str) -> dict[str, Any]:
    """The identity fields of a RegisterOrganisation for this demo organisation."""
    person, telephone = contact(code).split(" ")
    telephone = contact(SHARES_TELEPHONE.get(code, code)).split(" ")[1]
    fields: dict[str, Any] = {
        "credit_code": credit_code(code, name, kind),
        "address": address(code),
        "contact": person,
        "telephone": telephone,
    }
    if kind == "supplier":
        fields["sme"] = sme(code, name)
    return fields
