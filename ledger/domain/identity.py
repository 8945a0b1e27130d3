"""An organisation's identity as registry commands give it: its 统一社会信用代码, contact
person and telephone, and a supplier's declared 中小企业 status.

Pure. Each reader takes a command payload and a field name and returns the checked value,
or raises ``Invalid`` naming the field. The rules are data with their citations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ledger.domain import fields
from ledger.domain.credit_code import check_credit_code
from ledger.domain.errors import Invalid
from ledger.domain.vocabulary import SmeStatus

#: The identity fields a registration or an amendment may give.
FIELDS: Final = ("credit_code", "contact", "telephone", "sme")
CREDIT_CODE_CITATION: Final = "GB 32100-2015《法人和其他组织统一社会信用代码编码规则》"
SME_CITATION: Final = "财库〔2020〕46号《政府采购促进中小企业发展管理办法》第四条、第十一条"
FORM_CITATION: Final = "《中华人民共和国政府采购法》第七条、第十八条"
#: The statuses that count as 中小企业, and those that count as 小微企业 (财库〔2020〕46号 第二条).
SME: Final = frozenset({SmeStatus.MEDIUM, SmeStatus.SMALL, SmeStatus.MICRO})
SMALL_OR_MICRO: Final = frozenset({SmeStatus.SMALL, SmeStatus.MICRO})

#: A mainland telephone: a landline with its 区号 (0 and 2–3 digits, then 7–8 digits, an
#: optional extension) or an 11-digit mobile number; an optional +86 before either.
TELEPHONE: Final = re.compile(r"(\+86[- ]?)?(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1[3-9]\d{9})\Z")
CONTACT_LIMIT: Final = 50


def credit_code(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise Invalid(f"payload.{name} must be a 统一社会信用代码 (18 characters)")
    problem = check_credit_code(value)
    if problem is not None:
        raise Invalid(f"payload.{name}: {problem}", code="bad_credit_code")
    return value


def telephone(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not TELEPHONE.match(value):
        raise Invalid(
            f"payload.{name}: 联系电话应为带区号的固定电话（如0571-88881234）或11位手机号 / "
            "must be a landline with its area code or a mobile number",
            code="bad_telephone",
        )
    return value


def contact(payload: Mapping[str, Any], name: str) -> str:
    return fields.text(payload, name, limit=CONTACT_LIMIT)


def sme_status(payload: Mapping[str, Any], name: str) -> SmeStatus:
    return SmeStatus.from_payload(payload, name)
