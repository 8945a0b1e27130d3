"""Documents attached to a tender (招标文件) and a contract (合同文本), on both backends: the
entry names each by its SHA-256, and only a document the store holds may be named."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from conftest import World
from procurement_world import County

from ledger.domain.errors import Invalid
from ledger.domain.schema import entries as E

PDF = "application/pdf"


def upload(county: County, content: bytes, kind: str = PDF) -> dict[str, Any]:
    """``content`` kept in the ledger's document store; its reference, as a command gives it."""
    writing = county.ledger.documents.begin(kind)
    writing.write(content)
    stored = writing.finish()
    sha256 = base64.b64encode(stored.digest).decode()
    return {"name": "招标文件（第一册）.pdf", "media_type": kind, "sha256": sha256,
            "size": len(content)}  # fmt: skip


def refused(county: County, code: str, fragment: str, notice: dict[str, Any]) -> None:
    size = county.ledger.reader.size()
    with pytest.raises(Invalid) as caught:
        county.to_announced(notice=notice)
    assert caught.value.code == code, caught.value.message
    assert fragment in caught.value.message
    # The plan and its approvals went in; the notice did not.
    assert county.ledger.reader.size() == size + 4


def test_a_tender_names_its_documents_by_sha256(world: World) -> None:
    county = County(world)
    document = upload(county, b"%PDF-1.7 tender documents")
    county.to_announced(notice={"documents": [document]})
    found = county.ledger.registry.procurement("p1")
    assert found is not None
    leaves = county.ledger.reader.entries(county.ledger.reader.size() - 1, 1)
    assert document["sha256"] in leaves[0].decode()
    assert E.Document.model_validate(document).sha256 == base64.b64encode(
        hashlib.sha256(b"%PDF-1.7 tender documents").digest()
    ).decode()


def test_a_document_the_store_does_not_hold_is_refused(world: World) -> None:
    county = County(world)
    missing = base64.b64encode(hashlib.sha256(b"never uploaded").digest()).decode()
    document = {"name": "招标文件.pdf", "media_type": PDF, "sha256": missing, "size": 14}
    refused(county, "document_missing", "holds no document", {"documents": [document]})


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"size": 3}, "document_mismatch", "of 25 bytes"),
        ({"media_type": "application/zip"}, "document_mismatch", "as application/pdf"),
        ({"media_type": "text/html"}, "document_type", "media_type must be one of"),
        ({"name": "第一行\n第二行"}, "invalid", "name"),
        ({"name": "名" * 201}, "invalid", "name"),
        ({"sha256": "bm90IGEgZGlnZXN0"}, "invalid", "SHA-256"),
        ({"extra": 1}, "invalid", "unknown field"),
    ],
)
def test_a_bad_reference_is_refused(
    world: World, change: dict[str, Any], code: str, fragment: str
) -> None:
    county = County(world)
    document = upload(county, b"%PDF-1.7 tender documents") | change
    refused(county, code, fragment, {"documents": [document]})


def test_the_contract_text_goes_from_the_signing_to_the_contract_notice(world: World) -> None:
    county = County(world)
    county.to_evaluated()
    county.act(county.purchaser, "DecideAward",
               {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
    county.act(county.agency, "AnnounceResult", {"date": "2026-05-08"})
    contract = upload(county, "合同文本：甲方澄溪县人民医院……".encode(), "text/plain")
    signed = county.act(county.purchaser, "SignContract",
                        {"date": "2026-06-02", "contract_number": "HT-1",
                         "amount": "1720000.00", "documents": [contract]})  # fmt: skip
    assert county.leaf(signed)["data"]["documents"] == [contract]
    announced = county.act(county.purchaser, "AnnounceContract", {"date": "2026-06-03"})
    assert county.leaf(announced)["data"]["documents"] == [contract]
