"""The service over real HTTP: `sunshine serve` in its own process, httpx and the CLI as clients."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import rfc8785
from conftest import (
    Actor,
    Server,
    hospital_world,
    make_config,
    start_server,
    sunshine,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger
from ledger.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.log.note import (
    Checkpoint,
    Verifier,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    verifier_key,
)
from ledger.store.url import DatabaseURL, parse_database_url

HUGE = 10**30


@dataclass
class Site:
    """A running server, the actors whose keys we hold, and where its data lives."""

    server: Server
    db: DatabaseURL
    data_dir: Path
    admin: Actor
    actors: dict[str, Actor] = field(default_factory=dict)
    first_checkpoint: Path | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)

    def post_raw(self, body: bytes | Iterator[bytes],
                 headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(self.url + "/commands", content=body, timeout=30,
                          headers={"content-type": "application/json", **(headers or {})})

    def post(self, actor: Actor, kind: str, payload: dict[str, Any],
             **extra: Any) -> httpx.Response:
        return self.post_raw(actor.body(kind, payload, **extra))

    def verifier_key_text(self) -> str:
        return self.get("/log/key").text.strip()

    def verifier(self) -> Verifier:
        return parse_verifier_key(self.verifier_key_text())

    def checkpoint(self) -> Checkpoint:
        response = self.get("/log/checkpoint")
        assert response.status_code == 200
        return parse_checkpoint(open_note(response.text, [self.verifier()]))

    def size(self) -> int:
        return self.checkpoint().size


def build_world(db: DatabaseURL, data_dir: Path) -> tuple[Actor, dict[str, Actor]]:
    """Genesis and two organisations in-process; the ledger is closed before serving."""
    ledger = Ledger(make_config(db, data_dir, inline_integration=True))
    try:
        world = hospital_world(ledger)
        world.add("kangtai", "supplier", "kangtai-old", "云岭康泰医疗器械有限公司")
        return world.admin, world.actors
    finally:
        ledger.close()


def open_site(db: DatabaseURL, data_dir: Path) -> Site:
    admin, actors = build_world(db, data_dir)
    server = start_server(db, data_dir)
    site = Site(server, db, data_dir, admin, actors)
    old = data_dir / "old-checkpoint.txt"
    old.write_text(site.get("/log/checkpoint").text, encoding="utf-8")
    site.first_checkpoint = old
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One SQLite-backed server shared by this module's tests."""
    data_dir = tmp_path_factory.mktemp("http")
    s = open_site(parse_database_url(f"sqlite:///{data_dir / 'ledger.db'}"), data_dir)
    try:
        yield s
    finally:
        s.server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    if request.param == "sqlite":
        db = parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        db = request.getfixturevalue("pg_url")
    s = open_site(db, tmp_path)
    try:
        yield s
    finally:
        s.server.stop()


