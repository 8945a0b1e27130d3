"""The kinds of value a command's payload holds, each with its JSON Schema and a Chinese
message when a value is not of it: dates, minutes, amounts, codes, texts, choices.

Each kind is an ``Annotated`` type whose validator refuses what the domain's parser would
refuse for its form (``ledger.domain.text``, ``money``, ``fields``), and whose schema says
the same to a client that builds a form or generates code. What needs the ledger's state
(a registered supplier, a date after the last act) stays the domain's to check.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from ledger.domain.text import MAX_YEAR, MIN_YEAR, REQUIREMENT_MAX
from ledger.domain.vocabulary import Role, Term

#: Chinese names of the roles, which the vocabulary keeps as bare codes.
ROLE_LABELS: Final = {
    Role.PURCHASER: "采购人",
    Role.AGENCY: "采购代理机构",
    Role.FINANCE_OFFICE: "财政部门（采购办）",
    Role.SUPPLIER: "供应商",
    Role.INSPECTOR: "监督检查机关",
    Role.PUBLISHER: "公告发布服务",
    Role.BID_BOX: "电子投标箱服务",
    Role.EVALUATION_EXPERT: "评审专家",
    Role.SUPERVISION_DEPARTMENT: "行政监督部门",
    Role.IMPORTER: "数据导入服务",
}
# Control characters other than LF and TAB, lone surrogates, bidi controls (``text``).
_FORBIDDEN: Final = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)
_NOT_ONE_LINE: Final = re.compile("[\n\t]")


class Payload(BaseModel):
    """A command's payload: every field it may carry, none other."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Check:
    """A field's check and its JSON Schema, as ``Annotated`` metadata: ``Annotated[str,
    line(100)]`` is then a type mypy reads and a validator pydantic runs."""

    valid: Callable[[object], object]
    schema: dict[str, Any] = field(default_factory=dict)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.valid)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return dict(self.schema)


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("payload_field", message)


def formatted(
    pattern: str, message: str, *, fmt: str | None = None, example: str | None = None
) -> Check:
    """A string of ``pattern``; ``message`` says in Chinese what it must be."""
    regex = re.compile(pattern)

    def valid(value: object) -> str:
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise _refuse(message)
        return value

    # x-message: the same Chinese sentence for a browser that checks the form first.
    schema: dict[str, Any] = {"type": "string", "pattern": f"^{pattern}$", "x-message": message}
    if fmt is not None:
        schema["format"] = fmt
    if example is not None:
        schema["examples"] = [example]
    return Check(valid, schema)


def _day(value: object) -> str:
    if not isinstance(value, str) or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is None:
        raise _refuse('应为日期，写作"YYYY-MM-DD"，如"2026-11-20"')
    try:
        year = date.fromisoformat(value).year
    except ValueError:
        raise _refuse(f"{value}不是日历上的日子") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(f"年份应在{MIN_YEAR}—{MAX_YEAR}年之间")
    return value


#: A day in China, ``YYYY-MM-DD``.
Day = Annotated[
    str, Check(_day, {"type": "string", "format": "date", "examples": ["2026-11-20"]})
]
#: A minute in Beijing time, ``HH:MM``.
Minute = Annotated[str, formatted(
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]", '应为北京时间，精确到分钟，写作"HH:MM"，如"09:30"',
    example="09:30",
)]  # fmt: skip
#: An amount in yuan, a string with at most two decimals (``money``).
Amount = Annotated[str, formatted(
    r"(?:0|[1-9][0-9]{0,13})(?:\.[0-9]{1,2})?",
    '应为以元为单位的金额，写成字符串，最多两位小数，如"1234567.89"（不用数字、逗号或空格）',
    example="1234567.89",
)]
#: An organisation's, actor's or destination's code (``fields.code``).
Code = Annotated[str, formatted(
    r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]", "应为登记的代码：3—64位小写字母、数字或“-”",
    example="qhx-rmyy",
)]  # fmt: skip
#: An RFC 3339 time with its offset.
Moment = Annotated[str, formatted(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})",
    '应为带时区的时间（RFC 3339），如"2026-11-20T09:30:00+08:00"',
    fmt="date-time",
)]
#: Standard base64 of 32 bytes: a commitment, a digest.
Base64Digest = Annotated[
    str, formatted(r"[A-Za-z0-9+/]{43}=", "应为32字节的base64编码（44个字符）")
]
#: An Ed25519 public key, standard base64 of its 32 bytes.
PublicKey = Annotated[
    str, formatted(r"[A-Za-z0-9+/]{43}=", "应为Ed25519公钥：32字节的base64编码（44个字符）")
]
#: A SHA-256 in lower-case hex.
HexDigest = Annotated[str, formatted(r"[0-9a-f]{64}", "应为SHA-256摘要：64位小写十六进制")]
#: A key id: the first 16 hex digits of the key's SHA-256.
KeyId = Annotated[str, formatted(r"[0-9a-f]{16}", "应为密钥编号：16位小写十六进制")]
#: A code of the 政府采购品目分类目录 (``subject.CATALOGUE``).
Catalogue = Annotated[str, formatted(
    r"[ABC][0-9]{2}(?:[0-9]{2}){0,4}",
    "应为政府采购品目分类目录的编码：A（货物）、B（工程）或C（服务）加2—8位数字，如A02010104",
    example="A02010104",
)]
#: A positive quantity with up to three decimals, as a string (``subject.QUANTITY``).
Quantity = Annotated[str, formatted(
    r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,3})?", '应为数量，写成字符串，最多三位小数，如"12"或"2.5"',
    example="12",
)]  # fmt: skip
#: A score written as a string (``"92.50"``).
Score = Annotated[
    str, formatted(r"[0-9]{1,7}(?:\.[0-9]*)?|\.[0-9]+", '应为评分，写成字符串，如"92.50"')
]
#: A 统一社会信用代码: 18 characters of GB 32100-2015 (its check digits: the domain's).
CreditCode = Annotated[str, formatted(
    r"[0-9A-HJ-NPQRTUWXY]{18}", "应为18位统一社会信用代码（数字和大写字母，不含I、O、S、V、Z）"
)]
#: A landline with its 区号 or a mobile number (``identity.TELEPHONE``).
Telephone = Annotated[str, formatted(
    r"(?:\+86[- ]?)?(?:0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?|1[3-9][0-9]{9})",
    "应为带区号的固定电话（如0571-88881234）或11位手机号",
    example="0571-88881234",
)]


