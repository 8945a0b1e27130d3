"""The 统一社会信用代码 (unified social credit identifier) of an organisation, as
GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》 defines it.

Pure. Eighteen characters from a 31-character set (the digits and the capitals without I, O,
Z, S and V): the registering authority (1), the kind of organisation (1), the 行政区划 code of
the registering office (6), the 主体标识码 (9, the former 组织机构代码) and a check character
computed over the first seventeen (weights 3ⁱ mod 31, check = 31 − Σ mod 31, 31 written 0).

``check_credit_code`` says what is wrong with a code, in Chinese and English, or nothing.
The registering authorities and their kinds are the standard's 表1, as the ledger reads it (to
be checked against the published text; a new authority or kind is a row here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH: Final = 18

#: 登记管理部门代码 → the 机构类别代码 it may give (GB 32100-2015, 表1).
AUTHORITIES: Final[Mapping[str, str]] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国、港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级、村级、乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


def check_character(first17: str) -> str:
    """The check character of a code's first seventeen characters (all in ``ALPHABET``)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str | None:
    """What is wrong with ``code`` as a 统一社会信用代码, or None when it is well formed."""
    if len(code) != LENGTH:
        return f"统一社会信用代码应为18位（现为{len(code)}位） / must be 18 characters"
    stray = [c for c in code if c not in ALPHABET]
    if stray:
        return (
            f"统一社会信用代码含有不允许的字符“{stray[0]}”（不使用I、O、Z、S、V和小写字母） / "
            f"{stray[0]!r} is not a character of the code"
        )
    kinds = AUTHORITIES.get(code[0])
    if kinds is None:
        return f"登记管理部门代码“{code[0]}”不存在 / no registering authority {code[0]}"
    if code[1] not in kinds:
        return (
            f"登记管理部门“{code[0]}”无机构类别代码“{code[1]}” / "
            f"authority {code[0]} registers no kind {code[1]}"
        )
    if not code[2:8].isdigit():
        return "第3至8位应为登记管理机关行政区划码（6位数字） / characters 3–8 must be digits"
    expected = check_character(code[:17])
    if code[17] != expected:
        return (
            f"校验码应为“{expected}”，而非“{code[17]}” / "
            f"the check character should be {expected}, not {code[17]}"
        )
    return None
