"""Organisations with their identity: a 统一社会信用代码 checked to its last character, a
contact and telephone, a supplier's declared 中小企业 status; registered and amended by signed
commands, each refused with the field it is wrong in, and replayed by the verifier.

Runs against SQLite and PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from conftest import World

from ledger import signing
from ledger.application import Ledger
from ledger.domain.credit_code import check_character
from ledger.domain.errors import Conflict, Forbidden, Invalid, LedgerError
from ledger.log.merkle import CompactRange, leaf_hash
from ledger.log.note import Checkpoint
from ledger.verify import Report, VerificationFailed, verify_stream


def valid(first17: str) -> str:
    return first17 + check_character(first17)


KANGTAI = valid("91139903MA0000001")
HUIMIN = valid("91139901MA0000002")


def supplier(code: str, **identity: Any) -> dict[str, Any]:
    return {"code": code, "name": "澄溪县惠民配送有限公司", "kind": "supplier",
            "region": "澄溪县", "address": "澄溪县长江路1号", **identity}  # fmt: skip


def log_of(world: World) -> list[dict[str, Any]]:
    size = world.ledger.reader.size()
    return [json.loads(leaf) for leaf in world.ledger.reader.entries(0, size)]


def verify(log: list[dict[str, Any]]) -> Report:
    tree = CompactRange()
    leaves = []
    for index, entry in enumerate(log):
        leaf = rfc8785.dumps({**entry, "index": index})
        leaves.append((index, leaf))
        tree.append(leaf_hash(leaf))
    return verify_stream([leaves], Checkpoint("forger.example/log", tree.size, tree.root()))


def test_a_supplier_registers_with_its_identity_and_amends_it(world: World) -> None:
    world.submit(world.admin, "RegisterOrganisation", supplier(
        "huimin", credit_code=HUIMIN, contact="王建国", telephone="0571-88881234", sme="micro"))
    world.add("huimin", "supplier", "huimin-op")
    world.submit(world.actors["huimin-op"], "AmendOrganisation",
                 {"code": "huimin", "address": "澄溪县工业园二路6号", "contact": "李秀英",
                  "telephone": "13812345678"})  # fmt: skip
    held = world.ledger.registry.organisation("huimin")
    assert held is not None
    assert (held.credit_code, held.address, held.contact, held.telephone, held.sme) == (
        HUIMIN, "澄溪县工业园二路6号", "李秀英", "13812345678", "micro"
    )
    verify(log_of(world))  # the verifier replays both from the signed commands


@pytest.mark.parametrize(
    ("given", "field", "said"),
    [
        ({"credit_code": HUIMIN[:17] + ("1" if HUIMIN[17] != "1" else "2")}, "credit_code",
         "校验码应为"),
        ({"credit_code": HUIMIN[:17]}, "credit_code", "应为18位"),
        ({"credit_code": "Z" + HUIMIN[1:]}, "credit_code", "不允许的字符"),
        ({"telephone": "8888"}, "telephone", "联系电话"),
        ({"telephone": "0571-8888<script>"}, "telephone", "联系电话"),
        ({"sme": "tiny"}, "sme", "medium, small, micro, not_sme"),
        ({"contact": ""}, "contact", "must not be empty"),
    ],
)
def test_a_bad_identity_is_refused_naming_its_field(
    world: World, given: dict[str, Any], field: str, said: str
) -> None:
    with pytest.raises(Invalid, match=rf"payload\.{field}") as refused:
        world.submit(world.admin, "RegisterOrganisation", supplier("huimin", **given))
    assert said in refused.value.message
    assert world.ledger.registry.organisation("huimin") is None


def test_an_sme_status_is_a_suppliers_only(world: World) -> None:
    with pytest.raises(Invalid, match=r"payload\.sme"):
        world.submit(world.admin, "RegisterOrganisation",
                     {"code": "jyj", "name": "澄溪县教育局", "kind": "purchaser",
                      "region": "澄溪县", "sme": "small"})  # fmt: skip
    with pytest.raises(Invalid, match=r"payload\.sme"):
        world.submit(world.actors["rmyy-op"], "AmendOrganisation", {"code": "rmyy", "sme": "micro"})


def test_one_credit_code_belongs_to_one_organisation(world: World) -> None:
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": KANGTAI})
    with pytest.raises(Conflict, match=r"payload\.credit_code") as refused:
        world.submit(world.admin, "RegisterOrganisation", supplier("huimin", credit_code=KANGTAI))
    assert "kangtai" in refused.value.message
    world.submit(world.admin, "RegisterOrganisation", supplier("huimin", credit_code=HUIMIN))
    with pytest.raises(Conflict, match=r"payload\.credit_code"):
        world.submit(world.admin, "AmendOrganisation", {"code": "huimin", "credit_code": KANGTAI})
    # its own code again is no conflict
    world.submit(world.admin, "AmendOrganisation", {"code": "huimin", "credit_code": HUIMIN})


def test_a_code_once_given_stays_its_holders(world: World) -> None:
    """A 统一社会信用代码 is its holder's for life (GB 32100-2015): after kangtai amends its
    code, the one it held is still not another's to register, and the verifier agrees."""
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": HUIMIN})
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": KANGTAI})
    with pytest.raises(Conflict, match="kangtai"):
        world.submit(world.admin, "RegisterOrganisation", supplier("huimin", credit_code=HUIMIN))
    # and kangtai may take its former code back
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": HUIMIN})
    verify(log_of(world))


