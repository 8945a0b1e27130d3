"""Attached documents over real HTTP: `sunshine documents put` and POST /documents (signed,
by whom, how much), GET /documents/{hex} (the bytes with their digest, never runnable)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Actor, Server, World, hospital_world, make_config, start_server, sunshine

from ledger import signing
from ledger.application import Ledger
from ledger.store.url import DatabaseURL

PDF = "application/pdf"
MAX_BYTES = 4096  # the server's cap in these tests


@dataclass
class Office:
    server: Server
    world: World
    data_dir: Path

    def actor(self, code: str) -> Actor:
        return self.world.admin if code == self.world.admin.code else self.world.actors[code]

    def upload(self, code: str, content: bytes, kind: str = PDF,
               signed: dict[str, Any] | None = None, header: str | None = None) -> httpx.Response:
        """POST /documents as actor ``code``; ``signed`` changes what the request signs."""
        actor = self.actor(code)
        payload = {"sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
                   "size": len(content), "media_type": kind} | (signed or {})  # fmt: skip
        if header is None:
            envelope = json.dumps(signing.sign(actor.command("UploadDocument", payload),
                                               actor.key)).encode()  # fmt: skip
            header = base64.b64encode(envelope).decode()
        headers = {"Content-Type": kind} | ({"Sunshine-Signed-Request": header} if header else {})
        return httpx.post(f"{self.server.url}/documents", content=content, headers=headers)


@pytest.fixture
def office(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Office]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        world.add("ggzy", "agency", "ggzy-op", "澄溪县公共资源交易中心")
    finally:
        ledger.close()
    server = start_server(db_url, tmp_path, env={"SUNSHINE_DOCUMENT_MAX_BYTES": str(MAX_BYTES)})
    try:
        yield Office(server, world, tmp_path)
    finally:
        server.stop()


def test_an_official_uploads_with_the_cli_and_anyone_downloads_with_the_digest(
    office: Office,
) -> None:
    content = "%PDF-1.7 澄溪县人民医院彩超采购 招标文件".encode()
    path = office.data_dir / "招标文件.pdf"
    path.write_bytes(content)
    key = office.data_dir / "ggzy-op.pem"
    signing.write_key(key, office.actor("ggzy-op").key)
    done = sunshine("documents", "put", str(path), "--key", str(key), "--actor", "ggzy-op",
                    "--url", office.server.url, data_dir=office.data_dir)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    digest = hashlib.sha256(content).digest()
    b64, hex_digest = base64.b64encode(digest).decode(), digest.hex()
    assert answer["sha256"] == b64 and answer["sha256_hex"] == hex_digest
    assert answer["url"] == f"/documents/{hex_digest}"
    assert answer["document"] == {"name": "招标文件.pdf", "media_type": PDF, "sha256": b64,
                                  "size": len(content)}  # fmt: skip

    got = httpx.get(f"{office.server.url}/documents/{hex_digest}", params={"name": "招标文件.pdf"})
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == PDF
    assert got.headers["repr-digest"] == f"sha-256=:{b64}:"
    assert got.headers["digest"] == f"sha-256={b64}"
    assert got.headers["etag"] == f'"{hex_digest}"'
    assert "immutable" in got.headers["cache-control"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"].startswith("sandbox")
    disposition = got.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{hex_digest}.pdf"')
    assert "filename*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6.pdf" in disposition
    unchanged = httpx.get(f"{office.server.url}/documents/{hex_digest}",
                          headers={"If-None-Match": f'"{hex_digest}"'})  # fmt: skip
    assert unchanged.status_code == 304 and unchanged.content == b""

    again = office.upload("rmyy-op", content)  # the same bytes: the same document
    assert again.status_code == 200, again.text
    assert again.json()["sha256"] == b64 and again.json()["new"] is False


def test_a_name_in_the_link_cannot_make_the_download_another_kind_of_file(
    office: Office,
) -> None:
    content = b"<script>alert(1)</script>"
    assert office.upload("rmyy-op", content, "text/plain").status_code == 201
    hex_digest = hashlib.sha256(content).hexdigest()
    got = httpx.get(f"{office.server.url}/documents/{hex_digest}",
                    params={"name": '../../x"\r\n.html'})  # fmt: skip
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    disposition = got.headers["content-disposition"]
    assert disposition.endswith(".html.txt") and "/" not in disposition.split("''")[1]
    assert "%22" not in disposition and "%0D" not in disposition


def test_uploads_are_refused_to_strangers_and_suppliers_and_when_they_do_not_match(
    office: Office,
) -> None:
    content = b"%PDF-1.7 contract"
    anonymous = office.upload("rmyy-op", content, header="")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    forged = office.upload("rmyy-op", content, header=base64.b64encode(b"{}").decode())
    assert forged.status_code == 401
    supplier = office.upload("kangtai-op", content)
    assert supplier.status_code == 403 and "documents.upload" in supplier.json()["message"]
    other = office.upload("rmyy-op", content, signed={"sha256": base64.b64encode(
        hashlib.sha256(b"another file").digest()).decode()})  # fmt: skip
    assert other.status_code == 422 and other.json()["code"] == "digest_mismatch"
    html = office.upload("rmyy-op", b"<html></html>", kind="text/html")
    assert html.status_code == 422 and html.json()["code"] == "document_type"
    big = office.upload("rmyy-op", b"x" * (MAX_BYTES + 1))
    assert big.status_code == 413
    # None of them was kept.
    for refused in (content, b"<html></html>", b"x" * (MAX_BYTES + 1)):
        hex_digest = hashlib.sha256(refused).hexdigest()
        assert httpx.get(f"{office.server.url}/documents/{hex_digest}").status_code == 404


def test_a_signed_upload_request_works_once(office: Office) -> None:
    content = b"%PDF-1.7 once"
    actor = office.actor("rmyy-op")
    payload = {"sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
               "size": len(content), "media_type": PDF}  # fmt: skip
    envelope = json.dumps(signing.sign(actor.command("UploadDocument", payload), actor.key))
    header = base64.b64encode(envelope.encode()).decode()
    assert office.upload("rmyy-op", content, header=header).status_code == 201
    replayed = office.upload("rmyy-op", content, header=header)
    assert replayed.status_code == 409 and replayed.json()["code"] == "replayed_nonce"


@pytest.mark.parametrize("path", ["0" * 63, "A" * 64, "g" * 64, "0" * 64])
def test_no_document_is_served_under_another_name_or_none(office: Office, path: str) -> None:
    got = httpx.get(f"{office.server.url}/documents/{path}")
    assert got.status_code == 404
    assert got.headers["content-type"].startswith("application/json")
