"""未通过资格预审的供应商投标 (unqualified bidder): a procurement that had a 资格预审 opens a
bid from a supplier its result did not find qualified.

An invited tender invites only suppliers drawn from those who passed its 资格预审 (政府采购法
第三十四条; 财政部令第87号 第十四条), and a works tender that prequalified takes bids from the
qualified only (招标投标法实施条例 第十九条). The ledger takes the bid all the same, for the
bid box cannot know the bidder before the opening, so the flag is raised at the opening on
each such bid, whatever the committee then does with it.
"""

from __future__ import annotations

import orjson

from ledger.domain.schema import entries as E
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.flags.store import dumps


def recorded(run: Run, d: E.PrequalificationCompleted) -> None:
    """Keep who qualified, with the result's leaf for the evidence."""
    run.cur.execute(
        "INSERT INTO flag_prequalified (procurement, leaf_index, qualified) VALUES (?, ?, ?)",
        (d.procurement, run.index, dumps(d.qualified)),
    )


def opened(run: Run, d: E.BidsOpened) -> None:
    """An opening: each bidder not among the qualified raises the flag."""
    row = run.cur.execute(
        "SELECT leaf_index, qualified FROM flag_prequalified WHERE procurement = ?",
        (d.procurement,),
    ).fetchone()
    if row is None:
        return  # no 资格预审 recorded: any supplier may bid
    leaf, qualified = int(row[0]), list(orjson.loads(row[1]))
    for bid in d.bids:
        if bid.supplier in qualified:
            continue
        name = run.name(bid.supplier)
        run.flag(
            FlagKind.UNQUALIFIED_BIDDER,
            f"{name}不在资格预审合格供应商名单中，却参加了投标",
            {"supplier": bid.supplier, "supplier_name": name, "qualified": qualified,
             "opened_on": d.date.isoformat()},
            [(leaf, "资格预审结果：合格供应商名单"), run.me(f"开标：{name}的投标")],
            subject=f"{run.code}:unqualified:{bid.supplier}",
        )  # fmt: skip
