"""The demo year: about 150 procurements of 澄溪县 in 2026, built once into a real SQLite
ledger and read back from its log — every method and category, every finding kind on the
procurement that was made to raise it and on no other, the red flags inspectors look for,
and a log `sunshine verify` accepts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import (
    ROOT,
    DemoLedger,
    copy_demo,
    eventually,
    make_config,
    start_server,
    sunshine,
)

from demo import catalogue as cat
from demo.builder import ADMIN, CASE_SUPPLIERS, ORGANISATIONS, DemoSummary
from demo.twists import TWISTS, Twist
from demo.year import END, SUPERVISOR, DemoYear, op
from ledger.application import Ledger
from ledger.calendar_files import build_calendar
from ledger.domain.schema.kinds import PROCUREMENT_KINDS, STATUTE_KINDS
from ledger.domain.vocabulary import Category, Method
from ledger.store.url import DatabaseURL

T = Twist
SUPERVISOR_ACTOR = op(SUPERVISOR)  # the 住建局's office for works tenders
#: The finding each irregular twist must raise, and the only ones the year may hold.
EXPECTED: dict[Twist, str] = {
    T.FILE_LATER: "procure_first_file_later",
    T.SUSPENDED_CONTRACT: "acted_while_suspended",
    T.CONTRACT_BEFORE_RESULT: "contract_before_result_announced",
    T.SKIP_INTENTION: "skipped_intention",
    T.SHORT_INTENTION: "intention_disclosed_before_procurement",
    T.SHORT_TENDER: "tender_documents_to_bid_deadline",
    T.SHORT_NEGOTIATION: "negotiation_documents_to_first_response",
    T.SHORT_CONSULTATION: "consultation_documents_to_first_response",
    T.SHORT_SINGLE_SOURCE: "single_source_notice_period",
    T.LATE_RESULT: "result_announced_after_award",
    T.LATE_CONTRACT: "contract_signed_after_award_notice",
    T.LATE_CONTRACT_NOTICE: "contract_announced_after_signing",
    T.LATE_CHALLENGE: "challenge_filed_after_known",
    T.LATE_ANSWER: "challenge_answered",
    # both on works tenders: 招标投标法实施条例 第六十、六十一条
    T.LATE_COMPLAINT: "works_complaint_filed",
    T.LATE_DECISION: "works_complaint_decided",
    T.FEW_BIDDERS: "minimum_valid_bidders_open_tender",
    T.OVER_BUDGET: "award_over_budget",
    T.CONTRACT_DIFFERS: "contract_amount_differs_from_award",
    # the flag cases: an award out of the committee's order, a committee of two
    T.OUT_OF_ORDER: "award_follows_ranking",
    T.SMALL_COMMITTEE: "committee_size",
}
#: The further findings a twist raises besides its own.
ALSO: dict[Twist, set[str]] = {
    T.OVER_BUDGET: {"contract_over_budget"},
    # its documents were on sale only until its deadline, 4 working days (214号 第十条)
    T.SHORT_CONSULTATION: {"consultation_documents_on_sale"},
    # one expert of two members: under two thirds too (实施条例 第三十九条)
    T.SMALL_COMMITTEE: {"committee_expert_share"},
}
FINDING_KINDS = set(EXPECTED.values()).union(*ALSO.values())
OPEN_TENDER_THRESHOLD = Decimal("2000000.00")


@dataclass
class Demo:
    data: Path
    url: DatabaseURL
    summary: DemoSummary
    seconds: float
    leaves: list[dict[str, Any]]

    def of(self, *types: str) -> list[dict[str, Any]]:
        return [leaf for leaf in self.leaves if leaf["type"] in types]

    @property
    def plans(self) -> dict[str, dict[str, Any]]:
        return {leaf["data"]["procurement"]: leaf["data"] for leaf in self.of("PlanFiled")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Demo:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("demo"))
    ledger = Ledger(make_config(copy.url, copy.data, inline_integration=True))
    try:
        size = copy.summary.size
        leaves = [
            orjson.loads(entry)
            for start in range(0, size, 1000)
            for entry in ledger.reader.entries(start, min(1000, size - start))
        ]
    finally:
        ledger.close()
    return Demo(copy.data, copy.url, copy.summary, copy.seconds, leaves)


@pytest.fixture(scope="module")
def year() -> DemoYear:
    """The year's plan again, for its codes and twists (drawn the same every time)."""
    plan = DemoYear({code: name for code, name, _ in ORGANISATIONS}, ADMIN)
    plan.plan()
    return plan