def assert_error(response: httpx.Response, status: int, code: str, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) - {"message_zh"} == {"code", "message"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert fragment in body["message"], body


def assert_accepted(site: Site, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    assert receipt["status"] == "integrated"
    cp = parse_checkpoint(open_note(receipt["checkpoint"], [site.verifier()]))
    assert cp.size == receipt["size"]
    for event, proof in zip(receipt["events"], receipt["proofs"], strict=True):
        index = event["leaf_index"]
        assert proof["index"] == index
        leaf = site.get(f"/log/entries/{index}").content
        assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(leaf)
        verify_inclusion(leaf_hash(leaf), index, cp.size,
                         [base64.b64decode(p) for p in proof["proof"]], cp.root)
    return receipt


# -- happy path and a few refusals, on both backends -----------------------------------


def test_commands_over_http_on_each_backend(backend_site: Site) -> None:
    site = backend_site
    rmyy, kangtai = site.actors["rmyy-op"], site.actors["kangtai-op"]
    start = site.size()
    # genesis 3, the statutes adopted 2, two organisations 2 × 3, a second supplier actor 2
    assert start == 13

    receipt = assert_accepted(site, site.post(rmyy, "AmendOrganisation",
                                              {"code": "rmyy", "address": "澄溪县建设路1号"}))
    assert [e["leaf_index"] for e in receipt["events"]] == [start]
    assert receipt["events"][0]["type"] == "OrganisationAmended"
    entry = json.loads(site.get(f"/log/entries/{start}").content)
    assert entry["data"]["address"] == "澄溪县建设路1号"

    body = rmyy.body("AmendOrganisation", {"code": "rmyy", "region": "澄溪县"})
    assert_accepted(site, site.post_raw(body))
    size = site.size()
    assert size == start + 2
    assert_error(site.post_raw(body), 409, "replayed_nonce")
    assert_error(site.post(rmyy, "RegisterOrganisation",
                           {"code": "zyy", "name": "中医院", "kind": "purchaser",
                            "region": "澄溪县"}), 403, "forbidden", "rule registry.")
    assert_error(site.post(rmyy, "AmendOrganisation", {"code": "kangtai", "name": "x"}),
                 403, "forbidden", "rule registry.amend_organisation")
    stranger = Actor("kangtai-op", "kangtai", "supplier", Ed25519PrivateKey.generate())
    assert_error(site.post(stranger, "AmendOrganisation", {"code": "kangtai", "name": "x"}),
                 401, "unknown_key")
    command = kangtai.command("AmendOrganisation", {"code": "kangtai", "region": "白鹭"})
    forged = json.dumps(signing.sign(command, rmyy.key)).encode()
    assert_error(site.post_raw(forged), 401, "bad_signature")
    assert_error(site.post_raw(b'{"command": '), 400, "malformed")
    assert site.size() == size

    result = sunshine("verify", "--url", site.url, data_dir=site.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {size} entries" in result.stdout


# -- bad input over HTTP: a clear 4xx and nothing recorded -------------------------------


def signed_raw(actor: Actor, command: dict[str, Any]) -> bytes:
    return json.dumps(signing.sign(command, actor.key), ensure_ascii=False).encode()


def swap(raw: bytes, old: bytes, new: bytes) -> bytes:
    """Edit a signed body's bytes (the signature no longer matters: parsing comes first)."""
    assert raw.count(old) == 1, (raw, old)
    return raw.replace(old, new)


def bad_bodies(site: Site) -> list[tuple[str, bytes, int, str, str]]:
    rmyy = site.actors["rmyy-op"]
    amend = {"code": "rmyy", "region": "澄溪县"}

    def command(**changes: Any) -> dict[str, Any]:
        return {**rmyy.command("AmendOrganisation", amend), **changes}

    good = signing.sign(command(), rmyy.key)
    stranger = Actor("rmyy-op", "rmyy", "purchaser", Ed25519PrivateKey.generate())
    return [
        ("malformed JSON", b'{"command": {"type": ', 400, "malformed", "not valid JSON"),
        ("empty body", b"", 400, "malformed", "not valid JSON"),
        ("body is a list", b"[1, 2, 3]", 400, "malformed", "JSON object"),
        ("body is a string", b'"hello"', 400, "malformed", "JSON object"),
        ("payload is a list", signed_raw(rmyy, command(payload=["rmyy"])), 400, "malformed",
         "payload"),
        ("nonce is an int", signed_raw(rmyy, command(nonce=1234567890123456)), 400,
         "malformed", "nonce"),
        ("command is a string", json.dumps({"command": "x", "signature": good["signature"]})
         .encode(), 400, "malformed", "command"),
        ("signature is a number", json.dumps({**good, "signature": 1}).encode(), 400,
         "malformed", "signature"),
        ("signature bad base64", json.dumps({**good, "signature": "@@not base64!!"}).encode(),
         400, "malformed", "base64"),
        ("signature url-safe base64",
         json.dumps({**good, "signature": base64.urlsafe_b64encode(b"\xfb" * 64).decode()})
         .encode(), 400, "malformed", "base64"),
        ("signature too short",
         json.dumps({**good, "signature": base64.b64encode(b"\x01" * 32).decode()}).encode(),
         400, "malformed", "64 bytes"),
        ("signature does not verify",
         json.dumps({**good, "signature": base64.b64encode(b"\x01" * 64).decode()}).encode(),
         401, "bad_signature", rmyy.key_id),
        ("unknown key", stranger.body("AmendOrganisation", amend), 401, "unknown_key",
         stranger.key_id),
        ("forbidden role", rmyy.body("RegisterKey", {
            "actor": "kangtai-op", "public_key": signing.public_b64(stranger.key)}),
         403, "forbidden", "rule roles.administer.RegisterKey"),
        ("control character", rmyy.body("AmendOrganisation", {"code": "rmyy",
                                                                "name": "澄溪\u0007医院"}),
         400, "malformed", "U+0007"),
        ("bidi override", rmyy.body("AmendOrganisation", {"code": "rmyy",
                                                            "name": "澄溪\u202e医院"}),
         400, "malformed", "U+202E"),
        ("lone surrogate", swap(signed_raw(rmyy, command()), "澄溪县".encode(), b"\\ud800"),
         400, "malformed", "U+D800"),
        ("invalid UTF-8", swap(signed_raw(rmyy, command()), "澄溪县".encode(), b"\xff\xfe"),
         400, "malformed", "UTF-8"),
        ("float", swap(signed_raw(rmyy, command()), b'"payload": {', b'"payload":{"n":1.5,'),
         400, "malformed", "integers"),
        ("integer beyond 2**53", swap(signed_raw(rmyy, command()),
             b'"payload": {', b'"payload":{"n":9007199254740993,'), 400, "malformed", "2^53"),
        ("duplicate key", swap(signed_raw(rmyy, command()),
             b'"payload": {', b'"payload":{"code":"kangtai",'), 400, "malformed", "duplicate"),
        ("unknown command type", rmyy.body("DropAllTables", {}), 422, "unknown_command",
         "DropAllTables"),
        ("extra top-level field", json.dumps({**good, "admin": True}).encode(), 400,
         "malformed", "'admin'"),
        ("extra command field", signed_raw(rmyy, command(sudo=True)), 400, "malformed",
         "'sudo'"),
        ("missing command field",
         signed_raw(rmyy, {k: v for k, v in command().items() if k != "nonce"}), 400,
         "malformed", "'nonce'"),
        ("stale command", rmyy.body("AmendOrganisation", amend,
                                    issued_at=datetime.now(UTC) - timedelta(days=2)),
         422, "not_fresh", "older"),
        ("future command", rmyy.body("AmendOrganisation", amend,
                                     issued_at=datetime.now(UTC) + timedelta(hours=1)),
         422, "not_fresh", "future"),
        ("too large", signed_raw(rmyy, command(payload={"code": "rmyy",
                                                        "name": "医" * 30_000})),
         413, "too_large", "65536"),
        # Crafted to break the parser rather than the rules: each must still be a 400.
        ("integer of 5,000 digits", b'{"command": {"n": ' + b"9" * 5000 + b'}, "signature": ""}',
         400, "malformed", "too large"),
        ("nested 30,000 deep", b"[" * 30_000 + b"]" * 30_000, 400, "malformed", "deeper"),
        ("issued_at at the end of time",
         signed_raw(rmyy, command(issued_at="9999-12-31T23:59:59-23:59")), 400, "malformed",
         "issued_at"),
        ("issued_at before the start of time",
         signed_raw(rmyy, command(issued_at="0001-01-01T00:00:00+23:59")), 400, "malformed",
         "issued_at"),
    ]


def test_bad_input_gets_a_clear_4xx_and_records_nothing(site: Site) -> None:
    before = site.get("/log/checkpoint").text
    for name, body, status, code, fragment in bad_bodies(site):
        response = site.post_raw(body)
        try:
            assert_error(response, status, code, fragment)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    assert site.get("/log/checkpoint").text == before


def test_body_over_limit_without_content_length_is_refused(site: Site) -> None:
    before = site.size()

    def chunks() -> Iterator[bytes]:
        yield b'{"command": {"type": "AmendOrganisation", "payload": {"name": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}}, "signature": ""}'

    response = site.post_raw(chunks())
    assert_error(response, 413, "too_large")
    assert site.size() == before


def test_replayed_and_revoked_over_http(site: Site) -> None:
    old = site.actors["kangtai-old"]
    body = old.body("AmendOrganisation", {"code": "kangtai", "address": "白鹭市"})
    assert_accepted(site, site.post_raw(body))
    size = site.size()
    assert_error(site.post_raw(body), 409, "replayed_nonce", "used before")
    assert site.size() == size

    signed_before = old.body("AmendOrganisation", {"code": "kangtai", "address": "白鹭市"})
    assert_accepted(site, site.post(site.admin, "RevokeKey",
                                    {"key_id": old.key_id, "reason": "员工离职"}))
    size = site.size()
    assert_error(site.post_raw(signed_before), 401, "revoked_key", old.key_id)
    assert_error(site.post(old, "AmendOrganisation", {"code": "kangtai", "region": "x"}),
                 401, "revoked_key", "员工离职")
    assert site.size() == size


# -- the /log endpoints ------------------------------------------------------------------


def test_checkpoint_and_key_are_a_verifiable_signed_note(site: Site) -> None:
    key = site.get("/log/key")
    assert key.status_code == 200
    assert key.headers["content-type"].startswith("text/plain")
    verifier = parse_verifier_key(key.text.strip())
    assert verifier.name == "sunshine-ledger.localhost/log"
    response = site.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    text = open_note(response.text, [verifier])
    lines = text.split("\n")
    assert lines[0] == verifier.name and int(lines[1]) >= 11
    cp = parse_checkpoint(text)
    # Every leaf served is the exact stored byte string, canonical, and in the root.
    assert site.db.path is not None
    conn = sqlite3.connect(site.db.path)
    try:
        stored = dict(conn.execute("SELECT idx, leaf FROM log_leaves").fetchall())
    finally:
        conn.close()
    for index in range(cp.size):
        entry = site.get(f"/log/entries/{index}")
        assert entry.status_code == 200
        assert entry.headers["content-type"] == "application/json"
        assert entry.content == bytes(stored[index])
        assert entry.content == rfc8785.dumps(json.loads(entry.content))
        proof = site.get("/log/proof/inclusion", index=index, size=cp.size).json()
        assert proof["index"] == index and proof["size"] == cp.size
        assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(entry.content)
        verify_inclusion(leaf_hash(entry.content), index, cp.size,
                         [base64.b64decode(p) for p in proof["proof"]], cp.root)
    page = site.get("/log/entries", start=0, count=cp.size)
    assert page.content.split(b"\n")[:-1] == [bytes(stored[i]) for i in range(cp.size)]


def test_consistency_proofs_between_served_checkpoints(site: Site) -> None:
    assert site.first_checkpoint is not None
    first = parse_checkpoint(open_note(site.first_checkpoint.read_text(encoding="utf-8"),
                                       [site.verifier()]))
    rmyy = site.actors["rmyy-op"]
    assert_accepted(site, site.post(rmyy, "AmendOrganisation", {"code": "rmyy",
                                                                 "address": "一致性"}))
    now = site.checkpoint()
    for old in range(1, now.size + 1):
        response = site.get("/log/proof/consistency", old=old, size=now.size)
        assert response.status_code == 200
        assert response.json()["old"] == old and response.json()["size"] == now.size
    proof = site.get("/log/proof/consistency", old=first.size, size=now.size).json()["proof"]
    verify_consistency(first.size, now.size, [base64.b64decode(p) for p in proof],
                       first.root, now.root)


def bad_log_requests(size: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"/log/entries/{size}", {}),
        (f"/log/entries/{size + 1000}", {}),
        ("/log/entries/-1", {}),
        ("/log/entries/abc", {}),
        ("/log/entries/1.5", {}),
        (f"/log/entries/{HUGE}", {}),
        (f"/log/entries/{-HUGE}", {}),
        ("/log/entries", {"start": -1}),
        ("/log/entries", {"start": HUGE}),
        ("/log/entries", {"start": 0, "count": 0}),
        ("/log/entries", {"start": 0, "count": 10**6}),
        ("/log/entries", {"start": "x"}),
        ("/log/proof/inclusion", {"index": size, "size": size}),
        ("/log/proof/inclusion", {"index": 0, "size": size + 1}),
        ("/log/proof/inclusion", {"index": -1, "size": size}),
        ("/log/proof/inclusion", {"index": 0, "size": 0}),
        ("/log/proof/inclusion", {"index": 0, "size": -5}),
        ("/log/proof/inclusion", {"index": "a", "size": size}),
        ("/log/proof/inclusion", {"index": 0, "size": "1e3"}),
        ("/log/proof/inclusion", {"index": HUGE, "size": size}),
        ("/log/proof/inclusion", {"index": 0, "size": HUGE}),
        ("/log/proof/inclusion", {"index": 2**53, "size": 2**53}),
        ("/log/proof/inclusion", {"index": 2**63, "size": 2**63 + 1}),
        ("/log/proof/inclusion", {"index": 0}),
        ("/log/proof/inclusion", {}),
        ("/log/proof/consistency", {"old": 0, "size": size}),
        ("/log/proof/consistency", {"old": size, "size": size - 1}),
        ("/log/proof/consistency", {"old": 1, "size": size + 1}),
        ("/log/proof/consistency", {"old": -1, "size": size}),
        ("/log/proof/consistency", {"old": "x", "size": size}),
        ("/log/proof/consistency", {"old": HUGE, "size": HUGE}),
        ("/log/proof/consistency", {"old": 1, "size": HUGE}),
        ("/log/proof/consistency", {"old": 2**53, "size": 2**53}),
        ("/log/proof/consistency", {"old": 1}),
        ("/log/nonexistent", {}),
    ]


def test_bad_log_arguments_get_400_or_404_never_500(site: Site) -> None:
    size = site.size()
    wrong = []
    for path, params in bad_log_requests(size):
        response = site.get(path, **params)
        body = response.json()
        keys = set(body) - {"message_zh"}
        if response.status_code not in (400, 404) or keys != {"code", "message"} \
                or not body["message"]:
            wrong.append(f"{path} {params} → {response.status_code} {body}")
    assert not wrong, "\n".join(wrong)
    assert site.size() == size


def test_docs_and_openapi(site: Site) -> None:
    docs = site.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    spec = site.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/commands", "/log/checkpoint", "/log/key", "/log/entries/{index}",
                 "/log/proof/inclusion", "/log/proof/consistency"):
        assert path in paths


def test_wrong_method_is_json(site: Site) -> None:
    response = httpx.get(site.url + "/commands", timeout=10)
    assert_error(response, 405, "method_not_allowed")


# -- the command line --------------------------------------------------------------------


def test_cli_keys_submit_and_verify(site: Site, tmp_path: Path) -> None:
    key_file = tmp_path / "clerk.pem"
    made = sunshine("keys", "new", "--out", str(key_file), data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    assert len(info["key_id"]) == 16
    assert (key_file.stat().st_mode & 0o777) == 0o600
    again = sunshine("keys", "new", "--out", str(key_file), data_dir=tmp_path)
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr

    # The administrator registers a clerk and the clerk's key over HTTP.
    assert_accepted(site, site.post(site.admin, "RegisterActor", {
        "code": "rmyy-clerk", "organisation": "rmyy", "role": "purchaser", "name": "孙丽"}))
    assert_accepted(site, site.post(site.admin, "RegisterKey", {
        "actor": "rmyy-clerk", "public_key": info["public_key"]}))

    allowed = tmp_path / "amend.json"
    allowed.write_text(json.dumps({"type": "AmendOrganisation", "actor": "rmyy-clerk",
                                   "payload": {"code": "rmyy", "address": "澄溪县人民路8号"}},
                                  ensure_ascii=False), encoding="utf-8")
    before = site.size()
    submitted = sunshine("submit", str(allowed), "--key", str(key_file), "--url", site.url,
                         data_dir=tmp_path)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    # One line: what was recorded, where in the log, and the page that shows it.
    assert submitted.stdout == (
        f"已记录：AmendOrganisation（OrganisationAmended），日志序号 {before}，"
        f"公开页面 {site.url}/organisations/rmyy\n"
    )
    entry = json.loads(site.get(f"/log/entries/{before}").content)
    assert entry["actor"] == "rmyy-clerk" and entry["key"] == info["key_id"]
    assert entry["data"]["address"] == "澄溪县人民路8号"

    forbidden = tmp_path / "register.json"
    forbidden.write_text(json.dumps({"type": "RegisterOrganisation", "actor": "rmyy-clerk",
                                     "payload": {"code": "fake", "name": "假单位",
                                                 "kind": "supplier", "region": "澄溪县"}},
                                    ensure_ascii=False), encoding="utf-8")
    refused = sunshine("submit", str(forbidden), "--key", str(key_file), "--url", site.url,
                       data_dir=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith("命令被拒绝（HTTP 403，forbidden）：rule registry.")
    answered = sunshine("submit", str(forbidden), "--key", str(key_file), "--url", site.url,
                        "--json", data_dir=tmp_path)
    assert answered.returncode == 1 and json.loads(answered.stdout)["code"] == "forbidden"
    assert site.size() == before + 1

    verified = sunshine("verify", "--url", site.url, data_dir=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK" in verified.stdout
    assert f"OK: {before + 1} entries" in verified.stdout

    assert site.first_checkpoint is not None
    consistent = sunshine("verify", "--url", site.url, "--checkpoint",
                          str(site.first_checkpoint), data_dir=tmp_path)
    assert consistent.returncode == 0, consistent.stdout + consistent.stderr
    assert "consistent with the older checkpoint of size 13" in consistent.stdout

    pinned = sunshine("verify", "--url", site.url, "--log-key", site.verifier_key_text(),
                      data_dir=tmp_path)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr

    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    wrong = sunshine("verify", "--url", site.url, "--log-key",
                     verifier_key("sunshine-ledger.localhost/log", other), data_dir=tmp_path)
    assert wrong.returncode != 0
    assert "OK" not in wrong.stdout


def test_cli_init_with_a_generated_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    key_file = tmp_path / "admin.pem"
    assert sunshine("keys", "new", "--out", str(key_file), data_dir=tmp_path).returncode == 0
    args = ("init", "--db", db, "--bootstrap-key", str(key_file), "--org-code", "czj",
            "--org-name", "澄溪县财政局", "--region", "澄溪县", "--admin-code", "czj-admin",
            "--admin-name", "赵志刚")
    first = sunshine(*args, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    receipt = json.loads(first.stdout)
    assert [e["leaf_index"] for e in receipt["events"]] == [0, 1, 2]
    second = sunshine(*args, data_dir=tmp_path)
    assert second.returncode != 0
    assert "genesis" in second.stderr
    verified = sunshine("verify", "--db", db, data_dir=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The genesis, then the administrator's adoption of the time-limit table and calendar.
    assert "OK: 5 entries" in verified.stdout
    timed = sunshine("verify", "--db", db, "--check-timing", data_dir=tmp_path)
    assert timed.returncode == 0, timed.stdout + timed.stderr
    assert os.path.exists(tmp_path / "log-key.pem")
