"""What 验证 remembers: the last checkpoint a browser verified, per log (localStorage). On the
next visit the log must prove its new checkpoint extends that one; a smaller tree (rollback)
or another history (fork, split view) turns red. And the witnesses: where the log names them
(``/log/witness-policy``), green needs their quorum of valid cosignatures, amber names the
ones missing, a forged cosignature is red.

Real servers (`sunshine serve`) on one address, one after another, each over its own ledger,
all three signed with the same log key: a prefix of the log (what an operator rolling back
would serve), the log grown, and a fork of it. Debian's chromium, headless."""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TLS, World, eventually, free_port, hospital_world, make_config, start_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import parse_database_url

PANEL = "[data-verify-panel]"
DONE = f"{PANEL}.ok, {PANEL}.bad, {PANEL}.amber"


@dataclass(frozen=True)
class Ledgers:
    """Three data directories sharing one log key: ``prefix`` is ``grown`` before its last
    entries; ``fork`` has another history from the genesis on."""

    prefix: Path
    grown: Path
    fork: Path
    tender: int  # the tender notice's leaf index, the same in all three


def _db(data: Path) -> Any:
    return parse_database_url(f"sqlite:///{data / 'ledger.db'}")


def _announce(data: Path, title: str) -> tuple[World, int]:
    ledger = Ledger(make_config(_db(data), data, inline_integration=True))
    world = hospital_world(ledger)
    County(world).to_announced(title=title)
    return world, ledger.reader.size() - 1


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> Ledgers:
    root = tmp_path_factory.mktemp("histories")
    grown, prefix, fork = root / "grown", root / "prefix", root / "fork"
    grown.mkdir()
    world, tender = _announce(grown, "澄溪县人民医院彩色多普勒超声诊断仪采购项目")
    world.ledger.close()  # the file alone is the whole ledger
    shutil.copytree(grown, prefix)
    ledger = Ledger(make_config(_db(grown), grown, inline_integration=True))
    try:
        more = World(ledger, world.admin)
        more.add("hengyuan", "supplier", "hengyuan-op", "澄溪县恒远科技有限公司")
    finally:
        ledger.close()
    fork.mkdir()
    shutil.copy(grown / "log-key.pem", fork / "log-key.pem")  # the operator's own key
    world, forked = _announce(fork, "澄溪县人民医院彩色多普勒超声诊断仪采购项目（另一版本）")
    world.ledger.close()
    assert forked == tender
    return Ledgers(prefix, grown, fork, tender)


class Address:
    """One address (host and port) where servers over different ledgers take turns: the
    browser's memory is per address, as it would be for a log's public site."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    @contextmanager
    def serving(self, data: Path, tender: int) -> Iterator[str]:
        server = start_server(_db(data), data, port=self.port)
        try:
            page = f"{self.url}/announcements/{tender}"
            eventually(lambda: httpx.get(page, verify=TLS).status_code == 200, server.process)
            yield page
        finally:
            server.stop()


@pytest.fixture
def address() -> Address:
    return Address()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """One browser profile for the whole test: what it remembers survives page loads."""
    profile = browser.new_context()
    try:
        yield profile
    finally:
        profile.close()


def verify(context: Any, url: str) -> tuple[str, str]:
    """Open ``url`` in a new tab, click 验证: the panel's final state and the result text."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url)
        page.click('[data-verify="button"]:not([hidden])')
        panel = page.wait_for_selector(DONE, timeout=15_000)
        classes = (panel.get_attribute("class") or "").split()
        state = next(s for s in ("ok", "bad", "amber") if s in classes)
        assert errors == []
        return state, page.text_content('[data-verify="result"]') or ""
    finally:
        page.close()


def size_of(url: str) -> int:
    return int(httpx.get(f"{url}/log/checkpoint", verify=TLS).text.split("\n")[1])