def test_the_summary_counts_the_year(demo: Demo) -> None:
    # How fast it loads is a benchmark (bench/demo.py, target < 15 s), not a timed test.
    print(f"demo built in {demo.seconds:.1f} s: {demo.summary}")
    assert 150 <= demo.summary.procurements == len(demo.plans) <= 170
    # …Registered, …Amended, …Revoked, and the debarment the finance office records
    registry = ("Organisation", "Actor", "Key", "SupplierDebarred")
    year = [
        leaf
        for leaf in demo.leaves
        if not leaf["type"].startswith(registry) and leaf["type"] not in STATUTE_KINDS
    ]
    assert demo.summary.events == len(year)
    assert demo.summary.size == len(demo.leaves)


def test_every_method_and_category_is_bought(demo: Demo) -> None:
    plans = demo.plans.values()
    assert {p["method"] for p in plans} == {m.value for m in Method}
    assert {p["category"] for p in plans} == {c.value for c in Category}
    assert all(p["title"].startswith("澄溪县") for p in plans)


def test_each_finding_kind_is_raised_where_intended_and_nowhere_else(
    demo: Demo, year: DemoYear
) -> None:
    found: dict[str, set[str]] = defaultdict(set)
    # A provisional finding the adopted calendar withdrew is not the year's.
    withdrawn = {
        (leaf["data"]["entry"], leaf["data"]["before"]["rule"])
        for leaf in demo.of("TimingReevaluated")
        if leaf["data"]["change"] == "withdrawn"
    }
    for leaf in demo.leaves:
        for finding in leaf["data"].get("findings") or ():
            if (leaf["index"], finding["rule"]) not in withdrawn:
                found[leaf["data"]["procurement"]].add(finding["rule"])
    assert set().union(*found.values()) == FINDING_KINDS
    for code, twists in year.twists.items():
        expected = {EXPECTED[t] for t in twists if t in EXPECTED}.union(
            *(ALSO.get(t, set()) for t in twists)
        )
        assert found.get(code, set()) == expected, code


def test_challenges_are_answered_and_complaints_decided_by_the_finance_office(
    demo: Demo,
) -> None:
    answered = demo.of("ChallengeAnswered")
    assert {leaf["data"]["outcome"] for leaf in answered} >= {"rejected", "partly_upheld"}
    # A works tender's complaints go to the 行政监督部门 its notice names (招标投标法实施条例
    # 第六十、六十一条), every other to the finance office.
    works = {leaf["data"]["procurement"] for leaf in demo.of("TenderAnnounced")
             if leaf["data"].get("supervisor")}  # fmt: skip

    def handler(leaf: dict[str, Any]) -> str:
        return SUPERVISOR_ACTOR if leaf["data"]["procurement"] in works else ADMIN

    decided = demo.of("ComplaintDecided")
    assert len(decided) >= 3 and all(leaf["actor"] == handler(leaf) for leaf in decided)
    assert {leaf["actor"] for leaf in decided} == {ADMIN, SUPERVISOR_ACTOR}
    assert {leaf["data"]["outcome"] for leaf in decided} >= {"rejected", "partly_upheld"}
    # Each complaint screened first (财政部令第94号 第二十一条); the late one not accepted.
    screened = demo.of("ComplaintScreened")
    assert all(leaf["actor"] == handler(leaf) for leaf in screened)
    assert [leaf["data"]["accepted"] for leaf in screened].count(False) == 1
    assert demo.of("ChallengeWithdrawn")
    # Suspended only by the finance office handling a complaint (财政部令第94号 第二十八条);
    # lifted with its decision, but for the one left to end by law after 30 days.
    suspended = demo.of("ProcurementSuspended")
    assert suspended and all("-TS" in leaf["data"]["cause"] for leaf in suspended)
    assert {leaf["actor"] for leaf in suspended + demo.of("ProcurementResumed")} == {ADMIN}
    assert len(demo.of("ProcurementResumed")) == len(suspended) - 1


