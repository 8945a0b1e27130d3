"""The workbench's preview against `sunshine serve`, on SQLite and PostgreSQL: over real HTTP,
``POST /workbench/preview`` answers the entry as the procurement's public page will show it,
with a warning for each rule the action would break, and stores nothing; it refuses as
``POST /commands`` refuses, and only the signed-in official, from this origin, is answered.
In chromium: the form previews a late result announcement as the public page shows it, warns
of it before signing, and once signed the public page shows the very same entry; on the demo,
with its key file, the school answers its overdue challenge the same way."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    Actor,
    DemoLedger,
    Server,
    World,
    built_and_served,
    eventually,
    hospital_world,
    served_demo,
)
from csp_watch import violations, watch_policy
from procurement_world import County
from workbench_browser import SETTLED, field, open_form
from workbench_browser import signed_in as in_browser

from ledger.application import Ledger
from ledger.domain.context import china_day
from ledger.store.url import DatabaseURL

LATE = "将被记为：自中标、成交供应商确定之日起公告中标、成交结果（依据：财政部令第87号 第六十九条）"


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Actor]]]:
    """A procurement awarded to 云岭信达 on 7 May 2026, its result not yet announced."""
    def build(ledger: Ledger) -> dict[str, Actor]:
        county = County(hospital_world(ledger))
        county.to_evaluated()
        county.act(county.purchaser, "DecideAward",
                   {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
        world: World = county.world
        return dict(world.actors)

    with built_and_served(db_url, tmp_path, build) as served:
        yield served


def signed_in(server: Server, actor: Actor) -> httpx.Client:
    """A client (not opened yet) with the actor's workbench session cookie."""
    with httpx.Client(base_url=server.url, timeout=30) as signing:
        challenge = signing.get("/workbench/challenge").json()["challenge"]
        body = actor.body("SignIn", {"challenge": challenge})
        answer = signing.post("/workbench/session", content=body)
        assert answer.status_code == 200, answer.text
        cookies = httpx.Cookies(signing.cookies)
    return httpx.Client(base_url=server.url, timeout=30, cookies=cookies)


def ask(client: httpx.Client, kind: str, payload: dict[str, Any], **headers: str) -> httpx.Response:
    return client.post("/workbench/preview", headers={"Accept": "application/json", **headers},
                       json={"type": kind, "procurement": "p1", "payload": payload})  # fmt: skip


