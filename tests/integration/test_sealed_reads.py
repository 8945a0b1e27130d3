"""Every sealed read is recorded in the log (who read which sealed value, when; never the
value), works once, only while fresh, and the verifier, the projections and the publisher's
planner take the new entries in their stride."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Actor, hospital_world, make_config
from procurement_world import County
from test_verifier_registry import entries, forged, verify

from ledger.application import Ledger
from ledger.domain.errors import Forbidden, Invalid, LedgerError, NotFound, ReplayedNonce
from ledger.domain.sealed import seal
from ledger.domain.sealed_reads import sealed_reads_stream
from ledger.log.follower import Follower
from ledger.store.url import DatabaseURL
from ledger.verify import VerificationFailed
from publisher.config import parse_destinations
from publisher.planner import Planner
from publisher.store import JobStore
from sunshine.bootstrap import projector_for

Entry = dict[str, Any]
DESTINATIONS = """
[[destination]]
name = "site"
url = "http://127.0.0.1:9/x"
allow_private = true
"""


@pytest.fixture
def county(db_url: DatabaseURL, tmp_path: Path) -> Iterator[County]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        county.to_announced()
        yield county
    finally:
        ledger.close()


def _price(c: County, supplier: Actor, price: str = "1790000.00", opened: bool = True) -> str:
    """A supplier's sealed price, and (``opened``) the box closed and opened: nobody reads
    what is in a box before its opening."""
    commitment: str = c.sealed_price(c.bid(supplier, price))
    if opened:
        c.world.close_and_open(c.agency, "2026-05-06")
    return commitment


def _read(c: County, actor: Actor, commitment: str, **extra: Any) -> dict[str, Any]:
    return c.ledger.read_sealed(actor.body("ReadSealed", {"commitment": commitment}, **extra))


def test_a_sealed_read_is_recorded_with_the_reader_and_commitment_and_not_the_value(
    county: County,
) -> None:
    c = county
    price = _price(c, c.suppliers[0])
    answer = _read(c, c.inspector, price)
    assert answer["value"] == "1790000.00" and answer["procurement"] == "p1"
    (event,) = answer["recorded"]["events"]
    assert event["type"] == "SealedValueRead"
    leaf = c.ledger.reader.entry(event["leaf_index"])
    entry = orjson.loads(leaf)
    assert entry["type"] == "SealedValueRead" and entry["actor"] == "jw-op"
    assert entry["stream"] == str(sealed_reads_stream("jw-op")) and entry["version"] == 1
    assert entry["command"]["payload"] == {"commitment": price}
    assert entry["data"] == {"commitment": price, "procurement": "p1", "reader": "jw-op",
                             "organisation": "qhx-jw"}  # fmt: skip
    assert b"1790000" not in leaf
    # The same reader's next read is the next entry of its stream; the finance office and
    # the supplier that sealed it read too, each on its own stream.
    again = _read(c, c.inspector, price, procurement="p1")["recorded"]["events"][0]
    assert orjson.loads(c.ledger.reader.entry(again["leaf_index"]))["version"] == 2
    for reader in (c.finance, c.suppliers[0]):
        assert _read(c, reader, price)["value"] == "1790000.00"
    verify(entries(c.world))


def test_a_refused_read_records_nothing(county: County) -> None:
    c = county
    price = _price(c, c.suppliers[0])
    size = c.ledger.reader.size()
    for reader in (c.suppliers[1], c.purchaser, c.agency):
        with pytest.raises(Forbidden, match=r"rule sealed\.read"):
            _read(c, reader, price)
    unknown, _ = seal("1.00")
    with pytest.raises(NotFound):
        _read(c, c.inspector, unknown["commitment"])
    with pytest.raises(Invalid, match="belongs to p1"):
        _read(c, c.inspector, price, procurement="p2")
    with pytest.raises(Invalid, match="POST /sealed/read"):  # not through /commands
        c.ledger.submit(c.inspector.body("ReadSealed", {"commitment": price}))
    assert c.ledger.reader.size() == size


def test_a_read_works_once_across_ledger_instances(county: County, tmp_path: Path) -> None:
    c = county
    price = _price(c, c.suppliers[0])
    other = Ledger(make_config(c.ledger.config.database, tmp_path / "other",
                               inline_integration=True, sealed_key_path=tmp_path / "sealed-key",
                               log_key_path=tmp_path / "log-key.pem"))  # fmt: skip
    try:
        body = c.inspector.body("ReadSealed", {"commitment": price})
        assert other.read_sealed(body)["value"] == "1790000.00"
        size = c.ledger.reader.size()
        for ledger in (c.ledger, other):
            with pytest.raises(ReplayedNonce):
                ledger.read_sealed(body)
        assert c.ledger.reader.size() == size
    finally:
        other.close()


def test_a_read_is_fresh_for_minutes_not_a_day(county: County) -> None:
    c = county
    price = _price(c, c.suppliers[0])
    size = c.ledger.reader.size()
    now = datetime.now(UTC)
    with pytest.raises(LedgerError) as stale:
        _read(c, c.inspector, price, issued_at=now - timedelta(minutes=6))
    assert stale.value.code == "not_fresh"
    assert c.ledger.reader.size() == size
    assert _read(c, c.inspector, price, issued_at=now - timedelta(minutes=4))["value"]
    # A command signed an hour ago is still taken: the short window is for reads.
    c.world.submit(c.purchaser, "AmendOrganisation", {"code": "rmyy", "region": "澄溪"})
    c.ledger.submit(c.purchaser.body("AmendOrganisation", {"code": "rmyy", "region": "澄溪县"},
                                     issued_at=now - timedelta(hours=1)))  # fmt: skip


def test_projections_and_the_planner_pass_over_sealed_reads(county: County) -> None:
    c = county
    price = _price(c, c.suppliers[0])
    _read(c, c.inspector, price)
    _read(c, c.suppliers[0], price)
    # A notice after the reads: followers that stopped at a read would never reach it.
    c.to_announced("p2")
    size = c.ledger.reader.size()
    assert [e["actor"] for e in entries(c.world) if e["type"] == "SealedValueRead"] == [
        "jw-op", "kangtai-op"]  # fmt: skip
    projector = projector_for(c.ledger)
    projector.setup()
    projector.catch_up()
    planner = Follower(c.ledger.db, Planner(parse_destinations(DESTINATIONS),
                                            c.ledger.config.database.is_sqlite))  # fmt: skip
    planner.setup()
    planner.catch_up()
    assert [f.position() for f in projector.followers] == [size] * len(projector.followers)
    assert planner.position() == size
    with c.ledger.db.read() as cur:
        notices = cur.execute("SELECT procurement, type FROM pub_announcements "
                              "WHERE procurement = 'p2'").fetchall()  # fmt: skip
    assert [tuple(n) for n in notices] == [("p2", "intention"), ("p2", "tender")]
    jobs = JobStore(c.ledger.db).jobs()
    assert {job.procurement for job in jobs} == {"p1", "p2"}


# -- the verifier -------------------------------------------------------------------------


@pytest.fixture
def read_log(county: County) -> tuple[County, list[Entry], int]:
    c = county
    price = _price(c, c.suppliers[0], opened=False)
    _price(c, c.suppliers[1], "1720000.00")
    _read(c, c.inspector, price)
    log = entries(c.world)
    index = next(i for i, e in enumerate(log) if e["type"] == "SealedValueRead")
    return c, log, index


def rejected(log: list[Entry], index: int, message: str) -> None:
    with pytest.raises(VerificationFailed, match=message) as failure:
        verify(log)
    assert failure.value.index == index


def test_a_read_by_a_reader_not_entitled_is_named(read_log: tuple[County, list[Entry], int]
                                                  ) -> None:  # fmt: skip
    c, log, index = read_log
    read = log[index]
    rival = c.suppliers[1]
    commitment = read["data"]["commitment"]
    forgery = forged(read, rival, "ReadSealed", {"commitment": commitment}, "SealedValueRead",
                     {**read["data"], "reader": rival.code, "organisation": rival.organisation})
    forgery["stream"], forgery["version"] = str(sealed_reads_stream(rival.code)), 1
    rejected([*log, forgery], len(log), r"should have been refused: rule sealed\.read")


def test_a_read_of_a_value_nobody_sealed_is_named(read_log: tuple[County, list[Entry], int]
                                                  ) -> None:  # fmt: skip
    c, log, index = read_log
    read = log[index]
    unknown = seal("1.00")[0]["commitment"]
    forgery = forged(read, c.inspector, "ReadSealed", {"commitment": unknown},
                     "SealedValueRead", {**read["data"], "commitment": unknown})  # fmt: skip
    rejected([*log, forgery], len(log), "which no earlier entry sealed")


def test_a_read_whose_data_differs_from_the_request_is_named(
    read_log: tuple[County, list[Entry], int],
) -> None:
    _, log, index = read_log
    log[index] = {**log[index], "data": {**log[index]["data"], "reader": "someone-else"}}
    rejected(log, index, "data is not what the signed request reads")


def test_a_read_recorded_long_after_it_was_signed_is_named(
    read_log: tuple[County, list[Entry], int],
) -> None:
    _, log, index = read_log
    late = datetime.fromisoformat(log[index]["command"]["issued_at"].replace("Z", "+00:00"))
    recorded = (late + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    log[index] = {**log[index], "recorded_at": recorded}
    rejected(log, index, "recorded more than 0:05:00 after it was signed")


def test_a_read_relabelled_as_another_event_and_back_is_named(
    read_log: tuple[County, list[Entry], int],
) -> None:
    _, log, index = read_log
    relabelled = [dict(e) for e in log]
    relabelled[index]["type"] = "OrganisationAmended"
    rejected(relabelled, index, "cannot record")
    bid = next(i for i, e in enumerate(log) if e["type"] == "BidCommitted")
    log[bid] = {**log[bid], "type": "SealedValueRead"}
    rejected(log, bid, "cannot record")