def test_acts_after_a_suspensions_lawful_end_are_not_acting_while_suspended(
    demo: Demo, year: DemoYear
) -> None:
    # 政府采购法 第五十七条: a suspension lasts at most 30 days.
    (code,) = [code for code, twists in year.twists.items() if T.SUSPENSION_LAPSED in twists]
    mine = [leaf for leaf in demo.leaves if leaf["data"].get("procurement") == code]
    (suspension,) = [leaf for leaf in mine if leaf["type"] == "ProcurementSuspended"]
    (opened,) = [leaf for leaf in mine if leaf["type"] == "BidsOpened"]
    assert not [leaf for leaf in mine if leaf["type"] == "ProcurementResumed"]
    lawful_end = date.fromisoformat(suspension["data"]["date"]) + timedelta(days=30)
    assert date.fromisoformat(opened["data"]["date"]) > lawful_end
    assert opened["data"]["findings"] == [] and opened["data"]["state"]["suspended"] is False


def test_a_challenge_is_left_unanswered_past_its_deadline(demo: Demo) -> None:
    closed = {leaf["data"]["number"] for leaf in demo.of("ChallengeAnswered", "ChallengeWithdrawn")}
    open_ = [
        leaf["data"] for leaf in demo.of("ChallengeFiled") if leaf["data"]["number"] not in closed
    ]
    assert len(open_) == 1
    (challenge,) = open_
    due = build_calendar().add_working_days(date.fromisoformat(challenge["date"]), 7).due
    assert due < END
    (complaint,) = [
        c for c in demo.of("ComplaintFiled") if c["data"]["challenge"] == challenge["number"]
    ]
    # The complaint is public, and discloses the sealed challenge it follows.
    assert complaint["data"]["challenger"]["commitment"] == challenge["envelope"]["commitment"]


def test_a_complaint_after_an_early_answer_is_counted_from_the_answer_periods_end(
    demo: Demo, year: DemoYear
) -> None:
    # 政府采购法 第五十五条; 财政部令第94号 第十七条: 15 working days after the answer period.
    (code,) = [code for code, twists in year.twists.items() if T.EARLY_ANSWER in twists]
    calendar = build_calendar()
    (challenge,), (answer,), (complaint,) = (
        [leaf["data"] for leaf in demo.of(kind) if leaf["data"]["procurement"] == code]
        for kind in ("ChallengeFiled", "ChallengeAnswered", "ComplaintFiled")
    )
    filed, answered, complained = (
        date.fromisoformat(d["date"]) for d in (challenge, answer, complaint)
    )
    period_end = calendar.add_working_days(filed, 7).due
    assert answered < period_end
    assert calendar.working_days_between(answered, complained) > 15  # the old, wrong clock
    assert calendar.working_days_between(period_end, complained) <= 15
    assert complaint["findings"] == []


def test_below_the_threshold_a_method_needs_no_approval(demo: Demo, year: DemoYear) -> None:
    # 政府采购法 第二十七条: only at or above the open-tender threshold.
    (code,) = [code for code, twists in year.twists.items() if T.NO_METHOD_APPROVAL in twists]
    assert demo.plans[code]["method"] != "open_tender"
    assert Decimal(demo.plans[code]["budget"]) < OPEN_TENDER_THRESHOLD
    mine = [leaf for leaf in demo.leaves if leaf["data"].get("procurement") == code]
    assert "MethodApproved" not in {leaf["type"] for leaf in mine}
    assert "ContractSigned" in {leaf["type"] for leaf in mine}
    assert not [f for leaf in mine for f in leaf["data"].get("findings") or ()]


