"""采购框架协议外采购 (purchases outside a framework agreement): a purchaser buying, by another
method, an item an agreement in force in its region covers.

A framework agreement (财政部令第110号) admits suppliers for the items of its tender, for a
term its contract states (``ContractSigned.term_ends``); within it, the region's purchasers
call off from the admitted suppliers. A tender of another method listing the same 品目 code,
announced in the same region within the term, bought around it. The log says neither which
purchasers an agreement binds nor whether the purchase was let out of it (a call-off too
small, a need the agreement does not meet), so the flag asks for a look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.reader import LogReader
from projections.flags.kinds import FlagKind
from projections.flags.run import Run
from projections.web.formats import chinese_date

K = FlagKind


def agreement_signed(run: Run, d: E.ContractSigned) -> None:
    """A framework agreement signed with its term: remember the items its tender listed."""
    row = run.row()
    leaf = row.get("tender_leaf")
    if row["method"] != "framework_agreement" or d.term_ends is None or leaf is None:
        return
    found = LogReader.entries_in(run.cur, int(leaf), 1)
    tender = parse_entry(found[0]).data if found else None
    if not isinstance(tender, E.TenderAnnounced) or not tender.items:
        return
    for item in tender.items:
        run.cur.execute(
            "INSERT INTO flag_frameworks (catalogue, region, procurement, item, signed, "
            "term_ends, leaf) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (item.catalogue, tender.region, run.code, item.name, d.date.isoformat(),
             d.term_ends.isoformat(), run.index),
        )  # fmt: skip


@dataclass(frozen=True)
class Covered:
    """An item of the tender an agreement in force covers."""

    item: str
    catalogue: str
    agreement: str
    agreement_item: str
    signed: str
    term_ends: str
    leaf: int

    @property
    def term(self) -> str:
        return f"{chinese_date(self.signed)}至{chinese_date(self.term_ends)}"


def tender(run: Run, d: E.TenderAnnounced) -> None:
    """A tender of another method listing an item an agreement of its region covers on the
    day it is announced; catch-all codes (其他服务) name no item and are left out."""
    table = run.config.table("outside_framework")
    if run.row()["method"] not in table["methods"] or not d.items:
        return
    day = d.date.isoformat()
    covered: list[Covered] = []
    for item in d.items:
        if item.catalogue in table["ignored"]:
            continue
        covered += [
            Covered(item.name, item.catalogue, str(code), str(name), str(signed), str(ends),
                    int(leaf))
            for code, name, signed, ends, leaf in run.cur.execute(
                "SELECT procurement, item, signed, term_ends, leaf FROM flag_frameworks "
                "WHERE catalogue = ? AND region = ? AND signed <= ? AND term_ends >= ? "
                "AND procurement != ? ORDER BY leaf",
                (item.catalogue, d.region, day, day, run.code),
            ).fetchall()
        ]  # fmt: skip
    if not covered:
        return
    first = covered[0]
    run.flag(
        K.OUTSIDE_FRAMEWORK,
        f"“{first.item}”（品目{first.catalogue}）在框架协议{first.agreement}有效期内"
        f"（{first.term}）另行采购",
        {"covered": [asdict(c) for c in covered], "citation": table["citation"],
         "facts": [{"label": f"品目{c.catalogue}",
                    "value": f"本项目“{c.item}”；框架协议{c.agreement}“{c.agreement_item}”，"
                             f"有效期{c.term}"} for c in covered]},
        [*((c.leaf, f"{c.agreement}：签订框架协议（有效期至{chinese_date(c.term_ends)}）")
           for c in covered),
         run.me(f"采购公告：{'、'.join(dict.fromkeys(c.item for c in covered))}")],
    )  # fmt: skip
