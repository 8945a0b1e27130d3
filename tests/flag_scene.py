"""The red-flag scenes: a county, its ledger and the red-flags projection following it, with
the acts a scenario test takes (plan, tender, bids, evaluation, award) and what it reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import World, hospital_world, make_config
from procurement_world import County

from ledger import signing
from ledger.application import Ledger
from ledger.domain.sealed import Disclosure
from ledger.log.follower import Follower
from ledger.store.url import DatabaseURL
from projections.flags import FlagKind, FlagsProjection
from projections.flags import queries as q

K = FlagKind
TODAY = date(2026, 11, 25)
RATIONALE = "技术复杂或者性质特殊，不能确定详细规格或者具体要求（政府采购法第三十条第二项）"
GOOD = "所投设备须为全新原厂正品，质保期不少于三年；按采购人指定地点送货上门并安装调试。"
#: What a plan names of its money unless a scene says otherwise (a plan naming neither is
#: the flag unbudgeted's).
FUNDED: dict[str, Any] = {
    "funding_source": "general_budget",
    "budget_item": {"code": "2026-RMYY-003", "name": "医疗设备购置"},
}


def receipt_leaf(receipt: Any, n: int = 0) -> int:
    return int(receipt.events[n]["leaf_index"])


@dataclass
class Scene:
    """A county, its ledger and the red-flags projection following it."""

    c: County
    projection: FlagsProjection
    follower: Follower
    leaves: dict[str, int] = field(default_factory=dict)  # "<code>:<step>" -> leaf index

    # -- acts ----------------------------------------------------------------------------

    def act(self, step: str, code: str, actor: Any, kind: str, payload: dict[str, Any],
            sealed: dict[str, Disclosure] | None = None) -> int:
        leaf = receipt_leaf(self.c.act(actor, kind, payload, code, sealed=sealed))
        self.leaves[f"{code}:{step}"] = leaf
        return leaf

    def plan(self, code: str, method: str = "open_tender", budget: str = "1850000.00",
             title: str = "彩色多普勒超声诊断仪采购项目", day: str = "2026-03-02",
             requirement: str = GOOD, category: str = "goods", rationale: str = "",
             funding: dict[str, Any] = FUNDED) -> int:
        payload = {"title": title, "category": category, "method": method, "budget": budget,
                   "agency": "ggzy", "requirement": requirement, "date": day, **funding}
        if rationale:
            payload["rationale"] = rationale
        return self.act("plan", code, self.c.purchaser, "FilePlan", payload)

    def approve(self, code: str, day: str = "2026-03-03", rationale: str = RATIONALE) -> None:
        self.act("approve_plan", code, self.c.finance, "ApprovePlan", {"date": day})
        self.act("approve_method", code, self.c.finance, "ApproveMethod",
                 {"date": day, "rationale": rationale})

    def announce(self, code: str, day: str = "2026-04-10", deadline: str = "2026-05-06",
                 requirement: str = "技术参数见采购文件第三章。", intention: bool = True,
                 items: list[dict[str, str]] | None = None) -> None:
        if intention:
            self.act("intention", code, self.c.purchaser, "DiscloseIntention",
                     {"date": "2026-03-04", "expected_start": day})
        self.act("tender", code, self.c.agency, "AnnounceTender", {
            "date": day, "requirement": requirement, "qualifications": "具有医疗器械经营许可证。",
            "contact": "刘洋 0319-8123456", "bid_deadline": deadline, "bid_deadline_time": "09:30",
            "place": "澄溪县公共资源交易中心开标一室"} | ({"items": items} if items else {}))

    def bid(self, code: str, n: int, price: str, day: str = "2026-04-14") -> int:
        sealed: dict[str, Disclosure] = {}
        payload = {"date": day, "price": signing.sealed_value(price, sealed)}
        supplier = self.c.suppliers[n]
        return self.act(f"bid{n}", code, supplier, "SubmitBid", payload, sealed=sealed)

    def evaluate(self, code: str, prices: tuple[str, ...], invalid: tuple[int, ...] = (),
                 day: str = "2026-05-06", evaluated: str | None = None,
                 committee: dict[str, Any] | None = None) -> None:
        """Bids, the opening and the evaluation; ``committee`` the experts and
        representatives who sit (``World.evaluation``'s keywords), four experts and one
        representative unless said."""
        for n, price in enumerate(prices):
            self.bid(code, n, price)
        self.act("closed", code, self.c.agency, "CloseBidBox", {"date": day, "time": "09:30"})
        self.act("opened", code, self.c.agency, "OpenBids", {"date": day, "time": "09:30"})
        sealed: dict[str, Disclosure] = {}
        results = []
        # 最低评标价法: the committee ranks the valid bids by price, the lowest first.
        ranked = sorted((Decimal(p), n) for n, p in enumerate(prices) if n not in invalid)
        for n in range(len(prices)):
            row: dict[str, Any] = {"supplier": self.c.suppliers[n].organisation,
                                   "valid": n not in invalid}
            if n in invalid:
                row["reason"] = "未按要求提供有效的资格证明文件"
            else:
                row["rank"] = 1 + [m for _, m in ranked].index(n)
            results.append(row)
        evaluation = self.c.world.evaluation(code, evaluated or day, results, sealed,
                                             **(committee or {}))
        self.act("evaluated", code, self.c.agency, "CompleteEvaluation", evaluation,
                 sealed=sealed)

    def award(self, code: str, supplier: str, amount: str, day: str = "2026-05-07") -> int:
        return self.act("award", code, self.c.purchaser, "DecideAward",
                        {"date": day, "supplier": supplier, "amount": amount})

    def finish(self, code: str, amount: str, result: str = "2026-05-08") -> None:
        """The rest of an honest course: result, contract, its notice, its filing 备案 and its
        acceptance 履约验收 (政府采购法 第四十一条), all on time."""
        self.act("result", code, self.c.agency, "AnnounceResult", {"date": result})
        self.act("contract", code, self.c.purchaser, "SignContract",
                 {"date": "2026-05-20", "contract_number": f"HT-{code}", "amount": amount})
        self.act("contract_notice", code, self.c.agency, "AnnounceContract", {"date": "2026-05-21"})
        self.act("contract_filed", code, self.c.purchaser, "FileContract", {"date": "2026-05-22"})
        self.act("acceptance", code, self.c.purchaser, "RecordAcceptance",
                 {"date": "2026-06-30", "passed": True, "report": "验收合格。"})

    def tender_run(self, code: str, prices: tuple[str, ...], winner: int, amount: str,
                   method: str = "open_tender", invalid: tuple[int, ...] = (),
                   budget: str = "1850000.00", finish: bool = True,
                   committee: dict[str, Any] | None = None, **plan: Any) -> None:
        self.plan(code, method=method, budget=budget, **plan)
        self.approve(code)
        self.announce(code)
        self.evaluate(code, prices, invalid, committee=committee)
        self.award(code, self.c.suppliers[winner].organisation, amount)
        if finish:
            self.finish(code, amount)

    # -- reading ---------------------------------------------------------------------------

    def flags(self, today: date = TODAY, **filters: str) -> dict[str, q.Flag]:
        self.follower.catch_up()
        with self.c.ledger.db.read() as cur:
            chosen, _ = q.parse_filters(cur, filters)
            found: dict[str, q.Flag] = {}
            page = 1
            while batch := q.list_flags(cur, chosen, today, page):
                found |= {f.id: f for f in batch}
                page += 1
        return found

    def kinds(self, code: str, today: date = TODAY) -> set[str]:
        return {f.kind for f in self.flags(today).values() if f.procurement == code}

    def evidence(self, fid: str) -> set[int]:
        self.follower.catch_up()
        with self.c.ledger.db.read() as cur:
            return {leaf for leaf, _ in q.evidence(cur, fid)}

    def the(self, kind: FlagKind, code: str, today: date = TODAY) -> q.Flag:
        found = [f for f in self.flags(today).values() if f.kind == kind and f.procurement == code]
        assert len(found) == 1, (kind, code, sorted(self.flags(today)))
        return found[0]

    def at(self, *steps: str) -> set[int]:
        return {self.leaves[s] for s in steps}


def make_scene(world: World) -> Scene:
    county = County(world)
    county.suppliers.append(world.add("tongda", "supplier", "tongda-op", "云岭通达科技有限公司"))
    projection = FlagsProjection()
    follower = Follower(world.ledger.db, projection)
    follower.setup()
    return Scene(county, projection, follower)


def open_world(url: DatabaseURL, tmp_path: Path) -> Iterator[World]:
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True))
    try:
        w = hospital_world(ledger)
        yield w
    finally:
        ledger.close()
