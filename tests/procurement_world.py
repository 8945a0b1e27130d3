"""A county with a purchaser, its agency, three suppliers and an inspector, and the steps
of an open tender, for tests that run procurements through the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from conftest import Actor, World

from ledger import signing
from ledger.domain.sealed import Disclosure

PLAN = {
    "title": "澄溪县人民医院彩色多普勒超声诊断仪采购项目",
    "category": "goods",
    "method": "open_tender",
    "budget": "1850000.00",
    "agency": "ggzy",
    "requirement": "彩色多普勒超声诊断仪1台，含三年保修。",
    "date": "2026-03-02",
}


#: The tender notice ``to_announced`` records (its deadline 2026-05-06 09:30).
ANNOUNCEMENT = {
    "date": "2026-04-10",
    "requirement": "技术参数见采购文件第三章。",
    "qualifications": "具有医疗器械经营许可证。",
    "contact": "刘洋 0319-8123456",
    "bid_deadline": "2026-05-06", "bid_deadline_time": "09:30",
    "place": "澄溪县公共资源交易中心开标一室",
}


class County:
    """A world with a purchaser, its agency, three suppliers and an inspector."""

    def __init__(self, world: World):
        """The county registered in ``world``, unless it already is (a world copied from
        conftest's ``county`` template, ``pytest.mark.world("county")``)."""
        if "ggzy-op" not in world.actors:
            world.add("ggzy", "agency", "ggzy-op", "澄溪县公共资源交易中心")
            for org, name in (("xinda", "云岭信达信息技术有限公司"), ("huamei", "华美办公用品")):
                world.add(org, "supplier", f"{org}-op", name)
            world.add("qhx-jw", "inspector", "jw-op", "澄溪县纪委监委")
            world.add("jyj", "purchaser", "jyj-op", "澄溪县教育局")
            world.register_bid_box()
        self.world = world
        self.ledger = world.ledger
        self.finance = world.admin
        self.purchaser = world.actors["rmyy-op"]
        self.agency = world.actors["ggzy-op"]
        self.suppliers = [world.actors[code] for code in ("kangtai-op", "xinda-op", "huamei-op")]
        self.inspector = world.actors["jw-op"]
        self.other_purchaser = world.actors["jyj-op"]

    def act(
        self,
        actor: Actor,
        kind: str,
        payload: dict[str, Any],
        procurement: str = "p1",
        sealed: dict[str, Disclosure] | None = None,
    ) -> Any:
        return self.world.submit(actor, kind, payload, procurement=procurement, sealed=sealed)

    def leaf(self, receipt: Any, n: int = 0) -> dict[str, Any]:
        index = receipt.events[n]["leaf_index"]
        leaf: dict[str, Any] = orjson.loads(self.ledger.reader.entry(index))
        return leaf

    def bid(
        self, supplier: Actor, price: str, on: str = "2026-04-20", time: str | None = None,
        **kw: Any,
    ) -> Any:
        sealed: dict[str, Disclosure] = {}
        payload = {"date": on, "price": signing.sealed_value(price, sealed)}
        payload |= {"time": time} if time else {}
        return self.act(supplier, "SubmitBid", payload, sealed=sealed, **kw)

    @staticmethod
    def sealed_price(receipt: Any) -> str:
        """The commitment to the price inside a sealed bid, from the supplier's receipt."""
        command = orjson.loads(receipt.bid_receipt["envelope"]["command"])
        return str(command["payload"]["price"]["commitment"])

    def to_announced(
        self, code: str = "p1", notice: dict[str, Any] | None = None, **plan: Any
    ) -> None:
        """``code`` planned, approved and announced; ``notice`` adds to the notice."""
        self.act(self.purchaser, "FilePlan", PLAN | plan, code)
        self.act(self.finance, "ApprovePlan", {"date": "2026-03-03"}, code)
        self.act(
            self.finance, "ApproveMethod", {"date": "2026-03-03", "rationale": "预算较大"}, code
        )
        self.act(
            self.purchaser,
            "DiscloseIntention",
            {"date": "2026-03-04", "expected_start": "2026-04-10"},
            code,
        )
        self.act(self.agency, "AnnounceTender", ANNOUNCEMENT | (notice or {}), code)

    def to_evaluated(
        self,
        prices: tuple[str, ...] = ("1790000.00", "1720000.00", "1805000.00"),
        notice: dict[str, Any] | None = None,
        selections: tuple[dict[str, Any], ...] = (),
        **plan: Any,
    ) -> tuple[Any, Any]:
        """``selections``: how the committee's experts were selected (none: not said)."""
        self.to_announced(notice=notice, **plan)
        for supplier, price in zip(self.suppliers, prices, strict=False):
            self.bid(supplier, price)
        _, opened = self.world.close_and_open(self.agency, "2026-05-06")
        committee: dict[str, Disclosure] = {}
        # 最低评标价法: the committee ranks the bids by price, the lowest first.
        order = sorted(range(len(prices)), key=lambda n: Decimal(prices[n]))
        results = [
            {"supplier": s.organisation, "valid": True, "rank": order.index(n) + 1}
            for n, s in enumerate(self.suppliers[: len(prices)])
        ]
        payload = self.world.evaluation("p1", "2026-05-06", results, committee,
                                        selections=selections)  # fmt: skip
        evaluated = self.act(self.agency, "CompleteEvaluation", payload, sealed=committee)
        return opened, evaluated
