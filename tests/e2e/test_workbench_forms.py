"""The workbench's forms in a real chromium against `sunshine serve`: a procurement recorded
from the browser by the purchaser, the finance office, the agency and a supplier (its price
sealed in the browser), each step previewed, signed with the official's held key and
answered by a receipt; every field error listed at once in Chinese before signing; a request
changed after signing refused; the log verified at the end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    Actor,
    Server,
    built_and_served,
    hospital_world,
    sunshine,
)
from workbench_browser import SETTLED, field, open_form, sign, signed_in

from ledger.application import Ledger
from ledger.domain.context import china_day
from ledger.store.url import DatabaseURL
from projections.workbench.forms import FORMS

TITLE = "澄溪县人民医院彩色多普勒超声诊断仪采购项目"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: What an untranslated message would show: a field's path or an English rule's words.
ENGLISH = re.compile(r"payload\.|command\.|\b(?:required|must|field|invalid|rule)\b", re.I)


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Actor]]]:
    def build(ledger: Ledger) -> dict[str, Actor]:
        world = hospital_world(ledger)
        world.add("ggzy", "agency", "ggzy-op", "澄溪县公共资源交易中心")
        world.register_bid_box()
        return {"czj-admin": world.admin, **world.actors}

    with built_and_served(db_url, tmp_path, build) as served:
        yield served


def test_a_procurement_recorded_through_the_forms_is_public_and_verifies(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path, db_url: DatabaseURL
) -> None:
    server, actors = site
    today = china_day(datetime.now(UTC))
    deadline = today + timedelta(days=25)

    purchaser = signed_in(browser, server, actors["rmyy-op"], tmp_path)
    open_form(purchaser, server, "FilePlan")
    purchaser.fill(field("date"), today.isoformat())
    purchaser.fill(field("title"), TITLE)
    purchaser.select_option(field("category"), "goods")
    purchaser.select_option(field("method"), "open_tender")
    purchaser.fill(field("budget"), "1850000.00")
    assert "185 万元" in purchaser.inner_text("#fields")
    # The agency picked from the directory by its name.
    purchaser.fill(field("agency"), "交易中心")
    purchaser.wait_for_selector('#organisations option[value="ggzy"]', state="attached")
    purchaser.fill(field("agency"), "ggzy")
    purchaser.click("#command-form button[type=submit]")
    purchaser.wait_for_selector("#preview:not([hidden])")
    preview = purchaser.inner_text("#preview")
    # The plan as its public page will show it, and every field that will be signed.
    assert "预算金额 ¥1,850,000.00" in purchaser.inner_text("#public-preview ol.timeline")
    assert "预算金额（元）" in preview and "1850000.00 元（185 万元）" in preview
    assert "公开招标" in preview and "open_tender" not in preview
    purchaser.click("#sign")
    purchaser.wait_for_function(SETTLED)
    assert "已记入日志：日志序号" in purchaser.inner_text("#receipt")
    assert purchaser.get_attribute("#receipt-page", "href") == "/procurements/wb1"
    assert purchaser.get_attribute("#receipt-verify", "href").startswith("/log/entries/")

    finance = signed_in(browser, server, actors["czj-admin"], tmp_path)
    open_form(finance, server, "ApprovePlan")
    finance.fill(field("date"), today.isoformat())
    assert "已记入日志" in sign(finance)
    open_form(finance, server, "ApproveMethod")
    finance.fill(field("date"), today.isoformat())
    finance.fill(field("rationale"), "预算较大，依法公开招标。")
    assert "已记入日志" in sign(finance)

    agency = signed_in(browser, server, actors["ggzy-op"], tmp_path)
    open_form(agency, server, "AnnounceTender")
    agency.fill(field("date"), today.isoformat())
    agency.fill(field("requirement"), "彩色多普勒超声诊断仪1台，技术参数见采购文件第三章。")
    agency.fill(field("qualifications"), "具有医疗器械经营许可证。")
    agency.fill(field("contact"), "刘洋 0319-8123456")
    agency.fill(field("bid_deadline"), deadline.isoformat())
    agency.fill(field("bid_deadline_time"), "09:30")
    agency.fill(field("place"), "澄溪县公共资源交易中心开标一室")
    # An array of objects: one 采购标的 added, filled, a second added and removed.
    items = agency.locator("fieldset:has(> legend:text-is('采购标的（选填）'))")
    items.locator("> button:text-is('添加一项')").click()
    items.locator("> button:text-is('添加一项')").click()
    assert items.locator("ol.rows > li").count() == 2
    items.locator("ol.rows > li").nth(1).locator("button:text-is('删除此项')").click()
    row = items.locator("ol.rows > li").nth(0)
    row.locator('[name="name"]').fill("彩色多普勒超声诊断仪")
    row.locator('[name="catalogue"]').fill("A02320101")
    row.locator('[name="quantity"]').fill("1")
    row.locator('[name="unit"]').fill("台")
    assert "已记入日志" in sign(agency)

    # The supplier's bid: its price sealed in the browser, a receipt to keep.
    supplier = signed_in(browser, server, actors["kangtai-op"], tmp_path)
    open_form(supplier, server, "SubmitBid")
    supplier.fill(field("date"), today.isoformat())
    supplier.fill(field("price"), "1790000.00")
    got = sign(supplier)
    assert "已记入日志" in got and "投标回执" in got, got
    assert "1790000" not in supplier.inner_text("#bid-receipt-text")  # sealed: a commitment

    # Changed before the deadline: the receipt's link fills in the bid it supersedes.
    commitment = supplier.inner_text("#bid-commitment")
    supplier.click("#bid-change")
    supplier.wait_for_selector(field("price"))
    assert supplier.input_value(field("supersedes")) == commitment
    supplier.fill(field("date"), today.isoformat())
    supplier.fill(field("price"), "1780000.00")
    got = sign(supplier)
    assert "已记入日志" in got and supplier.inner_text("#bid-commitment") != commitment, got

    # Withdrawn, by the receipt's other link: no price, the latest bid superseded.
    latest = supplier.inner_text("#bid-commitment")
    supplier.click("#bid-withdraw")
    supplier.wait_for_selector(field("price"))
    assert supplier.input_value(field("supersedes")) == latest
    assert supplier.input_value(field("withdraw")) == "true"
    supplier.fill(field("date"), today.isoformat())
    assert "已记入日志" in sign(supplier)
    # Usable at 390 px: nothing wider than the screen.
    assert supplier.evaluate("() => document.documentElement.scrollWidth") <= 390

    # A challenge: its 查询码 shown prominently, the purchaser's 待办 links to the answer.
    open_form(supplier, server, "FileChallenge")
    supplier.fill(field("date"), today.isoformat())
    supplier.select_option(field("subject"), "documents")
    supplier.fill(field("grounds"), "资格要求指向特定供应商。")
    got = sign(supplier)
    assert "查询码" in supplier.inner_text("#lookup") and "请妥善保存" in got, got
    px = "e => parseFloat(getComputedStyle(e).fontSize)"
    code_px, body_px = (supplier.eval_on_selector(s, px) for s in ("#lookup .code", "body"))
    assert code_px >= 1.5 * body_px, (code_px, body_px)  # the code in large type: keep it
    number = supplier.inner_text("#lookup strong:first-of-type")
    for _ in range(40):  # 待办 reads the projections, which catch up with the log
        purchaser.goto(server.url + "/workbench")
        if f"答复质疑（{number}）" in purchaser.inner_text("#todo"):
            break
        purchaser.wait_for_timeout(250)
    assert f"答复质疑（{number}）" in purchaser.inner_text("#todo"), purchaser.inner_text("#todo")
    purchaser.click(f"#todo a:has-text('答复质疑（{number}）')")
    purchaser.wait_for_selector(field("answer"))
    assert purchaser.input_value(field("challenge")) == number
    assert purchaser.input_value("#procurement") == "wb1"
    purchaser.fill(field("date"), today.isoformat())
    purchaser.select_option(field("outcome"), "rejected")
    purchaser.fill(field("answer"), "资格要求依据行业许可规定，未指向特定供应商。")
    assert "已记入日志" in sign(purchaser)

    page_text = ""
    for _ in range(40):  # the public pages are built as the projection catches up
        supplier.goto(server.url + "/procurements/wb1")
        page_text = supplier.inner_text("main")
        if "发布采购公告" in page_text:
            break
        supplier.wait_for_timeout(250)
    assert TITLE in page_text and "公开招标" in page_text and "发布采购公告" in page_text
    assert f"投标截止时间：{deadline.year}年{deadline.month}月{deadline.day}日 09:30" in page_text
    assert "1790000" not in page_text and "云岭康泰" not in page_text  # the box keeps them

    verified = sunshine("verify", data_dir=tmp_path, db=db_url, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_every_field_error_is_shown_at_once_in_chinese_and_a_changed_request_is_refused(
    site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    server, actors = site
    page = signed_in(browser, server, actors["rmyy-op"], tmp_path)
    open_form(page, server, "FilePlan")
    page.fill(field("budget"), "1,850,000")
    page.fill(field("title"), "项" * 201)
    page.click("#command-form button[type=submit]")
    errors = page.inner_text("#errors")
    assert "有5处需要修改" in errors, errors
    assert "日期：必填" in errors and "采购项目类别：必填" in errors and "采购方式：必填" in errors
    assert "预算金额（元）：应为以元为单位的金额" in errors
    assert "项目名称：不能超过200个字（现为201个）" in errors
    assert page.is_hidden("#preview")  # nothing signed
    # Each error stands beside its field too.
    assert "必填" in page.inner_text('[data-field="payload.date"]')

    # A request changed after signing (its title, on its way) is refused.
    page.fill(field("title"), TITLE)
    page.fill(field("date"), china_day(datetime.now(UTC)).isoformat())
    page.select_option(field("category"), "goods")
    page.select_option(field("method"), "open_tender")
    page.fill(field("budget"), "1850000.00")

    def tamper(route: Any) -> None:
        body = route.request.post_data.replace(TITLE, "另一个项目")
        route.continue_(post_data=body)

    page.route("**/commands", tamper)
    refused = sign(page)
    assert refused.startswith("refused: 账本拒绝了这项记录：签名无效"), refused
    page.unroute("**/commands")
    page.goto(server.url + "/procurements/wb1")
    assert "另一个项目" not in page.inner_text("body")


def test_every_form_lists_its_errors_in_chinese(
    db_url: DatabaseURL, site: tuple[Server, dict[str, Actor]], browser: Any, tmp_path: Path
) -> None:
    """Each form of the workbench names its fields and lists (a row of each added) in Chinese
    and, sent empty, lists what it lacks in Chinese (the schema's titles and the server's
    sentences), never a field path or an English rule."""
    if not db_url.is_sqlite:
        pytest.skip("the forms are built and checked in the browser; SQLite shows it")
    server, actors = site
    page = signed_in(browser, server, actors["czj-admin"], tmp_path)
    for kind in FORMS:  # each has something required (its date, at least)
        open_form(page, server, kind, procurement="")
        for more in page.query_selector_all("#fields button:text-is('添加一项')"):
            more.click()  # a row of each list, so its fields' names are read too
        names = page.eval_on_selector_all(
            "#fields legend, #fields label", "ns => ns.map(n => n.textContent.trim())"
        )
        assert names and all(CJK.search(n) for n in names), (kind, names)
        page.click("#command-form button[type=submit]")
        page.wait_for_function(
            "() => document.getElementById('errors').textContent.trim().length > 0"
            " || !document.getElementById('preview').hidden"
        )
        errors = str(page.inner_text("#errors"))
        assert "处需要修改" in errors, (kind, errors)
        for line in filter(None, (x.strip() for x in errors.splitlines())):
            assert CJK.search(line), (kind, line)
            assert not ENGLISH.search(line), (kind, line)
        assert page.is_hidden("#preview"), kind  # nothing to sign while errors stand
