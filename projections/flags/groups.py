"""The flags an award raises, and the window flags: a group of plans or awards judged as a
whole (splitting, a purchaser's single-source share, a supplier's share of its awards).

A window flag is judged from running totals (``flag_counts``), so a new plan or award costs a
few indexed reads whatever the size of the log. Its evidence is collected from the group's
rows once, when it is first raised, and then grows one leaf at a time; when the group no
longer meets the threshold (a plan rejected, more awards to others) the flag is withdrawn.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.domain.vocabulary import Method
from projections.flags import rules
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.flags.store import Evidence, add_count, count, flag_id
from projections.web.formats import chinese_date

K = FlagKind


def _percent(value: object) -> str:
    return f"{float(str(value)) * 100:.1f}%"


# -- splitting 化整为零 ------------------------------------------------------------------------


def splitting(run: Run, group: str) -> None:
    """A plan joined (or, rejected, left) ``group``: judge the group again.

    Two measures (政府采购法实施条例 第二十八条): the pieces together reach the open-tender
    threshold, each under it; or, each under the 采购限额标准, they together reach that limit,
    so the purchase avoided government procurement altogether."""
    row = run.row()
    joined = row["plan_status"] != "rejected"
    sign = 1 if joined else -1
    budget = int(row["budget_fen"])
    purchaser, category, period, region, item = group.split("|", 4)
    threshold = run.config.threshold_fen(category, region) or 0
    limit = run.config.limit_fen(category, region) or 0
    pieces = add_count(run.cur, f"split_n|{group}", sign)
    total = add_count(run.cur, f"split_fen|{group}", sign * budget)
    under = budget < limit
    small = add_count(run.cur, f"split_lim_n|{group}", sign if under else 0)
    small_total = add_count(run.cur, f"split_lim_fen|{group}", sign * budget if under else 0)
    subject = f"{purchaser}:{category}:{period}:{_short(group)}"
    fid = flag_id(K.SPLITTING, subject)
    least = run.config.number("splitting", "min_pieces")
    bound: int | None  # the pieces counted are those under it (None: all of them)
    if pieces >= least and total >= threshold:
        count_, sum_, figure, bound = pieces, total, threshold, None
    elif limit and small >= least and small_total >= limit:
        count_, sum_, figure, bound = small, small_total, limit, limit
    else:
        run.w.withdraw(K.SPLITTING, subject)
        return
    if not joined:
        run.w.remove_evidence(fid, int(row["plan_leaf"]))
    evidence = [(int(row["plan_leaf"]), f"{row['code']}：预算{rules.wan(budget)}")]
    if joined and not run.w.exists(fid):
        members = run.cur.execute(
            "SELECT code, plan_leaf, budget_fen FROM flag_procurements "
            "WHERE split_group = ? AND plan_status != 'rejected' ORDER BY plan_leaf",
            (group,),
        ).fetchall()
        evidence = [(int(leaf), f"{code}：预算{rules.wan(fen)}") for code, leaf, fen in members
                    if bound is None or int(fen) < bound]  # fmt: skip
    name = "公开招标数额标准" if bound is None else "采购限额标准（规避政府采购）"
    run.w.raise_flag(
        K.SPLITTING, subject, procurement=None, purchaser=purchaser, leaf=run.index, on=run.on,
        summary=f"{rules.period_label(period)}分{count_}次采购“{item}”，合计{rules.wan(sum_)}，"
        f"达到{name}{rules.wan(figure)}",
        details={"item": item, "category": category, "period": period, "pieces": count_,
                 "total_fen": sum_, "threshold_fen": figure,
                 "measure": "open_tender_threshold" if bound is None else "procurement_limit",
                 "region": region},
        evidence=evidence if joined else [],
    )  # fmt: skip


def _short(group: str) -> str:
    """A short ASCII name of the group's item, for the flag's id."""
    return hashlib.sha256(group.encode()).hexdigest()[:10]


# -- single-source share 单一来源采购比例 --------------------------------------------------------


def single_source(run: Run, purchaser: str, period: str) -> None:
    """A plan of ``purchaser`` was filed (or rejected) in ``period``: judge its share."""
    row = run.row()
    sign = 1 if row["plan_status"] != "rejected" else -1
    plans = add_count(run.cur, f"plans|{purchaser}|{period}", sign)
    single = row["method"] == "single_source"
    singles = add_count(run.cur, f"single|{purchaser}|{period}", sign if single else 0)
    table = run.config.table("single_source_overuse")
    ratio = rules.share(singles, plans)
    subject = f"{purchaser}:{period}"
    fid = flag_id(K.SINGLE_SOURCE_OVERUSE, subject)
    if not (singles >= table["min_count"] and ratio > run.config.ratio(
            "single_source_overuse", "max_share")):  # fmt: skip
        run.w.withdraw(K.SINGLE_SOURCE_OVERUSE, subject)
        return
    evidence = []
    if single and sign < 0:
        run.w.remove_evidence(fid, int(row["plan_leaf"]))
    elif single and run.w.exists(fid):
        evidence = [(int(row["plan_leaf"]), f"单一来源采购计划 {row['code']}")]
    elif not run.w.exists(fid):
        found = run.cur.execute(
            "SELECT code, plan_leaf FROM flag_procurements WHERE purchaser = ? AND "
            "plan_period = ? AND method = 'single_source' AND plan_status != 'rejected' "
            "ORDER BY plan_leaf",
            (purchaser, period),
        ).fetchall()
        evidence = [(int(leaf), f"单一来源采购计划 {code}") for code, leaf in found]
    run.w.raise_flag(
        K.SINGLE_SOURCE_OVERUSE, subject, procurement=None, purchaser=purchaser,
        leaf=run.index, on=run.on,
        summary=f"{rules.period_label(period)}单一来源采购{singles}项，占采购计划{plans}项的{_percent(ratio)}",
        details={"period": period, "single_source": singles, "plans": plans,
                 "share": str(ratio), "max_share": table["max_share"]},
        evidence=evidence,
    )  # fmt: skip


# -- repeated winner 同一供应商反复中标 ---------------------------------------------------------


def repeated_winner(run: Run, purchaser: str, period: str) -> None:
    """An award of ``purchaser`` in ``period``: judge its winner, and re-judge the suppliers
    flagged already (their share fell)."""
    row = run.row()
    table = run.config.table("repeated_winner")
    if row["method"] not in table["methods"]:
        return
    winner = row["winner"]
    awards = add_count(run.cur, f"awards|{purchaser}|{period}", 1)
    add_count(run.cur, f"wins|{purchaser}|{period}|{winner}", 1)
    flagged = run.cur.execute(
        "SELECT subject FROM flag_flags WHERE purchaser = ? AND kind = ? ORDER BY subject",
        (purchaser, K.REPEATED_WINNER.value),
    ).fetchall()
    suppliers = {s.rsplit(":", 1)[1] for (s,) in flagged if s.startswith(f"{purchaser}:{period}:")}
    for supplier in sorted(suppliers | {winner}):
        _judge_winner(run, purchaser, period, supplier, awards)


def _judge_winner(run: Run, purchaser: str, period: str, supplier: str, awards: int) -> None:
    wins = count(run.cur, f"wins|{purchaser}|{period}|{supplier}")
    ratio = rules.share(wins, awards)
    subject = f"{purchaser}:{period}:{supplier}"
    fid = flag_id(K.REPEATED_WINNER, subject)
    min_share = run.config.ratio("repeated_winner", "min_share")
    if wins < run.config.number("repeated_winner", "min_wins") or ratio < min_share:
        run.w.withdraw(K.REPEATED_WINNER, subject)
        return
    evidence = []
    if not run.w.exists(fid):
        methods = sorted(run.config.methods("repeated_winner"))
        marks = ", ".join("?" for _ in methods)
        found = run.cur.execute(
            "SELECT code, award_leaf FROM flag_procurements WHERE purchaser = ? AND "  # noqa: S608
            f"award_period = ? AND winner = ? AND method IN ({marks}) ORDER BY award_leaf",
            (purchaser, period, supplier, *methods),
        ).fetchall()
        named = run.name(supplier)
        evidence = [(int(leaf), f"{code}：确定{named}中标（成交）") for code, leaf in found]
    elif supplier == run.row()["winner"]:
        evidence = [run.me(f"{run.code}：确定{run.name(supplier)}中标（成交）")]
    run.w.raise_flag(
        K.REPEATED_WINNER, subject, procurement=None, purchaser=purchaser, leaf=run.index,
        on=run.on,
        summary=f"{rules.period_label(period)}{run.name(supplier)}中标{wins}次，占该采购人{awards}次成交的{_percent(ratio)}",
        details={"period": period, "supplier": supplier, "wins": wins, "awards": awards,
                 "share": str(ratio), "min_share": str(min_share)},
        evidence=evidence,
    )  # fmt: skip


# -- what an award shows ---------------------------------------------------------------------


def award_rules(run: Run, winner: str, amount: int) -> None:
    """Single bid, single valid bidder, fewer than three, all but the winner disqualified,
    award close to budget, a non-open method never approved."""
    row, config = run.row(), run.config
    method, results = row["method"], row["results"]
    bids = len(row["bids"])
    valid = sorted(s for s, ok in results.items() if ok)
    award = run.me(f"确定{run.name(winner)}中标（成交），金额{rules.wan(amount)}")
    opened = run.leaf("opened_leaf", "开标报价")
    evaluated = run.leaf("eval_leaf", "评审结果")
    if method in config.methods("single_bid") and bids == 1:
        run.flag(K.SINGLE_BID, "只收到一份投标（响应）文件即确定成交", {"bids": bids},
                 [*opened, award])  # fmt: skip
    if method in config.methods("single_bidder") and results and len(valid) == 1:
        run.flag(K.SINGLE_BIDDER, f"经评审仅{run.name(valid[0])}一家有效，仍确定成交",
                 {"bids": bids, "valid": valid}, [*evaluated, award])  # fmt: skip
    least = config.number("fewer_than_three_bidders", "min_valid")
    if method in config.methods("fewer_than_three_bidders") and results and len(valid) < least:
        run.flag(K.FEWER_THAN_THREE_BIDDERS, f"有效投标人仅{len(valid)}家，仍确定中标",
                 {"bids": bids, "valid": valid}, [*opened, *evaluated, award])  # fmt: skip
    if bids >= config.number("all_but_winner_disqualified", "min_bids") and valid == [winner]:
        run.flag(K.ALL_BUT_WINNER_DISQUALIFIED, f"{bids}家投标，除中标人外均被认定无效",
                 {"bids": bids, "valid": valid}, [*opened, *evaluated, award])  # fmt: skip
    if method in config.methods("abnormally_low_winner"):
        low = rules.abnormally_low(
            winner, [rules.Bid(s, b.get("fen")) for s, b in sorted(row["bids"].items())], results,
            config.number("abnormally_low_winner", "min_others"),
            config.ratio("abnormally_low_winner", "max_ratio"),
        )  # fmt: skip
        if low is not None:
            run.flag(
                K.ABNORMALLY_LOW_WINNER,
                f"中标（成交）报价为其他有效报价中位数{rules.wan(low[1])}的{_percent(low[0])}",
                {"ratio": str(low[0]), "median_fen": low[1], "amount_fen": amount},
                [*opened, *evaluated, award],
            )  # fmt: skip
    _runner_up_close(run, winner, amount, award)
    _deep_discount(run, amount, award)
    _many_disqualified(run, [*opened, *evaluated, award])
    if method in config.methods("award_close_to_budget"):
        ratio = rules.close_to_budget(
            amount, int(row["budget_fen"]), config.ratio("award_close_to_budget", "min_ratio")
        )
        if ratio is not None:
            run.flag(
                K.AWARD_CLOSE_TO_BUDGET,
                f"成交金额{rules.wan(amount)}为预算{rules.wan(row['budget_fen'])}的"
                f"{_percent(ratio)}",
                {"ratio": str(ratio), "amount_fen": amount, "budget_fen": row["budget_fen"]},
                [*run.leaf("plan_leaf", "采购计划：预算"), award],
            )  # fmt: skip
    # Only at or above the open-tender threshold does a non-open method need approval
    # (政府采购法 第二十七条): below it, none is missing.
    threshold = config.threshold_fen(row["category"])
    needs = threshold is None or int(row["budget_fen"]) >= threshold
    if method != "open_tender" and needs and row["method_leaf"] is None:
        run.flag(
            K.NON_OPEN_WITHOUT_RATIONALE, "非公开招标方式未经财政部门批准即确定成交",
            {"method": method}, [*run.leaf("plan_leaf", "采购计划：采购方式及理由"), award],
        )  # fmt: skip


def not_top_ranked(run: Run, winner: str, amount: int, reason: str | None) -> None:
    """The committee's first-ranked candidate not awarded, and no reason recorded (实施条例
    第四十三条; a reason, as when the first declines under 第四十九条, answers it). The
    ledger's own finding (award_follows_ranking) lands on the same flag; this one says who
    was ranked where, at what price and score."""
    row, table = run.row(), run.config.table("award_not_top_ranked")
    if row["method"] not in table["methods"] or (reason and table["reason_answers"]):
        return
    ranked = sorted((b["rank"], s) for s, b in row["bids"].items() if b.get("rank") is not None)
    if not ranked or ranked[0][1] == winner:
        return
    first = ranked[0][1]
    mine, theirs = row["bids"].get(winner, {}), row["bids"][first]
    place = f"第{mine['rank']}名" if mine.get("rank") else "未排序的供应商"

    def said(bid: dict[str, Any]) -> str:
        price = f"报价{rules.wan(bid['fen'])}" if bid.get("fen") is not None else "报价未公开"
        return price + (f"，得分{bid['score']}" if bid.get("score") else "")

    facts = [
        {"label": "评审排序第一", "value": f"{run.name(first)}（{said(theirs)}）"},
        {"label": "确定中标（成交）", "value": f"{run.name(winner)}，{place}（{said(mine)}），"
                                             f"金额{rules.wan(amount)}"},
        {"label": "理由", "value": reason or "未记录"},
    ]  # fmt: skip
    run.flag(
        K.AWARD_NOT_TOP_RANKED,
        f"评审排序第一的{run.name(first)}未被确定中标，确定了{place}{run.name(winner)}，未记录理由",
        {"first": first, "winner": winner, "winner_rank": mine.get("rank"),
         "reason": reason, "facts": facts},
        [*run.leaf("eval_leaf", "评审报告：候选人排序"),
         run.me(f"确定{run.name(winner)}中标（成交）")],
    )  # fmt: skip


def _price(bid: dict[str, Any]) -> str:
    return "报价未公开" if bid.get("fen") is None else f"报价{rules.wan(bid['fen'])}"


def _runner_up_close(run: Run, winner: str, amount: int, award: Evidence) -> None:
    """Cardinal R024: the runner-up's price within ``max_gap`` of the winner's, as if the
    two knew each other's (equal prices are identical_bid_prices)."""
    row, table = run.row(), run.config.table("runner_up_close")
    mine = row["bids"].get(winner, {}).get("fen")
    if row["method"] not in table["methods"] or mine is None or mine <= 0:
        return
    found = rules.runner_up(winner, row["bids"], row["results"])
    if found is None:
        return
    runner, theirs = found
    exact = Decimal(abs(theirs - mine)) / Decimal(mine)  # to the fen, not the rounded share
    if theirs == mine or exact > run.config.ratio("runner_up_close", "max_gap"):
        return
    gap = rules.share(abs(theirs - mine), mine)
    named = run.name(runner)
    run.flag(
        K.RUNNER_UP_CLOSE,
        f"第二名{named}报价{rules.wan(theirs)}与中标报价{rules.wan(mine)}仅差{_percent(gap)}",
        {"runner_up": runner, "runner_up_fen": theirs, "winner_fen": mine, "gap": str(gap),
         "facts": [{"label": "中标（成交）报价", "value": f"{run.name(winner)} {rules.wan(mine)}"},
                   {"label": "第二名报价", "value": f"{named} {rules.wan(theirs)}"},
                   {"label": "相差",
                    "value": f"{rules.wan(abs(theirs - mine))}（{_percent(gap)}）"}]},
        [*run.leaf("opened_leaf", "开标：各投标报价"), *run.leaf("eval_leaf", "评审结果：排序"),
         award],
    )  # fmt: skip


