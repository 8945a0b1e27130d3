"""The procurement lifecycle through the ledger, on SQLite and PostgreSQL: every action
recorded as a signed event, refused when impossible or unauthorised, flagged when late or
out of order, with sealed bid prices and committee disclosed at their time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Actor, World, genesis, make_config
from procurement_world import PLAN, County

from ledger import signing
from ledger.application import Ledger
from ledger.domain.errors import Conflict, Forbidden, Invalid, LedgerError
from ledger.domain.registry import stream_id
from ledger.domain.sealed import Disclosure, check_disclosure
from ledger.store.url import DatabaseURL

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def refused(error: type[LedgerError], call: Any, *args: Any, **kw: Any) -> LedgerError:
    with pytest.raises(error) as caught:
        call(*args, **kw)
    return caught.value


def test_an_open_tender_runs_from_plan_to_archive(county: County) -> None:
    # kangtai's is the lowest price: the committee ranks it first, and it is awarded.
    opened, evaluated = county.to_evaluated(("1790000.00", "1820000.00", "1805000.00"))
    c = county
    award = c.act(
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00"},
    )
    result = c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    c.act(
        c.purchaser,
        "SignContract",
        {"date": "2026-05-20", "contract_number": "QHX-2026-017", "amount": "1790000.00"},
    )
    c.act(c.agency, "AnnounceContract", {"date": "2026-05-21"})
    c.act(c.purchaser, "FileContract", {"date": "2026-05-22"})  # 备案 (政府采购法 第四十七条)
    c.act(
        c.purchaser,
        "RecordAcceptance",
        {"date": "2026-07-01", "passed": True, "report": "设备到货安装调试合格。"},
    )
    archived = c.act(c.purchaser, "Archive", {"date": "2026-07-02"})

    procurement = c.ledger.registry.procurement("p1")
    assert procurement is not None
    assert procurement.record.state.closed == "archived"
    assert procurement.record.winner == "kangtai"
    assert str(procurement.record.contract_amount) == "1790000.00"
    types = [c.leaf(r)["type"] for r in (opened, evaluated, award, result, archived)]
    assert types == [
        "BidsOpened",
        "EvaluationCompleted",
        "AwardDecided",
        "ResultAnnounced",
        "Archived",
    ]
    # An honest run on time raises no finding.
    assert all(c.leaf(r)["data"]["findings"] == [] for r in (award, result, archived))

    # Prices were sealed in the bids and disclosed at opening, each opening its commitment.
    bids = c.leaf(opened)["data"]["bids"]
    assert [b["supplier"] for b in bids] == ["kangtai", "xinda", "huamei"]
    for bid in bids:
        price = bid["price"]
        check_disclosure(price["commitment"], price["value"], price["salt"])
    assert bids[0]["price"]["value"] == "1790000.00"
    # The committee is disclosed with the result notice, not before.
    committee = c.leaf(result)["data"]["committee"]
    check_disclosure(committee["commitment"], committee["value"], committee["salt"])
    members = committee["value"]
    assert [(m["name"], m["role"]) for m in members] == [
        ("王建国", "expert"), ("李秀英", "expert"), ("张伟", "expert"), ("刘芳", "expert"),
        ("赵敏", "representative"),
    ]  # fmt: skip
    assert [m["actor"] for m in members[:4]] == ["zj0", "zj1", "zj2", "zj3"]
    assert "value" not in c.leaf(evaluated)["data"]["committee"]
    notice = c.leaf(result)["data"]
    assert notice["announcement"] == "result"
    assert (notice["supplier"], notice["amount"], notice["budget"]) == (
        "kangtai",
        "1790000.00",
        "1850000.00",
    )


def test_a_bid_leaf_holds_only_the_box_commitment(county: County) -> None:
    county.to_announced()
    receipt = county.bid(county.suppliers[0], "1790000.00")
    leaf_bytes = county.ledger.reader.entry(receipt.events[0]["leaf_index"])
    # The procurement code as a JSON value: a bare b"p1" also turns up by chance in base64.
    for secret in (b"1790000.00", b"kangtai", b'"p1"'):
        assert secret not in leaf_bytes
    leaf = orjson.loads(leaf_bytes)
    assert leaf["type"] == "BidCommitted" and leaf["actor"] == "tbx-svc"
    assert set(leaf["data"]) == {"commitment"} and leaf["command"]["procurement"] is None
    assert leaf["stream"] != str(stream_id("procurement", "p1"))


def test_each_notice_event_names_its_announcement_type(county: County) -> None:
    c = county
    c.to_announced()
    tender = c.act(
        c.agency, "CorrectAnnouncement", {"date": "2026-04-15", "changes": "开标地点变更"}
    )
    assert c.leaf(tender)["data"]["announcement"] == "correction"
    failed = c.act(c.agency, "DeclareFailure", {"date": "2026-05-06", "reason": "投标人不足三家"})
    assert c.leaf(failed)["type"] == "ProcurementFailed"
    assert c.leaf(failed)["data"]["announcement"] == "failure"
    assert c.leaf(failed)["data"]["title"] == PLAN["title"]
    c.act(
        c.purchaser,
        "FilePlan",
        PLAN | {"method": "single_source", "rationale": "专利产品", "agency": None},
        "p2",
    )
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"}, "p2")
    c.act(c.finance, "ApproveMethod", {"date": "2026-03-03"}, "p2")
    notice = c.act(
        c.purchaser,
        "AnnounceTender",
        {
            "date": "2026-03-04",
            "requirement": "原厂配件",
            "qualifications": "原厂授权",
            "contact": "陈静",
            "supplier": "kangtai",
            "reason": "只能从原厂采购",
        },
        "p2",
    )
    leaf = c.leaf(notice)
    assert leaf["data"]["announcement"] == "single_source"
    # No intention was disclosed before the notice: recorded, with a finding.
    assert [f["rule"] for f in leaf["data"]["findings"]] == ["skipped_intention"]


def test_a_late_result_notice_is_recorded_with_its_finding(county: County) -> None:
    c = county
    c.to_evaluated()
    c.act(
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"},
    )
    late = c.act(c.agency, "AnnounceResult", {"date": "2026-05-13"})
    (finding,) = c.leaf(late)["data"]["findings"]
    assert finding["rule"] == "result_announced_after_award"
    # Thursday + 2 working days: Friday, and Saturday 9 May, a working day in 2026 (调休).
    assert finding["deadline"] == "2026-05-09"
    assert finding["actual"] == "2026-05-13"
    assert finding["citation"] and finding["provisional"] is False


def test_procure_first_file_later_is_recorded_with_findings(county: County) -> None:
    c = county
    c.act(c.purchaser, "FilePlan", PLAN)
    receipt = c.act(
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
    rules = {f["rule"] for f in c.leaf(receipt)["data"]["findings"]}
    assert rules == {"procure_first_file_later", "skipped_intention"}


def test_unauthorised_actions_are_refused_naming_the_rule(county: County) -> None:
    c = county
    size = c.ledger.integrator.integrate()
    error = refused(Forbidden, c.act, c.suppliers[0], "FilePlan", PLAN)
    assert "roles.file_plan" in error.message
    c.act(c.purchaser, "FilePlan", PLAN)
    error = refused(
        Forbidden,
        c.act,
        c.other_purchaser,
        "DiscloseIntention",
        {"date": "2026-03-04", "expected_start": "2026-04-10"},
    )
    assert "rule roles.disclose_intention" in error.message and "jyj" in error.message
    error = refused(Forbidden, c.act, c.purchaser, "ApprovePlan", {"date": "2026-03-03"})
    assert "rule roles.approve_plan" in error.message
    error = refused(Forbidden, c.act, c.inspector, "Archive", {"date": "2026-03-03"})
    assert "inspector issues no lifecycle action" in error.message
    assert c.ledger.integrator.integrate() == size + 1  # only the plan was recorded


def test_impossible_actions_are_refused_and_nothing_is_recorded(county: County) -> None:
    c = county
    c.to_announced()
    size = c.ledger.integrator.integrate()
    error = refused(Conflict, c.act, c.agency, "AnnounceResult", {"date": "2026-04-11"})
    assert error.code == "lifecycle" and "rule lifecycle.announce_result" in error.message
    error = refused(Conflict, c.act, c.purchaser, "FilePlan", PLAN)
    assert error.code == "exists"
    error = refused(Invalid, c.act, c.agency, "OpenBids", {"date": "2026-04-09", "time": "09:30"})
    assert "before the last action" in error.message
    error = refused(Invalid, c.act, c.agency, "OpenBids", {"date": "2099-01-01", "time": "09:30"})
    assert "after the day the command was signed" in error.message
    extra = {"date": "2026-05-06", "extra": 1, "time": "09:30"}
    error = refused(Invalid, c.act, c.agency, "OpenBids", extra)
    assert "unknown field 'extra'" in error.message
    assert c.ledger.integrator.integrate() == size


def test_a_non_open_method_needs_a_rationale(county: County) -> None:
    c = county
    c.act(c.purchaser, "FilePlan", PLAN | {"method": "inquiry"})
    c.act(c.finance, "ApprovePlan", {"date": "2026-03-03"})
    error = refused(Invalid, c.act, c.finance, "ApproveMethod", {"date": "2026-03-03"})
    assert error.code == "rationale_required" and "询价" in error.message
    receipt = c.act(
        c.finance,
        "ApproveMethod",
        {"date": "2026-03-03", "rationale": "规格标准统一、现货货源充足"},
    )
    assert c.leaf(receipt)["data"]["rationale"] == "规格标准统一、现货货源充足"


def test_sealed_values_must_come_with_their_opening(county: County) -> None:
    c = county
    c.to_announced()
    supplier = c.suppliers[0]
    commitment = signing.sealed_value("1700000.00", {})  # its opening is not sent
    error = refused(
        Invalid, c.act, supplier, "SubmitBid", {"date": "2026-04-20", "price": commitment}
    )
    assert error.code == "missing_sealed_value"
    sealed: dict[str, Disclosure] = {}
    price = signing.sealed_value("1700000.00", sealed)
    stray = signing.sealed_value("something else", sealed)
    assert stray != price
    error = refused(
        Invalid, c.act, supplier, "SubmitBid", {"date": "2026-04-20", "price": price}, sealed=sealed
    )
    assert error.code == "unexpected_sealed"
    forged = {price["commitment"]: Disclosure("1.00", next(iter(sealed.values())).salt_b64)}
    error = refused(
        Invalid, c.act, supplier, "SubmitBid", {"date": "2026-04-20", "price": price}, sealed=forged
    )
    assert error.code == "bad_disclosure"
    not_money: dict[str, Disclosure] = {}
    error = refused(
        Invalid,
        c.act,
        supplier,
        "SubmitBid",
        {"date": "2026-04-20", "price": signing.sealed_value(17, not_money)},
        sealed=not_money,
    )
    assert "sealed value of payload.price" in error.message


def test_bids_close_at_the_deadline_and_come_once(county: County) -> None:
    c = county
    c.to_announced()
    c.bid(c.suppliers[0], "1700000.00")
    assert refused(Conflict, c.bid, c.suppliers[0], "1600000.00").code == "exists"
    error = refused(Conflict, c.bid, c.suppliers[1], "1600000.00", on="2026-05-07")
    assert "bid deadline" in error.message
    error = refused(Forbidden, c.bid, c.purchaser, "1600000.00")
    assert "roles.submit_bid" in error.message


def test_sealed_values_are_read_only_by_entitled_readers(county: County) -> None:
    c = county
    c.to_announced()
    receipt = c.bid(c.suppliers[0], "1790000.00")
    commitment = c.sealed_price(receipt)

    def read(actor: Actor) -> dict[str, Any]:
        return c.ledger.read_sealed(actor.body("ReadSealed", {"commitment": commitment}))

    # In the box nobody reads it, not even an inspector: the read would name the procurement.
    assert refused(Conflict, read, c.inspector).code == "sealed_in_bid_box"
    c.world.close_and_open(c.agency, "2026-05-06")
    for reader in (c.inspector, c.finance, c.suppliers[0]):
        assert read(reader)["value"] == "1790000.00"
    for reader in (c.suppliers[1], c.purchaser, c.agency):
        error = refused(Forbidden, read, reader)
        assert "rule sealed.read" in error.message


def test_challenge_suspension_answer_and_complaint(county: County) -> None:
    c = county
    c.to_evaluated()
    c.act(
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"},
    )
    c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"})
    kangtai = c.suppliers[0]
    challenge = {
        "date": "2026-05-11",
        "subject": "result",
        "grounds": "中标人报价明显低于成本。",
    }
    filed = c.act(kangtai, "FileChallenge", challenge)
    assert c.leaf(filed)["data"]["number"] == "p1-ZY1"
    assert c.leaf(filed)["data"]["findings"] == []
    second = c.act(c.suppliers[2], "FileChallenge", challenge)
    assert c.leaf(second)["data"]["number"] == "p1-ZY2"
    error = refused(Forbidden, c.act, c.other_purchaser, "FileChallenge", challenge)
    assert "rule roles.challenge" in error.message

    error = refused(
        Conflict,
        c.act,
        kangtai,
        "FileComplaint",
        {"challenge": "p1-ZY1", "date": "2026-05-12", "grounds": "未答复"},
    )
    assert "rule complaints.after_challenge" in error.message
    # Answered on the 9th working day: recorded, with a finding.
    answered = c.act(
        c.agency,
        "AnswerChallenge",
        {
            "challenge": "p1-ZY1",
            "date": "2026-05-22",
            "outcome": "rejected",
            "answer": "经复核，报价合理。",
        },
    )
    (finding,) = c.leaf(answered)["data"]["findings"]
    assert (finding["rule"], finding["deadline"]) == ("challenge_answered", "2026-05-20")
    complaint = c.act(
        kangtai,
        "FileComplaint",
        {"challenge": "p1-ZY1", "date": "2026-05-26", "grounds": "对答复不满意"},
    )
    assert c.leaf(complaint)["data"]["number"] == "p1-TS1"
    # The finance office handling the complaint suspends the procurement (94号令 第二十八条).
    suspension = {"date": "2026-05-26", "reason": "投诉处理期间暂停", "cause": "p1-TS1"}
    suspended = c.act(c.finance, "Suspend", suspension)
    assert c.leaf(suspended)["data"]["state"]["suspended"] is True
    # A contract signed while suspended is recorded and flagged.
    signed = c.act(
        c.purchaser,
        "SignContract",
        {"date": "2026-05-27", "contract_number": "QHX-1", "amount": "1720000.00"},
    )
    assert "acted_while_suspended" in {f["rule"] for f in c.leaf(signed)["data"]["findings"]}
    c.act(c.finance, "Resume", {"date": "2026-06-10", "reason": "投诉已处理"})
    error = refused(
        Forbidden,
        c.act,
        c.purchaser,
        "DecideComplaint",
        {"complaint": "p1-TS1", "date": "2026-06-01", "outcome": "rejected", "decision": "驳回"},
    )
    assert "rule roles.decide_complaint" in error.message
    decided = c.act(
        c.finance,
        "DecideComplaint",
        {
            "complaint": "p1-TS1",
            "date": "2026-06-10",
            "outcome": "rejected",
            "decision": "投诉缺乏事实依据，驳回。",
        },
    )
    assert c.leaf(decided)["type"] == "ComplaintDecided"
    assert c.leaf(decided)["data"]["findings"] == []
    assert refused(
        Conflict,
        c.act,
        c.finance,
        "DecideComplaint",
        {"complaint": "p1-TS1", "date": "2026-06-10", "outcome": "upheld", "decision": "再次"},
    ).message.endswith("already decided")
    # A number that is not a challenge or complaint of this procurement names the field.
    unknown = refused(
        Invalid, c.act, c.agency, "AnswerChallenge",
        {"challenge": "p1-ZY9", "date": "2026-06-10", "outcome": "rejected", "answer": "无"},
    )  # fmt: skip
    assert (unknown.code, unknown.message) == (
        "unknown_challenge", "payload.challenge must be the number of a challenge on p1"
    )
    unknown = refused(
        Invalid, c.act, c.finance, "DecideComplaint",
        {"complaint": "p1-ZY1", "date": "2026-06-10", "outcome": "upheld", "decision": "无"},
    )  # fmt: skip
    assert unknown.code == "unknown_complaint"
    withdrawn = c.act(
        c.suppliers[2],
        "WithdrawChallenge",
        {"challenge": "p1-ZY2", "date": "2026-05-26", "reason": "撤回"},
    )
    assert c.leaf(withdrawn)["type"] == "ChallengeWithdrawn"


def test_an_open_tender_awarded_with_too_few_bidders_is_flagged(county: County) -> None:
    c = county
    c.to_evaluated(prices=("1790000.00", "1720000.00"))
    error = refused(
        Invalid,
        c.act,
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "huamei", "amount": "1.00"},
    )
    assert "award_to_valid_bidder" in error.message  # huamei did not bid
    award = c.act(
        c.purchaser,
        "DecideAward",
        {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"},
    )
    (finding,) = c.leaf(award)["data"]["findings"]
    assert finding["rule"] == "minimum_valid_bidders_open_tender"


@pytest.fixture
def reopened(db_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    first = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    second = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_a_second_process_decides_on_the_current_procurement(
    reopened: tuple[Ledger, Ledger],
) -> None:
    first, second = reopened
    world = World(first, genesis(first))
    world.add("rmyy", "purchaser", "rmyy-op")
    purchaser = world.actors["rmyy-op"]
    first.submit(purchaser.body("FilePlan", PLAN | {"agency": None}, procurement="p9"))
    assert second.registry.procurement("p9") is not None  # second caches it now
    first.submit(world.admin.body("ApprovePlan", {"date": "2026-03-03"}, procurement="p9"))
    # The second process's cached copy is stale; it must see the approval and refuse.
    with pytest.raises(Conflict) as caught:
        second.submit(world.admin.body("ApprovePlan", {"date": "2026-03-03"}, procurement="p9"))
    assert caught.value.code == "lifecycle"


def test_a_filed_challenge_answers_with_its_lookup_code(county: County) -> None:
    c = county
    c.to_announced()
    c.bid(c.suppliers[0], "1700000.00")
    receipt = c.act(c.suppliers[0], "FileChallenge", {
        "date": "2026-04-21", "subject": "documents", "grounds": "x"})
    lookup = receipt.as_json()["lookup"]
    assert lookup["challenge"] == "p1-ZY1"
    codes = c.ledger.lookup_codes
    assert lookup["code"] == codes.code("p1-ZY1") and len(lookup["code"]) == 19
    assert codes.matches("p1-ZY1", lookup["code"].lower().replace("-", " "))
    assert not codes.matches("p1-ZY2", lookup["code"])  # a code opens its own challenge only
    # Other commands carry no code.
    answered = c.act(c.agency, "AnswerChallenge", {
        "challenge": "p1-ZY1", "date": "2026-04-22", "outcome": "rejected", "answer": "y"})
    assert "lookup" not in answered.as_json()


def test_a_key_revoked_in_another_process_reads_no_sealed_value(
    county: County, tmp_path: Path
) -> None:
    c = county
    c.to_announced()
    supplier = c.suppliers[0]
    receipt = c.bid(supplier, "1790000.00")
    commitment = c.sealed_price(receipt)
    c.world.close_and_open(c.agency, "2026-05-06")
    other = Ledger(make_config(c.ledger.config.database, tmp_path, inline_integration=True))
    try:
        def read() -> dict[str, Any]:
            body = supplier.body("ReadSealed", {"commitment": commitment})
            return other.read_sealed(body)

        assert read()["value"] == "1790000.00"  # the other process now knows the key
        c.world.submit(supplier, "RevokeKey", {"key_id": supplier.key_id, "reason": "遗失"})
        with pytest.raises(LedgerError) as caught:
            read()
        assert caught.value.code == "revoked_key"
    finally:
        other.close()