def test_a_log_that_grows_stays_green_and_a_rollback_turns_red(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.prefix, ledgers.tender) as page:
        before = size_of(address.url)
        state, message = verify(context, page)
        assert state == "ok", message
        assert "此前未验证过此日志" in message and "已记住此检查点" in message

        state, message = verify(context, page)  # the same checkpoint again
        assert state == "ok", message
        assert f"与此浏览器上次验证的检查点相同，含 {before} 条日志条目" in message

    with address.serving(ledgers.grown, ledgers.tender) as page:
        after = size_of(address.url)
        assert after > before
        state, message = verify(context, page)
        assert state == "ok", message
        assert f"经一致性证明，是此浏览器上次验证的含 {before} 条日志条目的检查点的延续" in message

    # The operator puts back the older database, signed with the same key: a smaller tree.
    with address.serving(ledgers.prefix, ledgers.tender) as page:
        state, message = verify(context, page)
        assert state == "bad", message
        assert "日志被回滚" in message
        assert f"只含 {before} 条日志条目" in message and f"含 {after} 条日志条目" in message

        # A browser that never saw the larger tree has nothing to compare: green.
        fresh = context.browser.new_context()
        try:
            state, message = verify(fresh, page)
            assert state == "ok", message
        finally:
            fresh.close()


def test_another_history_under_the_same_key_turns_red(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.grown, ledgers.tender) as page:
        grown = size_of(address.url)
        state, message = verify(context, page)
        assert state == "ok", message

    # A split view: the same log key, another history (here of the same size as the prefix
    # the browser may have seen, or any other size: no consistency proof can join them).
    with address.serving(ledgers.fork, ledgers.tender) as page:
        forked = size_of(address.url)
        state, message = verify(context, page)
        assert state == "bad", message
        if forked == grown:
            assert "日志出现分叉" in message and "所含日志条目数相同，内容却不同" in message
        elif forked < grown:
            assert "日志被回滚" in message
        else:
            assert "一致性证明不成立" in message


def test_the_same_size_with_another_root_is_a_fork(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.prefix, ledgers.tender) as page:
        state, message = verify(context, page)
        assert state == "ok", message
        size = size_of(address.url)

    with address.serving(ledgers.fork, ledgers.tender) as page:
        assert size_of(address.url) == size  # the same commands, other keys and texts
        state, message = verify(context, page)
        assert state == "bad" and "日志出现分叉" in message, message
        assert "所含日志条目数相同，内容却不同" in message, message


def test_a_forged_consistency_proof_turns_red(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.prefix, ledgers.tender) as page:
        assert verify(context, page)[0] == "ok"
    with address.serving(ledgers.grown, ledgers.tender) as page:

        def flipped(route: Any) -> None:
            answer = route.fetch().json()
            raw = bytearray(base64.b64decode(answer["proof"][-1]))
            raw[0] ^= 1
            answer["proof"][-1] = base64.b64encode(raw).decode()
            route.fulfill(json=answer)

        context.route("**/log/proof/consistency**", flipped)
        try:
            state, message = verify(context, page)
        finally:
            context.unroute("**/log/proof/consistency**")
        assert state == "bad" and "一致性证明不成立" in message, message
        # The memory was not moved by the failure: with a genuine proof, green again.
        state, message = verify(context, page)
        assert state == "ok" and "延续" in message, message


# -- witnesses: the policy and cosignatures as /work/notes/witness-interface.md gives them,
# -- served here by the test (the log's own witness support is built separately) -----------