def test_a_single_source_at_the_threshold_is_approved_after_its_notice(
    demo: Demo, year: DemoYear
) -> None:
    # 实施条例 第三十八条: the 公示 runs ≥ 5 working days before the approval is asked for.
    calendar, short = build_calendar(), year.codes["ga-bm"]
    plans = demo.plans
    big = [
        code
        for code, plan in plans.items()
        if plan["method"] == "single_source"
        and Decimal(plan["budget"]) >= OPEN_TENDER_THRESHOLD
        and code != short
    ]
    assert big
    for code in big:
        mine = {leaf["type"]: leaf["data"] for leaf in demo.leaves
                if leaf["data"].get("procurement") == code}  # fmt: skip
        notice, approved = mine["TenderAnnounced"], mine["MethodApproved"]
        start = date.fromisoformat(notice["date"])
        assert date.fromisoformat(approved["date"]) >= calendar.add_working_days(start, 5).due
        assert notice["findings"] == approved["findings"] == []


def test_the_red_flags_inspectors_look_for_are_there(demo: Demo) -> None:
    plans = demo.plans
    # A split purchase: one purchaser's inquiries for the same goods within a quarter, each
    # under the open-tender threshold, together above it.
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for p in plans.values():
        if p["method"] == "inquiry":
            quarter = (date.fromisoformat(p["date"]).month - 1) // 3
            groups[(p["purchaser"], p["title"].split("（")[0], quarter)].append(p)
    split = [g for g in groups.values() if len(g) >= 3]
    assert split and all(Decimal(p["budget"]) < OPEN_TENDER_THRESHOLD for p in split[0])
    assert sum(Decimal(p["budget"]) for p in split[0]) > OPEN_TENDER_THRESHOLD
    # A designated brand in the tender requirement.
    assert any("西门子品牌" in t["data"]["requirement"] for t in demo.of("TenderAnnounced"))
    # A single bidder in a competitive negotiation, awarded all the same.
    awarded = {leaf["data"]["procurement"] for leaf in demo.of("AwardDecided")}
    single = [
        o["data"]["procurement"]
        for o in demo.of("BidsOpened")
        if len(o["data"]["bids"]) == 1
        and plans[o["data"]["procurement"]]["method"] == "competitive_negotiation"
    ]
    assert single and set(single) <= awarded
    # An open and an invited tender with fewer than three bids at the deadline are not
    # opened: they fail (政府采购法 第三十六条); another procurement is terminated.
    failed = [leaf["data"]["procurement"] for leaf in demo.of("ProcurementFailed")]
    assert sorted(plans[code]["method"] for code in failed) == ["invited_tender", "open_tender"]
    opened = {o["data"]["procurement"]: o["data"]["bids"] for o in demo.of("BidsOpened")}
    closed = {c["data"]["procurement"] for c in demo.of("BidBoxClosed")}
    assert all(code not in opened and code in closed for code in failed)  # closed, never opened
    assert demo.of("ProcurementTerminated") and demo.of("PlanRejected")
    assert demo.of("AnnouncementCorrected")


def test_every_tender_open_or_invited_keeps_20_days_and_opens_with_three_bids(
    demo: Demo,
) -> None:
    # 政府采购法 第三十五、三十六条; 财政部令第87号 第十九条: every 招标, invited too.
    plans, calendar = demo.plans, build_calendar()
    announced = {t["data"]["procurement"]: t["data"]["date"] for t in demo.of("TenderAnnounced")}
    invited = 0
    for leaf in demo.of("BidsOpened"):
        code = leaf["data"]["procurement"]
        if plans[code]["method"] not in ("open_tender", "invited_tender"):
            continue
        invited += plans[code]["method"] == "invited_tender"
        due = calendar.add_days(date.fromisoformat(announced[code]), 20).due
        short = "tender_documents_to_bid_deadline" in {f["rule"] for f in leaf["data"]["findings"]}
        assert (date.fromisoformat(leaf["data"]["date"]) < due) == short, code
        assert len(leaf["data"]["bids"]) >= 3, code
    assert invited >= 3


