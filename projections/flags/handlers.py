"""What each leaf does to the red flags: one handler per event type (``HANDLERS``).

A handler updates what ``flag_procurements`` knows of the procurement, then runs the rules
the leaf can change (``rules``, ``groups``) and starts or stops statutory clocks (``clocks``);
``run.Run`` carries the leaf, the cursor and the writer. The findings the ledger attached are
turned into flags after the handler, by ``Run.findings``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Final

from projections.flags import groups as flag_groups
from projections.flags import rules
from projections.flags.clocks import CLOCKS
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.flags.store import flag_id

K = FlagKind


def _organisation(run: Run) -> None:
    d = run.data
    if run.type == "OrganisationRegistered":
        run.cur.execute(
            "INSERT INTO flag_organisations (code, name, kind) VALUES (?, ?, ?) "
            "ON CONFLICT (code) DO NOTHING",
            (d["code"], d["name"], d["kind"]),
        )
    elif "name" in d:
        run.cur.execute(
            "UPDATE flag_organisations SET name = ? WHERE code = ?", (d["name"], d["code"])
        )


def _plan_filed(run: Run) -> None:
    d, config = run.data, run.config
    budget, day = rules.fen(d["budget"]), date.fromisoformat(d["date"])
    threshold = config.threshold_fen(d["category"])
    group = None
    if d["method"] in config.methods("splitting") and threshold and budget < threshold:
        group = rules.split_group(config, d["purchaser"], d["category"], d["title"], day)
    period = rules.period_key(day, config.table("single_source_overuse")["period"])
    run.cur.execute(
        "INSERT INTO flag_procurements (code, purchaser, title, category, method, budget_fen, "
        "plan_leaf, plan_date, plan_status, plan_period, split_group, bids, results) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'filed', ?, ?, '{}', '{}')",
        (run.code, d["purchaser"], d["title"], d["category"], d["method"], budget, run.index,
         d["date"], period, group),
    )  # fmt: skip
    _brand(run, d.get("requirement") or "", "采购需求")
    flag_groups.single_source(run, d["purchaser"], period)
    if group is not None:
        flag_groups.splitting(run, group)


def _plan_approved(run: Run) -> None:
    run.set(plan_status="approved")
    note = "采购计划批复（晚于采购活动）"
    run.w.add_to_existing(flag_id(K.PROCURE_FIRST_FILE_LATER, run.code), [run.me(note)])


def _plan_rejected(run: Run) -> None:
    row = run.row()
    run.set(plan_status="rejected")
    flag_groups.single_source(run, row["purchaser"], row["plan_period"])
    if row["split_group"] is not None:
        flag_groups.splitting(run, row["split_group"])


def _method_approved(run: Run) -> None:
    run.set(method_leaf=run.index)
    row, rationale = run.row(), run.data.get("rationale") or ""
    for kind in (K.PROCURE_FIRST_FILE_LATER, K.NON_OPEN_WITHOUT_RATIONALE):
        run.w.add_to_existing(flag_id(kind, run.code), [run.me("采购方式批准（晚于采购活动）")])
    if row["method"] != "open_tender" and rules.empty_rationale(rationale, run.config):
        run.flag(
            K.NON_OPEN_WITHOUT_RATIONALE, f"采购方式批准理由空泛：“{rationale[:40]}”",
            {"rationale": rationale, "method": row["method"]},
            [*run.leaf("plan_leaf", "采购计划（采购方式）"), run.me("批准理由")],
        )  # fmt: skip


def _intention(run: Run) -> None:
    run.set(intention_leaf=run.index)


def _tender(run: Run) -> None:
    run.set(tender_leaf=run.index, tender_date=run.on, deadline=run.data.get("bid_deadline"),
            deadline_leaf=run.index)  # fmt: skip
    _brand(run, run.data.get("requirement") or "", "采购公告")


def _correction(run: Run) -> None:
    if run.data.get("bid_deadline"):
        run.set(deadline=run.data["bid_deadline"], deadline_leaf=run.index)
    _brand(run, run.data.get("changes") or "", "更正公告")


def _brand(run: Run, text: str, where: str) -> None:
    found = rules.brand_matches(text, run.config)
    if not found:
        return
    matches = [{"term": m.term, "snippet": m.snippet, "where": where, "leaf": run.index}
               for m in found]  # fmt: skip
    summary = f"{where}写明品牌或型号：“{found[0].snippet[:40]}”"
    evidence = [run.me(f"{where}：{found[0].term}")]
    run.flag(K.DESIGNATED_BRAND, summary, {"matches": matches}, evidence)


def _bid(run: Run) -> None:
    bids = dict(run.row()["bids"])
    bids[run.data["supplier"]] = {"leaf": run.index}
    run.set(bids=bids)


def _opened(run: Run) -> None:
    row, config = run.row(), run.config
    bids = dict(row["bids"])
    for bid in run.data.get("bids") or ():
        value = bid.get("price", {}).get("value")
        entry = dict(bids.get(bid["supplier"], {}))
        entry["fen"] = rules.fen(value) if isinstance(value, str) else None
        bids[bid["supplier"]] = entry
    run.set(bids=bids, opened_leaf=run.index)
    opened = run.me("开标：公开各投标报价")
    if row["tender_date"] and row["deadline"]:
        short = rules.submission_shortfall(
            config, run.calendar, row["method"], date.fromisoformat(row["tender_date"]),
            date.fromisoformat(row["deadline"]),
        )  # fmt: skip
        if short is not None:
            unit = "个工作日" if short["unit"] == "working_days" else "日"
            run.flag(
                K.SHORT_SUBMISSION_PERIOD,
                f"公告至投标截止仅{short['length']}{unit}，少于{short['limit']}{unit}",
                {"period": short | {"announced": row["tender_date"], "deadline": row["deadline"]}},
                [*run.leaf("tender_leaf", "采购公告"),
                 *run.leaf("deadline_leaf", "确定投标截止时间的公告"), opened],
            )  # fmt: skip
    groups = rules.identical_prices(_bids(bids), config.number("identical_bid_prices", "min_equal"))
    if groups:
        leaves = [(int(bids[s]["leaf"]), f"{s}的投标（密封报价）")
                  for g in groups for s in g if "leaf" in bids[s]]  # fmt: skip
        price = next(b.fen for b in _bids(bids) if b.supplier == groups[0][0])
        run.flag(
            K.IDENTICAL_BID_PRICES,
            f"{'、'.join(run.name(s) for s in groups[0])}报价均为{rules.wan(price or 0)}",
            {"groups": groups}, [opened, *leaves],
        )  # fmt: skip


def _bids(bids: dict[str, Any]) -> list[rules.Bid]:
    return [rules.Bid(s, b.get("fen")) for s, b in sorted(bids.items()) if "fen" in b]


def _evaluated(run: Run) -> None:
    results = {r["supplier"]: bool(r["valid"]) for r in run.data.get("results") or ()}
    run.set(results=results, eval_leaf=run.index)
    bids = _bids(run.row()["bids"])
    if len(bids) < run.config.number("lowest_bid_disqualified", "min_bids"):
        return
    lowest = rules.lowest_disqualified(bids, results)
    if lowest:
        run.flag(
            K.LOWEST_BID_DISQUALIFIED,
            f"报价最低的{'、'.join(run.name(s) for s in lowest)}被认定为无效投标",
            {"suppliers": lowest, "bids": len(bids)},
            [*run.leaf("opened_leaf", "开标报价"), run.me("评审结果")],
        )  # fmt: skip


def _award(run: Run) -> None:
    d, config = run.data, run.config
    winner, amount = d["supplier"], rules.fen(d["amount"])
    period = rules.period_key(date.fromisoformat(run.on), config.table("repeated_winner")["period"])
    run.set(award_leaf=run.index, award_date=run.on, award_period=period, winner=winner,
            award_fen=amount)  # fmt: skip
    flag_groups.award_rules(run, winner, amount)
    flag_groups.repeated_winner(run, run.row()["purchaser"], period)
    run.clock("result_announced_after_award", "确定成交后未按期发布结果公告",
              [run.me("确定中标（成交）供应商：结果公告期限起算")])  # fmt: skip


def _result(run: Run) -> None:
    run.set(result_leaf=run.index)
    run.stop("result_announced_after_award")
    run.clock("contract_signed_after_award_notice", "结果公告后未按期签订合同",
              [run.me("结果公告：合同签订期限起算")])  # fmt: skip


def _contract(run: Run) -> None:
    run.set(contract_leaf=run.index)
    run.stop("contract_signed_after_award_notice")
    run.clock("contract_announced_after_signing", "合同签订后未按期发布合同公告",
              [run.me("签订合同：合同公告期限起算")])  # fmt: skip


def _contract_notice(run: Run) -> None:
    run.stop("contract_announced_after_signing")


def _closed(run: Run) -> None:
    """Failed or terminated: no result or contract will follow, so none is overdue."""
    for rule in CLOCKS:
        run.stop(rule)


def _challenge_filed(run: Run) -> None:
    d = run.data
    run.cur.execute(
        "INSERT INTO flag_streams (number, procurement, filed_leaf) VALUES (?, ?, ?)",
        (d["number"], run.code, run.index),
    )
    clock = d.get("answer_due") or d.get("decision_due") or {}
    due = clock.get("date")
    if not due:
        return
    challenge = run.type == "ChallengeFiled"
    kind = K.CHALLENGE_UNANSWERED_IN_TIME if challenge else K.COMPLAINT_OVERDUE
    what = "质疑答复" if challenge else "投诉处理决定"
    run.w.start_clock(
        kind, d["number"], procurement=run.code, purchaser=run.row()["purchaser"],
        leaf=run.index, due=date.fromisoformat(due), summary=f"{d['number']}逾期未作出{what}",
        details={"number": d["number"], "supplier": d.get("supplier"),
                 "provisional": bool(clock.get("provisional"))},
        evidence=[run.me(f"{'提出质疑' if challenge else '提起投诉'}：{what}期限起算")],
    )  # fmt: skip
    if not challenge:  # a complaint about an unanswered challenge is more evidence of it
        fid = flag_id(K.CHALLENGE_UNANSWERED_IN_TIME, d["challenge"])
        run.w.add_to_existing(fid, [run.me("供应商就该质疑提起投诉")])


def _stream_closed(run: Run) -> None:
    number = run.data["number"]
    run.cur.execute("UPDATE flag_streams SET closed_leaf = ? WHERE number = ?", (run.index, number))
    challenge = run.type.startswith("Challenge")
    kind = K.CHALLENGE_UNANSWERED_IN_TIME if challenge else K.COMPLAINT_OVERDUE
    run.w.stop_clock(flag_id(kind, number))


def _delivered(run: Run) -> None:
    """Delivered after all, in time: a failure recorded earlier no longer stands."""
    d = run.data
    if run.type == "NoticeDelivered" and not d.get("findings"):
        subject = f"{d['procurement']}:notice_published_on_website:{d['notice']}:{d['destination']}"
        run.w.withdraw(K.LATE_OR_MISSING_NOTICE, subject)


HANDLERS: Final[dict[str, Callable[[Run], None]]] = {
    "OrganisationRegistered": _organisation,
    "OrganisationAmended": _organisation,
    "PlanFiled": _plan_filed,
    "PlanApproved": _plan_approved,
    "PlanRejected": _plan_rejected,
    "MethodApproved": _method_approved,
    "IntentionDisclosed": _intention,
    "TenderAnnounced": _tender,
    "AnnouncementCorrected": _correction,
    "BidSubmitted": _bid,
    "BidsOpened": _opened,
    "EvaluationCompleted": _evaluated,
    "AwardDecided": _award,
    "ResultAnnounced": _result,
    "ContractSigned": _contract,
    "ContractAnnounced": _contract_notice,
    "AcceptanceRecorded": lambda run: None,
    "Archived": lambda run: None,
    "ProcurementFailed": _closed,
    "ProcurementTerminated": _closed,
    "ProcurementSuspended": lambda run: None,
    "ProcurementResumed": lambda run: None,
    "ChallengeFiled": _challenge_filed,
    "ComplaintFiled": _challenge_filed,
    "ChallengeAnswered": _stream_closed,
    "ChallengeWithdrawn": _stream_closed,
    "ComplaintDecided": _stream_closed,
    "ComplaintWithdrawn": _stream_closed,
    "NoticeDelivered": _delivered,
    "NoticeDeliveryFailed": lambda run: None,
}
