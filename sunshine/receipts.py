"""What `sunshine submit` prints: a one-line receipt in Chinese when the ledger recorded the
command, each field error on a line of its own when it refused it."""

from __future__ import annotations

import json
from typing import Any

#: Commands about an organisation, whose page in the directory shows what they recorded.
ORGANISATION_COMMANDS = frozenset({"RegisterOrganisation", "AmendOrganisation", "RecordDebarment"})


def public_page(url: str, command: dict[str, Any], index: int | None) -> str:
    """Where the public sees what the command recorded: its procurement's page, the
    organisation's page in the directory, else the log entry itself."""
    base = url.rstrip("/")
    payload = command.get("payload") or {}
    if command.get("procurement"):
        return f"{base}/procurements/{command['procurement']}"
    if command.get("type") in ORGANISATION_COMMANDS and isinstance(payload.get("code"), str):
        return f"{base}/organisations/{payload['code']}"
    return f"{base}/log/entries/{index}" if index is not None else base


def receipt_lines(url: str, command: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """The receipt in one line, and what the signer must keep besides: a challenge's 查询码,
    a bid's private receipt."""
    events = answer.get("events") or []
    indices = [e["leaf_index"] for e in events if "leaf_index" in e]
    kinds = "、".join(str(e.get("type")) for e in events)
    link = public_page(url, command, indices[0] if indices else None)
    if indices:
        where = "日志序号 " + "、".join(str(i) for i in indices)
        lines = [f"已记录：{command.get('type')}（{kinds}），{where}，公开页面 {link}"]
    else:
        lines = [f"已受理，正在写入日志：{command.get('type')}（{kinds}），稍后见 {link}"]
    lookup = answer.get("lookup")
    if isinstance(lookup, dict) and "code" in lookup:
        lines.append(f"质疑编号 {lookup.get('challenge')}，查询码 {lookup['code']}（请妥善保存）")
    if answer.get("bid_receipt") is not None:
        kept = json.dumps(answer["bid_receipt"], ensure_ascii=False, separators=(",", ":"))
        lines.append("投标回执（请妥善保存，`sunshine verify --bid-receipt` 用它核对）：" + kept)
    return lines


def refusal_lines(status: int, answer: object) -> list[str]:
    """The refusal: its message, and each field error with its path."""
    if not isinstance(answer, dict):
        return [f"命令被拒绝（HTTP {status}）"]
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        lines = [f"命令被拒绝（HTTP {status}）：有{len(errors)}处字段错误"]
        lines += [f"  {e.get('field')}：{e.get('message')}" for e in errors if isinstance(e, dict)]
        return lines
    return [f"命令被拒绝（HTTP {status}，{answer.get('code')}）：{answer.get('message')}"]
