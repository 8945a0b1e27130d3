"""The organisation directory 单位名录 through a real server on the demo year: signed
registrations refused over HTTP with the field named, search by name and by 统一社会信用代码,
an amendment shown on the organisation's page, a hostile name escaped in a real browser, and
the page at 1280 and 390 px (screenshots under ``test-artifacts/screenshots/directory/``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, DemoLedger, eventually, served_demo

from demo.builder import ADMIN
from demo.keys import demo_key
from ledger import signing
from ledger.domain.credit_code import check_character

ARTEFACTS: Path = ROOT / "test-artifacts" / "screenshots" / "directory"
HOSTILE = '<script>window.hacked=1</script>"><img src=x onerror=alert(1)>澄溪县恶意有限公司'
HOSTILE_CODE = "911399017777777770"[:17]


@dataclass
class Site:
    url: str

    def post(self, actor: str, kind: str, payload: dict[str, Any]) -> httpx.Response:
        key = demo_key(actor)
        command = signing.new_command(kind, payload, actor=actor, key=key)
        body = json.dumps(signing.sign(command, key), ensure_ascii=False).encode()
        return httpx.post(self.url + "/commands", content=body, timeout=30,
                          headers={"content-type": "application/json"})  # fmt: skip

    def json(self, path: str, **params: str) -> Any:
        response = httpx.get(self.url + path, params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def html(self, path: str, **params: str) -> str:
        response = httpx.get(self.url + path, params=params, timeout=30,
                             headers={"accept": "text/html"})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Site]:
    with served_demo(demo_template, tmp_path_factory.mktemp("directory")) as (_demo, server):
        yield Site(server.url)


def kangtai(site: Site) -> dict[str, Any]:
    found = site.json("/organisations.json", q="康泰医疗器械")["organisations"]
    assert [o["code"] for o in found] == ["hb-kangtai"]
    return dict(found[0])


def supplier(code: str, name: str, credit_code: str) -> dict[str, Any]:
    return {"code": code, "name": name, "kind": "supplier", "region": "澄溪县",
            "address": "澄溪县文昌街1号", "credit_code": credit_code, "contact": "王建国",
            "telephone": "0319-8123456", "sme": "micro"}  # fmt: skip


def test_a_wrong_check_digit_is_refused_naming_the_field(site: Site) -> None:
    good = HOSTILE_CODE + check_character(HOSTILE_CODE)
    wrong = HOSTILE_CODE + ("0" if good[17] != "0" else "1")
    response = site.post(ADMIN, "RegisterOrganisation", supplier("xx-wrong", "某公司", wrong))
    assert response.status_code == 422, response.text
    assert "payload.credit_code" in response.json()["message"]
    assert f"校验码应为“{good[17]}”" in response.json()["message"]
    bad_phone = supplier("xx-wrong", "某公司", good) | {"telephone": "12345"}
    response = site.post(ADMIN, "RegisterOrganisation", bad_phone)
    assert response.status_code == 422 and "payload.telephone" in response.json()["message"]


def test_a_second_organisation_with_the_same_code_is_refused(site: Site) -> None:
    taken = kangtai(site)["credit_code"]
    response = site.post(ADMIN, "RegisterOrganisation", supplier("xx-copy", "仿冒公司", taken))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "credit_code_taken"
    assert "hb-kangtai" in response.json()["message"]
    assert site.json("/organisations.json", q="仿冒公司")["total"] == 0


def test_search_by_name_and_by_code(site: Site) -> None:
    found = kangtai(site)
    code = found["credit_code"]
    assert found["sme_zh"] and found["page"] == f"/organisations/{code}"
    by_code = site.json("/organisations.json", q=code)["organisations"]
    assert [o["code"] for o in by_code] == ["hb-kangtai"]
    by_prefix = site.json("/organisations.json", q=code[:12].lower())["organisations"]
    assert "hb-kangtai" in [o["code"] for o in by_prefix]
    page = site.html("/organisations", q="康泰医疗器械")
    assert f'href="/organisations/{code}"' in page and "云岭康泰医疗器械有限公司" in page
    suppliers = site.json("/organisations.json", kind="supplier")
    assert suppliers["total"] > 40 and {o["kind"] for o in suppliers["organisations"]} == {
        "supplier"
    }
    assert suppliers["pages"] > 1  # twenty to a page
    second = site.json("/organisations.json", kind="supplier", page="2")["organisations"]
    assert not {o["code"] for o in second} & {o["code"] for o in suppliers["organisations"]}
    bad = httpx.get(site.url + "/organisations", params={"kind": "martian"},
                    headers={"accept": "text/html"}, timeout=30)  # fmt: skip
    assert bad.status_code == 400 and "单位类别" in bad.text


def test_an_organisation_asked_for_by_its_code_is_sent_to_its_page(site: Site) -> None:
    # The workbench links a registry receipt, and the expert's report names suppliers, by
    # the ledger's code; an organisation with a 统一社会信用代码 has its page under that.
    credit = kangtai(site)["credit_code"]
    for suffix in ("", ".json"):
        moved = httpx.get(f"{site.url}/organisations/hb-kangtai{suffix}", timeout=30)
        assert moved.status_code == 308, moved.text
        assert moved.headers["location"] == f"/organisations/{credit}{suffix}"
    found = httpx.get(f"{site.url}/organisations/hb-kangtai.json", follow_redirects=True)
    assert found.json()["organisation"]["name"] == "云岭康泰医疗器械有限公司"
    nowhere = httpx.get(site.url + "/organisations/hb-nobody.json", timeout=30)
    assert nowhere.status_code == 404


def test_the_page_shows_identity_amendment_and_awards(site: Site) -> None:
    code = kangtai(site)["credit_code"]
    page = site.html(f"/organisations/{code}")
    # The demo's amendment: the supplier moved and named a new contact.
    assert "信息变更" in page and "地址变更为：澄溪县工业园二路6号" in page
    assert "联系人变更为：孙晓燕" in page
    assert "中标（成交）项目" in page and "¥" in page
    assert "hb-kangtai" not in page  # the internal code stays out of the page
    # A new amendment, signed by the supplier itself, appears once projected.
    response = site.post("hb-kangtai-op", "AmendOrganisation",
                         {"code": "hb-kangtai", "telephone": "13900001111"})  # fmt: skip
    assert response.status_code == 201, response.text
    shown = eventually(lambda: "联系电话变更为：13900001111" in site.html(f"/organisations/{code}")
                       or None)  # fmt: skip
    assert shown
    detail = site.json(f"/organisations/{code}.json")
    assert detail["organisation"]["telephone"] == "13900001111"
    assert detail["awards"] and all(a["amount"] for a in detail["awards"])


def test_a_recorded_debarment_shows_on_the_suppliers_page(site: Site) -> None:
    code = kangtai(site)["credit_code"]
    debarment = {"code": "hb-kangtai", "since": "2027-01-01", "until": "2027-12-31",
                 "document_number": "澄财采罚〔2026〕9号",
                 "reason": "提供虚假材料谋取中标"}  # fmt: skip
    response = site.post(ADMIN, "RecordDebarment", debarment)
    assert response.status_code == 201, response.text
    def shown() -> str | None:  # the server projects the log in the background
        page = site.html(f"/organisations/{code}")
        return page if "禁止参加政府采购活动记录" in page else None

    page = eventually(shown)
    assert "2027年1月1日至2027年12月31日，澄财采罚〔2026〕9号：提供虚假材料谋取中标" in page
    listed = site.json(f"/organisations/{code}.json")["debarments"]
    assert [(d["since"], d["document_number"]) for d in listed] == [
        ("2027-01-01", "澄财采罚〔2026〕9号")]  # fmt: skip
    # a purchaser cannot be debarred as a supplier
    refused = site.post(ADMIN, "RecordDebarment", debarment | {"code": "qhx-rmyy"})
    assert refused.status_code == 422 and "not a registered supplier" in refused.text


def test_procurement_pages_link_the_winner_to_the_directory(site: Site) -> None:
    detail = site.json(f"/organisations/{kangtai(site)['credit_code']}.json")
    procurement = detail["awards"][0]["procurement"]
    page = site.html(f"/procurements/{procurement}")
    assert f'<a href="/organisations/{detail["organisation"]["credit_code"]}">' in page


def test_notice_pages_link_purchaser_and_winner_to_the_directory(site: Site) -> None:
    detail = site.json(f"/organisations/{kangtai(site)['credit_code']}.json")
    procurement = detail["awards"][0]["procurement"]
    listed = site.html(f"/procurements/{procurement}")
    notices = re.findall(r'href="/announcements/([0-9]+)"', listed)
    assert notices
    named = re.compile(r'data-organisation="([^"]+)"[^>]*><a href="/organisations/([^"]+)">')
    linked = {n: named.findall(site.html(f"/announcements/{n}")) for n in notices}
    # every notice names its purchaser, linked; the result names the winner, linked
    assert all(found for found in linked.values()), linked
    winner = (detail["organisation"]["code"], detail["organisation"]["credit_code"])
    assert any(winner in found for found in linked.values())


def test_a_hostile_name_is_escaped(site: Site, browser: Any) -> None:
    credit = HOSTILE_CODE + check_character(HOSTILE_CODE)
    response = site.post(ADMIN, "RegisterOrganisation", supplier("xx-hostile", HOSTILE, credit))
    assert response.status_code == 201, response.text
    eventually(lambda: site.json("/organisations.json", q=credit)["total"] or None)
    page = site.html(f"/organisations/{credit}")
    assert "<script>window.hacked" not in page and "&lt;script&gt;" in page
    ctx = browser.new_context()
    try:
        tab = ctx.new_page()
        dialogs: list[str] = []
        def dismissed(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        tab.on("dialog", dismissed)
        for path in (f"/organisations/{credit}", f"/organisations?q={credit}"):
            tab.goto(site.url + path)
            assert tab.evaluate("() => window.hacked") is None
            assert HOSTILE in tab.inner_text("main")
        assert dialogs == []
    finally:
        ctx.close()


@pytest.mark.parametrize(("form", "width"), [("desktop", 1280), ("phone", 390)])
def test_the_directory_in_a_browser(site: Site, browser: Any, form: str, width: int) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN")
    try:
        tab = ctx.new_page()
        tab.goto(site.url + "/organisations")
        tab.fill("input[name=q]", "康泰")
        tab.select_option("select[name=kind]", "supplier")
        tab.click("button[type=submit]")
        tab.wait_for_url("**/organisations?*")
        tab.screenshot(path=str(ARTEFACTS / f"organisations-{form}-{width}.png"), full_page=True)
        assert "共 1 个单位" in tab.inner_text("main")
        tab.click("text=云岭康泰医疗器械有限公司")
        tab.wait_for_selector("#changes")
        tab.screenshot(path=str(ARTEFACTS / f"organisation-{form}-{width}.png"), full_page=True)
        text = tab.inner_text("main")
        assert "统一社会信用代码" in text and "中标（成交）项目" in text
        wide = tab.evaluate("() => document.scrollingElement.scrollWidth")
        assert wide <= width, f"the organisation page is {wide} px wide at {width} px"
    finally:
        ctx.close()
