"""The "验证" button in a real browser (Debian's chromium, headless) against `sunshine serve`:
green only when the leaf hashes into the signed root and every text shown is the leaf's own;
red, naming what failed, for a falsified page or a forged answer from the log."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TLS, eventually, hospital_world, make_config, start_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from procurement_world import County

from ledger.application import Ledger
from ledger.bundle import check_bundle
from ledger.log.note import parse_checkpoint, sign_note, verifier_key
from ledger.store.url import DatabaseURL

TITLE = "澄溪县人民医院彩色多普勒超声诊断仪采购项目（二期）"
PANEL = "[data-verify-panel]"
DONE = f"{PANEL}.ok, {PANEL}.bad"


@dataclass
class Site:
    url: str
    tender: int  # leaf index of the tender notice
    log_key: str

    def checkpoint_size(self) -> int:
        note = httpx.get(f"{self.url}/log/checkpoint", verify=TLS).text
        return parse_checkpoint(note.partition("\n\n")[0] + "\n").size


@contextmanager
def serve(url: DatabaseURL, data_dir: Path) -> Iterator[Site]:
    ledger = Ledger(make_config(url, data_dir, inline_integration=True))
    try:
        world = hospital_world(ledger)
        County(world).to_announced(title=TITLE)
        tender = ledger.reader.size() - 1
        county_tender = json.loads(ledger.reader.entry(tender))
        assert county_tender["type"] == "TenderAnnounced"
        log_key = ledger.signer.verifier_key
    finally:
        ledger.close()
    server = start_server(url, data_dir)
    try:
        site = Site(server.url, tender, log_key)
        # The projector follows the log a moment after the server starts.
        page = f"{site.url}/announcements/{tender}"
        eventually(lambda: httpx.get(page, verify=TLS).status_code == 200, server.process)
        yield site
    finally:
        server.stop()


@pytest.fixture
def site(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Site]:
    with serve(db_url, tmp_path) as served:
        yield served


@pytest.fixture
def sqlite_site(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Site]:
    with serve(sqlite_url, tmp_path) as served:
        yield served


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()


def key_name_and_id(key: str) -> str:
    return "+".join(key.split("+")[:2])  # the base64 after them may hold "+" too


def open_notice(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/announcements/{site.tender}")
    page.wait_for_selector('[data-verify="button"]:not([hidden])')


def verify(page: Any) -> tuple[str, str]:
    """Click 验证; the panel's final state ("ok" or "bad") and the result text."""
    page.click('[data-verify="button"]')
    panel = page.wait_for_selector(DONE, timeout=15_000)
    state = "ok" if "ok" in (panel.get_attribute("class") or "").split() else "bad"
    return state, page.text_content('[data-verify="result"]') or ""


def test_a_genuine_announcement_verifies_green(page: Any, site: Site) -> None:
    open_notice(page, site)
    panel = page.locator(PANEL)
    assert panel.locator('[data-verify="index"]').text_content() == str(site.tender)
    leaf = httpx.get(f"{site.url}/log/entries/{site.tender}", verify=TLS).content
    shown_hash = panel.locator('[data-verify="leaf-hash"]').text_content()
    assert shown_hash == base64.b64encode(hashlib.sha256(b"\0" + leaf).digest()).decode()
    assert page.get_attribute('[data-verify="result"]', "aria-live") == "polite"
    fields = page.locator("[data-leaf]").count()
    assert fields >= 5  # title, procurement, region, requirement, qualifications, place, …

    state, message = verify(page)
    assert state == "ok", message
    size = site.checkpoint_size()
    assert message.startswith("验证通过："), message
    # In words a reader knows: the entry by its Chinese name, the checkpoint by how many log
    # entries it holds; never the entry's English type or the tree's vocabulary.
    assert f"日志第 {site.tender} 条条目（发布采购公告）" in message
    assert f"该检查点含 {size} 条日志条目" in message
    for word in ("TenderAnnounced", "树大小", "根哈希"):
        assert word not in message
    assert key_name_and_id(site.log_key) in message  # to compare with a key got elsewhere
    assert f"页面上 {fields} 处文字与条目原文一致" in message
    assert "ok" in (page.get_attribute('[data-verify="result"]', "class") or "")
    assert page.errors == []


def test_a_falsified_page_turns_red_naming_the_field(page: Any, site: Site) -> None:
    open_notice(page, site)
    page.evaluate(
        """() => { document.querySelector('[data-leaf="title"]').textContent =
                   '澄溪县人民医院彩色多普勒超声诊断仪采购项目（三期）'; }"""
    )
    state, message = verify(page)
    assert state == "bad"
    assert message.startswith("验证失败：") and "项目名称" in message and "title" in message

    # One character of a requirement text, or a trailing space, is a different text.
    for change in ("e.textContent.replace('第三章', '第二章')", "e.textContent + ' '"):
        open_notice(page, site)
        page.evaluate(
            f"""() => {{ const e = document.querySelector('[data-leaf="requirement"]');
                         e.textContent = {change}; }}"""
        )
        state, message = verify(page)
        assert state == "bad" and "采购需求" in message and "requirement" in message, message

    # The shown leaf hash of another entry.
    open_notice(page, site)
    other = base64.b64encode(bytes(range(32))).decode()
    page.evaluate(
        f"""() => {{ document.querySelector('[data-verify="leaf-hash"]').textContent =
                     '{other}'; }}"""
    )
    state, message = verify(page)
    assert state == "bad" and "条目哈希" in message, message
    assert page.errors == []


