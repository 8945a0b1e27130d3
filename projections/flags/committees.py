"""The evaluation committee as the result notice discloses it (财政部令第87号 第六十九条):
one too small or with too few experts (``undersized``), an expert who keeps sitting on
committees that award the same supplier (``recurring``), and an expert chosen rather than
drawn at random without the grounds the law asks (``not_drawn``).

The ledger names each expert by the registered actor who signed the report, so an expert is
the same person from one committee to the next whatever the spelling of the name. How each
was selected is in the sealed list since the ledger asks it; a list recorded before says
nothing, and is not judged.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from ledger.domain.committee import MEMBER_ROLES, SELECTIONS
from ledger.domain.schema import entries as E
from projections.flags import rules
from projections.flags.kinds import FlagKind
from projections.flags.run import Run

K = FlagKind


def members(d: E.ResultAnnounced) -> list[dict[str, Any]]:
    """The disclosed members (name, role, and an expert's actor); none before disclosure."""
    value = None if d.committee is None else d.committee.value
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict) and isinstance(m.get("name"), str)]


def undersized(run: Run, seated: list[dict[str, Any]]) -> None:
    """Fewer members than the method's least (7 for a large tender), an even number, or
    experts under the share the law asks."""
    row, table = run.row(), run.config.table("undersized_committee")
    least = table["min_members"].get(row["method"])
    if least is None or not seated:
        return
    large = rules.fen(table["large_budget"])
    if row["method"] in table["large_methods"] and int(row["budget_fen"]) >= large:
        least = max(least, table["large_min_members"])
    size = len(seated)
    experts = sum(1 for m in seated if m.get("role") == "expert")
    share = Fraction(table["expert_share"])
    wrong = []
    if size < least:
        wrong.append(f"{size}人，少于{least}人")
    elif table["odd"] and size % 2 == 0:
        wrong.append(f"{size}人，非单数")
    if Fraction(experts, size) < share:
        wrong.append(f"评审专家{experts}人，不足成员总数的{_share_zh(share)}")
    if not wrong:
        return
    by_role = {
        label: "、".join(m["name"] for m in seated if m.get("role") == role) or "无"
        for role, label in MEMBER_ROLES.items()
    }
    run.flag(
        K.UNDERSIZED_COMMITTEE,
        f"评审委员会（小组）{'；'.join(wrong)}",
        {"members": size, "experts": experts, "least": least, "expert_share": str(share),
         "budget_fen": int(row["budget_fen"]),
         "facts": [{"label": "法定组成", "value": f"{least}人以上"
                    f"{'单数' if table['odd'] else ''}，评审专家不少于{_share_zh(share)}"},
                   {"label": "预算金额", "value": rules.wan(int(row["budget_fen"]))},
                   *({"label": label, "value": names} for label, names in by_role.items())]},
        [*run.leaf("eval_leaf", "完成评审（评审委员会密封）"),
         run.me(f"结果公告公开评审委员会名单：{size}人，评审专家{experts}人")],
    )  # fmt: skip


def _share_zh(share: Fraction) -> str:
    return "三分之二" if share == Fraction(2, 3) else f"{share.denominator}分之{share.numerator}"


def recurring(run: Run, seated: list[dict[str, Any]], winner: str) -> None:
    """Each expert's seat with this award's winner; an expert who sat on ``min_committees``
    committees awarding the same supplier in one period raises the pair's flag."""
    row, table = run.row(), run.config.table("recurring_expert")
    if row["method"] not in table["methods"]:
        return
    period = rules.period_key(date.fromisoformat(run.on), table["period"])
    least = table["min_committees"]
    won = run.name(winner)
    for m in seated:
        expert = m.get("actor")
        if m.get("role") != "expert" or not isinstance(expert, str):
            continue
        run.cur.execute(
            "INSERT INTO flag_seats (expert, winner, period, procurement, name, leaf) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (expert, winner, period, run.code, m["name"], run.index),
        )  # fmt: skip
        seats = run.cur.execute(
            "SELECT procurement, leaf FROM flag_seats WHERE expert = ? AND winner = ? "
            "AND period = ? ORDER BY leaf",
            (expert, winner, period),
        ).fetchall()
        if len(seats) < least:
            continue
        codes = [str(code) for code, _ in seats]
        run.w.raise_flag(
            K.RECURRING_EXPERT, f"{expert}:{winner}:{period}", procurement=None, purchaser=None,
            leaf=run.index, on=run.on,
            summary=f"{rules.period_label(period)}评审专家{m['name']}参加的{len(seats)}个"
            f"评审委员会均确定{won}中标（成交）",
            details={"expert": expert, "expert_name": m["name"], "supplier": winner,
                     "supplier_name": won, "period": period, "committees": len(seats),
                     "min_committees": least, "procurements": codes,
                     "facts": [{"label": "评审专家", "value": m["name"]},
                               {"label": "中标（成交）供应商", "value": won},
                               {"label": "项目", "value": "、".join(codes)}]},
            evidence=[(int(leaf), f"{code}：结果公告公开评审委员会（含{m['name']}），"
                       f"{won}中标（成交）") for code, leaf in seats],
        )  # fmt: skip


def not_drawn(run: Run, seated: list[dict[str, Any]]) -> None:
    """Experts chosen (自行选定) with no consent recorded, or on a method that lets none be
    chosen; the page lists every member with how they were selected."""
    row, table = run.row(), run.config.table("expert_not_drawn")
    allowed = row["method"] in table["chosen_methods"]
    chosen = [m for m in seated if m.get("role") == "expert" and m.get("selection") == "chosen"]
    unconsented = [m["name"] for m in chosen if not isinstance(m.get("consent"), dict)]
    wrong = [m["name"] for m in chosen] if not allowed else unconsented
    if not wrong:
        return
    why = ("所用采购方式不允许自行选定" if not allowed else "未记录主管预算单位同意")
    run.flag(
        K.EXPERT_NOT_DRAWN,
        f"评审专家{'、'.join(wrong)}系采购人自行选定，{why}",
        {"chosen": len(chosen), "unconsented": unconsented, "method_allows": allowed,
         "experts": sum(1 for m in seated if m.get("role") == "expert"),
         "facts": [*({"label": m["name"], "value": _seat(m)} for m in seated),
                   {"label": "依据", "value": table["citation"]}]},
        [*run.leaf("eval_leaf", "完成评审（评审委员会密封）"),
         run.me(f"结果公告公开评审委员会名单：自行选定评审专家{len(chosen)}人")],
    )  # fmt: skip


def _seat(member: dict[str, Any]) -> str:
    """A member's role and, for an expert, how they were selected, as the page says it."""
    role = MEMBER_ROLES.get(str(member.get("role")), "")
    if member.get("role") != "expert":
        return role
    way = SELECTIONS.get(str(member.get("selection")), "未记录选取方式")
    consent = member.get("consent")
    if member.get("selection") == "chosen":
        if isinstance(consent, dict):
            way += f"（经{consent.get('by', '')}同意，{consent.get('reference', '')}）"
        else:
            way += "（未记录主管预算单位同意）"
    return f"{role}，{way}"
