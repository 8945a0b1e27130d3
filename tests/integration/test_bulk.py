"""The bulk path (``ledger.bulk``): the log it makes is the one the commands make one by
one, and a refused command in a batch is named by its position and keeps nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import Actor, World, make_config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fresh import leaves_of, without_fresh
from psycopg import sql

from demo.builder import DemoBuilder
from ledger import signing
from ledger.application import Ledger
from ledger.bulk import BulkLoader
from ledger.domain.errors import Invalid, InvalidSignature, ReplayedNonce, RevokedKey
from ledger.store.url import DatabaseURL, parse_database_url

#: Commands of the demo (after its genesis) compared: the registry, the plans of spring, and
#: the first tenders' documents obtained, bids sealed in the box, boxes closed and opened.
COMMANDS = 900


class Enough(Exception):
    pass


class OneByOne(DemoBuilder):
    """The demo's commands, each submitted alone with ``Ledger.submit`` as it is signed, and
    kept, until ``limit`` of them are stored."""

    def __init__(self, ledger: Ledger, keys_dir: Path, limit: int):
        super().__init__(ledger, keys_dir)
        self.limit = limit
        self.bodies: list[bytes] = []

    def _flush(self) -> int:
        batch, self._batch = self._batch, []
        for _, body in batch:
            self.ledger.submit(body)
            self.bodies.append(body)
            if len(self.bodies) == self.limit:
                raise Enough
        return self.ledger.integrator.integrate()


def _leaves(ledger: Ledger) -> list[dict[str, Any]]:
    return leaves_of(ledger.reader, ledger.integrator.integrate())


def _genesis_body(leaf: dict[str, Any]) -> bytes:
    """The signed genesis, as the log keeps it (command and signature)."""
    command = leaf["command"]
    return json.dumps({"command": command, "signature": leaf["signature"]}).encode()


@pytest.fixture
def second_url(db_url: DatabaseURL, tmp_path: Path) -> Iterator[DatabaseURL]:
    """An empty database beside ``db_url``, of the same kind."""
    if db_url.is_sqlite:
        yield parse_database_url(f"sqlite:///{tmp_path / 'bulk.db'}")
        return
    name = f"{db_url.dbname}_bulk"
    with psycopg.connect(db_url.with_database("postgres").conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield db_url.with_database(name)
    finally:
        with psycopg.connect(db_url.with_database("postgres").conninfo(), autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))  # fmt: skip


def test_the_bulk_log_is_the_log_of_the_commands_one_by_one(
    db_url: DatabaseURL, second_url: DatabaseURL, tmp_path: Path
) -> None:
    one_dir, bulk_dir = tmp_path / "one", tmp_path / "bulk"
    one = Ledger(make_config(db_url, one_dir, inline_integration=True))
    builder = OneByOne(one, one_dir / "demo-keys", COMMANDS)
    with pytest.raises(Enough):
        builder.build()
    expected = _leaves(one)
    one.close()
    # The same signed commands into a second ledger through the bulk path, with the same
    # bid-box key (its registration is among the commands).
    config = make_config(second_url, bulk_dir, bid_box_key_path=one_dir / "bid-box-key.pem")
    bulk = Ledger(config)
    try:
        bulk.genesis(_genesis_body(expected[0]))
        loader = BulkLoader(bulk)
        try:
            for start in range(0, len(builder.bodies), 256):
                outcome = loader.submit_batch(builder.bodies[start : start + 256])
                assert outcome.failures == []
        finally:
            loader.close()
        got = _leaves(bulk)
    finally:
        bulk.close()
    assert len(got) == len(expected) > COMMANDS
    kinds = {leaf["type"] for leaf in expected}
    assert {"BidCommitted", "BidBoxClosed", "BidsOpened", "KeyRevoked"} <= kinds
    assert [without_fresh(x) for x in got] == [without_fresh(x) for x in expected]
    # Everything not made by the box's fresh salts is the very same entry.
    same = sum(1 for x, y in zip(got, expected, strict=True)
               if {**x, "recorded_at": ""} == {**y, "recorded_at": ""})  # fmt: skip
    assert same >= 0.6 * len(expected)
    assert [x["index"] for x in got] == list(range(len(got)))


def test_a_refused_command_mid_batch_is_named_by_its_position_and_keeps_nothing(
    world: World,
) -> None:
    ledger, admin = world.ledger, world.admin
    def organisation(code: str, name: str) -> bytes:
        payload = {"code": code, "name": name, "kind": "purchaser", "region": "澄溪县"}
        return admin.body("RegisterOrganisation", payload)

    def actor_of(organisation: str, code: str) -> bytes:
        payload = {"code": code, "organisation": organisation, "role": "purchaser", "name": "某人"}
        return admin.body("RegisterActor", payload)

    registered = organisation("yzx", "澄溪县第一中学")
    actor = actor_of("yzx", "yz-op")  # of the organisation registered just before, unstored
    unknown = actor_of("ghost", "ghost-op")
    forged = json.loads(organisation("wsjx", "澄溪县卫生局"))
    forged["command"]["payload"]["name"] = "澄溪县假冒单位"  # the signature no longer verifies
    later = organisation("jyjx", "澄溪县教育局")
    size = ledger.reader.size()
    loader = BulkLoader(ledger)
    try:
        outcome = loader.submit_batch(
            [registered, actor, unknown, json.dumps(forged).encode(), later, later])
    finally:
        loader.close()
    assert [f.position for f in outcome.failures] == [2, 3, 5], [str(f) for f in outcome.failures]
    assert isinstance(outcome.failures[0].error, Invalid)
    assert outcome.failures[0].error.code == "unknown_organisation"
    assert isinstance(outcome.failures[1].error, InvalidSignature)
    assert isinstance(outcome.failures[2].error, ReplayedNonce)
    assert str(outcome.failures[0]).startswith("command 2 of the batch: ")
    assert outcome.stored == 3
    assert outcome.size == size + 3 == ledger.reader.size()
    assert ledger.registry.actor("yz-op") is not None
    assert ledger.registry.actor("ghost-op") is None
    assert ledger.registry.organisation("wsjx") is None
    assert ledger.registry.organisation("jyjx") is not None
    entries = [json.loads(e) for e in ledger.reader.entries(size, 3)]
    assert [e["type"] for e in entries] == [
        "OrganisationRegistered", "ActorRegistered", "OrganisationRegistered"]  # fmt: skip
    # Nothing of the refused ones was kept, not even their nonces: sent again alone, the
    # forged one is refused for its signature, not as a replay.
    with pytest.raises(InvalidSignature):
        ledger.submit(json.dumps(forged).encode())


def test_a_key_revoked_in_a_batch_signs_nothing_more_in_it_and_one_registered_signs_at_once(
    world: World,
) -> None:
    ledger, admin = world.ledger, world.admin

    def organisation(signer: Actor, code: str) -> bytes:
        payload = {"code": code, "name": f"澄溪县{code}", "kind": "purchaser", "region": "澄溪县"}
        return signer.body("RegisterOrganisation", payload)

    def new_key() -> tuple[Actor, bytes]:
        key = Actor(admin.code, admin.organisation, admin.role, Ed25519PrivateKey.generate())
        payload = {"actor": admin.code, "public_key": signing.public_b64(key.key)}
        return key, admin.body("RegisterKey", payload)

    second, registration = new_key()
    ledger.submit(registration)
    third, registration = new_key()
    loader = BulkLoader(ledger)
    try:
        revoked = loader.submit_batch([
            organisation(second, "yjx"),  # the second key, valid when signed and decided
            admin.body("RevokeKey", {"key_id": second.key_id, "reason": "遗失"}),
            organisation(second, "ejx"),  # signed by the key revoked just before
        ])  # fmt: skip
        registered = loader.submit_batch([registration, organisation(third, "sjx")])
    finally:
        loader.close()
    assert [f.position for f in revoked.failures] == [2], [str(f) for f in revoked.failures]
    assert isinstance(revoked.failures[0].error, RevokedKey)
    assert revoked.stored == 2
    assert registered.failures == [] and registered.stored == 2
    assert ledger.registry.organisation("yjx") is not None
    assert ledger.registry.organisation("ejx") is None
    assert ledger.registry.organisation("sjx") is not None
