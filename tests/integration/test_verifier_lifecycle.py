"""An operator holding the log key rewrites lifecycle entries; the verifier names each one.

The forged logs are re-hashed and re-checkpointed as the operator could; only the actors'
signatures and the lifecycle rules stand in the way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from procurement_world import PLAN, County
from test_verifier_registry import entries, forged, verify

from ledger import signing
from ledger.domain.schema import entries as E
from ledger.verify import VerificationFailed
from ledger.verify_lifecycle import LifecycleReplay

Entry = dict[str, Any]


@pytest.fixture
def awarded(county: County) -> County:
    county.to_evaluated()
    county.act(
        county.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00"},
    )
    county.act(county.agency, "AnnounceResult", {"date": "2026-05-08"})
    return county


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: Any) -> County:
    return County(world)


def at(log: list[Entry], event: str) -> int:
    return next(i for i, e in enumerate(log) if e["type"] == event)


def rejected(log: list[Entry], index: int, message: str) -> None:
    with pytest.raises(VerificationFailed, match=message) as failure:
        verify(log)
    assert failure.value.index == index


def test_an_honest_procurement_with_challenges_verifies(awarded: County) -> None:
    c = awarded
    c.act(
        c.suppliers[1],
        "FileChallenge",
        {"date": "2026-05-11", "subject": "result", "grounds": "异议"},
    )
    c.act(
        c.agency,
        "AnswerChallenge",
        {"challenge": "p1-ZY1", "date": "2026-05-12", "outcome": "rejected", "answer": "不成立"},
    )
    verify(entries(c.world))


def test_a_notice_left_out_is_named(awarded: County) -> None:
    log = entries(awarded.world)
    index = at(log, "ResultAnnounced")
    log[index] = {**log[index], "data": {**log[index]["data"], "announcement": None}}
    rejected(log, index, "publishes None, not result")


def test_a_dropped_finding_is_named(county: County) -> None:
    c = county
    c.act(c.purchaser, "FilePlan", PLAN)
    c.act(
        c.agency,
        "AnnounceTender",
        {
            "date": "2026-03-05",
            "requirement": "见采购文件",
            "qualifications": "见采购文件",
            "contact": "刘洋",
            "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30",
            "place": "开标一室",
        },
    )
    log = entries(c.world)
    index = at(log, "TenderAnnounced")
    log[index] = {**log[index], "data": {**log[index]["data"], "findings": []}}
    rejected(log, index, "leaves out the finding")


def test_a_forged_price_disclosure_is_named(awarded: County) -> None:
    log = entries(awarded.world)
    index = at(log, "BidsOpened")
    data = log[index]["data"]
    bids = [dict(b) for b in data["bids"]]
    bids[0] = {**bids[0], "price": {**bids[0]["price"], "value": "1000.00"}}
    log[index] = {**log[index], "data": {**data, "bids": bids}}
    rejected(log, index, "does not open its commitment")


def test_recorded_data_that_differs_from_the_signed_payload_is_named(awarded: County) -> None:
    log = entries(awarded.world)
    index = at(log, "AwardDecided")
    log[index] = {**log[index], "data": {**log[index]["data"], "amount": "1000.00"}}
    rejected(log, index, "data.amount differs from the signed payload")


SUMMARY_FIELDS = frozenset(E.Summary.model_fields)


def test_a_result_before_the_award_is_named(county: County) -> None:
    c = county
    c.to_announced()
    log = entries(c.world)
    command_after = log[-1]
    forgery = forged(
        command_after,
        c.agency,
        "AnnounceResult",
        {"date": "2026-04-11"},
        "ResultAnnounced",
        # A well-formed result notice: only its place in the lifecycle is wrong.
        {
            **{k: v for k, v in command_after["data"].items() if k in SUMMARY_FIELDS},
            "date": "2026-04-11",
            "announcement": "result",
            "supplier": "kangtai",
            "amount": "1790000.00",
        },
    )
    forgery["command"] = {**forgery["command"], "procurement": "p1"}
    # Re-sign as the agency did: the forgery is a command the agency really signed.
    forgery["signature"] = signing.sign(forgery["command"], c.agency.key)["signature"]
    log.append(forgery)
    rejected(log, len(log) - 1, "should have been refused: rule lifecycle.announce_result")


def _challenged(c: County) -> None:
    """The tender announced, a bid, and that bidder's challenge of the documents (p1-ZY1)."""
    c.to_announced()
    c.bid(c.suppliers[0], "1700000.00")
    c.act(
        c.suppliers[0],
        "FileChallenge",
        {"date": "2026-04-21", "subject": "documents", "grounds": "x"},
    )


def _challenged_and_complained(c: County) -> list[Entry]:
    _challenged(c)
    answer = {"challenge": "p1-ZY1", "date": "2026-04-22", "outcome": "rejected", "answer": "否"}
    c.act(c.agency, "AnswerChallenge", answer)
    c.act(c.suppliers[0], "FileComplaint",
          {"challenge": "p1-ZY1", "date": "2026-04-23", "grounds": "不服"})  # fmt: skip
    return entries(c.world)


