"""What each leaf does to the red flags: one handler per entry kind (``handle``).

A handler updates what ``flag_procurements`` knows of the procurement, then runs the rules
the leaf can change (``rules``, ``groups``) and starts or stops statutory clocks (``clocks``);
``run.Run`` carries the leaf, the cursor and the writer. The findings the ledger attached are
turned into flags after the handler, by ``Run.findings``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, assert_never

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.reader import LogReader
from projections.flags import (
    acceptance,
    committees,
    debarment,
    framework,
    late_bid,
    prequalified,
    qualifications,
    rules,
    unbudgeted,
)
from projections.flags import groups as flag_groups
from projections.flags.clocks import CLOCKS
from projections.flags.kinds import FlagKind
from projections.flags.run import Run, finding_subject
from projections.flags.store import flag_id
from projections.web.formats import chinese_date

K = FlagKind
#: Splitting groups that need the 品目 the tender lists: a plan joins them at its tender.
AT_TENDER = ("catalogue", "budget_item_and_catalogue")


def _organisation(run: Run, d: E.OrganisationRegistered | E.OrganisationAmended) -> None:
    """The registry's organisation as of this leaf: the bidders of an opening are compared
    as the registry knew them then (shared_contact)."""
    if isinstance(d, E.OrganisationRegistered):
        run.cur.execute(
            "INSERT INTO flag_organisations (code, name, kind, address, address_leaf, telephone, "
            "telephone_leaf) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
            (d.code, d.name, d.kind.value, d.address, run.index, d.telephone,
             None if d.telephone is None else run.index),
        )  # fmt: skip
        return
    changed: dict[str, Any] = {} if d.name is None else {"name": d.name}
    for column in ("address", "telephone"):
        value = getattr(d, column)
        if value is not None:
            changed |= {column: value, f"{column}_leaf": run.index}
    if changed:
        assignments = ", ".join(f"{k} = ?" for k in changed)
        run.cur.execute(
            f"UPDATE flag_organisations SET {assignments} WHERE code = ?",  # noqa: S608
            (*changed.values(), d.code),
        )


def _plan_filed(run: Run, d: E.PlanFiled) -> None:
    config = run.config
    budget, day = d.budget.fen, d.date
    category, method = d.category.value, d.method.value
    group = None
    if config.table("splitting")["group_by"] not in AT_TENDER and _splits(
        run, method, category, budget, d.region
    ):
        group = rules.split_group(config, d.purchaser, category, d.title, day, d.region,
                                  budget_item=_budget_item(d))  # fmt: skip
    period = rules.period_key(day, config.table("single_source_overuse")["period"])
    run.cur.execute(
        "INSERT INTO flag_procurements (code, purchaser, title, category, method, budget_fen, "
        "plan_leaf, plan_date, plan_status, plan_period, split_group, bids, results) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'filed', ?, ?, '{}', '{}')",
        (run.code, d.purchaser, d.title, category, method, budget, run.index, run.on, period,
         group),
    )  # fmt: skip
    run.set(stem=rules.title_stem(d.title))
    flag_groups.after_failure(run, d.rationale)
    _brand(run, d.requirement, "采购需求")
    qualifications.check(run, d.requirement, "采购需求")
    flag_groups.single_source(run, d.purchaser, period)
    if group is not None:
        flag_groups.splitting(run, group)
    unbudgeted.filed(run, d)


def _splits(run: Run, method: str, category: str, budget: int, region: str) -> bool:
    """Whether a plan may be a piece of a split: a method the flag watches, under the
    open-tender threshold of its category and region."""
    threshold = run.config.threshold_fen(category, region)
    return method in run.config.methods("splitting") and bool(threshold) and budget < (
        threshold or 0)


def _budget_item(plan: E.PlanFiled) -> str | None:
    return None if plan.budget_item is None else plan.budget_item.code


def _split_by_catalogue(run: Run, d: E.TenderAnnounced) -> None:
    """Grouped by 品目, a plan joins its group when its tender lists what it buys."""
    row = run.row()
    if row["split_group"] is not None or row["plan_status"] == "rejected":
        return
    plan = parse_entry(LogReader.entries_in(run.cur, int(row["plan_leaf"]), 1)[0]).data
    assert isinstance(plan, E.PlanFiled)
    if not _splits(run, row["method"], row["category"], int(row["budget_fen"]), plan.region):
        return
    catalogue = d.items[0].catalogue if d.items else None
    group = rules.split_group(run.config, row["purchaser"], row["category"], row["title"],
                              date.fromisoformat(row["plan_date"]), plan.region, catalogue,
                              _budget_item(plan))  # fmt: skip
    run.set(split_group=group)
    flag_groups.splitting(run, group)


def _plan_approved(run: Run, d: E.PlanApproved) -> None:
    run.set(plan_status="approved")
    note = "采购计划批复（晚于采购活动）"
    run.w.add_to_existing(flag_id(K.PROCURE_FIRST_FILE_LATER, run.code), [run.me(note)])


def _plan_rejected(run: Run, d: E.PlanRejected) -> None:
    row = run.row()
    run.set(plan_status="rejected")
    flag_groups.single_source(run, row["purchaser"], row["plan_period"])
    if row["split_group"] is not None:
        flag_groups.splitting(run, row["split_group"])


def _method_approved(run: Run, d: E.MethodApproved) -> None:
    run.set(method_leaf=run.index)
    row, rationale = run.row(), d.rationale
    for kind in (K.PROCURE_FIRST_FILE_LATER, K.NON_OPEN_WITHOUT_RATIONALE):
        run.w.add_to_existing(flag_id(kind, run.code), [run.me("采购方式批准（晚于采购活动）")])
    if row["method"] != "open_tender" and rules.empty_rationale(rationale, run.config):
        run.flag(
            K.NON_OPEN_WITHOUT_RATIONALE, f"采购方式批准理由空泛：“{rationale[:40]}”",
            {"rationale": rationale, "method": row["method"]},
            [*run.leaf("plan_leaf", "采购计划（采购方式）"), run.me("批准理由")],
        )  # fmt: skip


def _intention(run: Run, d: E.IntentionDisclosed) -> None:
    run.set(intention_leaf=run.index)


def _tender(run: Run, d: E.TenderAnnounced) -> None:
    run.set(tender_leaf=run.index, tender_date=run.on, deadline=_day(d.bid_deadline),
            deadline_leaf=run.index)  # fmt: skip
    if d.ceiling_price is not None:  # 最高限价, against which a discount is measured
        run.set(ceiling_fen=d.ceiling_price.fen, ceiling_leaf=run.index)
    if d.items:  # the 品目 classes it buys, for a winner across unrelated categories
        digits = run.config.number("winner_across_categories", "digits")
        run.set(sections=",".join(sorted({i.catalogue[: 1 + digits] for i in d.items})))
    _brand(run, d.requirement, "采购公告")
    if run.config.table("splitting")["group_by"] in AT_TENDER:
        _split_by_catalogue(run, d)
    imports = bool(d.policies and d.policies.imports)
    qualifications.check(run, d.requirement, "采购公告采购需求", imports)
    qualifications.check(run, d.qualifications, "采购公告资格要求", imports)
    framework.tender(run, d)


def _correction(run: Run, d: E.AnnouncementCorrected) -> None:
    if d.bid_deadline:
        run.set(deadline=_day(d.bid_deadline), deadline_leaf=run.index)
    _brand(run, d.changes, "更正公告")
    qualifications.check(run, d.changes, "更正公告", qualifications.tender_admits_imports(run))


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _brand(run: Run, text: str, where: str) -> None:
    found = rules.brand_matches(text, run.config)
    if not found:
        return
    matches = [{"term": m.term, "snippet": m.snippet, "where": where, "leaf": run.index}
               for m in found]  # fmt: skip
    summary = f"{where}写明品牌或型号：“{found[0].snippet[:40]}”"
    evidence = [run.me(f"{where}：{found[0].term}")]
    run.flag(K.DESIGNATED_BRAND, summary, {"matches": matches}, evidence)


def _opened(run: Run, d: E.BidsOpened) -> None:
    row, config = run.row(), run.config
    bids = dict(row["bids"])
    for bid in d.bids:
        value = bid.price.value
        entry = dict(bids.get(bid.supplier, {}))
        entry["fen"] = rules.fen(value) if isinstance(value, str) else None
        bids[bid.supplier] = entry
    run.set(bids=bids, opened_leaf=run.index, opened_date=run.on)
    opened = run.me("开标：公开各投标报价")
    _shared_contact(run, sorted({bid.supplier for bid in d.bids}))
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
        price = next(b.fen for b in _bids(bids) if b.supplier == groups[0][0])
        run.flag(
            K.IDENTICAL_BID_PRICES,
            f"{'、'.join(run.name(s) for s in groups[0])}报价均为{rules.wan(price or 0)}",
            {"groups": groups}, [opened],  # the opening discloses every sealed bid
        )  # fmt: skip


def _shared_contact(run: Run, bidders: list[str]) -> None:
    """Bidders of one opening with the same telephone or address in the registry as it stood
    at the opening (Cardinal R044)."""
    table = run.config.table("shared_contact")
    if run.row()["method"] not in table["methods"] or len(bidders) < 2:
        return
    marks = ", ".join("?" for _ in bidders)
    found = run.cur.execute(
        "SELECT code, name, address, address_leaf, telephone, telephone_leaf "  # noqa: S608
        f"FROM flag_organisations WHERE code IN ({marks}) ORDER BY code",
        bidders,
    ).fetchall()
    known = {row[0]: row for row in found}
    contacts = {code: {"address": row[2], "telephone": row[4]} for code, row in known.items()}
    shared = rules.shared_contacts(contacts, table["fields"])
    if not shared:
        return
    said = []
    evidence = [run.me("开标：投标人名单")]
    for field, value, suppliers in shared:
        names = [str(known[s][1]) for s in suppliers]
        said.append({"field": field, "label": rules.CONTACT_FIELDS[field], "value": value,
                     "suppliers": suppliers, "names": names})  # fmt: skip
        at, label = (3 if field == "address" else 5), rules.CONTACT_FIELDS[field]
        evidence += [(int(known[s][at]), f"登记{label}：{known[s][1]} {value}")
                     for s in suppliers if known[s][at] is not None]  # fmt: skip
    first = said[0]
    run.flag(
        K.SHARED_CONTACT,
        f"{'、'.join(first['names'])}登记的{first['label']}相同（{first['value']}）",
        {"shared": said, "bidders": len(bidders),
         "facts": [{"label": f"相同{s['label']}", "value": f"{s['value']}：{'、'.join(s['names'])}"}
                   for s in said]},
        evidence,
    )  # fmt: skip


def _bids(bids: dict[str, Any]) -> list[rules.Bid]:
    return [rules.Bid(s, b.get("fen")) for s, b in sorted(bids.items()) if "fen" in b]


def _evaluated(run: Run, d: E.EvaluationCompleted) -> None:
    results = {r.supplier: r.valid for r in d.results}
    opened = dict(run.row()["bids"])
    for r in d.results:  # what the committee said of each bid, for the award's flags
        if r.supplier in opened:
            said = {"rank": r.rank, "score": r.score, "reason": r.reason}
            opened[r.supplier] = opened[r.supplier] | {
                k: v for k, v in said.items() if v is not None}  # fmt: skip
    run.set(results=results, bids=opened, eval_leaf=run.index)
    bids = _bids(opened)
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


def _award(run: Run, d: E.AwardDecided) -> None:
    config = run.config
    winner, amount = d.supplier, d.amount.fen
    period = rules.period_key(date.fromisoformat(run.on), config.table("repeated_winner")["period"])
    run.set(award_leaf=run.index, award_date=run.on, award_period=period, winner=winner,
            award_fen=amount)  # fmt: skip
    flag_groups.award_rules(run, winner, amount)
    flag_groups.not_top_ranked(run, winner, amount, d.reason)
    late_bid.award(run, winner, amount)
    flag_groups.repeated_winner(run, run.row()["purchaser"], period)
    flag_groups.across_categories(run, winner)
    run.clock("result_announced_after_award", "确定成交后未按期发布结果公告",
              [run.me("确定中标（成交）供应商：结果公告期限起算")])  # fmt: skip


def _result(run: Run, d: E.ResultAnnounced) -> None:
    run.set(result_leaf=run.index)
    run.stop("result_announced_after_award")
    seated = committees.members(d)
    committees.undersized(run, seated)
    committees.recurring(run, seated, d.supplier)
    committees.not_drawn(run, seated)
    _slow_award(run)
    run.clock("contract_signed_after_award_notice", "结果公告后未按期签订合同",
              [run.me("结果公告：合同签订期限起算")])  # fmt: skip


def _slow_award(run: Run) -> None:
    """More than ``max_days`` from the opening to the result notice. Each step on the way
    has its statutory limit (the report, the award, the notice), each found by the ledger;
    the evaluation itself has none, so the whole is measured here."""
    row, table = run.row(), run.config.table("slow_award")
    if row["method"] not in table["methods"] or not row["opened_date"]:
        return
    days = (date.fromisoformat(run.on) - date.fromisoformat(row["opened_date"])).days
    if days <= table["max_days"]:
        return
    steps = [("开标", row["opened_date"])]
    steps += [("确定中标（成交）", row["award_date"])] if row["award_date"] else []
    run.flag(
        K.SLOW_AWARD,
        f"开标后{days}日才发布结果公告，超过{table['max_days']}日",
        {"days": days, "max_days": table["max_days"], "opened": row["opened_date"],
         "facts": [{"label": label, "value": chinese_date(on)} for label, on in steps]
         + [{"label": "结果公告", "value": f"{chinese_date(run.on)}（开标后{days}日）"}]},
        [*run.leaf("opened_leaf", "开标"), *run.leaf("eval_leaf", "评审结果"),
         *run.leaf("award_leaf", "确定中标（成交）"), run.me("结果公告")],
    )  # fmt: skip


def _contract(run: Run, d: E.ContractSigned) -> None:
    run.set(contract_leaf=run.index, contract_fen=d.amount.fen)
    run.stop("contract_signed_after_award_notice")
    run.clock("contract_announced_after_signing", "合同签订后未按期发布合同公告",
              [run.me("签订合同：合同公告期限起算")])  # fmt: skip
    run.clock("contract_filed_after_signing", "合同签订后未按期备案",
              [run.me("签订合同：合同备案期限起算")])  # fmt: skip
    acceptance.contract_signed(run, d)
    framework.agreement_signed(run, d)


def _contract_notice(run: Run, d: E.ContractAnnounced) -> None:
    run.stop("contract_announced_after_signing")


def _closed(run: Run, d: E.ProcurementFailed | E.ProcurementTerminated) -> None:
    """Failed or terminated: no result or contract will follow, so none is overdue."""
    if isinstance(d, E.ProcurementFailed):
        run.set(failed_leaf=run.index, failed_date=run.on)
    for rule in CLOCKS:
        run.stop(rule)
    acceptance.closed(run)


def _challenge_filed(run: Run, d: E.ChallengeFiled | E.ComplaintFiled) -> None:
    run.cur.execute(
        "INSERT INTO flag_streams (number, procurement, filed_leaf) VALUES (?, ?, ?)",
        (d.number, run.code, run.index),
    )
    challenge = isinstance(d, E.ChallengeFiled)
    clock = d.answer_due if isinstance(d, E.ChallengeFiled) else d.decision_due
    if clock is None:
        return
    kind = K.CHALLENGE_UNANSWERED_IN_TIME if challenge else K.COMPLAINT_OVERDUE
    what = "质疑答复" if challenge else "投诉处理决定"
    run.w.start_clock(
        kind, d.number, procurement=run.code, purchaser=run.row()["purchaser"],
        leaf=run.index, due=clock.date, summary=f"{d.number}逾期未作出{what}",
        details={"number": d.number, "provisional": clock.provisional},  # challenger sealed
        evidence=[run.me(f"{'提出质疑' if challenge else '提起投诉'}：{what}期限起算")],
    )  # fmt: skip
    if isinstance(d, E.ComplaintFiled):  # a complaint about an unanswered challenge is more
        fid = flag_id(K.CHALLENGE_UNANSWERED_IN_TIME, d.challenge)  # evidence of it
        run.w.add_to_existing(fid, [run.me("供应商就该质疑提起投诉")])


def _stream_closed(run: Run, d: E.StreamData, challenge: bool) -> None:
    run.cur.execute(
        "UPDATE flag_streams SET closed_leaf = ? WHERE number = ?", (run.index, d.number)
    )
    kind = K.CHALLENGE_UNANSWERED_IN_TIME if challenge else K.COMPLAINT_OVERDUE
    run.w.stop_clock(flag_id(kind, d.number))


def _delivered(run: Run, d: E.NoticeDelivered) -> None:
    """Delivered after all, in time: a failure recorded earlier no longer stands."""
    if not d.findings:
        subject = f"{d.procurement}:notice_published_on_website:{d.notice}:{d.destination}"
        run.w.withdraw(K.LATE_OR_MISSING_NOTICE, subject)


def _reevaluated(run: Run, d: E.TimingReevaluated) -> None:
    """A provisional result the adopted calendar changed: a limit found broken after all is
    flagged, one found kept after all loses the entry's evidence (and the flag, if that was
    all it had). The flag is the one the entry's own finding raised: its subject comes from
    the entry's data, read back from the log."""
    if d.procurement is None or d.change == "confirmed":
        return
    leaves = LogReader.entries_in(run.cur, d.entry, 1)
    if not leaves:
        return
    entry = parse_entry(leaves[0])
    kind = rules.finding_kind(d.after.rule)
    subject = finding_subject(entry.data, d.procurement, d.after.rule)
    if d.change == "withdrawn":
        fid = flag_id(kind, subject)
        run.w.remove_evidence(fid, d.entry)
        left = run.cur.execute("SELECT 1 FROM flag_evidence WHERE flag_id = ?", (fid,))
        if left.fetchone() is None:
            run.w.withdraw(kind, subject)
        return
    said = d.after.model_dump(mode="json")
    detail = {k: said[k] for k in ("rule", "citation", "deadline", "actual")}
    text = d.after.description_zh
    text += f"（日历采纳后重新核算：期限{said['deadline']}，实际{said['actual']}）"
    evidence = [run.me("暂定结果的重新核算"), (d.entry, "原记录（暂定通过）")]
    run.flag(kind, text, {"findings": [detail | {"leaf": d.entry}]}, evidence, subject)


