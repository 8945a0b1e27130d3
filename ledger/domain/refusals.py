"""A refusal in Chinese for the people who record: the ledger's messages name the rule and
its terms for operators and API clients; the workbench shows what each means in Chinese.

Where the message itself carries a Chinese sentence after its rule (``rule x.y: 投标截止…;
an envelope…``) that sentence is the answer; else the code's meaning, with the step's
Chinese name where the message gives one (``approve_plan (批复采购计划) may be…``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: What each refusal's code means to the official who recorded it.
MEANINGS: Final[Mapping[str, str]] = MappingProxyType({
    "forbidden": "您所在单位的身份无权记录这一事项",
    "lifecycle": "此时不能记录这一步骤（采购程序的先后或期限不允许）",
    "exists": "这一事项已经记录过，不能重复记录",
    "conflict": "与账本中已有的记录不符",
    "invalid": "所填内容不符合规定",
    "invalid_fields": "所填内容不符合规定",
    "malformed": "命令的格式有误",
    "bad_request": "请求的格式有误",
    "bad_signature": "签名无效：内容在签名后被改动，或与签名密钥不符",
    "unknown_key": "签名密钥尚未登记",
    "revoked_key": "签名密钥已被吊销",
    "already_revoked": "这一签名密钥已经吊销",
    "replayed_nonce": "这份记录已经提交过",
    "not_fresh": "签名已超过有效时间，请重新签名提交",
    "not_found": "所指的项目或记录不存在",
    "unknown_procurement": "账本中没有这一采购项目",
    "unknown_organisation": "账本中没有这一单位",
    "unknown_actor": "账本中没有这一人员",
    "unknown_challenge": "账本中没有这一质疑",
    "unknown_complaint": "账本中没有这一投诉",
    "not_superseded": "修改或撤回投标，须指明本单位最近一次投标回执中的承诺值",
    "concurrent_change": "同一项目刚有其他记录，请重新提交",
    "too_large": "内容过大",
    "read_only": "本服务器由只读副本提供查阅，不能记录；请向主服务器提交",
})  # fmt: skip

_RULE: Final = re.compile(r"^rule [\w.]+: ")
_CJK: Final = re.compile(r"[\u4e00-\u9fff]")
_STEP: Final = re.compile(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)")


def in_chinese(code: str, message: str) -> str:
    """What the refusal ``code`` with ``message`` means, in Chinese."""
    if _CJK.match(message):
        return message  # already said in Chinese (the schema's field errors)
    rest = _RULE.sub("", message, count=1)
    if _CJK.match(rest):
        return rest.split("; ", 1)[0]
    meaning = MEANINGS.get(code, "账本不能记录这一事项")
    step = _STEP.search(message)
    return f"{meaning}：{step.group(1)}。" if step else f"{meaning}。"
