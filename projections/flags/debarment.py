"""被禁止参加政府采购活动的供应商参与采购 (debarred supplier): a supplier bids while a finance
office's recorded 禁止参加政府采购活动 period runs (政府采购法 第二十二条第一款第（五）项、
第七十七条; 实施条例 第十九条).

The registry records the debarment (``SupplierDebarred``); the ledger takes the bid all the
same, for the bid box cannot know who bids until the opening, and the committee must find
it ineligible. So the flag is raised at the opening, on every bid of a debarred supplier,
whatever the committee then does with it.
"""

from __future__ import annotations

from ledger.domain.schema import entries as E
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.web.formats import chinese_date


def recorded(run: Run, d: E.SupplierDebarred) -> None:
    """Keep the period, with its leaf for the evidence."""
    run.cur.execute(
        "INSERT INTO flag_debarments (leaf_index, code, since, until, document_number, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (run.index, d.code, d.since.isoformat(), d.until.isoformat(), d.document_number,
         d.reason),
    )  # fmt: skip


def opened(run: Run, d: E.BidsOpened) -> None:
    """An opening: each bidder debarred on its day raises the flag."""
    on = d.date.isoformat()
    for bid in d.bids:
        row = run.cur.execute(
            "SELECT leaf_index, since, until, document_number FROM flag_debarments "
            "WHERE code = ? AND since <= ? AND until >= ? ORDER BY leaf_index LIMIT 1",
            (bid.supplier, on, on),
        ).fetchone()
        if row is None:
            continue
        leaf, since, until, number = row
        name = run.name(bid.supplier)
        run.flag(
            FlagKind.DEBARRED_SUPPLIER,
            f"{name}在禁止参加政府采购活动期间（{chinese_date(since)}至{chinese_date(until)}，"
            f"{number}）投标",
            {"supplier": bid.supplier, "supplier_name": name, "since": since, "until": until,
             "document_number": number, "opened_on": on},
            [(int(leaf), f"记录{name}禁止参加政府采购活动（{number}）"),
             run.me(f"开标：{name}的投标在禁止期内")],
            subject=f"{run.code}:debarred:{bid.supplier}",
        )  # fmt: skip