def _deep_discount(run: Run, amount: int, award: Evidence) -> None:
    """Cardinal R058: the award at most ``max_ratio`` of the 最高限价 (the budget where the
    notice set none): a price so low the work may not be done as asked."""
    row, table = run.row(), run.config.table("deep_discount")
    if row["method"] not in table["methods"]:
        return
    ceiling = row["ceiling_fen"] if row["ceiling_fen"] is not None else int(row["budget_fen"])
    what = "最高限价" if row["ceiling_fen"] is not None else "预算"
    if ceiling <= 0:
        return
    ratio = rules.share(amount, ceiling)
    if ratio > run.config.ratio("deep_discount", "max_ratio"):
        return
    source = (run.leaf("ceiling_leaf", "采购公告：最高限价") if what == "最高限价"
              else run.leaf("plan_leaf", "采购计划：预算"))  # fmt: skip
    run.flag(
        K.DEEP_DISCOUNT,
        f"中标（成交）金额{rules.wan(amount)}仅为{what}{rules.wan(ceiling)}的{_percent(ratio)}",
        {"ratio": str(ratio), "amount_fen": amount, "ceiling_fen": ceiling, "measured": what,
         "facts": [{"label": what, "value": rules.wan(ceiling)},
                   {"label": "中标（成交）金额",
                    "value": f"{rules.wan(amount)}（{_percent(ratio)}）"}]},
        [*source, award],
    )  # fmt: skip