def handle(run: Run) -> None:
    """What this leaf does to the red flags, by its kind."""
    d = run.typed
    match d:
        case E.OrganisationRegistered() | E.OrganisationAmended():
            _organisation(run, d)
        case E.SupplierDebarred():
            debarment.recorded(run, d)
        case E.PlanFiled():
            _plan_filed(run, d)
        case E.PlanApproved():
            _plan_approved(run, d)
        case E.PlanRejected():
            _plan_rejected(run, d)
        case E.MethodApproved():
            _method_approved(run, d)
        case E.IntentionDisclosed():
            _intention(run, d)
        case E.TenderAnnounced():
            _tender(run, d)
        case E.AnnouncementCorrected():
            _correction(run, d)
        case E.BidsOpened():
            _opened(run, d)
            debarment.opened(run, d)
            prequalified.opened(run, d)
        case E.PrequalificationCompleted():
            prequalified.recorded(run, d)
        case E.EvaluationCompleted():
            _evaluated(run, d)
        case E.AwardDecided():
            _award(run, d)
        case E.ResultAnnounced():
            _result(run, d)
        case E.ContractSigned():
            _contract(run, d)
        case E.ContractAnnounced():
            _contract_notice(run, d)
        case E.ContractFiled():
            run.stop("contract_filed_after_signing")
        case E.AcceptanceRecorded():
            acceptance.accepted(run, d)
            acceptance.untested(run, d)
        case E.ProcurementFailed() | E.ProcurementTerminated():
            _closed(run, d)
        case E.ChallengeFiled() | E.ComplaintFiled():
            _challenge_filed(run, d)
        case E.ChallengeAnswered() | E.ChallengeWithdrawn():
            _stream_closed(run, d, challenge=True)
        case E.ComplaintDecided() | E.ComplaintWithdrawn():
            _stream_closed(run, d, challenge=False)
        case E.ComplaintScreened():
            if not d.accepted:  # 不予受理 ends it
                _stream_closed(run, d, challenge=False)
        case E.NoticeDelivered():
            _delivered(run, d)
        case (
            E.ActorRegistered() | E.KeyRegistered() | E.KeyRevoked()
            | E.SupplementaryContractSigned() | E.BidDepositsRefunded()
            | E.CandidatesPublished() | E.TenderReportFiled()
            | E.CallOffSigned() | E.CallOffAnnounced() | E.PrequalificationAnnounced()
            | E.Archived() | E.ProcurementSuspended() | E.ProcurementResumed()
            | E.NoticeDeliveryFailed() | E.SealedValueRead() | E.BidBoxClosed() | E.BidCommitted()
        ):  # fmt: skip
            return  # nothing these change; their findings are turned into flags all the same
        case E.TimingReevaluated():
            _reevaluated(run, d)
        case E.CalendarAdopted() | E.TimeLimitsAdopted():
            return
        case E.ReleaseImported():
            return  # another system's release: our flags judge our own procurements
        case _:
            assert_never(d)
