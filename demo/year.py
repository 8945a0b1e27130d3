# Over 400 lines by design: data-like: one generator of a realistic procurement per method, in the
# calendar of the demo year.
"""The demo year: 澄溪县's procurements of 2026, each act a command signed by its actor.

``DemoYear.plan()`` draws the year from ``random.Random(2026)`` and returns every command in
the order of the days its acts happened (``payload.date``, January to 2026-11-20), so the log
reads like the county's year. Most procurements are honest and on time: their dates are
computed with the ledger's own calendar and time-limit table, so no finding is raised by
chance. The few that are not are listed in ``TWISTS`` with what happens and why. Codes
(``qhx-2026-001`` …) follow the order plans were filed, the flag cases
(``catalogue.FLAG_CASES``) numbered after them. Salts of sealed values are fresh on
every run; everything else the ledger records is the same.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from demo import budgets
from demo import catalogue as cat
from demo.catalogue import CONSULTATION, FRAMEWORK, INQUIRY, INVITED, OPEN, SINGLE, Item
from demo.keys import demo_key
from demo.twists import RESULT_DISPUTES, SUSPENDING, TWISTS, T, Twist
from ledger import signing
from ledger.calendar_files import build_calendar, load_time_limits
from ledger.domain.sealed import Disclosure

Payload = dict[str, Any]
Sealed = dict[str, Disclosure]  # commitment -> the value and salt sent beside the command

END: Final = date(2026, 11, 20)  # nothing later is recorded: what is left is in progress
SEED: Final = 2026
CASE_SEED: Final = "one-each"  # the flag cases' generators: "one-each-qhx-2026-154" …
OPENING: Final = "09:30"  # the bid deadline and opening time, China time (87号令 第三十九条)
#: When plans are filed: weighted towards spring, when budgets are released.
MONTHS: Final = (1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 8, 9, 10)


@dataclass
class Step:
    """One command of the year: who signs what, about which procurement, on which day."""

    on: date
    kind: str
    actor: str
    procurement: str
    payload: Payload
    sealed: Sealed = field(default_factory=dict)


class _Pending(Exception):
    """The procurement's next act falls after END: it is still in progress."""


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


#: The city finance office 市财政局 over the county: above the open-tender threshold only a
#: finance office at 设区的市级 or above approves another method (政府采购法 第二十七条).
CITY_FINANCE: Final = ("czs-czj", "澄州市财政局政府采购监督管理处", "澄州市")


#: The expert pool 评审专家库 the committees are drawn from (实施条例 第三十九条): each expert
#: a registered actor who signs the evaluation reports with their own key.
EXPERT_POOL: Final = ("czs-zjk", "澄州市政府采购评审专家库", "澄州市")
EXPERTS: Final = tuple((f"czs-zj{n:02d}", cat.person(120 + n)) for n in range(16))


#: From this contract amount (fen, 1000万元) an acceptance brings in a 检测机构 (财库〔2016〕
#: 205号 asks it of large projects; the red flag's default measure).
LARGE: Final = 10_000_000_00

#: The 行政监督部门 every works tender names (``ledger.domain.works``): the 住建局's office
#: for works tenders, which takes their complaints and written reports.
SUPERVISOR: Final = "qhx-zjj-jd"


def op(organisation: str) -> str:
    """The demo's one actor of an organisation."""
    return f"{organisation}-op"


