"""A command's payload checked against its schema (``payloads``): every field error at once,
each with its JSON path and a Chinese message.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ledger.domain.errors import FieldErrors
from ledger.domain.schema.payloads import PAYLOADS

#: What pydantic's own checks (of a list, an object, an unknown field) mean, in Chinese.
MESSAGES: Final = {
    "missing": "必填",
    "extra_forbidden": "本命令没有这一项",
    "model_type": "应为对象（{…}）",
    "dict_type": "应为对象（{…}）",
    "list_type": "应为列表（[…]）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "date_type": '应为日期，写作"YYYY-MM-DD"',
    "date_from_datetime_parsing": '应为日期，写作"YYYY-MM-DD"',
    "literal_error": "应为下列之一：{expected}",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "string_pattern_mismatch": "格式不对",
}


def path(loc: Sequence[int | str]) -> str:
    """``payload.items[0].quantity`` for pydantic's ``("items", 0, "quantity")``."""
    where = "payload"
    for step in loc:
        where += f"[{step}]" if isinstance(step, int) else f".{step}"
    return where


def message(error: ErrorDetails) -> str:
    if error["type"] == "payload_field":  # ours, already in Chinese
        return error["msg"]
    context = error.get("ctx", {})
    if error["type"] in ("too_short", "too_long"):
        low, high = context.get("min_length"), context.get("max_length")
        return f"至少{low}项" if error["type"] == "too_short" else f"至多{high}项"
    template = MESSAGES.get(error["type"])
    if template is None:
        return f"不符合要求（{error['msg']}）"
    return template.format(**{k: v for k, v in context.items() if isinstance(k, str)})


def field_errors(kind: str, payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every error of ``payload`` against the schema of the command ``kind``, as (path,
    message); none for a kind without a schema (the ledger refuses it by its type)."""
    schema = PAYLOADS.get(kind)
    if schema is None:
        return []
    try:
        schema.model_validate(payload)
    except ValidationError as refused:
        return [(path(e["loc"]), message(e)) for e in refused.errors(include_url=False)]
    return []


def check_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """Refuse (``FieldErrors``, 422) a payload with any field not of its schema."""
    errors = field_errors(kind, payload)
    if errors:
        raise FieldErrors(errors)
