"""未履约验收 through the real ledger (政府采购法 第四十一条): a contract with no acceptance
recorded 180 days after signing is flagged from the day after, with the contract as evidence;
an acceptance in time leaves nothing, one after the due day is flagged with how late it came,
and a procurement terminated after its contract is due no acceptance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from flag_scene import Scene, make_scene, open_world
from test_procurement_ledger import refused

from ledger.domain.errors import Invalid
from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
PRICES = ("1790000.00", "1720000.00", "1805000.00")


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def accept(s: Scene, code: str, day: str) -> None:
    s.act("acceptance", code, s.c.purchaser, "RecordAcceptance",
          {"date": day, "passed": True, "report": "货物已按合同约定送达并安装调试完毕，验收合格。"})


def unaccepted(s: Scene, code: str) -> None:
    """The honest course up to the contract's filing, with no acceptance."""
    s.act("result", code, s.c.agency, "AnnounceResult", {"date": "2026-05-08"})
    s.act("contract", code, s.c.purchaser, "SignContract",
          {"date": "2026-05-20", "contract_number": f"HT-{code}", "amount": "1720000.00"})
    s.act("contract_notice", code, s.c.agency, "AnnounceContract", {"date": "2026-05-21"})
    s.act("contract_filed", code, s.c.purchaser, "FileContract", {"date": "2026-05-22"})


def test_a_contract_never_accepted_is_flagged_once_overdue(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", finish=False)
    unaccepted(s, "p1")  # signed 2026-05-20: due 2026-11-16
    assert K.NO_ACCEPTANCE not in s.kinds("p1", today=date(2026, 11, 16))
    flag = s.the(K.NO_ACCEPTANCE, "p1", today=date(2026, 11, 17))
    assert flag.overdue and flag.details["due"] == "2026-11-16"
    assert flag.details["basis"] == "合同签订" and flag.details["amount_fen"] == 172_000_000
    assert flag.summary == "合同签订后逾期未记录履约验收（合同金额172.00万元）"
    assert s.evidence(flag.id) == s.at("p1:contract")


def test_an_acceptance_in_time_leaves_nothing(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00")  # accepted on 2026-06-30
    assert s.kinds("p1", today=date(2026, 11, 25)) == set()


def test_an_acceptance_after_the_due_day_says_how_late(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", finish=False)
    unaccepted(s, "p1")
    accept(s, "p1", "2026-11-20")
    flag = s.the(K.NO_ACCEPTANCE, "p1")
    assert not flag.overdue and flag.raised_leaf == s.leaves["p1:acceptance"]
    assert flag.details.items() >= {"due": "2026-11-16", "accepted": "2026-11-20",
                                    "days_late": 4}.items()
    assert flag.summary == "履约验收晚于期限4日（期限2026年11月16日，验收2026年11月20日）"
    assert s.evidence(flag.id) == s.at("p1:contract", "p1:acceptance")


def test_a_terminated_procurement_is_due_no_acceptance(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", finish=False)
    unaccepted(s, "p1")
    s.act("terminated", "p1", s.c.purchaser, "Terminate",
          {"date": "2026-06-01", "reason": "专项资金调整，终止采购"})
    assert s.kinds("p1", today=date(2026, 11, 25)) == set()


LARGE = ("11900000.00", "11800000.00", "11950000.00")
TESTED = {"name": "澄州市产品质量检验检测中心", "report_number": "JC2026-0412"}


def large_and_accepted(s: Scene, code: str, testing_body: dict[str, str] | None) -> None:
    """A 1180万元 contract (seven members on its committee, 87号令 第四十七条) accepted on
    time, with the testing body given or none."""
    s.tender_run(code, LARGE, 1, "11800000.00", budget="12000000.00", finish=False,
                 committee={"experts": 6})  # fmt: skip
    s.act("result", code, s.c.agency, "AnnounceResult", {"date": "2026-05-08"})
    s.act("contract", code, s.c.purchaser, "SignContract",
          {"date": "2026-05-20", "contract_number": f"HT-{code}", "amount": "11800000.00"})
    s.act("contract_notice", code, s.c.agency, "AnnounceContract", {"date": "2026-05-21"})
    s.act("contract_filed", code, s.c.purchaser, "FileContract", {"date": "2026-05-22"})
    tested = {} if testing_body is None else {"testing_body": testing_body}
    s.act("acceptance", code, s.c.purchaser, "RecordAcceptance",
          {"date": "2026-06-30", "passed": True, "report": "验收合格。"} | tested)


def test_a_large_contract_accepted_without_a_testing_body_is_flagged(scene: Scene) -> None:
    s = scene
    large_and_accepted(s, "p1", None)
    flag = s.the(K.NO_TESTING_BODY, "p1")
    assert flag.summary == "合同金额1,180.00万元，履约验收未记录检测机构"
    assert flag.severity == "medium"
    assert flag.details.items() >= {"amount_fen": 1_180_000_000,
                                    "min_amount_fen": 1_000_000_000}.items()
    facts = {f["label"]: f["value"] for f in flag.details["facts"]}
    assert facts["设定数额"] == "1,000.00万元以上" and facts["检测机构"] == "未记录"
    assert "第四十一条" in facts["依据"]
    assert s.evidence(flag.id) == s.at("p1:contract", "p1:acceptance")
    assert s.kinds("p1") == {K.NO_TESTING_BODY}


def test_a_testing_body_or_a_smaller_contract_raises_nothing(scene: Scene) -> None:
    s = scene
    large_and_accepted(s, "p1", TESTED)
    large_and_accepted(s, "p2", {"name": "澄州市产品质量检验检测中心"})  # no report number
    s.tender_run("p3", PRICES, 1, "1720000.00")  # 172万元, accepted with none
    assert not any(K.NO_TESTING_BODY in s.kinds(code) for code in ("p1", "p2", "p3"))
    entry = orjson.loads(s.c.ledger.reader.entry(s.leaves["p2:acceptance"]))
    assert entry["data"]["testing_body"] == {"name": "澄州市产品质量检验检测中心"}


def test_a_testing_body_is_named_or_refused(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", finish=False)
    unaccepted(s, "p1")
    for wrong, message in (({"report_number": "JC-1"}, '{"name", "report_number"?}'),
                           ({"name": " "}, "name must be 1–100 characters"),
                           ({"name": "检测中心", "lab": "x"}, '{"name", "report_number"?}')):
        payload = {"date": "2026-06-30", "passed": True, "report": "验收合格。",
                   "testing_body": wrong}  # fmt: skip
        error = refused(Invalid, s.act, "acceptance", "p1", s.c.purchaser, "RecordAcceptance",
                        payload)  # fmt: skip
        assert message in error.message
