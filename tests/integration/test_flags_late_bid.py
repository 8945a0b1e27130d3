"""最后递交的投标中标 (Cardinal R030) through the real ledger: the winner's bid was the last of
three into the box, as the opening discloses their order; an award to an earlier bidder, or
to the last of only two, raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def test_the_last_bid_in_won(scene: Scene) -> None:
    s = scene
    # kangtai, xinda, then huamei bid; huamei, last in, wins on the lowest price.
    s.tender_run("p1", ("1790000.00", "1805000.00", "1720000.00"), 2, "1720000.00")
    flag = s.the(K.LATE_BID_WON, "p1")
    assert flag.details.items() >= {"order": ["kangtai", "xinda", "huamei"], "bids": 3,
                                    "winner": "huamei"}.items()
    assert flag.summary == "中标（成交）供应商华美办公用品的投标是3份中最后递交的一份"
    assert s.evidence(flag.id) == s.at("p1:opened", "p1:award")
    assert flag.severity == "low"
    assert s.kinds("p1") == {K.LATE_BID_WON}


def test_an_earlier_bid_won_or_too_few_bids(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", ("1790000.00", "1720000.00", "1805000.00"), 1, "1720000.00")
    assert s.kinds("p1") == set()
    # The last of two bids: too few to say anything (and fewer than three is its own flag).
    s.tender_run("p2", ("1790000.00", "1720000.00"), 1, "1720000.00")
    assert K.LATE_BID_WON not in s.kinds("p2")
