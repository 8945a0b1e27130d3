"""A proof bundle downloaded from a served ledger, checked offline by `sunshine verify --bundle`:
exit 0 for the genuine bundle, 1 for a tampered one or a wrong pinned key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import TLS, Server, hospital_world, make_config, start_server, sunshine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from procurement_world import County

from ledger.application import Ledger
from ledger.domain.procurement import procurement_stream
from ledger.log.note import verifier_key
from ledger.store.url import DatabaseURL

TITLE = "澄溪县人民医院彩色多普勒超声诊断仪采购项目 <b>&amp;</b>"


@dataclass
class Served:
    server: Server
    data_dir: Path
    log_key: str
    tender: int  # leaf index of the tender announcement

    def bundle(self, index: int) -> httpx.Response:
        return httpx.get(f"{self.server.url}/log/bundle/{index}", timeout=30, verify=TLS)

    def save(self, value: Any, name: str = "bundle.json") -> Path:
        path = self.data_dir / name
        data = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def verify(self, *args: str) -> Any:
        return sunshine("verify", *args, data_dir=self.data_dir / "auditor", timeout=60)


@pytest.fixture
def served(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Served]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        county = County(world)
        county.to_announced(title=TITLE)
        tender = ledger.reader.size() - 1
        log_key = ledger.signer.verifier_key
    finally:
        ledger.close()
    (tmp_path / "auditor").mkdir()
    server = start_server(db_url, tmp_path)
    try:
        yield Served(server, tmp_path, log_key, tender)
    finally:
        server.stop()


def test_a_downloaded_bundle_verifies_offline_and_names_what_it_proves(served: Served) -> None:
    response = served.bundle(served.tender)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="sunshine-proof-{served.tender}.json"'
    )
    bundle = response.json()
    assert set(bundle) == {"index", "leaf", "size", "proof", "checkpoint", "log_key"}
    leaf = httpx.get(f"{served.server.url}/log/entries/{served.tender}", verify=TLS).content
    assert base64.b64decode(bundle["leaf"]) == leaf  # the exact served bytes
    assert bundle["checkpoint"] == httpx.get(f"{served.server.url}/log/checkpoint", verify=TLS).text
    assert bundle["log_key"] == served.log_key

    path = served.save(response.content, f"sunshine-proof-{served.tender}.json")
    done = served.verify("--bundle", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"OK: entry {served.tender}" in done.stdout
    assert f"type TenderAnnounced, stream {procurement_stream('p1')}" in done.stdout
    assert f"title: {TITLE}" in done.stdout
    assert "requirement: 技术参数见采购文件第三章。" in done.stdout
    assert "pin it with --log-key" in done.stdout

    pinned = served.verify("--bundle", str(path), "--log-key", served.log_key)
    assert pinned.returncode == 0, pinned.stdout
    assert "(pinned)" in pinned.stdout


def test_every_entry_has_a_bundle_that_verifies(served: Served) -> None:
    size = served.tender + 1
    for index in (0, size // 2, size - 1):
        path = served.save(served.bundle(index).content)
        done = served.verify("--bundle", str(path), "--log-key", served.log_key)
        assert done.returncode == 0, (index, done.stdout)


def test_tampered_bundles_and_a_wrong_pinned_key_exit_1(served: Served) -> None:
    bundle = served.bundle(served.tender).json()

    leaf = orjson.loads(base64.b64decode(bundle["leaf"]))
    leaf["data"]["title"] = "伪造的项目名称"
    forged = bundle | {"leaf": base64.b64encode(orjson.dumps(leaf)).decode()}
    done = served.verify("--bundle", str(served.save(forged)))
    assert done.returncode == 1
    assert "FAILED:" in done.stdout and "does not hash into the checkpoint's root" in done.stdout

    cut = bundle | {"proof": bundle["proof"][:-1]}
    done = served.verify("--bundle", str(served.save(cut)))
    assert done.returncode == 1 and "does not hash into" in done.stdout

    body, _, signature = bundle["checkpoint"].partition("\n\n")
    origin, size, root = body.split("\n")
    grown = bundle | {"checkpoint": f"{origin}\n{int(size) + 1}\n{root}\n\n{signature}"}
    done = served.verify("--bundle", str(served.save(grown)))
    assert done.returncode == 1 and "the checkpoint does not verify" in done.stdout

    origin_name = served.log_key.split("+")[0]
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    wrong = verifier_key(origin_name, raw)
    path = served.save(bundle)
    done = served.verify("--bundle", str(path), "--log-key", wrong)
    assert done.returncode == 1 and "pinned log key" in done.stdout

    done = served.verify("--bundle", str(served.data_dir / "missing.json"))
    assert done.returncode == 1 and "cannot read" in done.stdout
    done = served.verify("--bundle", str(served.save(b"<html>not a bundle</html>")))
    assert done.returncode == 1 and "not JSON" in done.stdout

    done = served.verify("--bundle", str(path), "--url", served.server.url)
    assert done.returncode == 2 and "offline" in done.stderr


def test_bundles_the_log_cannot_give_are_clear_4xx(served: Served) -> None:
    beyond = served.bundle(served.tender + 1000)
    assert beyond.status_code == 404 and beyond.json()["code"] == "not_found"
    for bad in ("abc", "-1", "99999999999999999999999"):
        response = httpx.get(f"{served.server.url}/log/bundle/{bad}", verify=TLS)
        assert response.status_code in (400, 404), (bad, response.status_code)
        assert "code" in response.json()