def test_a_ledger_recorded_before_the_table_of_codes_still_keeps_each_code_its_holders(
    world: World,
) -> None:
    """Opening a ledger whose table of codes is empty claims the codes its organisation
    events gave: the rule holds without reading every event at each registration."""
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": KANGTAI})
    config = world.ledger.config
    with world.ledger.db.write() as cur:  # as a ledger of before the table: none claimed
        cur.execute("DROP TABLE ledger_credit_codes")
    world.ledger.close()
    world.ledger = Ledger(config)
    try:
        assert world.ledger.registry.credit_code_holder(KANGTAI) == "kangtai"
        with pytest.raises(Conflict, match=r"payload\.credit_code"):
            world.submit(world.admin, "RegisterOrganisation",
                         supplier("huimin", credit_code=KANGTAI))  # fmt: skip
        world.submit(world.admin, "RegisterOrganisation", supplier("huimin", credit_code=HUIMIN))
        assert world.ledger.registry.credit_code_holder(HUIMIN) == "huimin"
    finally:
        world.ledger.close()


def test_two_registrations_of_one_code_decided_together_store_one(world: World) -> None:
    """Both decided on the same read of the registry (one group commit): the store keeps
    each code's holder unique in the insert's own transaction, so the second is decided
    again on its own, and refused; nothing of it is stored."""
    admin = world.admin
    first = admin.body("RegisterOrganisation", supplier("huimin", credit_code=HUIMIN))
    second = admin.body("RegisterOrganisation", supplier("huimin2", credit_code=HUIMIN))
    before = world.ledger.reader.size()
    outcomes = world.ledger.submit_many([first, second])
    assert not isinstance(outcomes[0], LedgerError), outcomes[0]
    assert isinstance(outcomes[1], Conflict) and outcomes[1].code == "credit_code_taken"
    world.ledger.integrator.integrate()
    assert world.ledger.reader.size() == before + 1
    assert world.ledger.registry.organisation("huimin2") is None


def test_an_organisation_amends_only_its_own_identity(world: World) -> None:
    with pytest.raises(Forbidden, match="amend_organisation"):
        world.submit(world.actors["kangtai-op"], "AmendOrganisation",
                     {"code": "rmyy", "telephone": "13812345678"})  # fmt: skip


def test_the_verifier_names_a_forged_credit_code(world: World) -> None:
    world.submit(world.admin, "RegisterOrganisation", supplier("huimin", credit_code=HUIMIN))
    log = log_of(world)
    index = next(i for i, e in enumerate(log) if e["data"].get("code") == "huimin")
    forged = HUIMIN[:17] + ("1" if HUIMIN[17] != "1" else "2")
    log[index] = {**log[index], "data": {**log[index]["data"], "credit_code": forged},
                  "command": {**log[index]["command"]}}  # fmt: skip
    with pytest.raises(VerificationFailed) as failure:
        verify(log)
    assert failure.value.index == index


def test_the_verifier_names_a_credit_code_held_twice(world: World) -> None:
    """An operator who skipped the check records a second holder: the verifier names it."""
    world.submit(world.admin, "AmendOrganisation", {"code": "kangtai", "credit_code": KANGTAI})
    world.submit(world.admin, "AmendOrganisation", {"code": "rmyy", "address": "长江路12号"})
    log = log_of(world)
    last = log[-1]
    payload = {"code": "rmyy", "credit_code": KANGTAI}
    command = world.admin.command("AmendOrganisation", payload)
    body = signing.sign(command, world.admin.key)
    log[-1] = {**last, "command": command, "signature": body["signature"], "data": payload}
    with pytest.raises(VerificationFailed, match="统一社会信用代码") as failure:
        verify(log)
    assert failure.value.index == len(log) - 1
