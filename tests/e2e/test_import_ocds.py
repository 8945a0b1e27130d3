"""`sunshine import-ocds`: another system's OCDS recorded as signed, imported entries.

The real command line on a real SQLite file and a real PostgreSQL database; a URL served by
a real HTTP server in this process. After every refused source the log holds exactly what it
held before, and `sunshine verify` accepts the log after an import.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import (
    Actor,
    DemoLedger,
    World,
    copy_demo,
    eventually,
    genesis,
    make_config,
    start_server,
    sunshine,
)

from ledger import signing
from ledger.application import Ledger
from ledger.domain.schema.entry import parse_entry
from ledger.domain.schema.kinds import NOTICE_KINDS
from ledger.store.url import DatabaseURL

PREFIX = "ocds-x7k2p9"  # the other system's registered prefix (ours is the default)


def release(n: int, *, tag: str = "tender", amount: float = 1250000.5) -> dict[str, Any]:
    """A valid OCDS 1.1.5 release of the other system: camelCase keys, a decimal amount,
    Chinese names, nesting deeper than a command's canonical JSON takes."""
    ocid = f"{PREFIX}-2026-{n:04d}"
    return {
        "ocid": ocid,
        "id": f"{ocid}-{tag}",
        "date": "2026-03-02T09:30:00+08:00",
        "tag": [tag],
        "initiationType": "tender",
        "parties": [{"id": "CN-SAIC-1", "name": "邻县人民医院", "roles": ["buyer"]}],
        "buyer": {"id": "CN-SAIC-1", "name": "邻县人民医院"},
        "tender": {
            "id": f"{ocid}-t",
            "title": "医用耗材采购",
            "value": {"amount": amount, "currency": "CNY"},
            "items": [{"id": "1", "description": "输液器",
                       "classification": {"scheme": "CPV", "id": "33141000"},
                       "unit": {"name": "个", "value": {"amount": 2.35, "currency": "CNY"}}}],
        },
    }


@pytest.fixture(scope="module")
def demo_releases(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> list[dict[str, Any]]:
    """The demo year's own OCDS releases, as its service serves them (prefix ocds-qhx000)."""
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("demo-ocds"))
    notices = sum(
        1 for leaf in leaves(copy.url, copy.data)
        if leaf["type"] in NOTICE_KINDS and leaf["data"].get("announcement")
    )  # fmt: skip
    server = start_server(copy.url, copy.data, env={"SUNSHINE_OCID_PREFIX": "ocds-qhx000"})
    try:

        def caught_up() -> list[dict[str, Any]] | None:
            answer = httpx.get(f"{server.url}/ocds/2026/releases.json", timeout=60)
            if answer.status_code != 200:
                return None
            releases: list[dict[str, Any]] = answer.json()["releases"]
            return releases if len(releases) == notices else None

        return eventually(caught_up, server.process, every=0.2)
    finally:
        server.stop()


def package(releases: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({
        "uri": "https://other.example/ocds/2026.json",
        "publishedDate": "2026-03-03T00:00:00Z",
        "version": "1.1",
        "publisher": {"name": "邻县政府采购平台"},
        "releases": releases,
    })  # fmt: skip


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_with_importer(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[DatabaseURL, Path, Path]]:
    """A ledger with its genesis and an importing service 数据导入服务 whose key is on disk."""
    url: DatabaseURL = request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                               else "pg_url")  # fmt: skip
    data = tmp_path / "data"
    # Integrated as it is written: on PostgreSQL without it each command of the genesis
    # would wait its 5 s for a leaf no integrator makes.
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        world = World(ledger, genesis(ledger))
        importer: Actor = world.add("drfw", "importer", "drfw-svc", "开放数据导入服务")
        world.ledger.integrator.integrate()
    finally:
        ledger.close()
    key = tmp_path / "importer.pem"
    signing.write_key(key, importer.key)
    yield url, data, key


def run(url: DatabaseURL, data: Path, key: Path, source: str, *more: str) -> Any:
    return sunshine("import-ocds", source, "--key", str(key), *more, data_dir=data, db=url)


def leaves(url: DatabaseURL, data: Path) -> list[dict[str, Any]]:
    ledger = Ledger(make_config(url, data))
    try:
        size = ledger.integrator.integrate()
        return [orjson.loads(ledger.reader.entry(i)) for i in range(size)]
    finally:
        ledger.close()


def test_a_package_imports_once_and_verifies(
    ledger_with_importer: tuple[DatabaseURL, Path, Path], tmp_path: Path
) -> None:
    url, data, key = ledger_with_importer
    before = len(leaves(url, data))
    source = tmp_path / "other.json"
    source.write_bytes(package([release(n) for n in range(1, 6)]))

    done = run(url, data, key, str(source))
    assert done.returncode == 0, done.stderr
    assert "recorded 5, skipped 0" in done.stdout
    assert "已记录 5/5" in done.stderr  # the progress
    log = leaves(url, data)
    imported = log[before:]
    assert [e["type"] for e in imported] == ["ReleaseImported"] * 5
    first = parse_entry(orjson.dumps(imported[0])).data
    assert first.ocid == f"{PREFIX}-2026-0001"  # type: ignore[union-attr]
    assert first.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()  # type: ignore[union-attr]
    assert first.source == str(source)  # type: ignore[union-attr]
    kept = json.loads(first.release)  # type: ignore[union-attr]
    assert kept == release(1)  # the release as the other system published it
    assert imported[0]["actor"] == "drfw-svc"

    again = run(url, data, key, str(source))
    assert again.returncode == 0, again.stderr
    assert "recorded 0, skipped 5" in again.stdout
    assert len(leaves(url, data)) == len(log)

    # One more release in a later file: only it is recorded.
    source.write_bytes(package([release(n) for n in range(1, 7)]))
    more = run(url, data, key, str(source))
    assert "recorded 1, skipped 5" in more.stdout, more.stderr

    verified = sunshine("verify", "--jobs", "1", data_dir=data, db=url)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def refused(
    setup: tuple[DatabaseURL, Path, Path], source: str, *more: str
) -> str:
    """The command's refusal, having checked that the log did not change."""
    url, data, key = setup
    before = leaves(url, data)
    done = run(url, data, key, source, *more)
    assert done.returncode == 1, done.stdout
    assert leaves(url, data) == before
    return str(done.stderr)