@dataclass(frozen=True)
class Witness:
    """A witness's key; ``vkey`` its verifier key (C2SP signed-note, type 0x04 cosignature)."""

    name: str
    key: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n\x04" + self.public).digest()[:4]

    @property
    def vkey(self) -> str:
        blob = base64.b64encode(b"\x04" + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def cosign(self, body: str, at: int | None = None) -> str:
        """A C2SP tlog-cosignature/v1 line over a checkpoint's body."""
        at = int(time.time()) if at is None else at
        message = f"cosignature/v1\ntime {at}\n".encode() + body.encode()
        blob = self.key_id + struct.pack(">Q", at) + self.key.sign(message)
        return f"\u2014 {self.name} {base64.b64encode(blob).decode()}\n"


SJJ = Witness("witness.qhx-sjj.localhost", Ed25519PrivateKey.generate())
JW = Witness("witness.qhx-jw.localhost", Ed25519PrivateKey.generate())
THIRD = Witness("witness.example.localhost", Ed25519PrivateKey.generate())

BOTH = f"""# 澄溪县: the audit bureau and the discipline commission must both cosign
witness 审计局 {SJJ.vkey} http://127.0.0.1:8102
witness 纪委监委 {JW.vkey}
group 审计局和纪委监委 all 审计局 纪委监委
quorum 审计局和纪委监委
"""
TWO_OF_THREE = f"""witness 审计局 {SJJ.vkey}
witness 纪委监委 {JW.vkey}
witness 第三方 {THIRD.vkey}
group 任意两家 2 审计局 纪委监委 第三方
quorum 任意两家
"""


def witnessed(context: Any, policy: str, cosign: Callable[[str], str]) -> Callable[[], None]:
    """Serve ``policy`` at /log/witness-policy and the checkpoint with ``cosign(body)``'s
    lines appended; returns what undoes it."""

    def checkpoint(route: Any) -> None:
        note = route.fetch().text()
        body = note.partition("\n\n")[0] + "\n"
        route.fulfill(body=note + cosign(body), content_type="text/plain; charset=utf-8")

    def served_policy(route: Any) -> None:
        route.fulfill(body=policy, content_type="text/plain; charset=utf-8")

    context.route("**/log/checkpoint", checkpoint)
    context.route("**/log/witness-policy", served_policy)

    def undo() -> None:
        context.unroute("**/log/checkpoint")
        context.unroute("**/log/witness-policy")

    return undo


def test_witness_quorum_green_amber_and_red(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.grown, ledgers.tender) as page:
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body) + JW.cosign(body))
        state, message = verify(context, page)
        undo()
        assert state == "ok", message
        assert "见证联署满足法定数（审计局和纪委监委）" in message

        # One of the two down: amber, naming the one missing; not remembered.
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body))
        state, message = verify(context, page)
        undo()
        assert state == "amber", message
        assert message.startswith("未达见证法定数：缺少见证：纪委监委。"), message

        undo = witnessed(context, BOTH, lambda body: "")
        state, message = verify(context, page)
        undo()
        assert state == "amber" and "缺少见证：审计局、纪委监委" in message, message

        # Two of three, any two.
        undo = witnessed(context, TWO_OF_THREE, lambda body: JW.cosign(body) + THIRD.cosign(body))
        state, message = verify(context, page)
        undo()
        assert state == "ok", message
        undo = witnessed(context, TWO_OF_THREE, lambda body: THIRD.cosign(body))
        state, message = verify(context, page)
        undo()
        assert state == "amber" and "缺少见证：审计局、纪委监委" in message, message

        # A cosignature under a witness's name and key id that does not verify: a forgery.
        def forged(body: str) -> str:
            impostor = Witness(JW.name, Ed25519PrivateKey.generate())
            line = impostor.cosign(body)
            blob = bytearray(base64.b64decode(line.split(" ")[2].strip()))
            blob[:4] = JW.key_id
            return SJJ.cosign(body) + f"\u2014 {JW.name} {base64.b64encode(blob).decode()}\n"

        undo = witnessed(context, BOTH, forged)
        state, message = verify(context, page)
        undo()
        assert state == "bad" and "纪委监委" in message and "联署签名无效" in message, message

        # Cosigned over another checkpoint body: the same.
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body) + JW.cosign(body + "x"))
        state, message = verify(context, page)
        undo()
        assert state == "bad" and "联署签名无效" in message, message

        # A policy the browser cannot read is red, not ignored.
        undo = witnessed(context, "quorum 没有定义的见证\n", lambda body: "")
        state, message = verify(context, page)
        undo()
        assert state == "bad" and "见证法定数" in message, message


def test_amber_does_not_move_what_the_browser_remembers(
    context: Any, address: Address, ledgers: Ledgers
) -> None:
    with address.serving(ledgers.prefix, ledgers.tender) as page:
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body) + JW.cosign(body))
        assert verify(context, page)[0] == "ok"
        undo()
        before = size_of(address.url)
    with address.serving(ledgers.grown, ledgers.tender) as page:
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body))
        state, message = verify(context, page)
        undo()
        assert state == "amber" and f"含 {before} 条日志条目的检查点的延续" in message, message
        undo = witnessed(context, BOTH, lambda body: SJJ.cosign(body) + JW.cosign(body))
        state, message = verify(context, page)
        undo()
        # Still compared with the last quorum-cosigned one, not the amber one.
        assert state == "ok" and f"含 {before} 条日志条目的检查点的延续" in message, message