def test_the_prequalified_invited_tender_bids_from_its_qualified(demo: Demo) -> None:
    """zj-qx's 资格预审 (财政部令第87号 第十四条、第二十一条): the result after the applications
    closed and before the invitation, three or more qualified, one refused with its reason,
    and every supplier that put an envelope in its box among the qualified."""
    [call] = demo.of("PrequalificationAnnounced")
    [result] = demo.of("PrequalificationCompleted")
    d = result["data"]
    code = d["procurement"]
    [tender] = [t for t in demo.of("TenderAnnounced") if t["data"]["procurement"] == code]
    assert call["data"]["procurement"] == code and demo.plans[code]["method"] == "invited_tender"
    assert call["index"] < result["index"] < tender["index"]
    assert call["data"]["application_deadline"] <= d["date"] < tender["data"]["date"]
    assert len(d["qualified"]) >= 3 and d["findings"] == []
    assert [r["supplier"] for r in d["refused"]] == [cat.PREQUALIFICATION_REFUSED]
    with sqlite3.connect(demo.data / "ledger.db") as conn:
        inside = {s for (s,) in conn.execute(
            "SELECT supplier FROM bid_box WHERE procurement = ? AND supplier IS NOT NULL",
            (code,))}  # fmt: skip
    assert inside and inside <= set(d["qualified"])


def test_framework_agreements_run_both_stages_the_lawful_way(demo: Demo) -> None:
    """财政部令第110号: stage one opens sealed responses and admits several suppliers, named in
    the 入围结果公告; stage two's call-offs go to admitted suppliers, each announced; the
    agreement's notice page lists the admitted suppliers and the call-offs under it."""
    plans = demo.plans
    framework = {code for code, plan in plans.items() if plan["method"] == "framework_agreement"}
    admitted = {leaf["data"]["procurement"]: leaf["data"]["admitted"]
                for leaf in demo.of("AwardDecided") if leaf["data"]["procurement"] in framework}
    assert len(admitted) >= 4 and all(len(names) >= 2 for names in admitted.values())
    opened = {leaf["data"]["procurement"] for leaf in demo.of("BidsOpened")}
    assert set(admitted) <= opened  # no admission without opening the responses
    calls = demo.of("CallOffSigned")
    assert len(calls) >= 6
    for leaf in calls:
        code = leaf["data"]["procurement"]
        assert leaf["data"]["supplier"] in admitted[code] and not leaf["data"]["findings"]
    told = {(leaf["data"]["procurement"], leaf["data"]["contract_number"])
            for leaf in demo.of("CallOffAnnounced") if not leaf["data"]["findings"]}  # fmt: skip
    signed = {(leaf["data"]["procurement"], leaf["data"]["contract_number"]) for leaf in calls}
    assert signed <= told
    code = calls[0]["data"]["procurement"]
    result = next(r for r in demo.of("ResultAnnounced") if r["data"]["procurement"] == code)
    names = {org: name for org, name, _ in ORGANISATIONS}
    server = start_server(demo.url, demo.data)

    def projected() -> str | None:  # the server projects the log in the background
        text = httpx.get(f"{server.url}/announcements/{result['index']}").text
        return text if calls[0]["data"]["contract_number"] in text else None

    try:
        page = eventually(projected, server.process)
        assert "框架协议下的采购合同" in page
        assert "入围信息（框架协议第一阶段）" in page
        for supplier in admitted[code]:
            assert names[supplier] in page
        assert calls[0]["data"]["contract_number"] in page
    finally:
        server.stop()


def test_some_procurements_are_still_under_way_on_the_last_day(demo: Demo) -> None:
    state: dict[str, dict[str, Any]] = {}
    for leaf in demo.leaves:
        if "state" in leaf["data"]:
            state[leaf["data"]["procurement"]] = leaf["data"]["state"]
    pending = [s for s in state.values() if s["closed"] is None and s["plan"] != "rejected"]
    assert 12 <= len(pending) <= 20
    assert {s["closed"] for s in state.values()} == {None, "archived", "failed", "terminated"}
    # The log reads in the order things happened, and nothing happens after END.
    days = [leaf["data"]["date"] for leaf in demo.leaves if "date" in leaf["data"]]
    assert days == sorted(days) and days[-1] <= END.isoformat()


