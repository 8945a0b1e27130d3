"""最后递交的投标中标 (Cardinal R030, late bid won): the winning bid was the last envelope
into the box before the deadline.

Cardinal's R030 flags a bid received after the deadline; here the bid box closes at the
deadline and takes nothing later, so the indicator asks the question that is left: did the
last bidder in win, as a bidder who knew the others' offers would? Only what is public after
the opening is read: the opening discloses the effective bids in the order they came
(``BidsOpened.bids``). With n bids an honest last bidder wins about one time in n, so the
flag asks an inspector to look, it accuses nobody.
"""

from __future__ import annotations

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.reader import LogReader
from projections.flags.kinds import FlagKind
from projections.flags.run import Run


def bid_order(run: Run) -> list[str]:
    """The suppliers in the order their bids came, as the opening disclosed them."""
    leaf = run.row().get("opened_leaf")
    leaves = [] if leaf is None else LogReader.entries_in(run.cur, int(leaf), 1)
    opened = parse_entry(leaves[0]).data if leaves else None
    return [b.supplier for b in opened.bids] if isinstance(opened, E.BidsOpened) else []


def award(run: Run, winner: str, amount_fen: int) -> None:
    """An award: raise the flag if ``winner`` bid last of at least ``min_bids``."""
    config = run.config
    if run.row()["method"] not in config.methods("late_bid_won"):
        return
    order = bid_order(run)
    if len(order) < config.number("late_bid_won", "min_bids") or order[-1] != winner:
        return
    named = [run.name(s) for s in order]
    run.flag(
        FlagKind.LATE_BID_WON,
        f"中标（成交）供应商{named[-1]}的投标是{len(order)}份中最后递交的一份",
        {"order": order, "order_names": named, "bids": len(order), "winner": winner,
         "amount_fen": amount_fen},
        [*run.leaf("opened_leaf", f"开标：投标递交顺序 {'→'.join(named)}"),
         run.me(f"确定{named[-1]}中标（成交）")],
    )  # fmt: skip