def size(server: Server) -> int:
    return int(httpx.get(server.url + "/log/checkpoint").text.split("\n")[1])


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_a_late_result_announcement_is_previewed_as_public_with_its_warning(
    site: tuple[Server, dict[str, Actor]],
) -> None:
    server, actors = site
    agency = actors["ggzy-op"]
    eventually(lambda: "p1" in httpx.get(server.url + "/procurements/p1").text, server.process)
    before = size(server)
    with signed_in(server, agency) as client:
        answer = ask(client, "AnnounceResult", {"date": "2026-05-13"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    shown = text(answer.text)
    # The entry as the public page shows it: its name, the winner by its registered name.
    assert "2026年5月13日 发布结果公告 查看中标（成交）结果公告" in shown, shown
    assert "中标（成交）供应商：云岭信达信息技术有限公司" in shown
    rule = "自中标、成交供应商确定之日起公告中标、成交结果"
    assert f"记录提示：{rule}（财政部令第87号 第六十九条）" in shown
    assert LATE + "；期限 2026年5月9日，实际 2026年5月13日" in shown
    assert size(server) == before, "a preview records nothing"

    # On time: the same entry, and no warning.
    with signed_in(server, agency) as client:
        on_time = text(ask(client, "AnnounceResult", {"date": "2026-05-08"}).text)
    assert "中标（成交）供应商：云岭信达信息技术有限公司" in on_time
    assert "将被记为" not in on_time and "记录提示" not in on_time


def test_a_preview_is_refused_as_the_ledger_refuses_the_command(
    site: tuple[Server, dict[str, Actor]],
) -> None:
    server, actors = site
    with signed_in(server, actors["ggzy-op"]) as agency:
        bad = ask(agency, "SignContract", {"date": "5月20日", "amount": "一百万"})
        assert bad.status_code == 422
        refusal = bad.json()
        assert refusal["code"] == "invalid_fields"
        fields = {e["field"] for e in refusal["errors"]}
        assert {"payload.date", "payload.amount", "payload.contract_number"} <= fields
        assert all(re.search(r"[\u4e00-\u9fff]", e["message"]) for e in refusal["errors"])
        # Another origin is refused before anything is decided; so is a body not JSON.
        other = ask(agency, "AnnounceResult", {"date": "2026-05-08"},
                    Origin="http://evil.example")  # fmt: skip
        assert other.status_code == 403 and other.json()["code"] == "cross_origin"
        form = agency.post("/workbench/preview", data={"type": "AnnounceResult"},
                           headers={"Accept": "application/json"})  # fmt: skip
        assert form.status_code == 415
    with signed_in(server, actors["kangtai-op"]) as supplier:
        forbidden = ask(supplier, "AnnounceResult", {"date": "2026-05-08"})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    # Without a session: nothing is decided.
    anonymous = httpx.post(
        server.url + "/workbench/preview", headers={"Accept": "application/json"},
        json={"type": "AnnounceResult", "procurement": "p1", "payload": {"date": "2026-05-08"}},
    )  # fmt: skip
    assert anonymous.status_code == 401


def test_the_form_previews_the_public_entry_and_warns_then_the_public_page_shows_it(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    server, actors = site
    eventually(lambda: "p1" in httpx.get(server.url + "/procurements/p1").text, server.process)
    agency = in_browser(browser, server, actors["ggzy-op"], tmp_path)
    open_form(agency, server, "AnnounceResult", "p1")
    agency.fill(field("date"), "2026-05-13")
    agency.click("#command-form button[type=submit]")
    agency.wait_for_selector("#preview:not([hidden])")

    entry = agency.inner_text("#public-preview ol.timeline > li")
    assert "中标（成交）供应商：云岭信达信息技术有限公司" in entry
    assert "日志条目（签名提交后编号）" in entry
    warned = agency.inner_text("#public-preview .warnings")
    assert LATE in warned and "仍可签名提交" in warned
    # In the public pages' own styles: the finding as the public page colours it.
    colour = "s => getComputedStyle(document.querySelector(s)).color"
    assert agency.evaluate(colour, "#public-preview .finding") == "rgb(154, 103, 0)"
    assert agency.evaluate("() => document.documentElement.scrollWidth") <= 390

    agency.click("#sign")  # a finding is recorded, not refused
    agency.wait_for_function(SETTLED)
    receipt = agency.inner_text("#receipt")
    assert "已记入日志" in receipt, receipt
    index = int(re.findall(r"\d+", receipt)[0])

    public = agency.context.new_page()
    eventually(lambda: f"日志条目 {index}" in httpx.get(server.url + "/procurements/p1").text,
               server.process)  # fmt: skip
    public.goto(server.url + "/procurements/p1")
    shown = public.inner_text("ol.timeline > li:last-child")
    assert shown == entry.replace("日志条目（签名提交后编号）", f"日志条目 {index}")
    assert public.evaluate(colour, ".timeline .finding") == "rgb(154, 103, 0)"


def test_on_the_demo_the_school_previews_its_late_answer_signs_it_and_sees_it_public(
    browser: Any, demo_template: DemoLedger, tmp_path: Path
) -> None:
    """澄溪县第一中学 (``qhx-yz-op``, its demo key file) answers challenge qhx-2026-083-ZY1, due
    on 6 July 2026, from its 待办: warned before signing, recorded all the same."""
    with served_demo(demo_template, tmp_path / "demo") as (demo, server):
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        watch_policy(page)
        page.goto(server.url + "/workbench")
        page.fill("#import-actor", "qhx-yz-op")
        page.set_input_files("#key-file", str(demo.data / "demo-keys" / "qhx-yz-op.pem"))
        page.press("#import-actor", "Enter")
        page.click("#todo a:has-text('答复质疑（qhx-2026-083-ZY1）')")
        page.wait_for_selector(field("answer"))
        page.fill(field("date"), china_day(datetime.now(UTC)).isoformat())
        page.select_option(field("outcome"), "rejected")
        page.fill(field("answer"), "招标文件的资格要求依据行业规定，未排斥潜在投标人。")
        procurement = page.input_value("#procurement")
        page.click("#command-form button[type=submit]")
        page.wait_for_selector("#preview:not([hidden]), #errors:not([hidden])")
        assert page.is_hidden("#errors"), page.inner_text("#errors")

        entry = page.inner_text("#public-preview ol.timeline > li")
        finding = re.search(r"记录提示：(.+?)（(.+?)）；期限", entry)
        assert finding is not None, entry
        warned = page.inner_text("#public-preview .warnings")
        assert f"将被记为：{finding[1]}（依据：{finding[2]}）；期限 2026年7月6日" in warned, warned
        assert violations(page) == []  # the fragment placed under the page's policy
        page.click("#sign")
        page.wait_for_function(SETTLED)
        receipt = page.inner_text("#receipt")
        assert "已记入日志" in receipt, receipt
        index = int(re.findall(r"\d+", receipt)[0])

        url = f"{server.url}/procurements/{procurement}"
        eventually(lambda: f"日志条目 {index}" in httpx.get(url).text, server.process)
        page.goto(url)
        shown = page.inner_text(f"ol.timeline > li:has(a[href='/log/entries/{index}'])")
        assert shown == entry.replace("日志条目（签名提交后编号）", f"日志条目 {index}")
        assert violations(page) == []
        context.close()
