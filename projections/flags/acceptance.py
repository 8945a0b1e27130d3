"""未履约验收: a contract with no acceptance recorded a configurable time after it was signed,
政府采购法 第四十一条.

A clock like the statutory ones (``flag_pending``): the contract starts it, an acceptance
stops it. It is a flag only once overdue on the day asked; an acceptance recorded after the
due day turns it into a raised flag that says how late.

大型项目验收无检测机构: an acceptance of a contract of at least a configured amount that names
no 检测机构 (财库〔2016〕205号 asks large or complex projects to bring one in). Complexity is a
judgement, so only the amount is measured.
"""

from __future__ import annotations

from datetime import date, timedelta

from ledger.domain.schema import entries as E
from projections.flags import rules
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.flags.store import flag_id
from projections.web.formats import chinese_date

K = FlagKind


def contract_signed(run: Run, d: E.ContractSigned) -> None:
    """Start the clock: the signing plus the configured days."""
    table = run.config.table("no_acceptance")
    row = run.row()
    if row["method"] not in table["methods"]:
        return
    due, basis = d.date + timedelta(days=table["days_after_signing"]), "合同签订"
    amount = rules.wan(d.amount.fen)
    run.w.start_clock(
        K.NO_ACCEPTANCE, run.code, procurement=run.code, purchaser=row["purchaser"],
        leaf=run.index, due=due, summary=f"{basis}后逾期未记录履约验收（合同金额{amount}）",
        details={"signed": d.date.isoformat(), "basis": basis, "amount_fen": d.amount.fen,
                 "days": table["days_after_signing"]},
        evidence=[run.me(f"签订合同（{basis}起算验收期限）")],
    )  # fmt: skip


def accepted(run: Run, d: E.AcceptanceRecorded) -> None:
    """Stop the clock; an acceptance after the due day is a flag of how late it came."""
    fid = flag_id(K.NO_ACCEPTANCE, run.code)
    found = run.cur.execute("SELECT due FROM flag_pending WHERE id = ?", (fid,)).fetchone()
    if found is None:
        return
    due = date.fromisoformat(str(found[0]))
    if d.date <= due:
        run.w.stop_clock(fid)
        return
    late = (d.date - due).days
    run.flag(
        K.NO_ACCEPTANCE,
        f"履约验收晚于期限{late}日（期限{chinese_date(due.isoformat())}，"
        f"验收{chinese_date(d.date.isoformat())}）",
        {"due": due.isoformat(), "accepted": d.date.isoformat(), "days_late": late,
         "passed": d.passed},
        [run.me("履约验收（逾期）")],
    )  # fmt: skip


def untested(run: Run, d: E.AcceptanceRecorded) -> None:
    """An acceptance of a contract of ``min_amount`` or more with no testing body."""
    table, row = run.config.table("no_testing_body"), run.row()
    signed = row["contract_fen"]
    if d.testing_body is not None or row["method"] not in table["methods"] or signed is None:
        return
    least = rules.fen(table["min_amount"])
    if int(signed) < least:
        return
    amount, bar = rules.wan(int(signed)), rules.wan(least)
    run.flag(
        K.NO_TESTING_BODY,
        f"合同金额{amount}，履约验收未记录检测机构",
        {"amount_fen": int(signed), "min_amount_fen": least, "passed": d.passed,
         "facts": [{"label": "合同金额", "value": amount},
                   {"label": "设定数额", "value": f"{bar}以上"},
                   {"label": "检测机构", "value": "未记录"},
                   {"label": "依据", "value": table["citation"]}]},
        [*run.leaf("contract_leaf", "签订合同"), run.me("履约验收（未记录检测机构）")],
    )  # fmt: skip


def closed(run: Run) -> None:
    """Failed or terminated: no acceptance will follow."""
    run.w.stop_clock(flag_id(K.NO_ACCEPTANCE, run.code))
