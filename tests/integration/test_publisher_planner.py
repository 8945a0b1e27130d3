"""The planner: one job per (notice, destination), in the transaction of its position, so a
planner killed mid-batch and restarted neither skips nor duplicates; receipts mark jobs done;
a destination added later gets every earlier notice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
from conftest import ROOT, World, _url
from procurement_world import County

from ledger.domain.schema.entry import parse_entry
from ledger.log.follower import Follower
from publisher.config import parse_destinations
from publisher.planner import Planner, backfill, is_notice
from publisher.store import JobStore

CONFIG = """
[[destination]]
name = "ccgp-hebei"
url = "http://127.0.0.1:9/x"
allow_private = true

[[destination]]
name = "county-portal"
url = "http://127.0.0.1:9/y"
allow_private = true
announcements = ["tender"]
"""

# A planner that stops for a minute inside the transaction of the leaf it is told, after
# printing its position: the test kills it there with SIGKILL.
SLOW_PLANNER = """
import sys, time
from ledger.log.follower import Follower
from ledger.store.sql import open_database
from ledger.store.url import parse_database_url
from publisher.config import parse_destinations
from publisher.planner import Planner

class Stalling(Planner):
    def apply(self, cur, index, entry, leaf):
        super().apply(cur, index, entry, leaf)
        if index == int(sys.argv[3]):
            print("stalled", flush=True)
            time.sleep(60)

db = open_database(parse_database_url(sys.argv[1]))
follower = Follower(db, Stalling(parse_destinations(open(sys.argv[2]).read()), db.url.is_sqlite))
follower.setup()
while True:
    follower.catch_up(limit=7)  # small batches: several commit before the stall
"""


def announced(world: World, procurements: int) -> tuple[list[int], set[tuple[int, str]]]:
    county = County(world)
    for n in range(1, procurements + 1):
        county.to_announced(f"p{n}")
    reader = world.ledger.reader
    expected, notices = set(), []
    for i in range(reader.size()):
        entry = orjson.loads(reader.entry(i))
        if is_notice(parse_entry(reader.entry(i))):
            notices.append(i)
            expected.add((i, "ccgp-hebei"))
            if entry["data"]["announcement"] == "tender":
                expected.add((i, "county-portal"))
    return notices, expected


def jobs(world: World) -> list[tuple[int, str]]:
    return sorted((j.notice, j.destination) for j in JobStore(world.ledger.db).jobs(limit=10_000))


def test_killed_mid_batch_and_restarted_neither_skips_nor_duplicates(
    world: World, tmp_path: Path
) -> None:
    notices, expected = announced(world, procurements=4)
    config_file = tmp_path / "destinations.toml"
    config_file.write_text(CONFIG, encoding="utf-8")
    stall_at = notices[len(notices) // 2]
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_PLANNER,
            _url(world.ledger.config.database),
            str(config_file),
            str(stall_at),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "stalled\n"
    finally:
        process.kill()
        process.wait(timeout=10)
    planner = Planner(parse_destinations(CONFIG), world.ledger.config.database.is_sqlite)
    follower = Follower(world.ledger.db, planner)
    position = follower.position()
    assert 0 < position <= stall_at  # batches before the stall committed, its batch did not
    assert jobs(world) == sorted(p for p in expected if p[0] < position)
    follower.setup()
    assert follower.catch_up() == world.ledger.reader.size()
    assert jobs(world) == sorted(expected)
    # Planning the whole log again (a new planner version) changes nothing.
    follower.reset()
    follower.catch_up()
    assert jobs(world) == sorted(expected)


def test_a_delivery_receipt_marks_its_job_done(world: World) -> None:
    county = County(world)
    actor = world.add("fbfw", "publisher", "fbfw-svc")
    county.to_announced()
    tender = world.ledger.reader.size() - 1
    planner = Planner(parse_destinations(CONFIG), world.ledger.config.database.is_sqlite)
    follower = Follower(world.ledger.db, planner)
    follower.setup()
    follower.catch_up()
    county.act(
        actor,
        "RecordDelivery",
        {
            "notice": tender,
            "destination": "county-portal",
            "required": False,
            "attempts": 1,
            "status": 200,
            "response_digest": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "delivered_at": "2026-04-13T09:30:00+08:00",
        },
    )
    follower.catch_up()
    states = {(j.notice, j.destination): j.state for j in JobStore(world.ledger.db).jobs()}
    assert states[(tender, "county-portal")] == "done"
    assert states[(tender, "ccgp-hebei")] == "pending"


def test_a_destination_added_later_gets_every_earlier_notice(world: World) -> None:
    notices, expected = announced(world, procurements=2)
    sqlite = world.ledger.config.database.is_sqlite
    first = parse_destinations(CONFIG.split("\n\n")[0])
    follower = Follower(world.ledger.db, Planner(first, sqlite))
    follower.setup()
    store = JobStore(world.ledger.db)
    assert store.register(first.destinations, time.time()) == ["ccgp-hebei"]
    follower.catch_up()
    assert jobs(world) == [(n, "ccgp-hebei") for n in notices]
    both = parse_destinations(CONFIG)
    planner = Planner(both, sqlite)
    new = store.register(both.destinations, time.time())
    assert new == ["county-portal"]
    backfill(world.ledger.db, planner, new)
    assert jobs(world) == sorted(expected)
