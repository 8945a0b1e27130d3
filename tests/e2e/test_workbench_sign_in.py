"""The workbench's sign-in for every official, in a real chromium against `sunshine serve`
on SQLite and on PostgreSQL: a key file imported or a key generated in the browser (held
non-extractable in IndexedDB), a signed challenge, a working-day session in an HttpOnly,
SameSite=Strict cookie, ended as soon as the key is revoked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Actor, Server, built_and_served, hospital_world

from ledger import signing
from ledger.application import Ledger
from ledger.store.url import DatabaseURL

#: What each official's home page says it signed in as.
ROLES = {
    "czj-admin": "财政部门（采购办）",
    "rmyy-op": "采购人",
    "zbgs-op": "采购代理机构",
    "kangtai-op": "供应商",
    "zj0": "评审专家",
    "jw-op": "纪检监察 / 审计 / 检察院",
}
#: The page reads every state off the status line; a function, not an expression, because
#: Playwright polls an expression with eval, which the page's policy refuses.
SETTLED = (
    "() => (t => t.length > 4 && !t.includes('正在登录'))"
    "(document.getElementById('status').textContent)"
)


@dataclass
class Site:
    server: Server
    actors: dict[str, Actor]

    @property
    def url(self) -> str:
        return self.server.url

    def submit(self, actor: str, kind: str, payload: dict[str, Any]) -> httpx.Response:
        body = self.actors[actor].body(kind, payload)
        return httpx.post(self.url + "/commands", content=body, timeout=30)


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Site]:
    def build(ledger: Ledger) -> dict[str, Actor]:
        world = hospital_world(ledger)
        world.add("zbgs", "agency", "zbgs-op", "云岭招标咨询有限公司")
        world.expert(0)
        world.add("qhx-jw", "inspector", "jw-op", "澄溪县纪委监委")
        world.add("qhx-fb", "publisher", "fb-op", "澄溪县政府采购信息发布服务")
        return {"czj-admin": world.admin, **world.actors}

    with built_and_served(db_url, tmp_path, build) as (server, actors):
        yield Site(server, actors)


def import_and_sign_in(page: Any, site: Site, actor: str, key_file: Path) -> None:
    page.goto(site.url + "/workbench")
    page.fill("#import-actor", actor)
    page.set_input_files("#key-file", str(key_file))
    page.click("#import-key button[type=submit]")


def test_every_official_signs_in_with_its_key_file_for_a_working_day(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    for actor, role in ROLES.items():
        key_file = tmp_path / f"{actor}.pem"
        signing.write_key(key_file, site.actors[actor].key)
        context = browser.new_context()
        try:
            page = context.new_page()
            import_and_sign_in(page, site, actor, key_file)
            page.wait_for_selector("text=有效至")
            assert f"您以{role}身份登录" in page.inner_text("main"), actor
            session = {c["name"]: c for c in context.cookies()}["sunshine_workbench"]
            assert session["httpOnly"] and session["sameSite"] == "Strict"
            assert session["path"] == "/workbench" and not session["secure"]
            assert 8 * 3600 - 120 < session["expires"] - time.time() <= 8 * 3600
            # A supervisory page is not opened by a workbench session.
            assert "sunshine_supervision" not in {c["name"] for c in context.cookies()}
            # The key is held: a new page of this browser signs in without the file.
            page.click("text=退出登录")
            page.wait_for_selector("#held-keys li")
            assert site.actors[actor].key_id in page.inner_text("#held-keys")
            page.click("#held-keys li button:has-text('用此密钥登录')")
            page.wait_for_selector("text=有效至")
        finally:
            context.close()

    # A service signs by program: its key opens no workbench.
    signing.write_key(tmp_path / "fb-op.pem", site.actors["fb-op"].key)
    context = browser.new_context()
    try:
        page = context.new_page()
        import_and_sign_in(page, site, "fb-op", tmp_path / "fb-op.pem")
        page.wait_for_function(SETTLED)
        assert "服务账户不能登录" in page.inner_text("#status")
        assert context.cookies() == []
    finally:
        context.close()


def test_a_key_made_in_the_browser_signs_in_once_registered_and_not_after_revocation(
    site: Site, browser: Any
) -> None:
    assert site.submit("czj-admin", "RegisterActor", {
        "code": "rmyy-clerk", "organisation": "rmyy", "role": "purchaser", "name": "李静",
    }).status_code == 201  # fmt: skip
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(site.url + "/workbench")
        # By keyboard: the actor code typed, the form submitted with Enter.
        page.focus("#generate-actor")
        page.keyboard.type("rmyy-clerk")
        page.keyboard.press("Enter")
        page.wait_for_selector("#generated:not([hidden])")
        key_id = page.inner_text("#generated-id")
        public_key = page.inner_text("#generated-public")
        # Held in IndexedDB, and no script can read the private key out.
        extractable = page.evaluate(
            """(keyId) => new Promise((resolve) => {
                 const open = indexedDB.open("sunshine-workbench");
                 open.onsuccess = () => {
                   const keys = open.result.transaction("keys").objectStore("keys");
                   const get = keys.get(keyId);
                   get.onsuccess = () => resolve(get.result.key.extractable);
                 };
               })""",
            key_id,
        )
        assert extractable is False
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

        # Not registered yet: refused, in Chinese.
        page.click(f"#held-keys li[data-key-id='{key_id}'] button:has-text('用此密钥登录')")
        page.wait_for_function(SETTLED)
        assert "尚未登记" in page.inner_text("#status")

        registered = site.submit(
            "czj-admin", "RegisterKey", {"actor": "rmyy-clerk", "public_key": public_key}
        )
        assert registered.status_code == 201, registered.text
        button = f"#held-keys li[data-key-id='{key_id}'] button:has-text('用此密钥登录')"
        page.focus(button)
        page.keyboard.press("Enter")
        page.wait_for_selector("text=有效至")
        assert "李静（澄溪县人民医院）" in page.inner_text("main")
        assert "您以采购人身份登录" in page.inner_text("main")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

        revoked = site.submit("czj-admin", "RevokeKey", {"key_id": key_id, "reason": "调岗"})
        assert revoked.status_code == 201, revoked.text
        page.reload()
        assert "已吊销" in page.inner_text(".ended")
        assert "工作台登录" in page.inner_text("h1")
        assert httpx.get(site.url + "/workbench/session", cookies={
            "sunshine_workbench": "x"}).status_code == 401  # fmt: skip
        # The revoked key signs nothing: not even a sign-in.
        page.click(button)
        page.wait_for_function(SETTLED)
        assert "已吊销" in page.inner_text("#status")
    finally:
        context.close()


def test_an_administrator_enrols_a_colleague_and_revokes_the_key_from_the_workbench(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    """rmyy-op, the hospital's first registered actor, administers it: from its workbench it
    registers a colleague and the key the colleague made in its own browser, then revokes
    it; the colleague's session ends and its key signs nothing more."""
    signing.write_key(tmp_path / "rmyy-op.pem", site.actors["rmyy-op"].key)
    admin_browser, colleague_browser = browser.new_context(), browser.new_context()
    try:
        admin = admin_browser.new_page()
        import_and_sign_in(admin, site, "rmyy-op", tmp_path / "rmyy-op.pem")
        admin.wait_for_selector("#staff")
        assert "澄溪县人民医院的人员与签名密钥" in admin.inner_text("#staff h2")
        admin.fill("#actor-code", "rmyy-clerk")
        admin.fill("#actor-name", "李静")
        admin.click("#register-actor button")
        admin.wait_for_selector("text=已签名并记入日志")
        assert "rmyy-clerk" in admin.inner_text("#staff table")

        colleague = colleague_browser.new_page()
        colleague.goto(site.url + "/workbench")
        colleague.fill("#generate-actor", "rmyy-clerk")
        colleague.click("#generate-key button")
        colleague.wait_for_selector("#generated:not([hidden])")
        key_id = colleague.inner_text("#generated-id")

        admin.select_option("#key-actor", "rmyy-clerk")
        admin.fill("#key-public", colleague.inner_text("#generated-public"))
        admin.click("#register-key button")
        admin.wait_for_selector(f"text={key_id}（有效）")

        sign_in = f"#held-keys li[data-key-id='{key_id}'] button:has-text('用此密钥登录')"
        colleague.click(sign_in)
        colleague.wait_for_selector("text=有效至")
        assert "李静（澄溪县人民医院）" in colleague.inner_text("main")
        assert colleague.query_selector("#staff") is None  # no administrator: no enrolment

        # Another organisation's administrator may not revoke it.
        foreign = site.submit("kangtai-op", "RevokeKey", {"key_id": key_id, "reason": "越权"})
        assert foreign.status_code == 403 and "roles.administer" in foreign.text
        admin.select_option("#revoke-id", key_id)
        admin.fill("#revoke-reason", "调离本单位")
        admin.click("#revoke-key button")
        admin.wait_for_selector(f"text={key_id}（已吊销）")

        colleague.reload()
        assert "已吊销" in colleague.inner_text(".ended")
        colleague.click(sign_in)
        colleague.wait_for_function(SETTLED)
        assert "已吊销" in colleague.inner_text("#status")
    finally:
        admin_browser.close()
        colleague_browser.close()


def test_the_finance_office_enrols_for_any_organisation_and_others_are_refused(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    signing.write_key(tmp_path / "czj-admin.pem", site.actors["czj-admin"].key)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        import_and_sign_in(page, site, "czj-admin", tmp_path / "czj-admin.pem")
        page.wait_for_selector("#staff")
        page.fill("#other-organisation", "kangtai")
        page.press("#other-organisation", "Enter")
        page.wait_for_selector("text=云岭康泰医疗器械有限公司的人员与签名密钥")
        assert "kangtai-op" in page.inner_text("#staff table")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        # A public key that is no Ed25519 key: refused in Chinese before anything is stored.
        page.fill("#key-public", "bm90IGEga2V5")
        page.click("#register-key button")
        page.wait_for_function(
            "() => (t => t.length > 4 && !t.includes('正在'))"
            "(document.getElementById('enrol-status').textContent)"
        )
        assert "公钥有误" in page.inner_text("#enrol-status")
    finally:
        context.close()