def _many_disqualified(run: Run, evidence: list[Evidence]) -> None:
    """Cardinal R038: at least ``min_share`` of at least ``min_bids`` bids found invalid."""
    row, table = run.row(), run.config.table("many_disqualified")
    results, bids = row["results"], row["bids"]
    if row["method"] not in table["methods"] or len(bids) < table["min_bids"] or not results:
        return
    invalid = sorted(s for s, ok in results.items() if not ok)
    ratio = rules.share(len(invalid), len(bids))
    if ratio < run.config.ratio("many_disqualified", "min_share"):
        return
    facts = [{"label": f"无效投标：{run.name(s)}", "value": f"{_price(bids.get(s, {}))}；"
              f"{bids.get(s, {}).get('reason') or '未载明理由'}"} for s in invalid]  # fmt: skip
    run.flag(
        K.MANY_DISQUALIFIED,
        f"{len(bids)}家投标中{len(invalid)}家被认定无效（{_percent(ratio)}）",
        {"bids": len(bids), "invalid": invalid, "share": str(ratio), "facts": facts},
        evidence,
    )  # fmt: skip


# -- winner across unrelated categories 跨品目中标 ---------------------------------------------


def across_categories(run: Run, winner: str) -> None:
    """Cardinal R048: a supplier winning, in one period, procurements of at least
    ``min_sections`` different 品目 classes (its code's letter and first ``digits`` digits)."""
    row, table = run.row(), run.config.table("winner_across_categories")
    if row["method"] not in table["methods"] or not row["sections"]:
        return
    period = rules.period_key(date.fromisoformat(run.on), table["period"])
    fresh = 0
    for section in row["sections"].split(","):
        fresh += add_count(run.cur, f"won_in|{winner}|{period}|{section}", 1) == 1
    sections = add_count(run.cur, f"sections|{winner}|{period}", fresh)
    if sections < table["min_sections"]:
        return
    subject = f"{winner}:{period}"
    methods = sorted(table["methods"])
    marks = ", ".join("?" for _ in methods)
    won = [
        (code, int(leaf), title, sections_of)
        for code, leaf, title, sections_of, on in run.cur.execute(
            "SELECT code, award_leaf, title, sections, award_date FROM flag_procurements "  # noqa: S608
            f"WHERE winner = ? AND sections IS NOT NULL AND method IN ({marks}) "
            "ORDER BY award_leaf",
            (winner, *methods),
        ).fetchall()
        if rules.period_key(date.fromisoformat(on), table["period"]) == period
    ]  # fmt: skip
    named = run.name(winner)
    by_section: dict[str, list[str]] = {}
    for code, _, _, of in won:
        for section in of.split(","):
            by_section.setdefault(section, []).append(code)
    run.w.raise_flag(
        K.WINNER_ACROSS_CATEGORIES, subject, procurement=None, purchaser=None, leaf=run.index,
        on=run.on,
        summary=f"{rules.period_label(period)}{named}在{sections}个不同品目类别中标："
        f"{'、'.join(sorted(by_section))}",
        details={"supplier": winner, "period": period, "sections": sections,
                 "by_section": by_section, "min_sections": table["min_sections"],
                 "facts": [{"label": f"品目{section}", "value": "、".join(codes)}
                           for section, codes in sorted(by_section.items())]},
        evidence=[(leaf, f"{code}：{title}（品目{of}）确定{named}中标（成交）")
                  for code, leaf, title, of in won],
    )  # fmt: skip