def _text(limit: int, *, one_line: bool, blank: bool = False) -> Check:
    def valid(value: object) -> str:
        if not isinstance(value, str):
            raise _refuse("应为文本")
        if not blank and not value.strip():
            raise _refuse("不能为空")
        if len(value) > limit:
            raise _refuse(f"不能超过{limit}个字（现为{len(value)}个）")
        if _FORBIDDEN.search(value):
            raise _refuse("含有控制字符或文字方向控制符，只能是文字")
        if one_line and _NOT_ONE_LINE.search(value):
            raise _refuse("应为一行文字，不能换行或含制表符")
        return value

    schema: dict[str, Any] = {"type": "string", "maxLength": limit}
    if not blank:
        schema["minLength"] = 1
    return Check(valid, schema)


def line(limit: int, *, blank: bool = False) -> Check:
    """One line of at most ``limit`` characters (a name, a unit, a 文号); not blank unless
    ``blank``."""
    return _text(limit, one_line=True, blank=blank)


#: A text of lines (采购需求, 理由, 答复), at most ``REQUIREMENT_MAX`` characters.
Text = Annotated[str, _text(REQUIREMENT_MAX, one_line=False)]
#: The same, where it may be left blank (an optional note).
MaybeText = Annotated[str, _text(REQUIREMENT_MAX, one_line=False, blank=True)]


def raw(limit: int) -> Check:
    """Any non-empty text of at most ``limit`` characters (an imported release's JSON)."""

    def valid(value: object) -> str:
        if not isinstance(value, str) or not value or len(value) > limit:
            raise _refuse(f"应为不超过{limit}个字符的非空文本")
        return value

    return Check(valid, {"type": "string", "minLength": 1, "maxLength": limit})


def choice(enum: type[StrEnum]) -> Check:
    """One of a closed vocabulary, by its code; the schema lists each code's Chinese name."""
    if issubclass(enum, Term):
        return choice_of(enum.labels())
    return choice_of({r.value: ROLE_LABELS[Role(r)] for r in enum})


def choice_of(labels: Mapping[str, str]) -> Check:
    """One of ``labels``' codes."""
    allowed = "、".join(f"{code}（{label}）" for code, label in labels.items())

    def valid(value: object) -> str:
        if not isinstance(value, str) or value not in labels:
            raise _refuse(f"应为下列之一：{allowed}")
        return value

    schema = {
        "type": "string",
        "enum": list(labels),
        "x-enum-descriptions": list(labels.values()),
    }
    return Check(valid, schema)


def count(low: int, high: int, what: str = "整数") -> Check:
    """A whole number from ``low`` to ``high`` (a JSON integer, not a string or true)."""

    def valid(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _refuse(f"应为{low}到{high}之间的{what}")
        return value

    return Check(valid, {"type": "integer", "minimum": low, "maximum": high})


def _yes_no(value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse("应为 true（是）或 false（否）")
    return value


#: true or false.
YesNo = Annotated[bool, Check(_yes_no, {"type": "boolean"})]
