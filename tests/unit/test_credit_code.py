"""统一社会信用代码 (GB 32100-2015): the check character and the structure of a code."""

from __future__ import annotations

import pytest

from ledger.domain.credit_code import ALPHABET, check_character, check_credit_code

#: A code in the published form: an enterprise registered in 福州 (the usual worked example).
VALID = ("91350100M000100Y43",)


@pytest.mark.parametrize("code", VALID)
def test_a_well_formed_code_passes(code: str) -> None:
    assert check_credit_code(code) is None


def test_the_check_character_catches_every_single_change() -> None:
    code = VALID[0]
    for i in range(17):
        for c in ALPHABET:
            if c == code[i]:
                continue
            changed = code[:i] + c + code[i + 1 :]
            if check_credit_code(changed[:17] + check_character(changed[:17])) is not None:
                continue  # the change broke the structure: refused for that reason
            assert check_credit_code(changed) is not None, changed


def test_a_wrong_check_character_names_the_right_one() -> None:
    problem = check_credit_code("91350100M000100Y44")
    assert problem is not None and "校验码应为“3”" in problem


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100YI3", "不允许的字符“I”"),
        ("91350100m000100Y43", "不允许的字符“m”"),
        ("B1350100M000100Y43", "登记管理部门代码“B”不存在"),
        ("94350100M000100Y43", "无机构类别代码“4”"),
        ("9135A100M000100Y43", "行政区划码"),
    ],
)
def test_a_malformed_code_is_refused_with_its_reason(code: str, said: str) -> None:
    problem = check_credit_code(code)
    assert problem is not None and said in problem
