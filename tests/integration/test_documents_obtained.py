"""Who obtained the documents 获取采购文件 is as secret as who bids (财政部令第87号 第二十八条):
through the real ledger on SQLite and PostgreSQL, a supplier's ``ObtainDocuments`` goes into
the sealed box like a bid, looks like one in the public log, gives standing to challenge the
documents (财政部令第94号 第十一条), and is disclosed at the opening as ``obtained``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from procurement_world import County
from test_bid_box import refused
from test_verifier_registry import entries, verify

from ledger.domain.errors import Conflict, Forbidden
from ledger.verify import VerificationFailed
from ledger.verify_receipt import check_bid_receipt

CHALLENGE = {"date": "2026-04-21", "subject": "documents",
             "grounds": "技术参数指向特定品牌"}  # fmt: skip


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    return County(world)


def obtain(c: County, supplier: Any, on: str = "2026-04-15") -> Any:
    return c.act(supplier, "ObtainDocuments", {"date": on})


def test_an_obtaining_looks_like_a_bid_and_names_nobody(county: County) -> None:
    c = county
    c.to_announced()
    obtained = c.leaf(obtain(c, c.suppliers[0]))
    bid = c.leaf(c.bid(c.suppliers[0], "1790000.00"))
    assert obtained["type"] == bid["type"] == "BidCommitted"
    assert set(obtained["data"]) == set(bid["data"]) == {"commitment"}
    assert obtained["command"]["procurement"] is None and obtained["actor"] == "tbx-svc"
    text = orjson.dumps(obtained).decode()
    assert '"p1"' not in text and "kangtai" not in text and "康泰" not in text


def test_a_supplier_obtains_once_before_the_deadline_and_only_a_supplier(
    county: County,
) -> None:
    c = county
    c.to_announced()
    receipt = obtain(c, c.suppliers[1]).bid_receipt
    assert receipt["supplier"] == "xinda" and receipt["procurement"] == "p1"
    again = refused(Conflict, obtain, c, c.suppliers[1])
    assert again.code == "exists"
    error = refused(Forbidden, c.act, c.agency, "ObtainDocuments", {"date": "2026-04-15"})
    assert "rule roles.obtain_documents" in error.message
    c.act(c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"})
    late = refused(Conflict, obtain, c, c.suppliers[2], "2026-05-06")
    assert "rule lifecycle.obtain_documents" in late.message


def test_an_obtainer_may_challenge_the_documents_and_others_may_not(county: County) -> None:
    c = county
    c.to_announced()
    error = refused(Forbidden, c.act, c.suppliers[2], "FileChallenge", CHALLENGE)
    assert "rule roles.challenge" in error.message
    obtain(c, c.suppliers[2])
    filed = c.act(c.suppliers[2], "FileChallenge", CHALLENGE)
    assert c.leaf(filed)["data"]["number"] == "p1-ZY1"
    # Obtaining the documents gives standing to challenge them, not the process.
    process = refused(Forbidden, c.act, c.suppliers[2], "FileChallenge",
                      CHALLENGE | {"subject": "process", "known_on": "2026-04-20"})  # fmt: skip
    assert "rule roles.challenge" in process.message
    c.bid(c.suppliers[2], "1790000.00")
    declared = CHALLENGE | {"subject": "process", "known_on": "2026-04-20"}
    c.act(c.suppliers[2], "FileChallenge", declared)


def test_the_opening_discloses_the_obtainers_and_verify_holds_it_to_the_box(
    county: County,
) -> None:
    c = county
    c.to_announced()
    looker = obtain(c, c.suppliers[2])  # obtains the documents, never bids
    obtain(c, c.suppliers[0])
    c.bid(c.suppliers[0], "1790000.00")
    _, opened = c.world.close_and_open(c.agency, "2026-05-06")
    data = c.leaf(opened)["data"]
    assert [b["supplier"] for b in data["bids"]] == ["kangtai"]
    statuses = [m["status"] for m in data["box"]]
    assert statuses.count("obtained") == 2 and statuses.count("bid") == 1
    assert len(statuses) == 16
    obtainers = {
        orjson.loads(m["envelope"]["command"])["actor"]
        for m in data["box"]
        if m["status"] == "obtained"
    }
    assert obtainers == {"kangtai-op", "huamei-op"}
    report = verify(entries(c.world))
    assert "disclosed at its opening" in check_bid_receipt(looker.bid_receipt, report)
    # An opening that shows an obtaining as a bid is caught.
    log = entries(c.world)
    index = next(i for i, e in enumerate(log) if e["type"] == "BidsOpened")
    box = [
        {**m, "status": "bid"} if m["commitment"] == looker.bid_receipt["commitment"] else m
        for m in log[index]["data"]["box"]
    ]
    log[index] = {**log[index], "data": {**log[index]["data"], "box": box}}
    with pytest.raises(VerificationFailed, match="shown as bid, not obtained"):
        verify(log)


def test_a_read_into_a_sealed_box_tells_nobody_whose_box_it_is(county: County) -> None:
    """Every box commitment is public: a refusal naming its procurement would let anyone
    count each procurement's envelopes before the deadline."""
    c = county
    c.to_announced()
    c.to_announced("p2")
    commitment = obtain(c, c.suppliers[0]).bid_receipt["commitment"]
    for reader in (c.suppliers[1], c.inspector, c.suppliers[0]):
        body = reader.body("ReadSealed", {"commitment": commitment})
        error = refused(Conflict, c.ledger.read_sealed, body)
        assert error.code == "sealed_in_bid_box"
        # the commitment itself is base64, which may hold "p1" by chance: look past it
        said = error.message.replace(commitment, "")
        assert "p1" not in said and "kangtai" not in said
