"""Signed reads over real HTTP, on two server processes sharing one database: each signed
request (ReadSealed, ListDeliveries, LookupChallenge) works once, whichever process it is
sent to again; one signed more than five minutes ago is refused; a sealed read lands in the
log, which `sunshine verify` still accepts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import TLS, Actor, Server, _url, hospital_world, make_config, start_server, sunshine
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

GROUNDS = "中标人报价明显低于成本。"


@dataclass
class Two:
    """Two `sunshine serve` processes on one ledger, and who may read what there."""

    first: Server
    second: Server
    url: DatabaseURL
    data: Path
    price: str  # kangtai's sealed bid price
    county: County

    def size(self) -> int:
        return int(httpx.get(self.first.url + "/log/checkpoint", verify=TLS).text.split("\n")[1])


@pytest.fixture
def two(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Two]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        c = County(hospital_world(ledger))
        opened, _ = c.to_evaluated()
        (price,) = (bid["price"]["commitment"] for bid in c.leaf(opened)["data"]["bids"]
                    if bid["supplier"] == "kangtai")  # fmt: skip
        c.act(c.purchaser, "DecideAward", {"date": "2026-05-07", "supplier": "xinda",
                                           "amount": "1720000.00"})  # fmt: skip
        c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
        c.act(c.suppliers[0], "FileChallenge", {"date": "2026-05-11", "subject": "result",
                                                "grounds": GROUNDS})
    finally:
        ledger.close()
    first = start_server(db_url, tmp_path)
    try:
        second = start_server(db_url, tmp_path)
        try:
            yield Two(first, second, db_url, tmp_path, price, c)
        finally:
            second.stop()
    finally:
        first.stop()


def _post(server: Server, path: str, body: bytes) -> httpx.Response:
    return httpx.post(server.url + path, content=body, timeout=30, verify=TLS)


def _requests(t: Two) -> list[tuple[str, Actor, str, dict[str, Any]]]:
    c = t.county
    return [
        ("/sealed/read", c.inspector, "ReadSealed", {"commitment": t.price}),
        ("/publisher/deliveries", c.finance, "ListDeliveries", {}),
        ("/challenges/lookup/signed", c.suppliers[0], "LookupChallenge", {"challenge": "p1-ZY1"}),
    ]


def _looked_up(t: Two) -> None:
    """Wait until the first server's public projection has the challenge (each try is
    signed afresh: a request is spent even when it answers 503)."""
    kangtai = t.county.suppliers[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = kangtai.body("LookupChallenge", {"challenge": "p1-ZY1"})
        answer = _post(t.first, "/challenges/lookup/signed", body)
        if answer.status_code != 503:
            assert answer.status_code == 200, answer.text
            return
        time.sleep(0.05)
    raise AssertionError("the projection never reached the challenge")


def test_each_signed_read_works_once_on_any_process(two: Two) -> None:
    _looked_up(two)
    for path, actor, kind, payload in _requests(two):
        body = actor.body(kind, payload)
        answer = _post(two.first, path, body)
        assert answer.status_code == 200, (kind, answer.text)
        for server in (two.second, two.first):
            again = _post(server, path, body)
            assert again.status_code == 409, (kind, again.text)
            assert again.json()["code"] == "replayed_nonce"
            assert "1790000" not in again.text and GROUNDS not in again.text


def test_a_signed_read_older_than_five_minutes_is_refused(two: Two) -> None:
    _looked_up(two)
    size = two.size()
    old = datetime.now(UTC) - timedelta(minutes=6)
    for path, actor, kind, payload in _requests(two):
        answer = _post(two.second, path, actor.body(kind, payload, issued_at=old))
        assert answer.status_code == 422, (kind, answer.text)
        assert answer.json()["code"] == "not_fresh"
        # Signed just now, the same request is answered.
        assert _post(two.second, path, actor.body(kind, payload)).status_code == 200, kind
    assert two.size() == size + 1  # the one sealed read answered; the refused one not


def test_a_sealed_read_is_in_the_log_and_the_log_verifies(two: Two) -> None:
    inspector = two.county.inspector
    answer = _post(two.second, "/sealed/read",
                   inspector.body("ReadSealed", {"commitment": two.price}))  # fmt: skip
    assert answer.status_code == 200 and answer.json()["value"] == "1790000.00"
    index = answer.json()["recorded"]["events"][0]["leaf_index"]
    leaf = httpx.get(f"{two.first.url}/log/entries/{index}", verify=TLS).content
    entry = orjson.loads(leaf)
    assert entry["type"] == "SealedValueRead" and b"1790000" not in leaf
    assert entry["data"] == {"commitment": two.price, "procurement": "p1",
                             "reader": inspector.code, "organisation": inspector.organisation}
    # The pages still serve, past the read.
    for page in ("/", "/announcements", "/procurements/p1"):
        assert httpx.get(two.first.url + page, verify=TLS).status_code == 200, page
    result = sunshine("verify", "--db", _url(two.url), "--jobs", "1", data_dir=two.data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sealed store: " in result.stdout
