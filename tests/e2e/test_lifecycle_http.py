"""An official records a procurement through `sunshine submit` against a served ledger:
sealed bids over HTTP, refusals as JSON naming the rule, sealed values read only by the
entitled, texts round-tripping exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import (
    Actor,
    Server,
    World,
    hospital_world,
    make_config,
    start_server,
    sunshine,
)

from ledger import signing
from ledger.application import Ledger
from ledger.domain.sealed import check_disclosure
from ledger.store.url import DatabaseURL

TITLE = "澄溪县人民医院 CT 设备（64排）采购 <b>项目</b> & Co. — ①"


class Office:
    def __init__(self, server: Server, db: DatabaseURL, data_dir: Path, world: World):
        self.server, self.db, self.data_dir, self.world = server, db, data_dir, world
        self.keys = data_dir / "keys"
        for actor in [world.admin, *world.actors.values()]:
            signing.write_key(self.keys / f"{actor.code}.pem", actor.key)

    def submit(self, actor: Actor, kind: str, payload: dict[str, Any], **extra: Any) -> Any:
        draft = {"type": kind, "actor": actor.code, "procurement": "p1", "payload": payload}
        path = self.data_dir / "command.json"
        path.write_text(json.dumps(draft | extra, ensure_ascii=False), encoding="utf-8")
        done = sunshine(
            "submit",
            str(path),
            "--key",
            str(self.keys / f"{actor.code}.pem"),
            "--url",
            self.server.url,
            "--json",
            data_dir=self.data_dir,
        )
        return done.returncode, json.loads(done.stdout)

    def leaf(self, receipt: Any) -> dict[str, Any]:
        index = receipt["events"][0]["leaf_index"]
        response = httpx.get(f"{self.server.url}/log/entries/{index}")
        value: dict[str, Any] = orjson.loads(response.content)
        return value

    def read_sealed(self, actor: Actor, commitment: str) -> httpx.Response:
        body = actor.body("ReadSealed", {"commitment": commitment})
        return httpx.post(self.server.url + "/sealed/read", content=body, timeout=30)


@pytest.fixture
def office(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Office]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        world.add("xinda", "supplier", "xinda-op", "云岭信达信息技术有限公司")
        world.add("qhx-jw", "inspector", "jw-op", "澄溪县纪委监委")
        world.register_bid_box()
    finally:
        ledger.close()
    server = start_server(db_url, tmp_path)
    try:
        yield Office(server, db_url, tmp_path, world)
    finally:
        server.stop()


def test_an_official_records_a_tender_with_sealed_bids_over_http(office: Office) -> None:
    o, actors = office, office.world.actors
    purchaser, supplier = actors["rmyy-op"], actors["kangtai-op"]
    code, plan = o.submit(
        purchaser,
        "FilePlan",
        {
            "title": TITLE,
            "category": "goods",
            "method": "open_tender",
            "budget": "3200000.00",
            "date": "2026-03-02",
        },
    )
    assert code == 0, plan
    assert o.leaf(plan)["data"]["title"] == TITLE  # mixed scripts and markup, exactly
    for kind in ("ApprovePlan", "ApproveMethod"):
        assert o.submit(o.world.admin, kind, {"date": "2026-03-03"})[0] == 0
    code, tender = o.submit(
        purchaser,
        "AnnounceTender",
        {
            "date": "2026-03-04",
            "requirement": "64排CT一台",
            "qualifications": "医疗器械经营许可",
            "contact": "王建国 0319-1234567",
            "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30",
            "place": "开标室",
        },
    )
    assert code == 0 and o.leaf(tender)["data"]["announcement"] == "tender"
    assert [f["rule"] for f in o.leaf(tender)["data"]["findings"]] == ["skipped_intention"]

    code, bid = o.submit(
        supplier,
        "SubmitBid",
        {"date": "2026-03-20"},
        seal={"price": "3150000.00", "representative_id": "13052119800101123X"},
    )
    assert code == 0, bid
    public = json.dumps(o.leaf(bid), ensure_ascii=False)
    for secret in ("3150000.00", "13052119800101123X", "kangtai", '"p1"'):
        assert secret not in public  # the box's commitment alone
    receipt = bid["bid_receipt"]  # private to the supplier: its envelope, salt and proof
    assert receipt["supplier"] == "kangtai" and receipt["leaf_index"] == bid["events"][0][
        "leaf_index"]
    price = json.loads(receipt["envelope"]["command"])["payload"]["price"]["commitment"]
    # Nobody reads into the box before the opening: the read would name the procurement.
    early = o.read_sealed(actors["jw-op"], price)
    assert early.status_code == 409 and early.json()["code"] == "sealed_in_bid_box"

    opening = {"date": "2026-03-30", "time": "09:30"}
    code, refusal = o.submit(actors["xinda-op"], "OpenBids", opening)
    assert code == 1 and refusal["code"] == "forbidden"
    assert "rule roles.open_bids" in refusal["message"]
    code, refusal = o.submit(purchaser, "OpenBids", {"date": "2026-03-30", "time": "09:30"})
    assert code == 1 and refusal["code"] == "box_not_closed"
    code, refusal = o.submit(purchaser, "AnnounceResult", {"date": "2026-03-30"})
    assert code == 1 and refusal["code"] == "lifecycle"
    code, closed = o.submit(purchaser, "CloseBidBox", {"date": "2026-03-30", "time": "09:30"})
    assert code == 0 and o.leaf(closed)["data"]["size"] == 16, closed
    code, opened = o.submit(purchaser, "OpenBids", {"date": "2026-03-30", "time": "09:30"})
    assert code == 0, opened
    (disclosed,) = o.leaf(opened)["data"]["bids"]
    check_disclosure(price, disclosed["price"]["value"], disclosed["price"]["salt"])
    # The identity number stays sealed for good: the opening discloses prices only.
    assert "13052119800101123X" not in json.dumps(o.leaf(opened))

    # Opened, the inspector and the supplier itself may read the price; another supplier not.
    inspector = o.read_sealed(actors["jw-op"], price)
    assert inspector.status_code == 200 and inspector.json()["value"] == "3150000.00"
    assert inspector.headers["cache-control"] == "no-store"
    assert o.read_sealed(supplier, price).json()["value"] == "3150000.00"
    refused = o.read_sealed(actors["xinda-op"], price)
    assert refused.status_code == 403 and "rule sealed.read" in refused.json()["message"]

    verified = sunshine("verify", "--url", o.server.url, data_dir=o.data_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_bad_amounts_and_dates_are_refused_with_the_field_named(office: Office) -> None:
    o, purchaser = office, office.world.actors["rmyy-op"]
    base = {
        "title": "办公桌椅采购",
        "category": "goods",
        "method": "open_tender",
        "date": "2026-03-02",
    }
    for budget in ("-1.00", "1.001", "1e6", "１００", "100000000000000000.00"):
        code, refusal = o.submit(purchaser, "FilePlan", base | {"budget": budget})
        assert code == 1 and "payload.budget" in refusal["message"], (budget, refusal)
    code, refusal = o.submit(
        purchaser, "FilePlan", base | {"budget": "1000.00", "date": "2026-02-30"}
    )
    assert code == 1 and "payload.date" in refusal["message"]
    code, refusal = o.submit(
        purchaser, "FilePlan", base | {"budget": "1000.00", "method": "auction"}
    )
    assert code == 1 and "payload.method" in refusal["message"]
    code, refusal = o.submit(
        purchaser, "FilePlan", base | {"budget": "1000.00", "title": "长" * 201}
    )
    assert code == 1 and "payload.title" in refusal["message"]
    response = httpx.post(
        o.server.url + "/commands",
        content=purchaser.body("FilePlan", base | {"budget": 1000.5}, procurement="p1"),
    )
    assert response.status_code == 400 and "write amounts as strings" in response.json()["message"]