def test_money_is_realistic(demo: Demo, year: DemoYear) -> None:
    plans = demo.plans
    budget = spent = Decimal(0)
    for leaf in demo.of("AwardDecided"):
        if T.OVER_BUDGET in year.twists[leaf["data"]["procurement"]]:
            continue  # recorded with its finding (财政部令第87号 第六十三条)
        assert Decimal(leaf["data"]["amount"]) <= Decimal(
            plans[leaf["data"]["procurement"]]["budget"]
        )
    for leaf in demo.of("ContractSigned"):
        spent += Decimal(leaf["data"]["amount"])
        budget += Decimal(plans[leaf["data"]["procurement"]]["budget"])
    assert Decimal("0.02") < (budget - spent) / budget < Decimal("0.08")  # 资金节约率
    # Committees of three, five or seven, disclosed with the result; some representatives' IDs
    # sealed.
    committees = [
        r["data"]["committee"]["value"]
        for r in demo.of("ResultAnnounced")
        if "committee" in r["data"]
    ]
    # 7 from 1000万元 (87号令 第四十七条); the flag case zr-da's unlawful two
    assert {len(c) for c in committees} == {2, 3, 5, 7}
    envelopes = [orjson.loads(m["envelope"]["command"]) for o in demo.of("BidsOpened")
                 for m in o["data"]["box"] if m["envelope"]]  # fmt: skip
    assert any("representative_id" in e["payload"] for e in envelopes)


