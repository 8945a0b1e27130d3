"""Projections follow the log on SQLite and PostgreSQL: rows and position in one transaction,
resumed after a crash without loss or double counting, rebuilt to exactly the same content."""

from __future__ import annotations

import gc
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from procurement_world import County

from ledger.store.sql import Cursor
from projections.projection import Entry
from projections.public import PublicProjection
from projections.runner import Follower

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    c = County(world)
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00"})
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(c.suppliers[1], "FileChallenge", {"date": "2026-05-11", "subject": "result",
                                            "grounds": "评分不公"})
    c.act(c.agency, "AnswerChallenge", {"challenge": "p1-ZY1", "date": "2026-05-13",
                                        "outcome": "rejected", "answer": "评分符合采购文件"})
    c.act(c.suppliers[1], "FileComplaint",
          {"challenge": "p1-ZY1", "date": "2026-05-14", "grounds": "不服答复"})
    return c


def follower(county: County, projection: Any = None) -> Follower:
    ledger = county.ledger
    f = Follower(ledger.db, projection or PublicProjection(ledger.config.database.is_sqlite))
    f.setup()
    return f


def rows(county: County, sql: str) -> list[tuple[Any, ...]]:
    with county.ledger.db.read() as cur:
        return cur.execute(sql).fetchall()


def test_the_public_projection_arranges_the_log(county: County) -> None:
    f = follower(county)
    size = county.ledger.reader.size()
    assert f.catch_up() == size
    assert rows(county, "SELECT type FROM pub_announcements ORDER BY leaf_index") == [
        ("intention",), ("tender",), ("result",)]
    ((stage, winner, award),) = rows(
        county, "SELECT stage, winner, award_fen FROM pub_procurements WHERE code = 'p1'")
    assert (stage, winner, award) == ("result_announced", "kangtai", 179_000_000)
    assert rows(county, "SELECT status, outcome, answer_due FROM pub_challenges") == [
        ("answered", "rejected", "2026-05-20")]
    assert rows(county, "SELECT status, decision_due FROM pub_complaints") == [
        ("open", "2026-06-26")]  # 30 working days, the Dragon Boat Festival (19 June) not one
    names = dict(rows(county, "SELECT code, name FROM pub_organisations"))
    assert names["rmyy"] == "澄溪县人民医院"
    # Caught up, it does nothing more until the log grows.
    assert f.catch_up() == size
    county.act(county.purchaser, "SignContract",
               {"date": "2026-05-20", "contract_number": "HT-1", "amount": "1790000.00"})
    assert f.catch_up() == size + 1
    assert rows(county, "SELECT contract_fen FROM pub_procurements") == [(179_000_000,)]


def test_a_rebuild_gives_exactly_the_same_content(county: County) -> None:
    f = follower(county)
    f.catch_up()
    before = f.digest()
    assert f.rebuild() == county.ledger.reader.size()
    assert f.digest() == before
    assert rows(county, "SELECT COUNT(*) FROM pub_timeline") != [(0,)]


class CrashOnce:
    """The public projection, failing once at one leaf as a crashed process would."""

    def __init__(self, inner: PublicProjection, at: int):
        self.inner, self.at, self.crashed = inner, at, False
        self.name, self.version = inner.name, inner.version

    def create(self, sqlite: bool) -> Sequence[str]:
        return self.inner.create(sqlite)

    def drop(self) -> Sequence[str]:
        return self.inner.drop()

    def tables(self) -> Sequence[str]:
        return self.inner.tables()

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        if index == self.at and not self.crashed:
            self.crashed = True
            raise RuntimeError("the process died here")
        self.inner.apply(cur, index, entry, leaf)

    def flush(self, cur: Cursor) -> None:
        self.inner.flush(cur)


def test_a_crash_mid_batch_loses_nothing_and_counts_nothing_twice(county: County) -> None:
    clean = follower(county)
    clean.catch_up()
    expected = clean.digest()

    sqlite = county.ledger.config.database.is_sqlite
    size = county.ledger.reader.size()
    crashing = follower(county, CrashOnce(PublicProjection(sqlite), at=size - 3))
    crashing.reset()  # the same tables, from nothing, as a new deployment would start
    assert crashing.catch_up(limit=30) == 30
    with pytest.raises(RuntimeError, match="died"):
        crashing.catch_up()
    assert crashing.position() == 30  # the failed batch left no row and no position
    assert crashing.catch_up() == county.ledger.reader.size()
    assert crashing.digest() == expected


def test_a_failed_rebuild_leaves_the_collector_as_it_was(county: County) -> None:
    """A rebuild collects less often while it runs (``ledger/collector.py``); a service
    whose rebuild fails goes on with the interpreter's settings as they were."""
    before = gc.get_threshold()
    crashing = follower(county, CrashOnce(PublicProjection(county.ledger.config.database
                                                           .is_sqlite), at=5))
    with pytest.raises(RuntimeError, match="died"):
        crashing.rebuild()
    assert gc.get_threshold() == before
    assert crashing.position() == 0


def test_followers_taking_turns_fold_onto_each_others_rows(county: County) -> None:
    """Two processes following one projection (``serve --workers 2``) take alternate
    batches: each leaf folds onto the record as the other process left it."""
    clean = follower(county)
    clean.catch_up()
    expected = clean.digest()

    size = county.ledger.reader.size()
    first, second = follower(county), follower(county)
    first.reset()
    turn = 0
    while first.position() < size:
        (first, second)[turn % 2].catch_up(limit=2)
        turn += 1
    assert turn > 10
    assert second.digest() == expected


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_followers_in_parallel_apply_each_leaf_once(county: County) -> None:
    followers = [follower(county) for _ in range(3)]
    threads = [threading.Thread(target=f.catch_up) for f in followers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone = followers[0].digest()
    assert followers[0].rebuild() == county.ledger.reader.size()
    assert followers[0].digest() == alone