def test_keyboard_users_can_verify(page: Any, sqlite_site: Site) -> None:
    open_notice(page, sqlite_site)
    page.focus('[data-verify="bundle"]')
    page.keyboard.press("Shift+Tab")  # the button precedes the bundle link
    assert page.evaluate("document.activeElement.dataset.verify") == "button"
    page.keyboard.press("Enter")
    page.wait_for_selector(DONE, timeout=15_000)
    assert "验证通过" in (page.text_content('[data-verify="result"]') or "")
    assert page.evaluate("document.activeElement.dataset.verify") == "button"


def test_the_bundle_link_downloads_a_bundle_that_checks(
    page: Any, sqlite_site: Site, tmp_path: Path
) -> None:
    open_notice(page, sqlite_site)
    with page.expect_download() as download:
        page.click('[data-verify="bundle"]')
    saved = tmp_path / download.value.suggested_filename
    assert saved.name == f"sunshine-proof-{sqlite_site.tender}.json"
    download.value.save_as(saved)
    checked = check_bundle(saved.read_bytes(), sqlite_site.log_key)
    assert checked.entry["data"]["title"] == TITLE


def _forge(page: Any, pattern: str, change: Any) -> None:
    """Answer requests matching ``pattern`` with the server's answer after ``change``."""

    def handle(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=change(response.body()))

    page.route(pattern, handle)


def test_forged_answers_from_the_log_turn_red(page: Any, sqlite_site: Site) -> None:
    site = sqlite_site

    def retitled(leaf: bytes) -> bytes:
        return leaf.replace(TITLE.encode(), "伪造的项目名称".encode())

    # A leaf other than the one shown: its hash is not the hash on the page.
    _forge(page, f"**/log/entries/{site.tender}", retitled)
    open_notice(page, site)
    state, message = verify(page)
    assert state == "bad" and "条目哈希" in message, message
    page.unroute(f"**/log/entries/{site.tender}")

    # A proof with one hash flipped does not lead to the signed root.
    def flipped(body: bytes) -> bytes:
        answer = json.loads(body)
        raw = bytearray(base64.b64decode(answer["proof"][0]))
        raw[0] ^= 1
        answer["proof"][0] = base64.b64encode(raw).decode()
        return json.dumps(answer).encode()

    _forge(page, "**/log/proof/inclusion**", flipped)
    open_notice(page, site)
    state, message = verify(page)
    assert state == "bad" and "不在检查点所确认的日志中" in message, message
    page.unroute("**/log/proof/inclusion**")

    # A checkpoint whose root was changed after signing.
    def rerooted(body: bytes) -> bytes:
        text, _, signatures = body.decode().partition("\n\n")
        origin, size, _ = text.split("\n")
        return f"{origin}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n\n{signatures}".encode()

    _forge(page, "**/log/checkpoint", rerooted)
    open_notice(page, site)
    state, message = verify(page)
    assert state == "bad" and "签名无效" in message, message
    page.unroute("**/log/checkpoint")

    # Another key, and a checkpoint it signed: the page names the key it trusted, and the
    # texts still must match, so a forged log cannot vouch for a falsified page.
    name = site.log_key.split("+", 1)[0]
    key = Ed25519PrivateKey.generate()
    forged_key = verifier_key(name, key.public_key().public_bytes_raw())
    _forge(page, "**/log/key", lambda _: forged_key.encode())
    open_notice(page, site)
    state, message = verify(page)
    assert state == "bad" and "未经日志密钥" in message and key_name_and_id(forged_key) in message
    page.unroute("**/log/key")

    size = site.checkpoint_size()
    note = httpx.get(f"{site.url}/log/checkpoint", verify=TLS).text
    body = note.partition("\n\n")[0] + "\n"
    resigned = sign_note(body, name, key)
    _forge(page, "**/log/key", lambda _: forged_key.encode())
    _forge(page, "**/log/checkpoint", lambda _: resigned.encode())
    open_notice(page, site)
    state, message = verify(page)
    # Consistent forgery of key and checkpoint (same tree): green, naming the forged key id,
    # which is why the message shows it — compare it with a key obtained elsewhere.
    assert state == "ok" and key_name_and_id(forged_key) in message
    assert f"含 {size} 条日志条目" in message
    assert page.errors == []
