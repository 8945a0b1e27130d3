"""Concurrent commands share commits, yet each gets exactly its own outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import World, sunshine

from ledger.domain.errors import LedgerError


def test_concurrent_commands_each_get_their_own_outcome(world: World, tmp_path: Path) -> None:
    admin = world.admin
    fresh = [
        admin.body(
            "RegisterOrganisation",
            {
                "code": f"org-{i:03}",
                "name": f"澄溪县第{i}小学",
                "kind": "purchaser",
                "region": "澄溪县",
            },
        )
        for i in range(60)
    ]
    clash = admin.body(
        "RegisterOrganisation",
        {"code": "org-clash", "name": "重复登记", "kind": "purchaser", "region": "澄溪县"},
    )
    # Every fresh command twice (the second is a replay) and one record registered
    # by two different commands: all sent at once from many threads.
    bodies = (
        fresh
        + fresh
        + [
            clash,
            admin.body(
                "RegisterOrganisation",
                {"code": "org-clash", "name": "重复登记", "kind": "purchaser", "region": "澄溪县"},
            ),
        ]
    )
    before = world.ledger.reader.size()

    def send(body: bytes) -> str:
        try:
            receipt = world.ledger.submit(body)
        except LedgerError as exc:
            return exc.code
        return "accepted" if receipt.events else "empty"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(send, bodies))

    assert outcomes.count("accepted") == 61
    # The two commands for one record: one lands, the other is refused, whether it
    # was decided before the first was stored (a version clash) or after (exists).
    assert sorted(outcomes[-2:]) in (["accepted", "concurrent_change"], ["accepted", "exists"])
    for i in range(60):
        assert sorted([outcomes[i], outcomes[60 + i]]) in (
            ["accepted", "replayed_nonce"],
            ["accepted", "exists"],
        )
    assert world.ledger.integrator.integrate() == before + 61
    url = world.ledger.config.database
    world.ledger.close()
    result = sunshine("verify", "--jobs", "1", data_dir=tmp_path, db=url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_key_revoked_by_another_process_is_refused(world: World, tmp_path: Path) -> None:
    """Ledger A has the supplier's key cached; ledger B (another process in
    production) revokes it; A must refuse the next command signed with it."""
    from conftest import make_config

    from ledger.application import Ledger
    from ledger.domain.errors import RevokedKey

    supplier = world.actors["kangtai-op"]
    world.submit(supplier, "AmendOrganisation", {"code": "kangtai", "region": "青峦市"})
    other = Ledger(make_config(world.ledger.config.database, tmp_path, inline_integration=True))
    try:
        other.submit(
            world.admin.body("RevokeKey", {"key_id": supplier.key_id, "reason": "离职，密钥作废"})
        )
    finally:
        other.close()
    size = world.ledger.reader.size()
    events = world.ledger.events.recorder.max_notification_id()
    try:
        world.submit(supplier, "AmendOrganisation", {"code": "kangtai", "region": "白鹭市"})
    except RevokedKey as refusal:
        assert supplier.key_id in refusal.message
    else:
        raise AssertionError("a command signed with a revoked key was accepted")
    assert world.ledger.reader.size() == size
    assert world.ledger.events.recorder.max_notification_id() == events


def test_a_record_changed_by_another_process_is_decided_again(world: World, tmp_path: Path) -> None:
    """Ledger A has the hospital cached; ledger B amends it; A's next amendment is
    decided again on the fresh record instead of failing or overwriting."""
    from conftest import make_config

    from ledger.application import Ledger

    hospital = world.actors["rmyy-op"]
    world.submit(hospital, "AmendOrganisation", {"code": "rmyy", "region": "澄溪县"})
    other = Ledger(make_config(world.ledger.config.database, tmp_path, inline_integration=True))
    try:
        other.submit(
            hospital.body("AmendOrganisation", {"code": "rmyy", "name": "澄溪县人民医院（总院）"})
        )
    finally:
        other.close()
    receipt = world.submit(hospital, "AmendOrganisation", {"code": "rmyy", "address": "长江路12号"})
    versions = [event["version"] for event in receipt.events]
    organisation = world.ledger.registry.organisation("rmyy")
    assert organisation is not None
    assert organisation.version == versions[-1]
    assert organisation.name == "澄溪县人民医院（总院）"  # B's change is kept
    assert organisation.address == "长江路12号"


def test_a_second_genesis_is_refused_inside_the_insert(world: World) -> None:
    """Two `sunshine init` runs racing both pass the empty-log check; the insert's own
    check, under the write lock, lets only the first through."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger import signing
    from ledger.application import _signed
    from ledger.commands import parse_envelope
    from ledger.domain.errors import Conflict
    from ledger.domain.registry_commands import genesis
    from ledger.store.recorders import CommandGuard

    key = Ed25519PrivateKey.generate()
    command = signing.new_command(
        "Genesis",
        {
            "organisation": {"code": "other-czj", "name": "另一个财政局", "region": "别县"},
            "administrator": {"code": "other-admin", "name": "李四"},
            "public_key": signing.public_b64(key),
        },
        actor="other-admin",
        key=key,
    )
    envelope = parse_envelope(json.dumps(signing.sign(command, key)).encode())
    aggregates, _ = genesis(envelope.command.payload, _signed(envelope))
    before = world.ledger.events.recorder.max_notification_id()
    guard = CommandGuard("other-admin", envelope.command.nonce, aggregates[-1].id, None, first=True)
    try:
        world.ledger.committer.store(aggregates, guard)
    except Conflict as refusal:
        assert "already has a genesis" in refusal.message
    else:
        raise AssertionError("a second genesis was stored")
    assert world.ledger.events.recorder.max_notification_id() == before


def test_commands_submitted_together_each_get_their_own_outcome(world: World) -> None:
    admin = world.admin

    def register(code: str, name: str = "澄溪县第一小学") -> bytes:
        return admin.body(
            "RegisterOrganisation",
            {"code": code, "name": name, "kind": "purchaser", "region": "澄溪县"},
        )

    fresh = [register(f"batch-{i}") for i in range(5)]
    bodies = [
        *fresh,
        fresh[0],  # a replay of the first, in the same batch
        register("batch-1", "又一个"),  # the same record as the second: a clash
        b'{"not": "a signed command"}',
        admin.body("RegisterOrganisation", {"code": "batch-x", "kind": "nonsense"}),
    ]
    before = world.ledger.reader.size()
    outcomes = world.ledger.submit_many(bodies)
    codes = [o.code if isinstance(o, LedgerError) else "accepted" for o in outcomes]
    assert codes[:5] == ["accepted"] * 5
    assert codes[5] in ("replayed_nonce", "exists")
    assert codes[6] in ("exists", "concurrent_change")
    assert codes[7] != "accepted" and codes[8] != "accepted"
    assert world.ledger.reader.size() == before + 5
    for i in range(5):
        assert world.ledger.registry.organisation(f"batch-{i}") is not None
