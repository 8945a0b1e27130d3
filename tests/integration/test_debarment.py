"""禁止参加政府采购活动 through the real ledger: the finance office records a supplier's
debarment (政府采购法 第二十二条、第七十七条), the verifier replays it, bad records are refused
with the field named, and a bid the supplier makes while it runs is a red flag; a bid after
it ends raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flag_scene import Scene, make_scene, open_world, receipt_leaf
from test_statutes import verified

from ledger.domain.errors import Forbidden, Invalid
from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
DEBARMENT = {"code": "huamei", "since": "2026-01-01", "until": "2026-12-31",
             "document_number": "澄财采罚〔2025〕7号",
             "reason": "提供虚假材料谋取中标"}  # fmt: skip


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def debar(s: Scene, **given: Any) -> int:
    receipt = s.c.world.submit(s.c.finance, "RecordDebarment", DEBARMENT | given)
    s.leaves["debarred"] = receipt_leaf(receipt)
    return s.leaves["debarred"]


def test_a_debarred_supplier_bidding_raises_the_flag(scene: Scene) -> None:
    s = scene
    debar(s)
    # kangtai, xinda, then huamei bid; kangtai wins
    s.tender_run("p1", ("1790000.00", "1805000.00", "1820000.00"), 0, "1790000.00")
    flag = s.the(K.DEBARRED_SUPPLIER, "p1")
    assert flag.details.items() >= {"supplier": "huamei", "document_number": "澄财采罚〔2025〕7号",
                                    "until": "2026-12-31"}.items()  # fmt: skip
    assert "禁止参加政府采购活动期间" in flag.summary and flag.severity == "high"
    assert s.evidence(flag.id) == s.at("debarred", "p1:opened")
    verified(s.c)  # the verifier replays the debarment from its signed command


def test_a_bid_after_the_period_raises_nothing(scene: Scene) -> None:
    s = scene
    debar(s, since="2025-06-01", until="2026-04-30")  # ends before the opening on 6 May
    s.tender_run("p1", ("1790000.00", "1805000.00", "1820000.00"), 0, "1790000.00")
    assert K.DEBARRED_SUPPLIER not in s.kinds("p1")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"code": "rmyy"}, "not a registered supplier"),
        ({"until": "2025-12-31"}, "payload.until"),
        ({"document_number": ""}, "payload.document_number"),
        ({"reason": ""}, "payload.reason"),
        ({"fine": "10000.00"}, "unknown field 'fine'"),
    ],
)
def test_bad_records_are_refused_naming_the_field(
    scene: Scene, given: dict[str, Any], said: str
) -> None:
    with pytest.raises(Invalid) as caught:
        debar(scene, **given)
    assert said in caught.value.message


def test_only_a_finance_office_records_one(scene: Scene) -> None:
    with pytest.raises(Forbidden, match="record_debarment"):
        scene.c.world.submit(scene.c.purchaser, "RecordDebarment", DEBARMENT)