def second_answer(c: County, first: Entry, answer: dict[str, str]) -> Entry:
    """``first`` (an AnswerChallenge's entry) again as a second answer, 成立 this time, that
    the agency really signed: the ledger refused it, the operator slips it in."""
    command = {
        **c.agency.command("AnswerChallenge", answer | {"answer": "成立"}),
        "procurement": "p1",
    }
    return {
        **first,
        "command": command,
        "signature": signing.sign(command, c.agency.key)["signature"],
        "version": first["version"] + 1,
        "data": {**first["data"], "answer": "成立"},
    }


def signed_as(entry: Entry, actor: Any, **data: Any) -> Entry:
    """``entry`` with its command re-signed by ``actor`` (which really signs it), as an
    operator would slip it in, and ``data`` over its data."""
    command = {**entry["command"], "actor": actor.code, "key": actor.key_id}
    return {
        **entry,
        "command": command,
        "actor": actor.code,
        "key": actor.key_id,
        "signature": signing.sign(command, actor.key)["signature"],
        "data": {**entry["data"], **data},
    }


def test_a_challenge_recorded_in_the_challengers_own_name_is_named(county: County) -> None:
    log = _challenged_and_complained(county)
    verify(log)  # the honest log
    index = at(log, "ChallengeFiled")
    # The operator records the supplier's own signed command as the public entry: it would
    # name the challenger to everyone. Only the box service records a challenge.
    log[index] = signed_as(log[index], county.suppliers[0])
    rejected(log, index, "not the box service")


def test_a_complaint_by_a_supplier_that_did_not_challenge_is_named(county: County) -> None:
    log = _challenged_and_complained(county)
    index = at(log, "ComplaintFiled")
    # The complaint discloses the challenge's envelope: the public sees who challenged.
    disclosed = log[index]["data"]["challenger"]
    assert json.loads(disclosed["value"]["command"])["actor"] == county.suppliers[0].code
    # Another supplier, which never challenged, complains; the operator slips it in.
    outsider = county.suppliers[2]
    log[index] = signed_as(log[index], outsider, supplier=outsider.organisation)
    rejected(log, index, "not by the supplier that challenged")


def test_a_complaint_disclosing_a_forged_challenge_is_named(county: County) -> None:
    log = _challenged_and_complained(county)
    index = at(log, "ComplaintFiled")
    disclosed = log[index]["data"]["challenger"]
    envelope = dict(disclosed["value"])
    command = json.loads(envelope["command"])
    envelope["command"] = json.dumps({**command, "payload": {**command["payload"], "grounds": "y"}})
    log[index] = {
        **log[index],
        "data": {**log[index]["data"], "challenger": {**disclosed, "value": envelope}},
    }
    rejected(log, index, "does not open its commitment")


def test_a_second_answer_to_one_challenge_is_named(awarded: County) -> None:
    c = awarded
    c.act(
        c.suppliers[1],
        "FileChallenge",
        {"date": "2026-05-11", "subject": "result", "grounds": "异议"},
    )
    answer = {"challenge": "p1-ZY1", "date": "2026-05-12", "outcome": "rejected", "answer": "否"}
    c.act(c.agency, "AnswerChallenge", answer)
    log = entries(c.world)
    log.append(second_answer(c, log[-1], answer))
    rejected(log, len(log) - 1, "challenge p1-ZY1 was already closed")


def test_entries_after_the_procurement_closed_are_judged_against_its_record(
    county: County,
) -> None:
    # The verifier keeps a closed procurement packed; a late entry on it is judged as on an
    # open one: the challenge it answers is known, and a second answer is still named.
    c = county
    _challenged(c)
    c.act(c.agency, "DeclareFailure", {"date": "2026-05-06", "reason": "投标人不足三家"})
    answer = {"challenge": "p1-ZY1", "date": "2026-05-07", "outcome": "rejected", "answer": "否"}
    c.act(c.agency, "AnswerChallenge", answer)
    log = entries(c.world)
    assert at(log, "ProcurementFailed") < len(log) - 1 and log[-1]["type"] == "ChallengeAnswered"
    verify(log)
    log.append(second_answer(c, log[-1], answer))
    rejected(log, len(log) - 1, "challenge p1-ZY1 was already closed")


def test_a_closed_procurement_is_kept_packed_and_unpacked_whole(county: County) -> None:
    c = county
    c.to_announced()
    c.act(c.agency, "DeclareFailure", {"date": "2026-05-06", "reason": "投标人不足三家"})
    replay = LifecycleReplay()
    for index, entry in enumerate(entries(c.world)):
        replay.registry.signer_key(index, {**entry, "index": index})
        replay.check({**entry, "index": index}, *replay.registry.last_signer)
        if entry["type"] == "TenderAnnounced":
            announced = replay.procurements["p1"]
    assert replay.procurements.closed == 1 and "p1" in replay.procurements
    failed = replay.procurements["p1"]
    assert failed.state.closed == "failed" and failed == replace(announced, **{
        name: getattr(failed, name) for name in ("state", "dates", "last_date")})  # fmt: skip
    assert replay.procurements["p1"] == failed  # each entry asking unpacks the same record
