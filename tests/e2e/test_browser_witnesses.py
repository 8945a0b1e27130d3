"""验证 against a log served with two real witnesses (`sunshine witness serve`, the 审计局's
and the 纪委监委's, each its own process): green with both cosignatures (the policy the log
serves needs both), amber naming the 纪委监委 once its witness is down and the log moves on.
Debian's chromium, headless; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TLS, Server, World, eventually, hospital_world, make_config, start_server
from procurement_world import County
from witnesses import WitnessProcess, new_witness

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

PANEL = "[data-verify-panel]"
DONE = f"{PANEL}.ok, {PANEL}.bad, {PANEL}.amber"


@dataclass
class Witnessed:
    server: Server
    world: World
    sjj: WitnessProcess
    jw: WitnessProcess
    tender: int

    def cosigned_by(self, count: int) -> bool:
        """The served checkpoint is the latest and carries ``count`` cosignatures."""
        headers = httpx.get(self.server.url + "/log/checkpoint", timeout=30, verify=TLS).headers
        return (headers["sunshine-cosignatures"], headers["sunshine-cosigned-lag"]) == (
            str(count), "0",
        )  # fmt: skip


@pytest.fixture
def witnessed(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Witnessed]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        County(world).to_announced(title="澄溪县人民医院彩色多普勒超声诊断仪采购项目")
        tender = ledger.reader.size() - 1
        log_key = ledger.signer.verifier_key
    finally:
        ledger.close()
    sjj = new_witness(tmp_path / "sjj", "witness.qhx-sjj.localhost", log_key).start()
    jw = new_witness(tmp_path / "jw", "witness.qhx-jw.localhost", log_key).start()
    listed = tmp_path / "witnesses.toml"
    listed.write_text(
        "".join(
            f'[[witness]]\nname = "{name}"\nurl = "{w.url}"\nkey = "{w.vkey}"\n\n'
            for name, w in (("审计局", sjj), ("纪委监委", jw))
        ),
        encoding="utf-8",
    )
    server = start_server(db_url, tmp_path, env={"SUNSHINE_WITNESSES": str(listed)})
    try:
        page = f"{server.url}/announcements/{tender}"
        eventually(lambda: httpx.get(page, verify=TLS).status_code == 200, server.process)
        yield Witnessed(server, world, sjj, jw, tender)
    finally:
        server.stop()
        sjj.stop()
        jw.stop()


def verify(browser: Any, url: str) -> tuple[str, str]:
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.click('[data-verify="button"]:not([hidden])')
        panel = page.wait_for_selector(DONE, timeout=15_000)
        classes = (panel.get_attribute("class") or "").split()
        assert errors == []
        state = next(s for s in ("ok", "bad", "amber") if s in classes)
        return state, page.text_content('[data-verify="result"]') or ""
    finally:
        context.close()


def test_green_with_both_witnesses_amber_without_one(browser: Any, witnessed: Witnessed) -> None:
    page = f"{witnessed.server.url}/announcements/{witnessed.tender}"
    eventually(lambda: witnessed.cosigned_by(2), witnessed.server.process)
    state, message = verify(browser, page)
    assert state == "ok", message
    assert "见证联署满足法定数" in message

    # The 纪委监委's witness goes down; the log records one more entry and moves on with the
    # 审计局's cosignature alone.
    witnessed.jw.kill()
    actor = witnessed.world.actors["rmyy-op"]
    body = actor.body("AmendOrganisation", {"code": "rmyy", "address": "澄溪县长江路12号"})
    url = witnessed.server.url + "/commands"
    assert httpx.post(url, content=body, timeout=60, verify=TLS).is_success
    eventually(lambda: witnessed.cosigned_by(1), witnessed.server.process)
    state, message = verify(browser, page)
    assert state == "amber", message
    assert message.startswith("未达见证法定数：缺少见证：纪委监委。"), message