def test_bad_sources_are_refused_whole_with_a_clear_message(
    ledger_with_importer: tuple[DatabaseURL, Path, Path], tmp_path: Path
) -> None:
    url, data, key = ledger_with_importer
    bad = tmp_path / "bad.json"

    bad.write_bytes(b'{"releases": [\n  {"ocid": "x",,}\n]}')
    message = refused(ledger_with_importer, str(bad))
    assert "不是合法的 JSON" in message and "第 2 行第 16 列" in message

    broken = release(3)
    broken["tender"]["value"]["amount"] = "一百万"
    bad.write_bytes(package([release(1), release(2), broken]))
    message = refused(ledger_with_importer, str(bad))
    assert f"发布 {PREFIX}-2026-0003 / {PREFIX}-2026-0003-tender" in message
    assert "字段 tender/value/amount" in message

    bad.write_bytes(package([release(1), release(1)]))
    assert "重复" in refused(ledger_with_importer, str(bad))

    ours = release(1)
    ours["ocid"] = "ocds-000000-2026-0001"  # the ledger's own prefix (the default setting)
    ours["id"] = "ocds-000000-2026-0001-tender"
    bad.write_bytes(package([ours]))
    assert "本账本自己的 ocid 前缀 ocds-000000" in refused(ledger_with_importer, str(bad))

    unregistered = release(1)
    unregistered["ocid"] = "2026-0001"
    bad.write_bytes(package([unregistered]))
    assert "ocds-xxxxxx" in refused(ledger_with_importer, str(bad))

    bad.write_bytes(package([release(1)]))
    message = refused(ledger_with_importer, str(bad), "--prefix", "ocds-abc123")
    assert "不是指定的 ocds-abc123" in message

    big = tmp_path / "big.json"
    big.write_bytes(package([release(n) for n in range(1, 200)]))
    message = refused(ledger_with_importer, str(big), "--max-bytes", "10000")
    assert "超过 10000 字节的上限" in message

    # A release recorded with other content refuses the whole later file.
    good = tmp_path / "good.json"
    good.write_bytes(package([release(1)]))
    assert run(url, data, key, str(good)).returncode == 0
    good.write_bytes(package([release(2), release(1, amount=99.5)]))
    message = refused(ledger_with_importer, str(good))
    assert f"发布 {PREFIX}-2026-0001 / {PREFIX}-2026-0001-tender 已以不同内容导入过" in message


def test_json_lines_from_a_url(
    ledger_with_importer: tuple[DatabaseURL, Path, Path],
) -> None:
    url, data, key = ledger_with_importer
    lines = b"\n".join(orjson.dumps(release(n)) for n in range(1, 4)) + b"\n"

    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = lines if self.path == "/releases.jsonl" else b"not here"
            self.send_response(200 if self.path == "/releases.jsonl" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        done = run(url, data, key, f"{base}/releases.jsonl")
        assert done.returncode == 0, done.stderr
        assert "recorded 3, skipped 0" in done.stdout
        assert f"sha256 {hashlib.sha256(lines).hexdigest()}" in done.stdout
        assert "HTTP 404" in refused(ledger_with_importer, f"{base}/missing.jsonl")
        assert "超过 100 字节" in refused(
            ledger_with_importer, f"{base}/releases.jsonl", "--max-bytes", "100"
        )
    finally:
        server.shutdown()
        server.server_close()


def test_the_demo_years_own_ocds_imports_under_another_prefix(
    ledger_with_importer: tuple[DatabaseURL, Path, Path],
    demo_releases: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real OCDS as a publisher writes it (parties, bids, awards, contracts, extensions'
    fields, links): refused as our own while its prefix is ours, recorded under another."""
    url, data, key = ledger_with_importer
    ours = tmp_path / "ours.json"
    ours.write_bytes(package(demo_releases))
    monkeypatch.setenv("SUNSHINE_OCID_PREFIX", "ocds-qhx000")
    assert "本账本自己的 ocid 前缀 ocds-qhx000" in refused(ledger_with_importer, str(ours))

    other = tmp_path / "other.json"
    other.write_bytes(ours.read_bytes().replace(b'"ocds-qhx000-', f'"{PREFIX}-'.encode()))
    done = run(url, data, key, str(other), "--prefix", PREFIX)
    assert done.returncode == 0, done.stderr
    assert f"recorded {len(demo_releases)}, skipped 0" in done.stdout
    verified = sunshine("verify", "--jobs", "1", data_dir=data, db=url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
