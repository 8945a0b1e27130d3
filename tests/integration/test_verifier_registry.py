"""A malicious operator holding the log key forges entries; the verifier still names them.

Each test rewrites the log as the operator could (every leaf canonical, the tree and
checkpoint recomputed) and checks that `verify_stream` refuses it from the signed
commands alone.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import rfc8785
from conftest import Actor, World
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.log.merkle import CompactRange, leaf_hash
from ledger.log.note import Checkpoint
from ledger.verify import Report, VerificationFailed, verify_stream

Entry = dict[str, Any]


# A forged entry keeps the time its predecessor was recorded at and is signed now: the world
# must have been recorded a moment ago, not copied from one built earlier in the session.
pytestmark = pytest.mark.world("fresh")


def entries(world: World) -> list[Entry]:
    size = world.ledger.reader.size()
    return [json.loads(leaf) for leaf in world.ledger.reader.entries(0, size)]


def verify(log: list[Entry]) -> Report:
    """The verifier's report of ``log``, as an operator may have written it."""
    tree = CompactRange()
    leaves = []
    for index, entry in enumerate(log):
        leaf = rfc8785.dumps({**entry, "index": index})
        leaves.append((index, leaf))
        tree.append(leaf_hash(leaf))
    return verify_stream([leaves], Checkpoint("forger.example/log", tree.size, tree.root()))


def forged(after: Entry, actor: Actor, kind: str, payload: dict[str, Any], event: str,
           data: dict[str, Any]) -> Entry:
    """A leaf for a command really signed by `actor`, as the operator would insert it."""
    command = actor.command(kind, payload)
    body = signing.sign(command, actor.key)
    return {**after, "actor": actor.code, "key": actor.key_id, "command": command,
            "signature": body["signature"], "type": event, "data": data,
            "stream": after["stream"], "version": after["version"] + 1}


def test_the_honest_log_verifies(world: World) -> None:
    verify(entries(world))


def test_a_replayed_command_is_named(world: World) -> None:
    world.submit(world.actors["rmyy-op"], "AmendOrganisation", {"code": "rmyy", "region": "澄溪"})
    log = entries(world)
    log.append(dict(log[-1]))  # the same signed command recorded once more
    with pytest.raises(VerificationFailed, match="replay") as failure:
        verify(log)
    assert failure.value.index == len(log) - 1


def test_a_command_replayed_late_in_its_window_is_named_and_past_it_is_stale(
    world: World,
) -> None:
    # The verifier keeps each nonce packed with its issue time until no command could be
    # fresh with it again: a day less a minute later it is still known.
    world.submit(world.actors["rmyy-op"], "AmendOrganisation", {"code": "rmyy", "region": "澄溪"})
    log = entries(world)
    issued = datetime.fromisoformat(log[-1]["command"]["issued_at"].replace("Z", "+00:00"))
    for late, problem in ((timedelta(hours=24, minutes=-1), "replay"),
                          (timedelta(hours=24, minutes=1), "outside the freshness window")):
        at = (issued + late).isoformat().replace("+00:00", "Z")
        replayed = [*log, {**log[-1], "recorded_at": at}]
        with pytest.raises(VerificationFailed, match=problem) as failure:
            verify(replayed)
        assert failure.value.index == len(replayed) - 1


def test_a_revocation_relabelled_as_another_event_is_named(world: World) -> None:
    supplier = world.actors["kangtai-op"]
    world.submit(supplier, "RevokeKey", {"key_id": supplier.key_id, "reason": "遗失"})
    log = entries(world)
    index = next(i for i, e in enumerate(log) if e["type"] == "KeyRevoked")
    log[index] = {**log[index], "type": "OrganisationAmended"}
    with pytest.raises(VerificationFailed, match="cannot record") as failure:
        verify(log)
    assert failure.value.index == index


def test_a_key_registered_by_a_supplier_is_named(world: World) -> None:
    supplier = world.actors["kangtai-op"]
    log = entries(world)
    mine = signing.public_b64(supplier.key)  # the supplier gives the admin its own key
    data = {"key_id": signing.key_id(supplier.key), "public_key": mine, "actor": "czj-admin",
            "organisation": "czj", "role": "finance_office"}
    log.append(forged(log[-1], supplier, "RegisterKey",
                      {"actor": "czj-admin", "public_key": mine}, "KeyRegistered", data))
    with pytest.raises(VerificationFailed, match="may not issue RegisterKey") as failure:
        verify(log)
    assert failure.value.index == len(log) - 1


def test_a_small_order_key_is_named(world: World) -> None:
    log = entries(world)
    identity = base64.b64encode(bytes([1]) + bytes(31)).decode()
    data = {"key_id": "0" * 16, "public_key": identity, "actor": "rmyy-op",
            "organisation": "rmyy", "role": "purchaser"}
    log.append(forged(log[-1], world.admin, "RegisterKey",
                      {"actor": "rmyy-op", "public_key": identity}, "KeyRegistered", data))
    with pytest.raises(VerificationFailed, match="small-order") as failure:
        verify(log)
    assert failure.value.index == len(log) - 1


def test_a_second_genesis_is_named(world: World) -> None:
    log = entries(world)
    second = [dict(e, signature=log[1]["signature"][:-4] + "AAA=") for e in log[:3]]
    log = log[:1] + second[1:2] + log[2:]
    with pytest.raises(VerificationFailed, match="second genesis") as failure:
        verify(log)
    assert failure.value.index == 1


def test_registry_data_not_matching_the_signed_command_is_named(world: World) -> None:
    log = entries(world)
    index = next(i for i, e in enumerate(log) if e["type"] == "ActorRegistered" and i > 2)
    log[index] = {**log[index], "data": {**log[index]["data"], "role": "finance_office"}}
    with pytest.raises(VerificationFailed, match="data differs") as failure:
        verify(log)
    assert failure.value.index == index


def test_people_enrolled_by_their_administrator_verify_and_a_colleagues_enrolment_is_named(
    world: World,
) -> None:
    kangtai = world.actors["kangtai-op"]  # kangtai's first actor: its administrator
    world.submit(kangtai, "RegisterActor", {"code": "kangtai-op2", "organisation": "kangtai",
                                            "role": "supplier", "name": "李四"})  # fmt: skip
    colleague = Actor("kangtai-op2", "kangtai", "supplier", Ed25519PrivateKey.generate())
    world.submit(kangtai, "RegisterKey",
                 {"actor": "kangtai-op2", "public_key": signing.public_b64(colleague.key)})
    world.submit(colleague, "AmendOrganisation", {"code": "kangtai", "region": "澄溪"})
    world.submit(kangtai, "RevokeKey", {"key_id": colleague.key_id, "reason": "离职"})
    log = entries(world)
    verify(log)

    # A colleague is no administrator: an operator inserting its enrolment is caught.
    honest = log[:-1]  # before the revocation
    fresh = Ed25519PrivateKey.generate()
    mine = signing.public_b64(fresh)
    data = {"key_id": signing.key_id(fresh), "public_key": mine, "actor": "kangtai-op",
            "organisation": "kangtai", "role": "supplier"}
    honest.append(forged(honest[-1], colleague, "RegisterKey",
                         {"actor": "kangtai-op", "public_key": mine}, "KeyRegistered", data))
    with pytest.raises(VerificationFailed, match="may not issue RegisterKey"):
        verify(honest)