# -- failed tender followed by a non-competitive method 废标后改用非竞争性方式 -------------------


def after_failure(run: Run, rationale: str) -> None:
    """A plan by a non-competitive method (single source, negotiation by default) of the
    same purchaser and item (the title's stem) as a procurement that failed within
    ``within_days`` before: competition was given up after one failed round."""
    row, table = run.row(), run.config.table("failed_then_non_competitive")
    if row["method"] not in table["methods"]:
        return
    earlier = run.cur.execute(
        "SELECT code, title, method, failed_leaf, failed_date FROM flag_procurements "
        "WHERE purchaser = ? AND stem = ? AND failed_leaf IS NOT NULL AND code != ? "
        "ORDER BY failed_leaf DESC",
        (row["purchaser"], row["stem"], run.code),
    ).fetchall()
    today = date.fromisoformat(run.on)
    for code, title, method, leaf, failed_on in earlier:
        days = (today - date.fromisoformat(failed_on)).days
        if 0 <= days <= table["within_days"]:
            was, now = Method(method).label, Method(row["method"]).label
            run.flag(
                K.FAILED_THEN_NON_COMPETITIVE,
                f"{code}（{was}）废标{days}日后，同一项目改为{now}",
                {"failed": code, "failed_method": method, "days": days,
                 "facts": [{"label": "废标项目", "value": f"{code} {title}（{was}），"
                                                        f"{chinese_date(failed_on)}废标"},
                           {"label": "改用方式", "value": f"{now}，{days}日后提交采购计划"},
                           {"label": "采购计划所述理由", "value": rationale or "未载明"}]},
                [(int(leaf), f"{code}废标"), run.me(f"改为{now}的采购计划")],
            )  # fmt: skip
            return
