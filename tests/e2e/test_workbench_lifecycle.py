"""A whole open tender recorded through the workbench in a real chromium against `sunshine
serve`, without touching JSON: the purchaser, the finance office, the agency, five suppliers
(their prices sealed in the browser, into the bid box before a deadline at most a minute
ahead) and the committee (four experts each signing the evaluation report with their own
key, the sealed list built from their 签名码), from the plan to the acceptance; the log
verifies and the public pages show each step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    EXPERT_NAMES,
    TLS,
    Actor,
    Server,
    World,
    built_and_served,
    eventually,
    hospital_world,
    sunshine,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from workbench_browser import SETTLED, field, open_form, sign, signed_in

from ledger import signing
from ledger.application import Ledger
from ledger.domain.context import CHINA
from ledger.store.url import DatabaseURL

TITLE = "澄溪县人民医院全自动生化分析仪采购项目"
SUPPLIERS = (
    ("kangtai", "云岭康泰医疗器械有限公司", "1790000.00"),
    ("xinda", "云岭信达医疗科技有限公司", "1720000.00"),
    ("anxin", "北京安信医疗设备有限公司", "1805000.00"),
    ("tongda", "山东通达医疗科技有限公司", "1760000.00"),
    ("huamei", "华美医疗器械有限公司", "1830000.00"),
)
EXPERTS = 4  # and one representative: five members, experts above two thirds (87号令 第四十七条)
#: Time enough for five suppliers to press 签名并提交 (about a second on a quiet machine).
BIDDING_TIME = timedelta(seconds=25)
WIDTH = "() => document.documentElement.scrollWidth"


def expert(world: World, n: int) -> Actor:
    """Expert ``n`` of the pool 评审专家库, registered by its name."""
    if world.ledger.registry.organisation("zjk") is None:
        world.submit(world.admin, "RegisterOrganisation", {"code": "zjk", "region": "澄溪县",
                     "name": "政府采购评审专家库", "kind": "evaluation_expert"})  # fmt: skip
    code = f"zj{n}"
    world.submit(world.admin, "RegisterActor", {"code": code, "organisation": "zjk",
                 "role": "evaluation_expert", "name": EXPERT_NAMES[n]})  # fmt: skip
    actor = Actor(code, "zjk", "evaluation_expert", Ed25519PrivateKey.generate())
    world.submit(world.admin, "RegisterKey", {"actor": code,
                 "public_key": signing.public_b64(actor.key)})  # fmt: skip
    return actor


@pytest.fixture
def county(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Actor]]]:
    def build(ledger: Ledger) -> dict[str, Actor]:
        world = hospital_world(ledger)
        world.add("ggzy", "agency", "ggzy-op", "澄溪县公共资源交易中心")
        for org, name, _ in SUPPLIERS[1:]:
            world.add(org, "supplier", f"{org}-op", name)
        world.register_bid_box()
        experts = {f"zj{n}": expert(world, n) for n in range(EXPERTS)}
        return {"czj-admin": world.admin, **world.actors, **experts}

    with built_and_served(db_url, tmp_path, build) as served:
        yield served


def recorded(page: Any) -> None:
    """Check, preview, sign and submit the form: recorded, or the refusal says why."""
    got = sign(page)
    assert "已记入日志" in got, got


def public(server: Server, path: str, until: str) -> str:
    """The public page at ``path`` once it shows ``until``: the projection catches up with the
    log a moment after each command. Read over plain HTTP, so no browser cache (the pages are
    public for 60 s) can answer with an earlier copy."""

    def shown() -> str | None:
        text = httpx.get(server.url + path, verify=TLS, timeout=30).text
        return text if until in text else None

    return eventually(shown, server.process, every=0.25)


def test_a_whole_open_tender_is_recorded_through_the_workbench(
    county: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path, db_url: DatabaseURL
) -> None:
    server, actors = county
    now = datetime.now(UTC).astimezone(CHINA)
    today = now.date()
    # Paper records allow a past date: the plan and the notice backdated, so the statutory
    # tender period (20 days, 87号令 第二十五条) has elapsed by today's deadline.
    planned, announced = today - timedelta(days=60), today - timedelta(days=25)

    purchaser = signed_in(browser, server, actors["rmyy-op"], tmp_path)
    open_form(purchaser, server, "FilePlan", "wb2")
    purchaser.fill(field("date"), planned.isoformat())
    purchaser.fill(field("title"), TITLE)
    purchaser.select_option(field("category"), "goods")
    purchaser.select_option(field("method"), "open_tender")
    purchaser.fill(field("budget"), "1850000.00")
    purchaser.fill(field("agency"), "ggzy")
    recorded(purchaser)

    finance = signed_in(browser, server, actors["czj-admin"], tmp_path)
    open_form(finance, server, "ApprovePlan", "wb2")
    finance.fill(field("date"), planned.isoformat())
    recorded(finance)
    open_form(finance, server, "ApproveMethod", "wb2")
    finance.fill(field("date"), planned.isoformat())
    finance.fill(field("rationale"), "预算较大，依法公开招标。")
    recorded(finance)

    open_form(purchaser, server, "DiscloseIntention", "wb2")
    purchaser.fill(field("date"), planned.isoformat())
    purchaser.fill(field("expected_start"), announced.isoformat())
    recorded(purchaser)

    # Each supplier signed in, its bid filled in, before the notice sets the deadline.
    bidders = []
    for org, _, price in SUPPLIERS:
        page = signed_in(browser, server, actors[f"{org}-op"], tmp_path)
        open_form(page, server, "SubmitBid", "wb2")
        page.fill(field("date"), today.isoformat())
        page.fill(field("price"), price)
        bidders.append(page)

    agency = signed_in(browser, server, actors["ggzy-op"], tmp_path)
    open_form(agency, server, "AnnounceTender", "wb2")
    agency.fill(field("date"), announced.isoformat())
    agency.fill(field("requirement"), "全自动生化分析仪1台，技术参数见采购文件第三章。")
    agency.fill(field("qualifications"), "具有医疗器械经营许可证。")
    agency.fill(field("contact"), "刘洋 0319-8123456")
    agency.fill(field("place"), "澄溪县公共资源交易中心开标一室")
    # The deadline: the minute the bids still fit in. The box takes bids to its last second
    # and the closing waits for the next minute, so every second of margin is waited for.
    deadline = (datetime.now(UTC).astimezone(CHINA) + BIDDING_TIME).replace(second=0, microsecond=0)
    if deadline.date() != today:
        pytest.skip("the deadline would fall after midnight, Beijing time")
    minute = deadline.strftime("%H:%M")
    agency.fill(field("bid_deadline"), today.isoformat())
    agency.fill(field("bid_deadline_time"), minute)
    recorded(agency)

    for page in bidders:
        got = sign(page)
        assert "已记入日志" in got and "投标回执" in got, got
    # Sealed until the opening: the public sees the box, not who bids or how many (on a slow
    # machine the deadline may have passed by now: the box is then due, still sealed).
    before = public(server, "/procurements/wb2", "投标箱")
    assert "接收投标中" in before or "投标已截止，待封存开标" in before
    assert all(name not in before for _, name, _ in SUPPLIERS)

    # While the box is open, each expert signs in (the report waits for the opening).
    experts = [signed_in(browser, server, actors[f"zj{n}"], tmp_path) for n in range(EXPERTS)]

    # The readiness signal: the box's state, as the public page computes it, turns to "due"
    # once the deadline's minute has passed.
    public(server, "/procurements/wb2", "投标已截止，待封存开标")
    open_form(agency, server, "CloseBidBox", "wb2")
    agency.fill(field("date"), today.isoformat())
    agency.fill(field("time"), minute)
    recorded(agency)
    open_form(agency, server, "OpenBids", "wb2")
    agency.fill(field("date"), today.isoformat())
    agency.fill(field("time"), minute)
    recorded(agency)
    opened = public(server, "/procurements/wb2", "已开标")
    assert all(name in opened for _, name, _ in SUPPLIERS), "every bidder named at the opening"

    # The evaluation: the lowest price ranks first (最低评标价法 for a standard product).
    ranked = sorted(SUPPLIERS, key=lambda s: float(s[2]))
    open_form(agency, server, "CompleteEvaluation", "wb2")
    agency.fill(field("date"), today.isoformat())
    results = agency.locator("fieldset:has(> legend:text-is('评审结果'))")
    for _ in SUPPLIERS[1:]:
        results.locator("> button:text-is('添加一项')").click()
    for n, (org, _, _) in enumerate(SUPPLIERS):
        row = results.locator("ol.rows > li").nth(n)
        row.locator('[name="supplier"]').fill(org)
        row.locator('[name="valid"]').select_option("true")
        row.locator('[name="rank"]').fill(str(ranked.index(SUPPLIERS[n]) + 1))
    agency.click("#report-link-make")
    link = agency.get_attribute("#report-link", "href")
    assert link is not None and link.startswith("/workbench/forms/report#")

    codes = []
    for page in experts:
        page.goto(server.url + link)
        page.wait_for_selector("#report:not([hidden])")
        report = page.inner_text("#report")
        assert ranked[0][1] in report and "第1名" in report, report
        page.click("#sign-report")
        page.wait_for_selector("#signed:not([hidden])")
        codes.append(page.input_value("#signature-code"))
        assert page.evaluate(WIDTH) <= 390  # usable at 390 px
        assert codes[-1] and "{" not in codes[-1]

    # Only an expert signs a report: the purchaser's key is turned away.
    purchaser.goto(server.url + link)
    assert "只有评审专家签署评审报告" in purchaser.inner_text("main")

    committee = agency.locator("fieldset.committee")
    for n, code in enumerate(codes):
        committee.locator("> button:text-is('添加评审专家')").click()
        row = committee.locator("ol.rows > li").nth(n)
        if n == 0:  # a code mangled on its way is caught before signing
            row.locator('[name="signature_code"]').fill(code[:-12])
            agency.click("#command-form button[type=submit]")
            assert "签名码不完整或有误" in agency.inner_text("#errors")
        row.locator('[name="signature_code"]').fill(code)
        row.locator("text=已签署本评审报告").wait_for()
        assert EXPERT_NAMES[n] in row.inner_text()
    # The results changed after the experts signed: their signatures no longer fit.
    score = results.locator("ol.rows > li").nth(0).locator('[name="score"]')
    score.fill("90")
    score.dispatch_event("change")
    committee.locator("text=的签名与本评审报告不符").first.wait_for()
    agency.click("#command-form button[type=submit]")
    assert "内容改动后，请评审专家重新签署" in agency.inner_text("#errors")
    score.fill("")
    score.dispatch_event("change")
    agency.wait_for_function(
        "() => document.querySelectorAll('fieldset.committee [role=status]').length === 4"
        " && [...document.querySelectorAll('fieldset.committee [role=status]')]"
        ".every(s => s.textContent.endsWith('已签署本评审报告'))"
    )
    # The third expert was chosen by the purchaser, with its 主管预算单位's consent.
    chosen = committee.locator("ol.rows > li").nth(2)
    chosen.locator('[name="selection"]').select_option("chosen")
    chosen.locator('[name="consent_by"]').fill("澄溪县卫生健康局")
    chosen.locator('[name="consent_reference"]').fill("澄卫函〔2026〕18号")
    chosen.locator('[name="consent_reason"]').fill("专业性强，专家库中该品目专家不足。")
    committee.locator("> button:text-is('添加采购人代表')").click()
    assert agency.evaluate(WIDTH) <= 390
    committee.locator('[name="representative_name"]').fill("赵敏")
    agency.click("#command-form button[type=submit]")
    agency.wait_for_selector("#preview:not([hidden])")
    preview = agency.inner_text("#preview")
    assert "评审专家4人" in preview and "采购人代表1人：赵敏（密封）" in preview, preview
    agency.click("#sign")
    agency.wait_for_function(SETTLED)
    assert agency.is_visible("#receipt"), agency.inner_text("#form-status")

    winner, _, amount = ranked[0]
    open_form(purchaser, server, "DecideAward", "wb2")
    purchaser.fill(field("date"), today.isoformat())
    purchaser.fill(field("supplier"), winner)
    purchaser.fill(field("amount"), amount)
    recorded(purchaser)
    open_form(agency, server, "AnnounceResult", "wb2")
    agency.fill(field("date"), today.isoformat())
    recorded(agency)
    open_form(purchaser, server, "SignContract", "wb2")
    purchaser.fill(field("date"), today.isoformat())
    purchaser.fill(field("contract_number"), "QHX-2026-WB2")
    purchaser.fill(field("amount"), amount)
    recorded(purchaser)
    open_form(agency, server, "AnnounceContract", "wb2")
    agency.fill(field("date"), today.isoformat())
    recorded(agency)
    open_form(purchaser, server, "RecordAcceptance", "wb2")
    purchaser.fill(field("date"), today.isoformat())
    purchaser.select_option(field("passed"), "true")
    purchaser.fill(field("report"), "设备到货安装调试合格。")
    recorded(purchaser)

    verified = sunshine("verify", data_dir=tmp_path, db=db_url, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The public page, in the browser at a URL it has not cached, shows each step.
    public(server, "/procurements/wb2", "履约验收")
    viewer = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    viewer.goto(f"{server.url}/procurements/wb2?shown={today.isoformat()}")
    text = viewer.inner_text("main")
    assert TITLE in text and "已履约验收" in text
    opening = f"开标时间：{today.year}年{today.month}月{today.day}日 {minute}"
    for step in ("采购计划备案", "批复采购计划", "批准采购方式", "公开采购意向", "发布采购公告",
                 "投标截止，投标箱封存", opening,
                 "完成评审", "确定中标（成交）供应商", "发布结果公告", "签订合同", "发布合同公告",
                 "履约验收", "验收结论：合格"):  # fmt: skip
        assert step in text, (step, text)
    # The bids opened, the committee disclosed with the result.
    assert all(name in text for _, name, _ in SUPPLIERS)
    assert "评审专家：" + "、".join(EXPERT_NAMES[:EXPERTS]) in text and "采购人代表：赵敏" in text
