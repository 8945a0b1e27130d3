"""The ledger's contract, run once on SQLite and once on PostgreSQL (`db_url` param).

Who may do what in the registry, how refusals look, that a refusal records
nothing, and that what is accepted lands in the verifiable log as DESIGN.md says.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
import rfc8785
from conftest import Actor, World, genesis, make_config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import signing
from ledger.application import Ledger, Receipt
from ledger.domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    InvalidSignature,
    LedgerError,
    ReplayedNonce,
    RevokedKey,
    UnknownKey,
)
from ledger.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.log.note import Checkpoint, open_note, parse_checkpoint
from ledger.store.recorders import LedgerPostgresRecorder
from ledger.store.url import DatabaseURL

LEAF_FIELDS = {"index", "stream", "version", "type", "recorded_at", "actor", "key",
               "command", "signature", "data"}
COMMAND_FIELDS = {"type", "procurement", "payload", "actor", "key", "issued_at", "nonce"}
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")


# -- helpers ----------------------------------------------------------------------------


def state(world: World) -> tuple[int, int]:
    """(log size, last stored event id): both must stay put when a command is refused."""
    return world.ledger.reader.size(), world.ledger.events.recorder.max_notification_id() or 0


@contextmanager
def refused(world: World, error: type[LedgerError], code: str, status: int,
            fragment: str = "") -> Iterator[None]:
    before = state(world)
    with pytest.raises(error) as caught:
        yield
    assert caught.value.code == code, caught.value.message
    assert caught.value.status == status
    assert fragment in caught.value.message
    assert state(world) == before, "a refused command changed the log or the event store"


def checkpoint_of(ledger: Ledger, note: str) -> Checkpoint:
    return parse_checkpoint(open_note(note, [ledger.signer.verifier]))


def assert_receipt_verifies(ledger: Ledger, receipt: Receipt) -> Checkpoint:
    body = receipt.as_json()
    assert body["status"] == "integrated"
    assert receipt.checkpoint is not None
    cp = checkpoint_of(ledger, receipt.checkpoint)
    assert cp.origin == ledger.signer.origin
    assert cp.size == receipt.size
    indices = [e["leaf_index"] for e in receipt.events]
    assert indices and all(0 <= i < cp.size for i in indices)
    assert [p["index"] for p in receipt.proofs] == indices
    for proof in receipt.proofs:
        leaf = base64.b64decode(proof["leaf_hash"])
        assert leaf == leaf_hash(ledger.reader.entry(proof["index"]))
        verify_inclusion(leaf, proof["index"], cp.size,
                         [base64.b64decode(p) for p in proof["proof"]], cp.root)
    for event in receipt.events:
        entry = json.loads(ledger.reader.entry(event["leaf_index"]))
        assert (entry["stream"], entry["version"], entry["type"]) == (
            event["stream"], event["version"], event["type"])
    return cp


def public_key_of(ledger: Ledger, key_id: str) -> bytes:
    key = ledger.registry.key(key_id)
    assert key is not None
    return base64.b64decode(key.public_key)


def new_key_for(world: World, actor: Actor) -> Actor:
    """Register a second key for an existing actor; return the actor signing with it."""
    extra = Actor(actor.code, actor.organisation, actor.role, Ed25519PrivateKey.generate())
    world.submit(world.admin, "RegisterKey",
                 {"actor": actor.code, "public_key": signing.public_b64(extra.key)})
    return extra


def org(code: str, kind: str, name: str = "新单位") -> dict[str, Any]:
    return {"code": code, "name": name, "kind": kind, "region": "澄溪县"}


# -- genesis ----------------------------------------------------------------------------


def test_genesis_creates_three_leaves(db_url: DatabaseURL, tmp_path: Path) -> None:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        assert ledger.reader.size() == 0
        assert ledger.reader.checkpoint() is None
        admin = genesis(ledger, adopt=False)
        assert ledger.reader.size() == 3
        types = [json.loads(ledger.reader.entry(i))["type"] for i in range(3)]
        assert types == ["OrganisationRegistered", "ActorRegistered", "KeyRegistered"]
        note = ledger.reader.checkpoint()
        assert note is not None and checkpoint_of(ledger, note).size == 3
        # The genesis key verifies its own leaf: the log is self-contained from index 0.
        for i in range(3):
            entry = json.loads(ledger.reader.entry(i))
            Ed25519PublicKey.from_public_bytes(signing.public_bytes(admin.key)).verify(
                base64.b64decode(entry["signature"]), rfc8785.dumps(entry["command"]))

        # A second genesis, whether direct or as a signed command, is refused.
        with pytest.raises(Conflict) as again:
            genesis(ledger)
        assert again.value.code == "exists"
        command = admin.command("Genesis", {"organisation": {}, "administrator": {},
                                            "public_key": signing.public_b64(admin.key)})
        with pytest.raises(Forbidden, match=r"rule registry\.genesis"):
            ledger.submit(json.dumps(signing.sign(command, admin.key)).encode())
        assert ledger.reader.size() == 3
    finally:
        ledger.close()


def test_world_starts_with_dense_leaves(world: World) -> None:
    # genesis (3) + the statutes adopted (2) + two organisations with an actor and a key each
    assert world.ledger.reader.size() == 11
    assert [json.loads(world.ledger.reader.entry(i))["index"] for i in range(11)] == list(
        range(11)
    )


# -- who may do what --------------------------------------------------------------------


def test_register_organisation_finance_office_only(world: World) -> None:
    rmyy = world.actors["rmyy-op"]
    with refused(world, Forbidden, "forbidden", 403, "rule registry.register_organisation"):
        world.submit(rmyy, "RegisterOrganisation", org("zyy", "purchaser"))
    receipt = world.submit(world.admin, "RegisterOrganisation", org("zyy", "purchaser", "中医院"))
    assert_receipt_verifies(world.ledger, receipt)
    registered = world.ledger.registry.organisation("zyy")
    assert registered is not None and registered.name == "中医院"


def test_amend_organisation_own_or_finance_office(world: World) -> None:
    rmyy, kangtai = world.actors["rmyy-op"], world.actors["kangtai-op"]
    receipt = world.submit(rmyy, "AmendOrganisation", {"code": "rmyy", "address": "建设路1号"})
    assert_receipt_verifies(world.ledger, receipt)
    with refused(world, Forbidden, "forbidden", 403, "rule registry.amend_organisation"):
        world.submit(rmyy, "AmendOrganisation", {"code": "kangtai", "name": "被改的名字"})
    with refused(world, Forbidden, "forbidden", 403, "rule registry.amend_organisation"):
        world.submit(kangtai, "AmendOrganisation", {"code": "czj", "name": "被改的名字"})
    receipt = world.submit(world.admin, "AmendOrganisation",
                           {"code": "kangtai", "name": "云岭康泰医疗科技有限公司"})
    assert_receipt_verifies(world.ledger, receipt)
    supplier = world.ledger.registry.organisation("kangtai")
    assert supplier is not None and supplier.name == "云岭康泰医疗科技有限公司"
    purchaser = world.ledger.registry.organisation("rmyy")
    assert purchaser is not None and purchaser.address == "建设路1号"
    assert purchaser.name == "澄溪县人民医院"


def test_an_organisations_administrator_or_the_finance_office_registers_its_people(
    world: World,
) -> None:
    """The first registered actor of an organisation administers it (roles.ADMINISTRATION):
    it registers colleagues and their keys and revokes them; nobody else outside the
    finance office does, and no administrator does it for another organisation."""
    kangtai = world.actors["kangtai-op"]  # kangtai's first actor: its administrator
    colleague = {"code": "kangtai-op2", "organisation": "kangtai", "role": "supplier",
                 "name": "李四"}
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RegisterActor"):
        world.submit(world.actors["rmyy-op"], "RegisterActor", colleague)
    assert_receipt_verifies(world.ledger, world.submit(kangtai, "RegisterActor", colleague))
    second = Actor("kangtai-op2", "kangtai", "supplier", Ed25519PrivateKey.generate())
    key = {"actor": "kangtai-op2", "public_key": signing.public_b64(second.key)}
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RegisterKey"):
        world.submit(world.actors["rmyy-op"], "RegisterKey", key)
    assert_receipt_verifies(world.ledger, world.submit(kangtai, "RegisterKey", key))
    assert world.ledger.registry.administrator("kangtai") == "kangtai-op"

    # The colleague signs at once; it is no administrator: it enrols nobody.
    third = {"code": "kangtai-op3", "organisation": "kangtai", "role": "supplier",
             "name": "王五"}
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RegisterActor"):
        world.submit(second, "RegisterActor", third)
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RevokeKey"):
        world.submit(second, "RevokeKey", {"key_id": kangtai.key_id, "reason": "越权"})

    # The administrator revokes the colleague's key: it signs nothing more.
    assert_receipt_verifies(world.ledger, world.submit(
        kangtai, "RevokeKey", {"key_id": second.key_id, "reason": "离职"}))
    with refused(world, RevokedKey, "revoked_key", 401):
        world.submit(second, "AmendOrganisation", {"code": "kangtai", "region": "澄溪"})
    staff = world.ledger.registry.staff("kangtai")
    assert [(c.code, c.keys) for c in staff] == [
        ("kangtai-op", ((kangtai.key_id, False),)),
        ("kangtai-op2", ((second.key_id, True),)),
    ]


def test_register_key_for_another_organisation_is_refused(world: World) -> None:
    rmyy = world.actors["rmyy-op"]
    fresh = Ed25519PrivateKey.generate()
    payload = {"actor": "kangtai-op", "public_key": signing.public_b64(fresh)}
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RegisterKey"):
        world.submit(rmyy, "RegisterKey", payload)
    assert_receipt_verifies(world.ledger, world.submit(world.admin, "RegisterKey", payload))
    # The new key works for its actor at once.
    second = Actor("kangtai-op", "kangtai", "supplier", fresh)
    assert_receipt_verifies(world.ledger, world.submit(
        second, "AmendOrganisation", {"code": "kangtai", "region": "澄溪"}))


def test_revoke_key_own_or_finance_office(world: World) -> None:
    kangtai = world.actors["kangtai-op"]
    spare = new_key_for(world, kangtai)
    rmyy_key = world.actors["rmyy-op"].key_id
    with refused(world, Forbidden, "forbidden", 403, "rule roles.administer.RevokeKey"):
        world.submit(kangtai, "RevokeKey", {"key_id": rmyy_key, "reason": "不是我的钥匙"})
    receipt = world.submit(kangtai, "RevokeKey", {"key_id": spare.key_id, "reason": "换新电脑"})
    assert_receipt_verifies(world.ledger, receipt)
    revoked = world.ledger.registry.key(spare.key_id)
    assert revoked is not None and revoked.revoked
    with refused(world, Conflict, "already_revoked", 409):
        world.submit(world.admin, "RevokeKey", {"key_id": spare.key_id, "reason": "再次"})
    # The finance office may revoke anyone's key.
    assert_receipt_verifies(world.ledger, world.submit(
        world.admin, "RevokeKey", {"key_id": rmyy_key, "reason": "离职"}))


def test_role_must_match_organisation_kind(world: World) -> None:
    with refused(world, Invalid, "invalid", 422, "rule registry.role_matches_organisation"):
        world.submit(world.admin, "RegisterActor",
                     {"code": "fake-sup", "organisation": "rmyy", "role": "supplier",
                      "name": "王五"})


def test_unknown_command_type_and_bad_payload_are_refused(world: World) -> None:
    rmyy = world.actors["rmyy-op"]
    with refused(world, Invalid, "unknown_command", 422, "DeleteEverything"):
        world.submit(rmyy, "DeleteEverything", {})
    with refused(world, Invalid, "invalid", 422, "unknown field"):
        world.submit(world.admin, "RegisterOrganisation", {**org("abc", "supplier"), "x": 1})
    with refused(world, Invalid, "invalid", 422, "payload.kind"):
        world.submit(world.admin, "RegisterOrganisation", org("abc", "pirate"))


def test_duplicate_registrations_conflict(world: World) -> None:
    with refused(world, Conflict, "exists", 409, "rmyy"):
        world.submit(world.admin, "RegisterOrganisation", org("rmyy", "purchaser"))
    with refused(world, Conflict, "exists", 409, "rmyy-op"):
        world.submit(world.admin, "RegisterActor",
                     {"code": "rmyy-op", "organisation": "rmyy", "role": "purchaser",
                      "name": "重复"})
    existing = world.actors["kangtai-op"].key
    with refused(world, Conflict, "exists", 409, signing.key_id(existing)):
        world.submit(world.admin, "RegisterKey",
                     {"actor": "rmyy-op", "public_key": signing.public_b64(existing)})


# -- signatures, keys, nonces, time -----------------------------------------------------


def test_replayed_command_is_refused(world: World) -> None:
    rmyy = world.actors["rmyy-op"]
    body = rmyy.body("AmendOrganisation", {"code": "rmyy", "address": "建设路2号"})
    assert_receipt_verifies(world.ledger, world.ledger.submit(body))
    with refused(world, ReplayedNonce, "replayed_nonce", 409):
        world.ledger.submit(body)
    # The same nonce re-signed in a fresh command is still a replay.
    first = json.loads(body)["command"]
    again = rmyy.command("AmendOrganisation", {"code": "rmyy", "address": "建设路3号"})
    again["nonce"] = first["nonce"]
    with refused(world, ReplayedNonce, "replayed_nonce", 409):
        world.ledger.submit(json.dumps(signing.sign(again, rmyy.key)).encode())


def test_revoked_key_is_refused_from_its_revocation_on(world: World) -> None:
    kangtai = world.actors["kangtai-op"]
    before = kangtai.body("AmendOrganisation", {"code": "kangtai", "address": "白鹭"})
    receipt = world.submit(world.admin, "RevokeKey",
                           {"key_id": kangtai.key_id, "reason": "私钥泄露"})
    revoked_at = assert_receipt_verifies(world.ledger, receipt).size
    with refused(world, RevokedKey, "revoked_key", 401, kangtai.key_id):
        world.submit(kangtai, "AmendOrganisation", {"code": "kangtai", "address": "白鹭"})
    # Signed before the revocation, sent after: still refused.
    with refused(world, RevokedKey, "revoked_key", 401, "私钥泄露"):
        world.ledger.submit(before)
    with refused(world, RevokedKey, "revoked_key", 401):
        world.submit(kangtai, "RevokeKey", {"key_id": kangtai.key_id, "reason": "x"})
    # The log itself says when: the revocation is a leaf signed by the administrator.
    entry = json.loads(world.ledger.reader.entry(revoked_at - 1))
    assert entry["type"] == "KeyRevoked" and entry["actor"] == "czj-admin"
    assert entry["data"]["key_id"] == kangtai.key_id


def test_unknown_key_is_refused(world: World) -> None:
    stranger = Actor("rmyy-op", "rmyy", "purchaser", Ed25519PrivateKey.generate())
    with refused(world, UnknownKey, "unknown_key", 401, stranger.key_id):
        world.submit(stranger, "AmendOrganisation", {"code": "rmyy", "region": "x"})


def test_signature_by_another_key_is_refused(world: World) -> None:
    rmyy, kangtai = world.actors["rmyy-op"], world.actors["kangtai-op"]
    command = rmyy.command("AmendOrganisation", {"code": "rmyy", "region": "澄溪"})
    forged = signing.sign(command, kangtai.key)  # names rmyy's key, signed by kangtai's
    with refused(world, InvalidSignature, "bad_signature", 401, rmyy.key_id):
        world.ledger.submit(json.dumps(forged).encode())
    unregistered = signing.sign(command, Ed25519PrivateKey.generate())
    with refused(world, InvalidSignature, "bad_signature", 401):
        world.ledger.submit(json.dumps(unregistered).encode())
    # A signature over other bytes than the command sent.
    good = signing.sign(command, rmyy.key)
    good["command"] = {**command, "payload": {"code": "rmyy", "region": "别处"}}
    with refused(world, InvalidSignature, "bad_signature", 401):
        world.ledger.submit(json.dumps(good).encode())


def test_key_of_another_actor_is_refused(world: World) -> None:
    rmyy, kangtai = world.actors["rmyy-op"], world.actors["kangtai-op"]
    command = signing.new_command("AmendOrganisation", {"code": "kangtai", "region": "x"},
                                  actor="kangtai-op", key=rmyy.key)
    with refused(world, Forbidden, "forbidden", 403, "rule registry.key_owner"):
        world.ledger.submit(json.dumps(signing.sign(command, rmyy.key)).encode())
    assert kangtai.key_id != rmyy.key_id


@pytest.mark.parametrize(
    ("shift", "fragment"),
    [(timedelta(hours=-24, minutes=-1), "older"), (timedelta(days=-400), "older"),
     (timedelta(minutes=6), "future"), (timedelta(days=1), "future")],
)
def test_stale_or_future_commands_are_refused(world: World, shift: timedelta,
                                              fragment: str) -> None:
    rmyy = world.actors["rmyy-op"]
    body = rmyy.body("AmendOrganisation", {"code": "rmyy", "region": "澄溪"},
                     issued_at=datetime.now(UTC) + shift)
    with refused(world, Invalid, "not_fresh", 422, fragment):
        world.ledger.submit(body)


@pytest.mark.parametrize("shift", [timedelta(hours=-23), timedelta(minutes=4)])
def test_commands_within_the_window_are_accepted(world: World, shift: timedelta) -> None:
    rmyy = world.actors["rmyy-op"]
    body = rmyy.body("AmendOrganisation", {"code": "rmyy", "region": "澄溪"},
                     issued_at=datetime.now(UTC) + shift)
    assert_receipt_verifies(world.ledger, world.ledger.submit(body))


# -- the log --------------------------------------------------------------------------


def test_receipts_and_successive_checkpoints_verify(world: World) -> None:
    ledger = world.ledger
    rmyy = world.actors["rmyy-op"]
    checkpoints = []
    for i in range(6):
        receipt = world.submit(rmyy, "AmendOrganisation",
                               {"code": "rmyy", "address": f"建设路{i}号"})
        checkpoints.append(assert_receipt_verifies(ledger, receipt))
    checkpoints.append(assert_receipt_verifies(
        ledger, world.submit(world.admin, "RegisterOrganisation", org("sfj", "inspector"))))
    sizes = [cp.size for cp in checkpoints]
    assert sizes == list(range(12, 19))
    for old, new in itertools.pairwise(checkpoints):
        proof = ledger.reader.consistency(old.size, new.size)
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    first, last = checkpoints[0], checkpoints[-1]
    verify_consistency(first.size, last.size, ledger.reader.consistency(first.size, last.size),
                       first.root, last.root)
    # The latest checkpoint served is the last one signed.
    latest = ledger.reader.checkpoint()
    assert latest is not None and checkpoint_of(ledger, latest) == last


def test_leaves_are_canonical_self_contained_and_signed(world: World) -> None:
    ledger = world.ledger
    world.submit(world.actors["rmyy-op"], "AmendOrganisation",
                 {"code": "rmyy", "name": "澄溪县人民医院（总院）", "address": "“引号” \\ 路"})
    size = ledger.reader.size()
    for i in range(size):
        raw = ledger.reader.entry(i)
        entry = json.loads(raw)
        assert raw == rfc8785.dumps(entry), f"leaf {i} is not RFC 8785"
        assert set(entry) == LEAF_FIELDS
        assert entry["index"] == i
        assert isinstance(entry["version"], int) and entry["version"] >= 1
        assert RFC3339_UTC.match(entry["recorded_at"]), entry["recorded_at"]
        command = entry["command"]
        assert set(command) == COMMAND_FIELDS
        assert (command["actor"], command["key"]) == (entry["actor"], entry["key"])
        assert isinstance(entry["data"], dict)
        public = public_key_of(ledger, entry["key"])
        Ed25519PublicKey.from_public_bytes(public).verify(
            base64.b64decode(entry["signature"]), rfc8785.dumps(command))
    last = json.loads(ledger.reader.entry(size - 1))
    assert last["type"] == "OrganisationAmended"
    assert last["data"]["name"] == "澄溪县人民医院（总院）"
    assert last["command"]["payload"]["address"] == "“引号” \\ 路"


def test_integrator_restart_continues_dense_indices(world: World, db_url: DatabaseURL,
                                                    tmp_path: Path) -> None:
    rmyy = world.actors["rmyy-op"]
    start = world.ledger.reader.size()
    # A writer whose integrator does not run: its events wait in the event store.
    writer = Ledger(make_config(db_url, tmp_path, inline_integration=False,
                                leaf_wait_seconds=0))
    try:
        for i in range(3):
            receipt = writer.submit(rmyy.body("AmendOrganisation",
                                              {"code": "rmyy", "address": f"待整合{i}"}))
            assert receipt.as_json()["status"] == "pending"
        assert writer.reader.size() == start
    finally:
        writer.close()
    # A freshly started ledger picks them up, in order, exactly once.
    restarted = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        assert restarted.integrator.integrate() == start + 3
        assert restarted.integrator.integrate() == start + 3
        receipt = restarted.submit(rmyy.body("AmendOrganisation", {"code": "rmyy",
                                                                   "address": "重启后"}))
        assert [e["leaf_index"] for e in receipt.events] == [start + 3]
        assert_receipt_verifies(restarted, receipt)
    finally:
        restarted.close()
    # The first ledger, whose cached frontier is now stale, continues after them.
    receipt = world.submit(rmyy, "AmendOrganisation", {"code": "rmyy", "address": "原实例"})
    assert [e["leaf_index"] for e in receipt.events] == [start + 4]
    cp = assert_receipt_verifies(world.ledger, receipt)
    size = world.ledger.reader.size()
    assert size == cp.size == start + 5
    leaves = [json.loads(world.ledger.reader.entry(i)) for i in range(size)]
    assert [e["index"] for e in leaves] == list(range(size))
    identities = {(e["stream"], e["version"]) for e in leaves}
    assert len(identities) == size, "an event was logged twice"
    addresses = [e["data"].get("address") for e in leaves[start:]]
    assert addresses == ["待整合0", "待整合1", "待整合2", "重启后", "原实例"]
    # Every stored event has exactly one leaf (notification ids may have gaps on
    # PostgreSQL when an insert is refused, so count the events themselves).
    stored = world.ledger.events.recorder.select_notifications(start=1, limit=10_000)
    assert len(stored) == size


# -- append-only storage -------------------------------------------------------------

APPEND_ONLY = {
    "stored_events": ("originator_version", "state"),
    "ledger_nonces": ("nonce", "nonce"),
    "log_leaves": ("idx", "leaf"),
    "log_nodes": ("idx", "hash"),
    "log_checkpoints": ("size", "note"),
}


def test_tables_are_append_only_in_the_database(world: World) -> None:
    url = world.ledger.config.database
    before = state(world)
    if url.is_sqlite:
        assert url.path is not None
        conn = sqlite3.connect(url.path, isolation_level=None)
        try:
            for table, (key, column) in APPEND_ONLY.items():
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    conn.execute(f"UPDATE {table} SET {column} = {column}")
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    conn.execute(f"DELETE FROM {table} WHERE {key} IS NOT NULL")
                assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0
        finally:
            conn.close()
    else:
        recorder = cast(LedgerPostgresRecorder, world.ledger.events.recorder)
        events_table = recorder.events_table_name
        tables = {**APPEND_ONLY, events_table: APPEND_ONLY["stored_events"]}
        del tables["stored_events"]
        with psycopg.connect(url.conninfo(), autocommit=True) as pg_conn:
            for table, (key, column) in tables.items():
                for sql in (f"UPDATE {table} SET {column} = {column}",
                            f"DELETE FROM {table} WHERE {key} IS NOT NULL",
                            f"TRUNCATE {table}"):
                    with pytest.raises(psycopg.Error, match="append-only"):
                        pg_conn.execute(sql)
    assert state(world) == before
    # The ledger still works after the refused tampering.
    assert_receipt_verifies(world.ledger, world.submit(
        world.actors["rmyy-op"], "AmendOrganisation", {"code": "rmyy", "region": "澄溪县"}))


OVERWRITES = [
    "INSERT OR REPLACE INTO log_leaves (idx, notification_id, leaf) VALUES (0, 999999, x'7b7d')",
    "INSERT OR REPLACE INTO log_leaves (idx, notification_id, leaf) VALUES (999999, 1, x'7b7d')",
    "INSERT OR REPLACE INTO log_nodes (level, idx, hash) VALUES (0, 0, x'00')",
    "INSERT OR REPLACE INTO log_checkpoints (size, note, signed_at) SELECT size, 'x', 'x' "
    "FROM log_checkpoints LIMIT 1",
    "INSERT OR REPLACE INTO stored_events (originator_id, originator_version, topic, state) "
    "SELECT originator_id, originator_version, topic, x'7b7d' FROM stored_events LIMIT 1",
    "INSERT OR REPLACE INTO stored_events (rowid, originator_id, originator_version, topic, state) "
    "VALUES (1, 'x', 1, 't', x'7b7d')",
    "INSERT OR REPLACE INTO ledger_nonces (actor, nonce) SELECT actor, nonce FROM ledger_nonces "
    "LIMIT 1",
]


@pytest.mark.parametrize("statement", OVERWRITES)
def test_sqlite_insert_or_replace_cannot_overwrite_a_row(world: World, statement: str) -> None:
    url = world.ledger.config.database
    if not url.is_sqlite:
        pytest.skip("PostgreSQL has no INSERT OR REPLACE; ON CONFLICT DO UPDATE fires UPDATE")
    assert url.path is not None
    before = state(world)
    leaves = [world.ledger.reader.entry(i) for i in range(world.ledger.reader.size())]
    conn = sqlite3.connect(url.path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    assert state(world) == before
    assert [world.ledger.reader.entry(i) for i in range(world.ledger.reader.size())] == leaves


def test_sqlite_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    """Threads come and go in a long-running process; their connections must not pile up."""
    import threading

    from ledger.store.sql import SQLiteDatabase
    from ledger.store.url import parse_database_url

    path = tmp_path / "x.db"

    def open_files() -> int:  # the process's file descriptors on the database file
        fds = Path("/proc/self/fd").iterdir()
        return sum(1 for fd in fds if fd.exists() and fd.resolve() == path.resolve())

    db = SQLiteDatabase(parse_database_url(f"sqlite:///{path}"))
    try:
        for _ in range(50):  # one after another: a new thread often gets an ended one's ident
            worker = threading.Thread(target=lambda: db.execute_script(["SELECT 1"]))
            worker.start()
            worker.join()
        db.execute_script(["SELECT 1"])  # a new connection prunes the ended threads' ones
        assert open_files() <= 2
    finally:
        db.close()
    assert open_files() == 0
