"""Delivery receipts: the publisher service records each notice it pushed to a website, and a
late or failed delivery to a required website carries its finding."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from procurement_world import County

from ledger.domain.errors import Conflict, Forbidden, Invalid, LedgerError

DIGEST = base64.b64encode(hashlib.sha256(b"ok").digest()).decode()


@pytest.fixture
def announced(world: Any) -> tuple[County, Any, int]:
    county = County(world)
    publisher = world.add("fbfw", "publisher", "fbfw-svc", "澄溪县政府采购信息发布服务")
    county.to_announced()
    size = county.ledger.reader.size()
    tender = size - 1  # the tender notice, announced on 2026-04-10 (a Friday)
    return county, publisher, tender


def delivered(notice: int, at: str, **extra: Any) -> dict[str, Any]:
    return {"notice": notice, "destination": "ccgp-hebei", "required": True, "attempts": 1,
            "status": 200, "response_digest": DIGEST, "delivered_at": at, **extra}


def failed(notice: int, at: str) -> dict[str, Any]:
    return {"notice": notice, "destination": "ccgp-hebei", "required": True, "attempts": 17,
            "last_status": 503, "last_error": "Service Unavailable", "failed_at": at}


def refused(error: type[LedgerError], county: County, actor: Any, kind: str,
            payload: dict[str, Any]) -> LedgerError:
    with pytest.raises(error) as caught:
        county.act(actor, kind, payload)
    return caught.value


def test_a_delivery_on_time_is_recorded_without_finding(announced: tuple[County, Any, int]) -> None:
    county, publisher, tender = announced
    receipt = county.act(
        publisher, "RecordDelivery", delivered(tender, "2026-04-13T09:30:00+08:00"))
    leaf = county.leaf(receipt)
    assert leaf["type"] == "NoticeDelivered"
    data = leaf["data"]
    assert (data["notice"], data["announcement"], data["date"]) == (tender, "tender", "2026-04-13")
    assert data["findings"] == [] and "site" not in data  # no display name given
    named = county.act(publisher, "RecordDelivery",
                       delivered(tender, "2026-04-13T09:31:00+08:00", destination="chengxi-portal",
                                 site="澄溪县人民政府门户网站"))  # fmt: skip
    assert county.leaf(named)["data"]["site"] == "澄溪县人民政府门户网站"
    # Once delivered, it is delivered: the same receipt again is refused.
    error = refused(Conflict, county, publisher, "RecordDelivery",
                    delivered(tender, "2026-04-13T09:31:00+08:00"))
    assert error.code == "exists"


def test_a_late_delivery_to_a_required_website_carries_a_finding(
    announced: tuple[County, Any, int],
) -> None:
    county, publisher, tender = announced
    receipt = county.act(
        publisher, "RecordDelivery", delivered(tender, "2026-04-20T10:00:00+08:00"))
    (finding,) = county.leaf(receipt)["data"]["findings"]
    assert finding["rule"] == "notice_published_on_website"
    assert (finding["deadline"], finding["actual"]) == ("2026-04-14", "2026-04-20")
    # The same lateness to a website the law does not require is no finding.
    other = delivered(tender, "2026-04-20T10:00:00+08:00", destination="county-portal",
                      required=False)
    assert county.leaf(county.act(publisher, "RecordDelivery", other))["data"]["findings"] == []


def test_a_failure_then_a_requeued_success(announced: tuple[County, Any, int]) -> None:
    county, publisher, tender = announced
    first = county.act(publisher, "RecordDeliveryFailure", failed(tender, "2026-04-14T08:00:00Z"))
    leaf = county.leaf(first)
    assert leaf["type"] == "NoticeDeliveryFailed"
    (finding,) = leaf["data"]["findings"]
    assert (finding["deadline"], finding["actual"]) == ("2026-04-14", None)
    late = county.act(publisher, "RecordDelivery", delivered(tender, "2026-04-16T08:00:00Z"))
    assert county.leaf(late)["data"]["findings"][0]["actual"] == "2026-04-16"
    error = refused(Conflict, county, publisher, "RecordDeliveryFailure",
                    failed(tender, "2026-04-17T08:00:00Z"))
    assert "already delivered" in error.message


def test_only_the_publisher_records_and_only_for_notices(
    announced: tuple[County, Any, int],
) -> None:
    county, publisher, tender = announced
    error = refused(Forbidden, county, county.purchaser, "RecordDelivery",
                    delivered(tender, "2026-04-13T09:30:00+08:00"))
    assert "rule roles.record_delivery" in error.message
    error = refused(Invalid, county, publisher, "RecordDelivery",
                    delivered(0, "2026-04-13T09:30:00+08:00"))  # the genesis is no notice
    assert error.code == "not_a_notice"
    error = refused(Invalid, county, publisher, "RecordDelivery",
                    delivered(tender, "2099-01-01T00:00:00Z"))
    assert "after the day the receipt was signed" in error.message
    error = refused(Invalid, county, publisher, "RecordDelivery",
                    delivered(tender, "2026-04-13T09:30:00+08:00", response_digest="abc"))
    assert "response_digest" in error.message
    for site in ("x" * 61, "云岭省\n政府采购网", 7):
        error = refused(Invalid, county, publisher, "RecordDelivery",
                        delivered(tender, "2026-04-13T09:30:00+08:00", site=site))
        assert "payload.site" in error.message
    with pytest.raises(Invalid, match=r"command\.procurement must be p1"):
        county.act(publisher, "RecordDelivery", delivered(tender, "2026-04-13T09:30:00+08:00"),
                   procurement="p2")


def test_the_verifier_checks_receipts_against_the_notices(
    announced: tuple[County, Any, int],
) -> None:
    from test_verifier_registry import entries, verify

    from ledger import signing
    from ledger.verify import VerificationFailed

    county, publisher, tender = announced
    county.act(publisher, "RecordDelivery", delivered(tender, "2026-04-13T09:30:00+08:00"))
    log = entries(county.world)
    verify(log)  # the honest log
    last = log[-1]
    # The publisher really signed a receipt for the genesis entry; the operator slips it in.
    payload = delivered(0, "2026-04-13T09:30:00+08:00")
    command = {**publisher.command("RecordDelivery", payload), "procurement": "p1"}
    forged = {**last, "command": command, "signature": signing.sign(command, publisher.key)[
        "signature"], "data": {**last["data"], "notice": 0}}
    with pytest.raises(VerificationFailed, match="which is no earlier notice"):
        verify([*log[:-1], forged])
