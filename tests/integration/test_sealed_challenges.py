"""Challenges 质疑 sealed by the box, through the real ledger on SQLite and PostgreSQL: the
public log keeps a challenge's number, dates, subject, deadline and outcome, never who
challenged or why; those answering it and supervisors read them with a recorded read; a
complaint, public by law, discloses the challenge it follows (issue 11, point 7)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from procurement_world import County
from test_bid_box import refused
from test_verifier_lifecycle import signed_as
from test_verifier_registry import entries, forged, verify

from ledger import signing
from ledger.canonical import canonical_text
from ledger.domain.errors import Conflict, Forbidden
from ledger.domain.sealed import check_disclosure, seal
from ledger.domain.sealed_reads import sealed_reads_stream
from ledger.verify import VerificationFailed

GROUNDS = "资格条件设置排斥潜在供应商，要求提供本地业绩"
BOX = "tbx-svc"  # the box service's actor (``World.register_bid_box``)
CHALLENGE = {"date": "2026-04-21", "subject": "documents",
             "grounds": GROUNDS}  # fmt: skip


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    return County(world)


def _challenged(c: County) -> tuple[Any, dict[str, str]]:
    """The tender announced, kangtai's bid in the box, and its challenge to the documents:
    the ledger's answer, and the supplier's envelope (its signed command)."""
    c.to_announced()
    c.bid(c.suppliers[0], "1700000.00")
    body = json.loads(c.suppliers[0].body("FileChallenge", CHALLENGE, procurement="p1"))
    envelope = {"command": canonical_text(body["command"]), "signature": body["signature"]}
    return c.ledger.submit(json.dumps(body).encode()), envelope


def _read(c: County, reader: Any, commitment: str) -> dict[str, Any]:
    return c.ledger.read_sealed(reader.body("ReadSealed", {"commitment": commitment}))


def test_the_public_entry_names_neither_the_challenger_nor_its_grounds(county: County) -> None:
    c = county
    filed, envelope = _challenged(c)
    leaf = c.leaf(filed)
    text = orjson.dumps(leaf).decode()
    assert leaf["type"] == "ChallengeFiled" and leaf["actor"] == BOX
    assert leaf["data"]["number"] == "p1-ZY1" and leaf["data"]["subject"] == "documents"
    assert leaf["data"]["answer_due"]["date"] == "2026-04-30"
    for secret in ("kangtai", "康泰", GROUNDS, c.suppliers[0].key_id):
        assert secret not in text
    # The supplier alone gets what opens the commitment: its own signed command, and the salt.
    lookup = filed.lookup
    assert lookup["challenge"] == "p1-ZY1" and lookup["commitment"] == leaf["data"]["envelope"][
        "commitment"
    ]
    check_disclosure(lookup["commitment"], envelope, lookup["salt"])
    assert orjson.loads(envelope["command"])["payload"]["grounds"] == GROUNDS
    verify(entries(c.world))


def test_those_who_answer_and_supervisors_read_it_and_the_read_is_recorded(
    county: County,
) -> None:
    c = county
    filed, _ = _challenged(c)
    commitment = c.leaf(filed)["data"]["envelope"]["commitment"]
    for reader in (c.agency, c.purchaser, c.finance, c.inspector):
        answer = _read(c, reader, commitment)
        command = orjson.loads(answer["value"]["command"])
        assert command["actor"] == "kangtai-op" and command["payload"]["grounds"] == GROUNDS
        (event,) = answer["recorded"]["events"]
        assert event["type"] == "SealedValueRead"
    # Another supplier may not; nor the challenger itself: its recorded read would name it.
    for outsider in (c.suppliers[1], c.suppliers[0], c.other_purchaser):
        error = refused(Forbidden, _read, c, outsider, commitment)
        assert "rule sealed.read_challenge" in error.message
    # The verifier replays the same rule: the honest reads pass.
    report = verify(entries(c.world))
    assert report.size == c.ledger.reader.size()


def test_only_the_challenger_withdraws_and_the_withdrawal_is_sealed_too(county: County) -> None:
    c = county
    _challenged(c)
    withdrawal = {"challenge": "p1-ZY1", "date": "2026-04-22", "reason": "已与采购人沟通一致"}
    error = refused(Forbidden, c.act, c.suppliers[1], "WithdrawChallenge", withdrawal)
    assert "rule roles.withdraw_challenge" in error.message and "kangtai" not in error.message
    leaf = c.leaf(c.act(c.suppliers[0], "WithdrawChallenge", withdrawal))
    assert leaf["type"] == "ChallengeWithdrawn" and leaf["actor"] == BOX
    assert leaf["data"]["number"] == "p1-ZY1" and "reason" not in leaf["data"]
    assert "已与采购人沟通一致" not in orjson.dumps(leaf).decode()
    again = refused(Conflict, c.act, c.suppliers[0], "WithdrawChallenge", withdrawal)
    assert "already withdrawn" in again.message
    verify(entries(c.world))


def test_a_complaint_discloses_the_challenge_and_only_its_challenger_complains(
    county: County,
) -> None:
    c = county
    filed, _ = _challenged(c)
    answer = {"challenge": "p1-ZY1", "date": "2026-04-22", "outcome": "rejected", "answer": "否"}
    c.act(c.agency, "AnswerChallenge", answer)
    complaint = {"challenge": "p1-ZY1", "date": "2026-04-23", "grounds": "对答复不满意"}
    error = refused(Forbidden, c.act, c.suppliers[1], "FileComplaint", complaint)
    assert "rule roles.file_complaint" in error.message and "kangtai" not in error.message
    leaf = c.leaf(c.act(c.suppliers[0], "FileComplaint", complaint))
    disclosed = leaf["data"]["challenger"]
    assert disclosed["commitment"] == c.leaf(filed)["data"]["envelope"]["commitment"]
    check_disclosure(disclosed["commitment"], disclosed["value"], disclosed["salt"])
    assert orjson.loads(disclosed["value"]["command"])["payload"]["grounds"] == GROUNDS
    assert leaf["data"]["supplier"] == "kangtai"
    verify(entries(c.world))


def test_a_read_of_a_sealed_challenge_by_another_supplier_is_named(county: County) -> None:
    c = county
    filed, _ = _challenged(c)
    commitment = c.leaf(filed)["data"]["envelope"]["commitment"]
    read = _read(c, c.agency, commitment)["recorded"]["events"][0]
    log = entries(c.world)
    honest = log[read["leaf_index"]]
    verify(log)
    # The operator slips in a read by a rival supplier, which really signed the request.
    rival = c.suppliers[1]
    forgery = forged(honest, rival, "ReadSealed", {"commitment": commitment}, "SealedValueRead",
                     {**honest["data"], "reader": rival.code,
                      "organisation": rival.organisation})  # fmt: skip
    forgery["stream"], forgery["version"] = str(sealed_reads_stream(rival.code)), 1
    with pytest.raises(VerificationFailed, match=r"rule sealed\.read_challenge") as failure:
        verify([*log, forgery])
    assert failure.value.index == len(log)


def test_a_challenge_the_operator_records_for_a_supplier_without_standing_is_named(
    county: County,
) -> None:
    """The operator runs the box: it could sign a challenge for a supplier that never took
    part. The complaint discloses the envelope, and the opening shows the box held none of
    that supplier's."""
    c = county
    _challenged(c)
    answer = {"challenge": "p1-ZY1", "date": "2026-04-22", "outcome": "rejected", "answer": "否"}
    c.act(c.agency, "AnswerChallenge", answer)
    complaint = {"challenge": "p1-ZY1", "date": "2026-04-23", "grounds": "对答复不满意"}
    c.act(c.suppliers[0], "FileComplaint", complaint)
    c.world.close_and_open(c.agency, "2026-05-06")
    log = entries(c.world)
    verify(log)
    outsider, box = c.suppliers[2], c.ledger.bid_box
    body = json.loads(outsider.body("FileChallenge", CHALLENGE, procurement="p1"))
    envelope = {"command": canonical_text(body["command"]), "signature": body["signature"]}
    sealed, disclosure = seal(envelope)
    at = {e["type"]: i for i, e in enumerate(log)}
    challenge, complained = log[at["ChallengeFiled"]], log[at["ComplaintFiled"]]
    command = {**challenge["command"],
               "payload": {**challenge["command"]["payload"], "envelope": sealed}}  # fmt: skip
    log[at["ChallengeFiled"]] = {
        **challenge,
        "command": command,
        "signature": signing.sign(command, box.key)["signature"],
        "data": {**challenge["data"], "envelope": sealed},
    }
    log[at["ComplaintFiled"]] = signed_as(
        complained, outsider, supplier=outsider.organisation,
        challenger={**sealed, "value": envelope, "salt": disclosure.salt_b64},
    )  # fmt: skip
    with pytest.raises(VerificationFailed, match="without an envelope in its box") as failure:
        verify(log)
    assert failure.value.index == at["BidsOpened"]
