"""Attached documents in the OCDS releases over `sunshine serve`: the tender's 招标文件 as
``tender.documents`` (biddingDocuments), the contract text as ``contracts[].documents``
(contractSigned), each naming its SHA-256; libcoveocds finds no error and no warning."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server, eventually, hospital_world, make_config, start_server
from procurement_world import County
from test_ocds import OCP_EXTENSIONS, VECTORS, served_vectors  # noqa: F401 - a fixture

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

TENDER = b"%PDF-1.7 tender documents"
CONTRACT = "合同文本：甲方澄溪县人民医院，乙方云岭信达信息技术有限公司。".encode()


def attach(ledger: Ledger, name: str, content: bytes, kind: str) -> dict[str, Any]:
    upload = ledger.documents.begin(kind)
    upload.write(content)
    stored = upload.finish()
    return {"name": name, "media_type": kind, "size": stored.size,
            "sha256": base64.b64encode(stored.digest).decode()}  # fmt: skip


@pytest.fixture
def server(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Server]:
    ledger = Ledger(make_config(sqlite_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        tender = attach(ledger, "招标文件.pdf", TENDER, "application/pdf")
        county.to_evaluated(notice={"documents": [tender]})
        county.act(county.purchaser, "DecideAward",
                   {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
        county.act(county.agency, "AnnounceResult", {"date": "2026-05-08"})
        text = attach(ledger, "合同文本.txt", CONTRACT, "text/plain")
        county.act(county.purchaser, "SignContract",
                   {"date": "2026-06-02", "contract_number": "HT-1", "amount": "1720000.00",
                    "documents": [text]})  # fmt: skip
        county.act(county.purchaser, "AnnounceContract", {"date": "2026-06-03"})
    finally:
        ledger.close()
    served = start_server(sqlite_url, tmp_path)
    try:
        yield served
    finally:
        served.stop()


def releases(server: Server) -> dict[str, Any]:
    def caught_up() -> dict[str, Any] | None:
        answer = httpx.get(f"{server.url}/ocds/2026/releases.json")
        if answer.status_code != 200:
            return None
        package: dict[str, Any] = answer.json()
        tags = [r["tag"] for r in package["releases"]]
        return package if ["contract"] in tags else None

    return eventually(caught_up, server.process)


def test_documents_appear_with_their_digest_and_pass_libcoveocds(
    server: Server, served_vectors: str, tmp_path: Path  # noqa: F811 - the fixture
) -> None:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    package = releases(server)
    tender_hex = hashlib.sha256(TENDER).hexdigest()
    contract_hex = hashlib.sha256(CONTRACT).hexdigest()
    last = package["releases"][-1]
    tender_b64 = base64.b64encode(hashlib.sha256(TENDER).digest()).decode()
    assert last["tender"]["documents"] == [{
        "id": f"sha-256-{tender_hex}", "documentType": "biddingDocuments",
        "title": "招标文件.pdf",
        "description": f"SHA-256（base64）：{tender_b64}；{len(TENDER)} 字节",
        "format": "application/pdf", "language": "zh",
        "sha256": tender_b64, "address": f"/documents/{tender_hex}",
        "datePublished": "2026-04-10T00:00:00+08:00",
    }]  # fmt: skip
    (contract,) = last["contracts"][0]["documents"]
    assert contract["documentType"] == "contractSigned"
    assert contract["id"] == f"sha-256-{contract_hex}"
    assert contract["address"] == f"/documents/{contract_hex}"
    assert httpx.get(server.url + contract["address"]).content == CONTRACT

    standard = tmp_path / "standard.zip"
    with zipfile.ZipFile(standard, "w") as out:
        out.writestr("standard-1__1__5/", "")
        for path in sorted((VECTORS / "standard-1__1__5").rglob("*")):
            if path.is_file():
                name = path.relative_to(VECTORS / "standard-1__1__5")
                out.write(path, f"standard-1__1__5/{name}")
    ours = f"{server.url}/ocds/extension/log-entry/extension.json"
    package["extensions"] = [f"{served_vectors}/{name}/extension.json"
                             for name in OCP_EXTENSIONS.values()] + [ours]  # fmt: skip
    config = LibCoveOCDSConfig({"standard_zip": f"file://{standard}", "context": "api"})
    report = ocds_json_output(str(tmp_path), json_data=package, lib_cove_ocds_config=config)
    assert report["validation_errors"] == []
    assert report["additional_closed_codelist_values"] == {}
    assert "releases/tender/documents/documentType" not in report["additional_open_codelist_values"]
    assert "releases/contracts/documents/documentType" not in report[
        "additional_open_codelist_values"]
    assert report.get("additional_checks", {}) == {}
    assert report["additional_fields"] == []
