"""Every notice reaches every website it is meant for, signed, once, with one receipt each."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import orjson
from test_publish_site import (
    SECRET,
    Answer,
    FakeSite,
    config,
    county_with_notices,
    receipts_of,
)

from ledger.log.follower import Follower
from projections.ocds import queries as ocds_queries
from projections.ocds.projection import OcdsProjection
from publisher.store import JobStore
from publisher.worker import Publisher


def run(world: Any, cfg: Any, key: Any, workers: int = 4) -> Publisher:
    publisher = Publisher(world.ledger, cfg, key, workers=workers, seed=1)
    publisher.setup()
    publisher.drain(timeout=60)
    return publisher


def test_every_notice_arrives_signed_and_once_with_one_receipt(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=3)
    key = actor.key
    with FakeSite(key.public_key(), SECRET) as hebei, FakeSite(key.public_key()) as portal:
        cfg = config(
            {"name": "ccgp-hebei", "url": hebei.url, "required": True, "secret": SECRET},
            {
                "name": "county-portal",
                "url": portal.url,
                "format": "ocds",
                "announcements": ["tender"],
            },
        )
        run(world, cfg, key)
        # Every notice to the province's site, the tenders only to the county portal.
        assert sorted(s.json["data"]["notice"] for s in hebei.seen) == notices
        tenders = [
            n
            for n in notices
            if orjson.loads(world.ledger.reader.entry(n))["data"]["announcement"] == "tender"
        ]
        assert (
            sorted(int(s.json["releases"][0]["id"].split("-")[-1]) for s in portal.seen) == tenders
        )
        # The pushed release is the one /ocds serves: one mapping (ledger.ocds).
        follower = Follower(world.ledger.db, OcdsProjection())
        follower.setup()
        follower.catch_up()
        served = {r["id"]: r for r in ocds_queries.releases(world.ledger.db, cfg.ocid_prefix)}
        for s in portal.seen:
            (pushed,) = s.json["releases"]
            assert pushed == served[pushed["id"]] and pushed["parties"][0]["name"]
        assert all(s.v1a and s.v1 for s in hebei.seen)
        assert all(s.v1a and s.v1 is None for s in portal.seen)
        assert len(set(hebei.ids())) == len(hebei.seen) == len(notices)
    receipts = receipts_of(world)
    pairs = sorted((r["notice"], r["destination"]) for r in receipts)
    assert pairs == sorted(
        [(n, "ccgp-hebei") for n in notices] + [(n, "county-portal") for n in tenders]
    )
    digest = base64.b64encode(hashlib.sha256(b'{"received": true}').digest()).decode()
    assert {(r["status"], r["response_digest"], r["attempts"]) for r in receipts} == {
        (200, digest, 1)
    }
    assert {r["required"] for r in receipts if r["destination"] == "ccgp-hebei"} == {True}
    store = JobStore(world.ledger.db)
    assert {s for (_, s) in store.counts()} == {"done"}


def test_the_notice_body_carries_the_leaf_and_its_hash(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    with FakeSite(actor.key.public_key()) as site:
        run(world, config({"name": "ccgp-hebei", "url": site.url}), actor.key)
        first = min(site.seen, key=lambda s: s.json["data"]["notice"])
    body = first.json
    leaf = world.ledger.reader.entry(notices[0])
    assert base64.b64decode(body["data"]["leaf"]) == leaf
    assert (
        body["data"]["leaf_hash"]
        == base64.b64encode(hashlib.sha256(b"\x00" + leaf).digest()).decode()
    )
    assert body["type"] == "notice.intention" and body["data"]["announcement_zh"] == "采购意向公开"
    assert first.webhook_id.startswith(f"msg_{notices[0]}_")


def test_a_retry_carries_the_same_webhook_id_and_body(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    answers = iter([Answer(500), Answer(500)])

    def script(n: int, msg_id: str) -> Answer:
        return next(answers, Answer())

    with FakeSite(actor.key.public_key(), script=script) as site:
        run(world, config({"name": "ccgp-hebei", "url": site.url}), actor.key, workers=1)
        by_id: dict[str, set[bytes]] = {}
        for seen in site.seen:
            by_id.setdefault(seen.webhook_id, set()).add(seen.body)
    assert len(by_id) == len(notices) and all(len(b) == 1 for b in by_id.values())
    # Two failures among two notices: four attempts in all, each receipt counting its own.
    assert sum(r["attempts"] for r in receipts_of(world)) == 4 == len(site.seen)


def test_a_batch_stops_at_a_failure_and_the_rest_follow_once_each(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=3)
    answers = iter([Answer(), Answer(500)])  # the second request of the batch fails

    def script(n: int, msg_id: str) -> Answer:
        return next(answers, Answer())

    with FakeSite(actor.key.public_key(), script=script) as site:
        run(world, config({"name": "ccgp-hebei", "url": site.url}), actor.key, workers=1)
        arrived = [s.json["data"]["notice"] for s in site.seen]
    # The batch went in log order until the failure; the notices after it were not sent
    # then, so only the failed one was sent twice.
    assert arrived[:2] == notices[:2]
    assert sorted(arrived) == sorted([*notices, notices[1]])
    receipts = receipts_of(world)
    assert sorted(r["notice"] for r in receipts) == notices
    assert {r["notice"]: r["attempts"] for r in receipts} == {
        n: 2 if n == notices[1] else 1 for n in notices
    }


def test_a_slow_batch_renews_its_lease_so_no_other_worker_sends_it_again(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=2)
    assert len(notices) == 4
    slow = lambda n, msg_id: Answer(delay=0.9)  # noqa: E731 (four of them outlast one lease)
    with FakeSite(actor.key.public_key(), script=slow) as site:
        cfg = config({"name": "ccgp-hebei", "url": site.url}, defaults={"batch": 4})
        first = Publisher(world.ledger, cfg, actor.key, workers=1, seed=1)
        first.setup()
        first.start()
        second = Publisher(world.ledger, cfg, actor.key, workers=1, seed=2)
        try:
            site.wait_for(lambda: len(site.seen) >= 1)  # the first took the whole batch
            second.start()  # and looks for jobs whose lease ran out
            site.wait_for(lambda: len(site.processed) == len(notices), timeout=30)
            time.sleep(1.5)  # long enough for a lost lease to be taken and sent again
        finally:
            first.stop()
            second.stop()
        ids = site.ids()
    assert len(ids) == len(set(ids)) == len(notices)  # one lease of 3 s, four sends of 0.9 s
    assert sorted(r["notice"] for r in receipts_of(world)) == notices


def test_a_long_run_says_how_much_is_left(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=2)
    slow = lambda n, msg_id: Answer(delay=0.3)  # noqa: E731
    heard: list[int] = []
    with FakeSite(actor.key.public_key(), script=slow) as site:
        cfg = config({"name": "ccgp-hebei", "url": site.url}, defaults={"batch": 1})
        publisher = Publisher(world.ledger, cfg, actor.key, workers=1, seed=1)
        publisher.setup()
        publisher.drain(timeout=60, progress=heard.append, every=0.25)
    assert len(heard) >= 2 and heard == sorted(heard, reverse=True)  # counting down
    assert 0 < heard[0] <= len(notices)