class DemoYear:
    """The year's plan: ``plan()`` draws it; ``codes`` and ``twists`` say which is which."""

    def __init__(self, names: Mapping[str, str], finance: str) -> None:
        self.names, self.finance = names, finance
        self.approver = op(CITY_FINANCE[0])  # approves methods 采购方式审批
        self.rng = random.Random(SEED)  # noqa: S311 -- a reproducible story, not a secret
        self.calendar, self.limits = build_calendar(), load_time_limits()
        self.codes: dict[str, str] = {}  # item key -> procurement code
        self.decisions = 0  # complaint decisions published so far: their 文号 run on
        self.twists: dict[str, frozenset[Twist]] = {}  # procurement code -> its twists

    # The calendar as the ledger counts it, so on-time acts are on time by its rules.
    def working(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def wd(self, day: date, n: int) -> date:
        return self.calendar.add_working_days(day, n).due

    def due(self, rule: str, start: date) -> date:
        return self.calendar.deadline_for(self.limits[rule], start).due

    def plan(self, copies: int = 1, prefix: str = "qhx-2026") -> list[Step]:
        """The year's commands; ``copies`` > 1 repeats the catalogue (``qhx-2026-2-001`` …)
        for the 10× benchmark and a province's counties (``demo.province``, whose codes
        start with the county's ``prefix``), each copy drawn afresh from the same seeded
        stream."""
        steps: list[Step] = []
        for copy in range(1, copies + 1):
            steps += self._copy(f"{prefix}-" if copy == 1 else f"{prefix}-{copy}-")
        return sorted(steps, key=lambda step: step.on)  # stable: each run keeps its order

    def _copy(self, prefix: str) -> list[Step]:
        fixed = {key: (date.fromisoformat(day), twists) for key, day, twists, _ in TWISTS}
        starts = []
        for item in cat.ITEMS:
            # Works are planned for the building season: filed by June.
            month = self.rng.choice(MONTHS[:15] if item.category == "works" else MONTHS)
            drawn = self.working(date(2026, month, self.rng.randint(1, 28)))
            starts.append(fixed[item.key][0] if item.key in fixed else drawn)
        steps: list[Step] = []
        order = sorted(range(len(cat.ITEMS)), key=lambda n: (starts[n], n))
        for number, n in enumerate(order, 1):
            item, code = cat.ITEMS[n], f"{prefix}{number:03d}"
            self.codes.setdefault(item.key, code)  # the first copy's code names the item
            self.twists[code] = fixed[item.key][1] if item.key in fixed else frozenset()
            steps += Run(self, item, code, starts[n]).steps()
        # The flag cases, numbered after the catalogue and each drawn from a generator of
        # its own: the catalogue's codes and draws stay as they were.
        for number, item in enumerate(cat.FLAG_CASES, len(cat.ITEMS) + 1):
            code = f"{prefix}{number:03d}"
            self.codes.setdefault(item.key, code)
            self.twists[code] = fixed[item.key][1]
            draw = random.Random(f"{CASE_SEED}-{code}")  # noqa: S311 -- a story
            steps += Run(self, item, code, fixed[item.key][0], draw).steps()
        return steps


class Run:
    """One procurement, from its plan to its archive or as far as END allows."""

    def __init__(
        self, year: DemoYear, item: Item, code: str, start: date, rng: random.Random | None = None
    ) -> None:
        self.y, self.item, self.code, self.rng = year, item, code, rng or year.rng
        self.t = year.twists[code]
        self.budget = int(Decimal(item.wan) * 1_000_000)  # 万元 -> fen
        self.purchaser = op(item.purchaser)
        self.agency = self._agency()
        self.runner = op(self.agency or item.purchaser)  # who runs the procedure
        self.last = self.deadline = start  # last: the procurement's latest act
        self.winner, self.rival, self.amount = "", "", 0
        self.quantity, self.unit = 1, "项"  # the tender notice's 采购标的 (subject)
        self.admitted: list[str] = []  # a framework agreement's admitted suppliers 入围
        self.contracted = 0  # the contract's amount, in fen
        self.deposits: list[str] = []  # the bidders whose bid deposits are to be refunded
        self.deposit_asked = False
        self.challenges = self.complaints = 0
        # A works tender follows 招标投标法 (政府采购法实施条例 第七条; ``works``).
        self.works = item.category == "works" and item.method in (OPEN, INVITED)
        self.published = date.min  # the day a works tender's candidates were published
        self.handler = op(SUPERVISOR) if self.works else year.finance  # who handles complaints
        self._steps: list[Step] = []

    def steps(self) -> list[Step]:
        with suppress(_Pending):
            self._run()
        return sorted(self._steps, key=lambda step: step.on)

    def act(self, on: date, kind: str, actor: str, payload: Payload, **kw: Any) -> date:
        """A procurement act: after its last one; past END the procurement stays pending."""
        if on > END:
            raise _Pending
        assert on >= self.last, (self.code, kind, on, self.last)
        self.last = on
        return self._add(on, kind, actor, payload, **kw)

    def side(self, on: date, kind: str, actor: str, payload: Payload) -> date | None:
        """A challenge or complaint act: its own stream, dated apart from the procurement."""
        return None if on > END else self._add(on, kind, actor, payload)

    def _add(
        self, on: date, kind: str, actor: str, payload: Payload, sealed: Sealed | None = None
    ) -> date:
        body = {"date": on.isoformat(), **payload}
        self._steps.append(Step(on, kind, actor, self.code, body, sealed or {}))
        return on

    def _agency(self) -> str | None:
        if self.item.method == FRAMEWORK:
            return "qhx-ggzy"  # framework agreements are run by the centralised agency
        small = self.budget < 100 * 1_000_000
        if self.item.method in (INQUIRY, SINGLE) and small and self.rng.random() < 0.4:
            return None  # a small purchase the purchaser runs itself
        return self.rng.choice(("qhx-ggzy", "qhx-ggzy", "qhx-hyzb", "hb-zhongtai", "xt-zhengxin"))

    def organisation_form(self) -> str:
        """集中采购 through the county's 集中采购机构 (its 公共资源交易中心); the police's
        own system buys 部门集中采购; the rest is 分散采购 (政府采购法 第七条)."""
        if self.agency == "qhx-ggzy":
            return "centralised"
        return "departmental" if self.item.purchaser == "qhx-gaj" else "decentralised"

    # -- the course of a procurement ----------------------------------------------------

    def _run(self) -> None:
        y, t, item = self.y, self.t, self.item
        rationale = cat.RATIONALES.get(item.key) or cat.RATIONALES.get(item.method, "")
        plan = {
            "title": y.names[item.purchaser] + item.stem,
            "category": item.category,
            "method": item.method,
            "budget": yuan(self.budget),
            "agency": self.agency,
            "requirement": cat.REQUIREMENTS[item.sector] + cat.BRANDS.get(item.key, ""),
            "rationale": cat.SOLE_SOURCES[item.key][1] if item.method == SINGLE else rationale,
            "organisation_form": self.organisation_form(),
            **budgets.funding(item, with_item=T.UNBUDGETED not in t),
        }
        filed = self.act(self.last, "FilePlan", self.purchaser, plan)
        if T.REJECTED in t:
            self.act(y.wd(filed, 3), "RejectPlan", y.finance, {"reason": cat.TEXTS["reject"]})
            return
        if T.FILE_LATER not in t:
            self.approve(y.wd(filed, self.rng.randint(1, 3)), cat.TEXTS["approve"])
        announced = self.announce()
        awarded = self.award(announced)
        if awarded is None:
            return
        signed = self.contract(awarded)
        if T.NO_ACCEPTANCE in t:
            return  # performed, never accepted: the contract stays open
        delivered = y.working(signed + timedelta(days=self.delivery_days()))
        if item.method == FRAMEWORK:
            delivered = max(self.call_offs(signed), delivered)
        report: Payload = {"passed": True, "report": cat.ACCEPTANCE[item.category]}
        # A large contract is tested by a 检测机构 before it is accepted (财库〔2016〕205号).
        if self.contracted >= LARGE and T.NO_TESTING_BODY not in t:
            report["testing_body"] = {"name": cat.TESTING_BODIES[item.category],
                                      "report_number": "JC" + self.code[3:].upper()}  # fmt: skip
        if T.SUPPLEMENTED in t:
            self.supplement(signed, delivered)
        accepted = self.act(delivered, "RecordAcceptance", self.purchaser, report)
        self.act(y.wd(accepted, self.rng.randint(3, 10)), "Archive", self.purchaser, {})

    def approve(self, on: date, note: str) -> None:
        self.act(on, "ApprovePlan", self.y.finance, {"note": note})
        if T.NO_METHOD_APPROVAL in self.t:
            return  # below the threshold: no approval is needed (政府采购法 第二十七条)
        if self.item.method == SINGLE:
            return  # approved after its 公示 (实施条例 第三十八条): see award()
        self.act(on, "ApproveMethod", self.y.approver, {})  # the plan states the rationale

    def announce(self) -> date:
        y, t, item = self.y, self.t, self.item
        on = y.wd(self.last, self.rng.randint(1, 3))
        if T.SKIP_INTENTION not in t:
            disclosed = on
            earliest = y.due("intention_disclosed_before_procurement", disclosed)
            on = y.working(earliest + timedelta(days=self.rng.randint(0, 10)))
            if T.SHORT_INTENTION in t:
                on = y.wd(disclosed, 8)
            expected = {"expected_start": on.isoformat(),
                        "summary": f"{item.stem}：{cat.SUMMARIES[item.category]}"}  # fmt: skip
            self.act(disclosed, "DiscloseIntention", self.purchaser, expected)
        notice: Payload = {
            "requirement": f"{item.stem}，{cat.REQUIREMENTS[item.sector]}"
            f"{cat.BRANDS.get(item.key, '')}详细技术参数、商务要求及评审办法见采购文件。",
            "qualifications": cat.QUALIFICATIONS.get(item.sector, "") + cat.COMMON_QUALIFICATIONS,
            "contact": cat.contact(self.agency or item.purchaser),
        }
        if item.method == SINGLE:
            supplier, reason = cat.SOLE_SOURCES[item.key]
            notice |= {"supplier": supplier, "reason": reason}
        else:
            # Half the notices ask a bid deposit 投标（响应）保证金 of 1% of the budget, within
            # the 2% of 实施条例 第三十三条; drawn apart, so the rest of the year stays.
            deposit = random.Random(f"deposit-{self.code}")  # noqa: S311 -- a story
            asked = deposit.random() < 0.5 or T.TERMINATED in self.t  # shows its refund
            if item.method != FRAMEWORK and asked:
                notice["bid_deposit"] = yuan(self.budget // 100 // 100 * 100)
                self.deposit_asked = True
            self.deadline = self.bid_deadline(on)
            notice |= {"bid_deadline": self.deadline.isoformat(), "bid_deadline_time": OPENING,
                       "place": cat.PLACES[self.agency]}  # fmt: skip
            notice |= self.periods(on)
            notice |= {"supervisor": SUPERVISOR} if self.works else {}
            notice["ceiling_price"] = yuan(self.budget)  # 最高限价: as most set it, the budget
        notice |= self.terms(on)
        notice |= self.subject()
        if T.PREQUALIFIED in t:  # 资格预审公告 first; the invitation after the applications
            on = self.prequalify(on, notice)
        self.act(on, "AnnounceTender", self.runner, notice)
        if T.CORRECTED in t:  # the deadline moves: at least 15 days after the correction
            corrected = y.wd(on, self.rng.randint(3, 5))
            later = max(self.deadline + timedelta(days=7), corrected + timedelta(days=15))
            self.deadline = y.working(later)
            # It may affect the bids: lawful, the deadline now far enough (实施条例 第三十一条).
            change = {"changes": cat.TEXTS["correct"], "bid_deadline": self.deadline.isoformat(),
                      "bid_deadline_time": OPENING, "affects_preparation": True}  # fmt: skip
            self.act(corrected, "CorrectAnnouncement", self.runner, change)
        return on

    def prequalify(self, on: date, notice: Payload) -> date:
        """The 资格预审公告 on ``on``: applications for 5 working days (财政部令第87号 第十四条),
        its 公告期限 as long, and its result; the day the invitation to bid goes out, after
        them."""
        y = self.y
        closes = y.wd(on, 5)
        call = {key: notice[key] for key in ("requirement", "qualifications", "contact",
                                             "obtaining")}  # fmt: skip
        call |= {"application_deadline": closes.isoformat(), "period_end": closes.isoformat(),
                 "application_deadline_time": OPENING}  # fmt: skip
        self.act(on, "AnnouncePrequalification", self.runner, call)
        # The result the next working day: the sector's suppliers qualify, one applicant
        # from outside it is refused (87号令 第二十一条). Not drawn, so the rest of the
        # year stays, and the bidders (drawn from the sector later) are all qualified.
        result = {"qualified": list(cat.SECTORS[self.item.sector]),
                  "refused": [{"supplier": cat.PREQUALIFICATION_REFUSED,
                               "reason": cat.TEXTS["prequalification_refused"]}]}  # fmt: skip
        self.act(y.wd(closes, 1), "RecordPrequalification", self.runner, result)
        invited = y.wd(closes, 3)
        # the tender's own periods, counted from the invitation; its deadline moved as far
        # (no new draw, so the rest of the year stays)
        notice |= self.periods(invited)
        self.deadline = y.working(self.deadline + (invited - on))
        notice["bid_deadline"] = self.deadline.isoformat()
        return invited

    def terms(self, on: date) -> Payload:
        """What else the notice states, drawn apart from the rest of the year: a tender its
        政府采购政策 and how its documents are obtained; a single source its 公示's last day
        (5 working days, 实施条例 第三十八条) and three experts' 论证意见."""
        draw = random.Random(f"terms-{self.code}")  # noqa: S311 -- a story
        if self.item.method == SINGLE:
            experts = draw.sample(cat.EXPERTS, 3)
            reason = cat.SOLE_SOURCES[self.item.key][1]
            return {
                "period_end": self.y.wd(on, 5).isoformat(),
                "experts": [{"name": name, "unit": unit, "title": title,
                             "opinion": f"经论证，{reason}，同意采用单一来源方式采购。"}
                            for name, unit, title in experts],
            }  # fmt: skip
        reserved = self.budget <= 2_000_000_00 and draw.random() < 0.6  # 财库〔2020〕46号 第八条
        policies: Payload = {"sme": "reserved" if reserved else "price_deduction",
                             "imports": False, "consortium": draw.random() < 0.3}  # fmt: skip
        if not reserved:
            # 财库〔2022〕19号: 10–20% for goods and services, 3–5% for works
            policies["price_deduction"] = draw.choice((3, 5) if self.works else (10, 15, 20))
        return {"policies": policies, "obtaining": dict(cat.OBTAINING[self.agency])}

    def subject(self) -> Payload:
        """The tender notice's 采购标的 and the minute it went out, drawn apart from the rest
        of the year so the year's other draws stay."""
        item, draw = self.item, random.Random(f"subject-{self.code}")  # noqa: S311 -- a story
        code, unit = cat.ITEM_CODES.get((item.category, item.sector),
                                        cat.OTHER_CODES[item.category])  # fmt: skip
        self.quantity = draw.choice((1, 2, 4, 5)) if item.category == cat.G else 1
        self.unit = unit
        items = [{"name": self.item_name, "catalogue": code, "quantity": str(self.quantity),
                  "unit": unit}]  # fmt: skip
        minute = f"{draw.randint(8, 16):02d}:{draw.choice((0, 15, 30, 45)):02d}"
        return {"items": items, "published_time": minute}

    @property
    def item_name(self) -> str:
        """What is bought, named as its notices list it: the title's stem, less 采购项目."""
        return self.item.stem.removesuffix("采购项目").removesuffix("项目")

    def awarded(self) -> Payload:
        """The result notice's 主要标的 (财政部令第87号 第六十九条) at the awarded price, and
        the agency's 代理服务费 where an agency ran it (1% of the amount here)."""
        count = next(q for q in (self.quantity, 1) if self.amount % q == 0)
        result: Payload = {"items": [{
            "name": self.item_name, "specification": "详见中标（成交）供应商投标（响应）文件",
            "quantity": str(count), "unit": self.unit if count == self.quantity else "批",
            "unit_price": yuan(self.amount // count),
        }]}  # fmt: skip
        if self.agency is not None:
            result["agency_fee"] = yuan(self.amount // 100)
        return result

    def periods(self, on: date) -> Payload:
        """The notice's 公告期限 and the documents' sale, each as long as its rule asks
        (``ledger.domain.periods``), the documents on sale no later than the deadline; a
        supplier obtains them the working day after the notice (and its correction)."""
        y, method, stated = self.y, self.item.method, {}
        period = {OPEN: "tender_announcement_period", INVITED: "tender_announcement_period"}
        rule = period.get(method, "negotiation_announcement_period")
        if method != FRAMEWORK:
            stated["period_end"] = y.due(rule, on).isoformat()
        sale = {OPEN: "tender_documents_on_sale", INVITED: "tender_documents_on_sale",
                CONSULTATION: "consultation_documents_on_sale"}  # fmt: skip
        if self.works:  # 5 days, not 5 working days (招标投标法实施条例 第十六条)
            sale = {method: "works_documents_on_sale"}
        if method in sale:  # a corrected notice's documents are on sale to the deadline
            until = min(y.due(sale[method], on), self.deadline)
            stated["documents_until"] = (self.deadline if T.CORRECTED in self.t else until
                                         ).isoformat()  # fmt: skip
        return stated

    def bid_deadline(self, on: date) -> date:
        y, t, method = self.y, self.t, self.item.method
        jitter = timedelta(days=self.rng.randint(0, 5))
        if method in (OPEN, INVITED):
            if T.SHORT_TENDER in t:
                return y.working(on + timedelta(days=13))
            if T.SUSPENSION_LAPSED in t:  # a long bid period, outlasting the suspension
                return y.working(on + timedelta(days=60))
            return y.working(y.due("tender_documents_to_bid_deadline", on) + jitter)
        if method == CONSULTATION:
            if T.SHORT_CONSULTATION in t:
                return y.wd(on, 4)
            # Over a holiday 10 days may hold fewer than the 5 working days of the documents'
            # sale (214号 第十条): the deadline waits for both.
            first = y.due("consultation_documents_to_first_response", on)
            return y.working(max(first, y.due("consultation_documents_on_sale", on)) + jitter)
        if method == FRAMEWORK:  # stage one's 征集: at least 20 days (财政部令第110号)
            return y.working(y.due("framework_documents_to_response_deadline", on) + jitter)
        # competitive negotiation and inquiry: at least 3 working days
        return y.wd(on, 1 if T.SHORT_NEGOTIATION in t else self.rng.randint(3, 5))

    def award(self, announced: date) -> date | None:
        y, t, item = self.y, self.t, self.item
        if item.method == SINGLE:
            self.winner, self.amount = cat.SOLE_SOURCES[item.key][0], self.price(0.97, 0.995)
            # The 公示 runs ≥ 5 working days before the approval is asked for (实施条例
            # 第三十八条); the ga-bm approval comes on its 2nd day.
            gap = 2 if T.SHORT_SINGLE_SOURCE in t else 5 + self.rng.randint(0, 3)
            if T.FILE_LATER not in t:
                self.act(y.wd(announced, gap), "ApproveMethod", y.approver, {})
            return self.decide(y.wd(self.last, self.rng.randint(0, 2)))
        prices = self.bids(announced)
        self.deposits = list(prices) if self.deposit_asked else []
        # At the deadline the box closes: its set is fixed before anything is opened.
        self.act(self.deadline, "CloseBidBox", self.runner, {"time": OPENING})
        if T.FAILED in t:  # two bids at the deadline: a 招标 is not opened (法 第三十六条)
            self.act(self.deadline, "DeclareFailure", self.runner, {"reason": cat.TEXTS["failure"]})
            return None
        opened = self.act(self.deadline, "OpenBids", self.runner, {"time": OPENING})
        if T.TERMINATED in t:
            # Terminated the working day after the opening; every bidder's deposit refunded
            # within the 5 working days of 财政部令第87号 第二十九条.
            ended = y.wd(opened, 1)
            self.act(ended, "Terminate", self.purchaser, {"reason": cat.TEXTS["terminate"]})
            self.refund(y.wd(ended, self.rng.randint(2, 5)), self.deposits)
            return None
        gap = 25 if T.SLOW_AWARD in t else self.rng.randint(0, 1)  # 25 working days: 5 weeks
        evaluated = self.evaluate(y.wd(opened, gap), prices)
        # The report reaches the purchaser the next working day, within the 2 of 实施条例
        # 第四十三条, and the award follows within 5 of its receipt.
        drawn = y.wd(evaluated, self.rng.randint(1, 3))
        if self.works:  # the award after the candidates' 公示 (招标投标法实施条例 第五十四条)
            return self.decide(y.wd(self.candidates(evaluated), 1))
        return self.decide(drawn, y.wd(evaluated, 1))

    def candidates(self, evaluated: date) -> date:
        """A works tender's candidates 中标候选人 published the working day after the
        evaluation, within the 3 days of 实施条例 第五十四条, for the 3 days it asks; the
        公示's last day."""
        self.published = self.y.wd(evaluated, 1)
        until = self.y.due("works_candidates_published", self.published)
        period = {"period_end": until.isoformat()}
        self.act(self.published, "PublishCandidates", self.runner, period)
        return until

    def decide(self, on: date, report: date | None = None) -> date:
        award: Payload = {"supplier": self.winner, "amount": yuan(self.amount)}
        if self.item.method == FRAMEWORK:
            # Stage one admits several 入围 and eliminates at least a fifth, and at least one
            # (财政部令第110号); the agreement's estimated amount is its budget.
            del award["supplier"]
            self.amount = self.budget
            award |= {"admitted": self.admitted, "amount": yuan(self.amount)}
        if report is not None:
            award["report_received"] = report.isoformat()
        if T.NEXT_RANKED in self.t:  # 实施条例 第四十九条
            award["reason"] = cat.TEXTS["next_ranked"]
        return self.act(on, "DecideAward", self.purchaser, award)

    def price(self, low: float, high: float) -> int:
        """An offer below the budget: works priced to the fen, the rest to the hundred yuan."""
        fen = int(self.budget * self.rng.uniform(low, high))
        return fen if self.item.category == "works" else fen // 10_000 * 10_000

    def bids(self, announced: date) -> dict[str, int]:
        y, t = self.y, self.t
        if T.SINGLE_BID in t or T.FAILED in t:
            count = 1 if T.SINGLE_BID in t else 2
        elif T.FEW_BIDDERS in t or T.NEXT_RANKED in t:
            count = 3
        else:
            count = self.rng.randint(3, 6 if self.item.method == OPEN else 4)
        sector = cat.SECTORS[self.item.sector]
        suppliers = self.rng.sample(sector, min(count, len(sector)))
        if self.item.key in cat.CASE_BIDDERS:  # a flag case: its own bidders, in order
            sector = cat.CASE_BIDDERS[self.item.key]
            suppliers = list(sector)
        low = {"goods": 0.90, "works": 0.94, "services": 0.92}[self.item.category]
        high = (1.01, 1.04) if T.OVER_BUDGET in t else (low, 0.995)
        prices = {supplier: self.price(*high) for supplier in suppliers}
        if T.ACROSS_CATEGORIES in t:  # the first underbids the others' range a little
            prices[suppliers[0]] = self.price(low - 0.04, low)
        if T.LOW_BID in t:  # drawn apart, so the rest of the year's story stays as it was
            low_bid = random.Random(f"low-{self.code}")  # noqa: S311 -- a story
            prices[suppliers[0]] = int(self.budget * low_bid.uniform(0.6, 0.64)) // 10_000 * 10_000
        first = y.wd(self.last, 1)  # after the notice and any correction
        span = max(0, y.calendar.working_days_between(first, self.deadline))
        days = sorted(y.wd(first, self.rng.randint(0, span)) for _ in suppliers)
        if T.DESIGNATED_BRAND in t:
            days[0] = first  # the supplier that objects to the brand bids at once
        if T.SUSPENSION_LAPSED in t:
            days = [first] * len(days)  # all bid at once, before the suspension
        # Each bidder obtained the documents first, and now and then a supplier that does not
        # bid: sealed in the box like the bids (87号令 第二十八条). Drawn from a generator of
        # its own, so the rest of the year's story stays as it was.
        others = [s for s in sector if s not in suppliers]
        extra = random.Random(f"obtain-{self.code}")  # noqa: S311 -- a story, not a secret
        lookers = others[:1] if others and extra.random() < 0.4 else []
        for supplier in [*suppliers, *lookers]:
            # on the deadline day itself, before its minute
            obtained = {"time": "08:15"} if first == self.deadline else {}
            self.act(first, "ObtainDocuments", op(supplier), obtained)
        for supplier, on in zip(suppliers, days, strict=True):
            sealed: Sealed = {}
            bid: Payload = {"price": signing.sealed_value(yuan(prices[supplier]), sealed)}
            if self.rng.random() < 0.35:
                identity = cat.identity_number(self.rng, supplier)
                bid["representative_id"] = signing.sealed_value(identity, sealed)
            if on == self.deadline:  # on the deadline day, before its minute
                bid["time"] = f"08:{self.rng.randint(30, 59)}"
            self.act(on, "SubmitBid", op(supplier), bid, sealed=sealed)
            if T.DESIGNATED_BRAND in t and supplier == suppliers[0]:
                self.dispute(T.DESIGNATED_BRAND, supplier, "documents", y.wd(on, 1))
        if T.SUSPENSION_LAPSED in t:  # the bids are opened after the suspension's lawful end
            self.dispute(T.SUSPENSION_LAPSED, suppliers[0], "documents", y.wd(first, 1))
        return prices

    def evaluate(self, on: date, prices: dict[str, int]) -> date:
        bidders, method = list(prices), self.item.method
        invalid: dict[str, str] = {}
        if T.DEBARRED_BIDDER in self.t:  # the committee finds the debarred one ineligible
            invalid[bidders[0]] = cat.DEBARRED_REASON
        elif T.SOLE_VALID in self.t:  # every other found invalid, each for its reason
            invalid = dict(zip(bidders[1:], cat.INVALID_REASONS, strict=False))
        elif T.FEW_BIDDERS in self.t or (len(bidders) >= 4 and self.rng.random() < 0.3):
            invalid[bidders[-1]] = self.rng.choice(cat.INVALID_REASONS)
        valid = [s for s in bidders if s not in invalid]
        scores: dict[str, str] = {}
        if method in (OPEN, INVITED, CONSULTATION):  # 综合评分法: price and technical scores
            weight = {"goods": 30, "works": 40, "services": 20}[self.item.category]
            lowest = min(prices[s] for s in valid)
            for s in valid:
                technical = Decimal(self.rng.randint(4000, (100 - weight) * 100)) / 100
                total = Decimal(weight * lowest) / prices[s] + technical
                scores[s] = str(total.quantize(Decimal("0.01")))
            ranked = sorted(valid, key=lambda s: -Decimal(scores[s]))
        else:  # 最低评标价法: the lowest valid price wins
            ranked = sorted(valid, key=lambda s: prices[s])
        self.winner, self.amount = ranked[0], prices[ranked[0]]
        self.rival = ranked[1] if len(ranked) > 1 else ""
        if method == FRAMEWORK:
            self.admitted = ranked[: len(ranked) - max(1, -(-len(ranked) // 5))]
            self.rival = ranked[len(self.admitted)]  # eliminated: the one who may object
        if T.NEXT_RANKED in self.t or T.OUT_OF_ORDER in self.t:  # the next in order is awarded
            self.winner, self.amount = ranked[1], prices[ranked[1]]
            self.rival = ranked[0]
        results = []
        for s in bidders:
            row: Payload = {"supplier": s, "valid": s not in invalid}
            row |= {"score": scores[s]} if s in scores else {}
            row |= {"reason": invalid[s]} if s in invalid else {}
            row |= {"rank": ranked.index(s) + 1} if s in ranked else {}
            results.append(row)
        # 87号令 第四十七条: a tender's committee 5, four of them experts, 7 from 1000万元;
        # 74号令 第七条 and 214号 第十四条: the other methods' 3, two of them experts; one
        # purchaser's representative.
        count = 2
        if method in (OPEN, INVITED):
            count = 6 if self.budget >= 1000 * 1_000_000 else 4
        if T.SMALL_COMMITTEE in self.t:
            count = 1  # with the representative two: too few, even, half experts
        chosen = self.rng.sample(EXPERTS, count)
        experts = [(name, actor, demo_key(actor)) for actor, name in chosen]
        representative = [cat.person(self.rng.randint(140, 199))]  # no expert's name
        sealed: Sealed = {}
        evaluation = signing.evaluation(
            self.code, on.isoformat(), results, experts, representative, sealed,
            self.selections(count),
        )
        del evaluation["date"]  # the act dates it, as every step
        return self.act(on, "CompleteEvaluation", self.runner, evaluation, sealed=sealed)

    def selections(self, count: int) -> list[Payload]:
        """How each expert came to sit: drawn at random (实施条例 第三十九条), or, where a
        twist says, the first two chosen by the purchaser (87号令 第四十八条)."""
        ways: list[Payload] = [{"selection": "random"} for _ in range(count)]
        if T.EXPERTS_CHOSEN_UNAPPROVED in self.t:
            ways[:2] = [{"selection": "chosen"}] * 2
        if T.EXPERTS_CHOSEN in self.t:
            consent = {"by": self.y.names["qhx-wjw"], "reason": cat.CHOSEN_EXPERTS,
                       "reference": "澄卫函〔2026〕18号"}  # fmt: skip
            ways[:2] = [{"selection": "chosen", "consent": consent}] * 2
        return ways

    def contract(self, awarded: date) -> date:
        y, t = self.y, self.t
        amount = self.amount
        if T.CONTRACT_DIFFERS in t:  # more than the award, within the budget
            amount = min(self.budget, self.amount * 103 // 100 // 10_000 * 10_000)
        terms = {"contract_number": "QHXHT" + self.code[3:].upper(), "amount": yuan(amount)}
        if self.item.method == FRAMEWORK:  # a year's term (财政部令第110号), from the award
            terms["term_ends"] = (awarded.replace(year=awarded.year + 1) - timedelta(1)).isoformat()
        self.contracted = amount
        # Now and then a performance deposit 履约保证金 of 5%, within the 10% of 实施条例
        # 第四十八条; drawn from a generator of its own, so the rest of the year stays.
        if random.Random(f"performance-{self.code}").random() < 0.4:  # noqa: S311 -- a story
            terms["performance_deposit"] = yuan(amount * 5 // 100 // 100 * 100)
        if T.CONTRACT_BEFORE_RESULT in t:
            signed = self.act(y.wd(awarded, 3), "SignContract", self.purchaser, terms)
        else:
            gap = 5 if T.LATE_RESULT in t else self.rng.randint(0, 2)
            result = self.act(y.wd(awarded, gap), "AnnounceResult", self.runner, self.awarded())
            # The others' bid deposits refunded with the award notice, well within the 5
            # working days of 财政部令第87号 第三十八条.
            self.refund(result, [s for s in self.deposits if s != self.winner])
            if self.works:  # the written report to the 行政监督部门 (招标投标法 第四十七条)
                on = max(y.wd(result, 1), self.last)
                assert on <= y.due("works_written_report", awarded), (self.code, on)
                self.act(on, "FileTenderReport", self.runner, {})
            if T.SUSPENDED_CONTRACT in t:
                signed = self.sign_while_suspended(result, terms)
            else:
                for twist in (d for d in RESULT_DISPUTES if d in t):  # in a fixed order
                    filed = y.wd(result, 11 if twist is T.LATE_CHALLENGE else 2)
                    if self.works:  # an objection 异议 during the candidates' 公示
                        filed = self.published + timedelta(days=1)
                    self.dispute(twist, self.rival, "result", filed)
                drawn = y.working(result + timedelta(days=self.rng.randint(5, 20)))
                on = min(max(drawn, self.last), y.due("contract_signed_after_award_notice", result))
                if T.LATE_CONTRACT in t:
                    on = y.working(result + timedelta(days=42))
                signed = self.act(on, "SignContract", self.purchaser, terms)
        # The winner's (and any still held) refunded once the contract is signed: within 5
        # working days of it (87号令 第三十八条).
        self.refund(max(signed, self.last), self.deposits)
        if T.FILE_LATER in t:
            self.approve(y.wd(signed, 1), cat.TEXTS["approve_late"])
        gap = 6 if T.LATE_CONTRACT_NOTICE in t else self.rng.randint(0, 2)
        stated = {"items": self.awarded()["items"], "place": cat.PERFORMANCE[self.item.category][0],
                  "term": cat.PERFORMANCE[self.item.category][1]}  # fmt: skip
        self.act(max(y.wd(signed, gap), self.last), "AnnounceContract", self.purchaser, stated)
        # Every contract filed 备案 with the finance office within its 7 working days (政府采购法
        # 第四十七条), on the 3rd or after the contract notice: no draw, so the year stays.
        on = max(y.wd(signed, 3), self.last)
        assert on <= y.due("contract_filed_after_signing", signed), (self.code, on)
        self.act(on, "FileContract", self.purchaser, {})
        return signed

    def call_offs(self, signed: date) -> date:
        """Stage two (财政部令第110号): three call-off contracts 采购合同 with admitted
        suppliers, the first chosen directly, then by second bidding and by rotation, each
        announced within its 2 working days; together within the agreement. Drawn from a
        generator of its own, so the rest of the year stays."""
        y, draw = self.y, random.Random(f"call-off-{self.code}")  # noqa: S311 -- a story
        ways = ("direct", "second_bidding", "rotation")
        for n, way in enumerate(ways, 1):
            on = y.wd(max(signed, self.last), draw.randint(8, 20))
            terms = {
                "contract_number": f"QHXDD{self.code[3:].upper()}-{n}",
                "supplier": self.admitted[(n - 1) % len(self.admitted)],
                "selection": way,
                "amount": yuan(self.contracted * draw.randint(15, 30) // 100 // 100 * 100),
            }
            self.act(on, "SignCallOff", self.purchaser, terms)
            notice = y.wd(on, draw.randint(0, 2))
            assert notice <= y.due("call_off_announced_after_signing", on), (self.code, notice)
            self.act(notice, "AnnounceCallOff", self.runner,
                     {"contract_number": terms["contract_number"]})  # fmt: skip
        return self.last

    def refund(self, on: date, suppliers: list[str]) -> None:
        """The bid deposits of ``suppliers`` refunded on ``on``, if there are any."""
        if suppliers:
            self.act(on, "RefundBidDeposits", self.runner, {"suppliers": suppliers})
            self.deposits = [s for s in self.deposits if s not in suppliers]

    def supplement(self, signed: date, delivered: date) -> None:
        """追加: while the contract is performed, more of the same bought from the winner with
        a supplementary contract of 8% of the contract, within the 10% of 政府采购法 第四十九条."""
        on = max(self.last, self.y.wd(signed, 10))
        if on >= delivered:
            return
        terms = {
            "contract_number": "QHXBC" + self.code[3:].upper() + "-1",
            "amount": yuan(self.contracted * 8 // 100 // 100 * 100),
            "content": cat.TEXTS["supplement"],
        }
        self.act(on, "SignSupplementaryContract", self.purchaser, terms)

    def sign_while_suspended(self, result: date, terms: Payload) -> date:
        """A complaint: the finance office handling it suspends the procurement; the
        purchaser signs the contract anyway, inside the 30 days."""
        y, twist = self.y, T.SUSPENDED_CONTRACT
        filed = y.wd(result, 1)
        number = self.challenge(twist, self.rival, "result", filed)
        answered = self.answer(twist, number, y.wd(filed, 1), "rejected")
        complaint = {"challenge": number, "grounds": cat.DISPUTES[twist.value]["complaint"]}
        complained = self.side(y.wd(answered, 1), "FileComplaint", op(self.rival), complaint)
        if complained is None:
            raise _Pending
        self.complaints += 1
        cause = {"reason": cat.TEXTS["suspend"], "cause": f"{self.code}-TS{self.complaints}"}
        self.screen(cause["cause"], complained)
        self.act(complained, "Suspend", y.finance, cause)
        signed = self.act(y.wd(complained, 2), "SignContract", self.purchaser, terms)
        decision = self.decision(cause["cause"], "rejected", cat.DISPUTES[twist.value]["decision"])
        decided = self.side(y.wd(complained, 3), "DecideComplaint", y.finance, decision)
        if decided is None:
            raise _Pending
        y.decisions += 1
        self.act(decided, "Resume", y.finance, {"reason": cat.TEXTS["resume"]})
        return signed

    def decision(self, complaint: str, outcome: str, text: str) -> Payload:
        """A complaint decision as it is published (财政部令第94号 第三十七条): its 文号, numbered
        through the year by the body that decides, and the articles it rests on."""
        if self.works:  # the 行政监督部门's (招标投标法实施条例 第六十一条)
            prefix, basis = "澄住建招诉决", "《中华人民共和国招标投标法实施条例》第六十一条"
        else:
            prefix = "澄财采决"
            basis = ("《政府采购质疑和投诉办法》（财政部令第94号）第二十九条"
                     if outcome == "rejected"
                     else "《政府采购质疑和投诉办法》（财政部令第94号）第三十一条、第三十二条")
        return {"complaint": complaint, "outcome": outcome, "decision": text,
                "document_number": f"{prefix}〔2026〕{self.y.decisions + 1}号",
                "basis": basis}  # fmt: skip

    def delivery_days(self) -> int:
        category, wan = self.item.category, self.budget // 1_000_000
        if category == "goods":
            return self.rng.randint(20, 50)
        if category == "works":  # larger works take longer to build
            return min(120, 25 + wan // 20) + self.rng.randint(0, 20)
        return self.rng.randint(30, 75)  # services: accepted after their first period

    # -- challenges 质疑 and complaints 投诉 ------------------------------------------------

    def challenge(self, twist: Twist, by: str, subject: str, filed: date) -> str:
        """File a challenge (raise _Pending past END); its number, as the ledger gives it.
        The ledger computes its 应知之日 from the documents' or the result's notice."""
        grounds = cat.DISPUTES[twist.value]["grounds"]
        payload = {"subject": subject, "grounds": grounds}
        if self.side(filed, "FileChallenge", op(by), payload) is None:
            raise _Pending
        self.challenges += 1
        return f"{self.code}-ZY{self.challenges}"

    def answer(self, twist: Twist, number: str, on: date, outcome: str) -> date:
        text = cat.DISPUTES[twist.value]["answer"]
        payload = {"challenge": number, "outcome": outcome, "answer": text}
        answered = self.side(on, "AnswerChallenge", self.runner, payload)
        if answered is None:
            raise _Pending
        return answered

    def screen(self, number: str, on: date, refusal: str = "") -> None:
        """The finance office screens a complaint 投诉审查 within 5 working days (财政部令第94号
        第二十一条): accepted 受理, or, with ``refusal``, not 不予受理 (raise _Pending past END)."""
        payload: Payload = {"complaint": number, "accepted": not refusal}
        payload |= {"reason": refusal} if refusal else {}
        if self.side(on, "ScreenComplaint", self.handler, payload) is None:
            raise _Pending

    def dispute(self, twist: Twist, by: str, subject: str, filed: date) -> None:
        """A challenge and what follows it, as ``twist`` has it; nothing past END."""
        y, text = self.y, cat.DISPUTES[twist.value]
        assert by, f"{self.code}: only a supplier that took part may challenge"
        try:
            number = self.challenge(twist, by, subject, filed)
            if twist is T.WITHDRAWN:
                withdrawal = {"challenge": number, "reason": text["withdraw"]}
                self.side(y.wd(filed, 3), "WithdrawChallenge", op(by), withdrawal)
                return
            # The answer period, from whose END a complaint is counted however early the
            # answer came (政府采购法 第五十五条; 财政部令第94号 第十七条).
            period_end = end = y.wd(filed, 7)
            quick = twist in SUSPENDING  # answered at once, complained at once
            if twist is not T.UNANSWERED:
                gaps = {T.LATE_ANSWER: 10, T.EARLY_ANSWER: 1}
                gap = 1 if quick else gaps.get(twist, self.rng.randint(3, 6))
                gap = 1 if self.works else gap  # a works objection: answered within 3 days
                outcome = "partly_upheld" if twist is T.ANSWERED else "rejected"
                end = self.answer(twist, number, y.wd(filed, gap), outcome)
            if "complaint" not in text:
                return
            gaps = {T.LATE_COMPLAINT: 19, T.UNANSWERED: 2, T.EARLY_ANSWER: 14}
            gap = 1 if quick else gaps.get(twist, self.rng.randint(3, 8))
            # On the 14th working day after the period's end, 20 after an early answer: lawful.
            start = period_end if twist is T.EARLY_ANSWER else max(end, period_end)
            start = end if quick else start  # a complaint may follow the answer at once
            on = y.wd(start, gap)
            if self.works:  # within 10 days of the answer (招标投标法实施条例 第六十条)
                on = y.wd(end, gap)
                if twist is not T.LATE_COMPLAINT:
                    on = min(on, y.due("works_complaint_filed", end))
            complaint = {"challenge": number, "grounds": text["complaint"]}
            complained = self.side(on, "FileComplaint", op(by), complaint)
            if complained is None:
                raise _Pending
            self.complaints += 1
            number = f"{self.code}-TS{self.complaints}"
            if twist is T.LATE_COMPLAINT:  # filed too late: not accepted, which ends it
                self.rng.randint(12, 25)  # the draw its decision took: the year stays as it was
                # not accepted within the handler's time: 5 working days, a works tender's 3
                self.screen(number, y.wd(complained, 2 if self.works else 4), text["decision"])
                return
            self.screen(number, complained if quick else y.wd(complained, 1))
            if quick:  # the finance office handling it suspends the procurement (94号令 第二十八条)
                cause = {"reason": cat.TEXTS["suspend"], "cause": number}
                self.act(complained, "Suspend", y.finance, cause)
            gaps = {T.LATE_DECISION: 36, T.SUSPENSION_LAPSED: 25}
            gap = {T.COMPLAINT: 6}.get(twist) or gaps.get(twist, self.rng.randint(12, 25))
            outcomes = {
                T.COMPLAINT: "rejected",
                T.EARLY_ANSWER: "rejected",
                T.SUSPENSION_LAPSED: "rejected",
            }
            outcome = outcomes.get(twist, "partly_upheld")
            decision = self.decision(number, outcome, text["decision"])
            decided = self.side(y.wd(complained, gap), "DecideComplaint", self.handler, decision)
            if decided is None:
                raise _Pending
            y.decisions += 1
            if twist is T.COMPLAINT:  # lifted with the decision, within 30 days
                self.act(decided, "Resume", y.finance, {"reason": cat.TEXTS["resume"]})
            # T.SUSPENSION_LAPSED: never lifted; it ends by law 30 days on (法 第五十七条)
        except _Pending:
            if twist in SUSPENDING:
                raise  # suspended at END: the procurement waits too