def test_every_event_is_signed_by_its_actor_and_the_log_verifies(demo: Demo) -> None:
    result = sunshine("verify", "--check-timing", data_dir=demo.data, db=demo.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {demo.summary.size} entries, {demo.summary.size} actor signatures" in result.stdout
    # Every late step the year was made with is recorded as the packaged table measures it.
    assert "time-limit findings of" in result.stdout and "differ" not in result.stdout


#: Prints a digest of what the year's plan records, less the salts and commitments that
#: are drawn fresh on every run.
DIGEST = """
import hashlib, orjson
from demo.builder import ADMIN, ORGANISATIONS
from demo.year import DemoYear

def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "commitment"}
    return value

steps = DemoYear({code: name for code, name, _ in ORGANISATIONS}, ADMIN).plan()
rows = [
    (s.on.isoformat(), s.kind, s.actor, s.procurement, plain(s.payload),
     [d.value for d in s.sealed.values()])
    for s in steps
]
print(hashlib.sha256(orjson.dumps(rows)).hexdigest())
"""


def test_the_year_is_the_same_every_time() -> None:
    # Different hash seeds: no set or dict order may leak into the story.
    digests = set()
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", DIGEST],
            env=dict(os.environ, PYTHONHASHSEED=seed),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_the_catalogue_names_registered_organisations() -> None:
    kinds = {code: kind for code, _, kind in ORGANISATIONS}
    suppliers = {s for sector in cat.SECTORS.values() for s in sector}
    suppliers |= {supplier for supplier, _ in cat.SOLE_SOURCES.values()}
    suppliers |= {s for bidders in cat.CASE_BIDDERS.values() for s in bidders}
    kinds |= {code: kind for code, _, kind in CASE_SUPPLIERS}
    assert all(kinds.get(s) == "supplier" for s in suppliers)
    items = cat.ITEMS + cat.FLAG_CASES
    assert all(kinds.get(item.purchaser) == "purchaser" for item in items)
    keys = [item.key for item in items]
    assert len(set(keys)) == len(keys) and {key for key, *_ in TWISTS} <= set(keys)
    # every flag case is a twist, so it is no honest procurement of the year
    assert {item.key for item in cat.FLAG_CASES} <= {key for key, *_ in TWISTS}
    singles = {item.key for item in items if item.method == "single_source"}
    assert singles == set(cat.SOLE_SOURCES)


# -- the sealed bid box 电子投标箱 -----------------------------------------------------------


#: A complaint is public with its complainant (94号令 第三十七条); a challenge is not.
COMPLAINTS = ("ComplaintFiled", "ComplaintDecided", "ComplaintWithdrawn")


def test_no_leaf_before_an_opening_ties_a_bidder_to_its_procurement(demo: Demo) -> None:
    """Every leaf of the year before each opening: none names a bidder with its procurement,
    and no bid leaf names any supplier or procurement at all (87号令 第二十八条); nor does a
    challenge before the opening tell who challenged."""
    names = {code: name for code, name, _ in ORGANISATIONS + CASE_SUPPLIERS}
    procurements = set(demo.plans)
    for leaf in demo.of("BidCommitted"):
        text = orjson.dumps(leaf).decode()
        assert leaf["actor"] == "qhx-tbx-svc" and leaf["command"]["procurement"] is None
        for code in procurements:
            assert f'"{code}"' not in text
        for code, name in names.items():
            assert f'"{code}' not in text and name not in text
    about: dict[str, list[tuple[int, str]]] = defaultdict(list)  # procurement → its leaves
    for leaf in demo.leaves:
        code = leaf["command"].get("procurement") or leaf["data"].get("procurement")
        if code is not None and leaf["type"] not in COMPLAINTS:
            about[code].append((leaf["index"], orjson.dumps(leaf).decode()))
    openings = demo.of("BidsOpened")
    assert len(openings) > 100
    for opening in openings:
        code = opening["data"]["procurement"]
        bidders = {b["supplier"] for b in opening["data"]["bids"]}
        bidders |= {  # and those who only obtained the documents
            orjson.loads(m["envelope"]["command"])["actor"].removesuffix("-op")
            for m in opening["data"]["box"]
            if m["status"] == "obtained"
        }
        for index, text in about[code]:
            if index >= opening["index"]:
                break
            for bidder in bidders:  # its code, or an actor of it ("<code>-op")
                assert f'"{bidder}' not in text and names[bidder] not in text, (code, index)


def test_the_calendar_adopted_in_march_re_evaluates_februarys_provisional_results(
    demo: Demo,
) -> None:
    """2026's working calendar is adopted on 2 March: what was counted through 2026 before
    is provisional, each result re-evaluated then in an entry of its own — the findings of
    the Spring Festival weeks withdrawn — and the procurement's page says so."""
    adoptions = demo.of("CalendarAdopted")
    assert [[y["year"] for y in a["data"]["years"]][-1] for a in adoptions] == [2025, 2026]
    late = adoptions[1]
    reevaluated = demo.of("TimingReevaluated")
    assert reevaluated and all(r["index"] > late["index"] for r in reevaluated)
    by_index = {leaf["index"]: leaf for leaf in demo.leaves}
    for r in reevaluated:
        d = r["data"]
        entry = by_index[d["entry"]]
        assert entry["index"] < late["index"] and entry["type"] == d["kind"]
        recorded = entry["data"].get("findings", []) + entry["data"].get("provisional_passes", [])
        assert d["before"] in recorded  # what the entry recorded, provisionally
        assert d["before"]["basis"]["calendars"]["2026"] is None
        assert d["after"]["basis"]["calendars"]["2026"] == late["version"]
        assert not d["after"]["provisional"]
    withdrawn = [r["data"] for r in reevaluated if r["data"]["change"] == "withdrawn"]
    # The inquiry's report of the Spring Festival weeks: the works tenders of February follow
    # 招标投标法, which sets no 公告期限 and counts the documents' sale in calendar days.
    assert len(withdrawn) >= 1
    assert {r["data"]["change"] for r in reevaluated} >= {"withdrawn", "confirmed"}
    # Measured after the adoption, nothing in 2026 is provisional any more.
    after = [leaf for leaf in demo.leaves if leaf["index"] > reevaluated[-1]["index"]]
    assert not any(
        f["provisional"] for leaf in after for f in leaf["data"].get("findings") or ()
    )
    shown = withdrawn[0]["procurement"]
    server = start_server(demo.url, demo.data)
    try:
        def withdrawal() -> str | None:
            text = httpx.get(f"{server.url}/procurements/{shown}").text
            return text if "撤回原记录提示" in text else None

        page = eventually(withdrawal, server.process)
        assert f"重新核算第 {withdrawn[0]['entry']} 号账本条目的暂定结果" in page
    finally:
        server.stop()


def test_no_page_names_who_is_in_a_box_not_opened(demo: Demo) -> None:
    """The public pages of the procurements whose box is still sealed at the year's end
    name none of the suppliers the operator's index puts in it (bidders and obtainers)."""
    opened = {leaf["data"]["procurement"] for leaf in demo.of("BidsOpened")}
    names = {code: name for code, name, _ in ORGANISATIONS}
    inside: dict[str, set[str]] = defaultdict(set)
    with sqlite3.connect(demo.data / "ledger.db") as conn:
        for code, supplier in conn.execute(
            "SELECT procurement, supplier FROM bid_box WHERE supplier IS NOT NULL"
        ):
            if code not in opened:
                inside[code].add(supplier)
    assert len(inside) >= 3  # the year ends with boxes still taking bids, or sealed
    # The pages follow the log in order: once the last procurement leaf is on its page, all is.
    last = max((leaf for leaf in demo.leaves if leaf["type"] in PROCUREMENT_KINDS),
               key=lambda leaf: leaf["index"])  # fmt: skip
    shown = f"/procurements/{last['data']['procurement']}"
    server = start_server(demo.url, demo.data)
    try:
        eventually(
            lambda: f"日志条目 {last['index']}" in httpx.get(f"{server.url}{shown}").text,
            server.process,
        )
        opening = next(iter(opened))
        page = httpx.get(f"{server.url}/procurements/{opening}").text
        assert "获取采购文件记录" in page  # the opening counts the obtainings apart
        for code, suppliers in inside.items():
            page = httpx.get(f"{server.url}/procurements/{code}").text
            assert "投标箱" in page, code
            for supplier in suppliers:
                assert names[supplier] not in page and f"{supplier}" not in page, (code, supplier)
    finally:
        server.stop()


def test_no_challenge_leaf_names_its_challenger_or_its_grounds(demo: Demo) -> None:
    """质疑: the number, dates, subject and deadline are public; who challenged and why are
    sealed in the envelope, recorded by the box service, at any time of the year."""
    suppliers = {code: name for code, name, kind in ORGANISATIONS if kind == "supplier"}
    challenges = demo.of("ChallengeFiled", "ChallengeWithdrawn")
    assert len(challenges) >= 5
    for leaf in challenges:
        text = orjson.dumps(leaf).decode()
        assert leaf["actor"] == "qhx-tbx-svc"
        for dispute in cat.DISPUTES.values():  # the grounds and reasons the suppliers wrote
            for field in ("grounds", "withdraw"):
                assert dispute.get(field, "\0") not in text, leaf["index"]
        assert set(leaf["command"]["payload"]) <= {"date", "known_on", "subject", "envelope",
                                                   "challenge"}  # fmt: skip
        for code, name in suppliers.items():
            assert f'"{code}' not in text and name not in text, leaf["index"]


def test_one_bid_and_many_close_alike(demo: Demo) -> None:
    """Closing a box shows its root and the bucket, never the count: all the year's boxes
    close at sixteen, whether one bid came or six, each with its obtainings of the
    documents."""
    counts = {o["data"]["procurement"]: len(o["data"]["bids"]) for o in demo.of("BidsOpened")}
    assert min(counts.values()) == 1 and max(counts.values()) >= 5
    closings = demo.of("BidBoxClosed")
    assert {c["data"]["size"] for c in closings} == {16}
    assert {tuple(sorted(c["data"])) for c in closings} == {
        ("closed_at", "date", "procurement", "root", "size")
    }
