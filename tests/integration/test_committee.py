"""The evaluation committee and its ranking (issue 12, point 7), on SQLite and PostgreSQL.

The winner follows the committee's ranking (政府采购法实施条例 第四十三条); a committee has ≥ 5
members, an odd number, experts ≥ 2/3 for a 招标 (财政部令第87号 第四十七条), ≥ 3 for the other
methods (财政部令第74号 第七条; 财库〔2014〕214号 第十四条); each expert signs the report with
their own registered key, and the list stays sealed until the result notice."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from procurement_world import County
from test_procurement_ledger import refused
from test_statutes import rules, timed, verified
from test_verifier_registry import entries

from ledger import signing
from ledger.domain.errors import Invalid
from ledger.domain.sealed import Disclosure, seal
from ledger.verify import VerificationFailed

PRICES = {"kangtai": "1790000.00", "xinda": "1720000.00", "huamei": "1805000.00"}
RANKED = ["xinda", "kangtai", "huamei"]  # 最低评标价法: the lowest price first


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def results(ranks: dict[str, int] | None = None) -> list[dict[str, Any]]:
    ranks = ranks if ranks is not None else {s: n + 1 for n, s in enumerate(RANKED)}
    rows = []
    for supplier in PRICES:
        row: dict[str, Any] = {"supplier": supplier, "valid": True}
        row |= {"rank": ranks[supplier]} if supplier in ranks else {}
        rows.append(row)
    return rows


def opened(c: County, code: str, method: str = "open_tender") -> None:
    """``code`` announced by ``method``, bid by the three suppliers and opened on 6 May."""
    plan: dict[str, Any] = {"method": method}
    if method != "open_tender":
        plan["rationale"] = "技术复杂，不能确定详细规格"
    c.to_announced(code, **plan)
    for supplier in c.suppliers:
        c.bid(supplier, PRICES[supplier.organisation], procurement=code)
    c.world.close_and_open(c.agency, "2026-05-06", procurement=code)


def evaluate(c: County, code: str, payload: dict[str, Any], sealed: dict[str, Disclosure]) -> Any:
    return c.act(c.agency, "CompleteEvaluation", payload, code, sealed)


def awarded_and_announced(
    c: County, code: str, winner: str, reason: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The award to ``winner`` on 7 May and the result notice on 8 May: their findings."""
    award: dict[str, Any] = {"date": "2026-05-07", "supplier": winner, "amount": PRICES[winner]}
    award |= {"reason": reason} if reason else {}
    decided = rules(c, c.act(c.purchaser, "DecideAward", award, code))
    announced = rules(c, c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"}, code))
    return decided, announced


def test_the_winner_follows_the_ranking_or_the_purchaser_records_why(county: County) -> None:
    c = county
    for code in ("p1", "p2", "p3"):
        opened(c, code)
        sealed: dict[str, Disclosure] = {}
        evaluate(c, code, c.world.evaluation(code, "2026-05-06", results(), sealed), sealed)
    # The first-ranked candidate: lawful, no finding.
    assert awarded_and_announced(c, "p1", "xinda") == ({}, {})
    # The second, with no reason recorded: found, naming the place and the article.
    award, _ = awarded_and_announced(c, "p2", "kangtai")
    out_of_order = award["award_follows_ranking"]
    assert "第四十三条" in out_of_order["citation"] and "第2名" in out_of_order["description_zh"]
    # The second, because the first declined (实施条例 第四十九条): recorded with the reason.
    why = "排名第一的中标候选人书面放弃中标。"
    assert awarded_and_announced(c, "p3", "kangtai", why) == ({}, {})
    verified(c)


def test_the_committee_ranks_every_valid_bid_once(county: County) -> None:
    c = county
    opened(c, "p1")
    for ranks in ({"xinda": 1, "kangtai": 2}, {"xinda": 1, "kangtai": 1, "huamei": 2},
                  {"xinda": 2, "kangtai": 3, "huamei": 4}):  # fmt: skip
        sealed: dict[str, Disclosure] = {}
        payload = c.world.evaluation("p1", "2026-05-06", results(ranks), sealed)
        error = refused(Invalid, evaluate, c, "p1", payload, sealed)
        assert "rank each valid bidder 1, 2" in error.message
    invalid = results()
    invalid[2] = {"supplier": "huamei", "valid": False, "reason": "资格不符", "rank": 3}
    sealed = {}
    payload = c.world.evaluation("p1", "2026-05-06", invalid, sealed)
    assert "not ranked" in refused(Invalid, evaluate, c, "p1", payload, sealed).message


def test_a_tenders_committee_is_five_or_more_odd_and_two_thirds_experts(county: County) -> None:
    c = county
    # p1: 4 experts and 1 representative, lawful. p2: four members. p3: 3 experts of 5.
    committees = {"p1": (4, ("赵敏",)), "p2": (3, ("赵敏",)), "p3": (3, ("赵敏", "钱进"))}
    for code, (experts, representatives) in committees.items():
        opened(c, code)
        sealed: dict[str, Disclosure] = {}
        payload = c.world.evaluation(code, "2026-05-06", results(), sealed, experts,
                                     representatives)  # fmt: skip
        evaluated = evaluate(c, code, payload, sealed)
        # Nothing about the committee shows before the result notice: no finding, no names.
        assert rules(c, evaluated) == {}
        assert set(c.leaf(evaluated)["data"]["committee"]) == {"commitment"}
    assert awarded_and_announced(c, "p1", "xinda")[1] == {}
    size = awarded_and_announced(c, "p2", "xinda")[1]
    assert set(size) == {"committee_size"}
    assert size["committee_size"]["citation"] == "财政部令第87号 第四十七条"
    assert "实有4人" in size["committee_size"]["description_zh"]
    share = awarded_and_announced(c, "p3", "xinda")[1]
    assert set(share) == {"committee_expert_share"}
    assert "5人中评审专家3人" in share["committee_expert_share"]["description_zh"]
    verified(c)


def test_a_negotiation_committee_of_three_is_lawful(county: County) -> None:
    c = county
    opened(c, "p1", "competitive_negotiation")
    sealed: dict[str, Disclosure] = {}
    payload = c.world.evaluation("p1", "2026-05-06", results(), sealed, experts=2)
    evaluate(c, "p1", payload, sealed)
    _, announced = awarded_and_announced(c, "p1", "xinda")
    assert announced == {}
    verified(c)


def test_each_expert_signs_the_report_with_their_own_key(county: County) -> None:
    c = county
    opened(c, "p1")
    sealed: dict[str, Disclosure] = {}
    signers = [c.world.expert(n) for n in range(4)]
    # Signed over other results than the ones recorded: refused, naming the expert.
    other = results({"kangtai": 1, "xinda": 2, "huamei": 3})
    payload = signing.evaluation("p1", "2026-05-06", other, signers, ["赵敏"], sealed)
    payload["results"] = results()
    error = refused(Invalid, evaluate, c, "p1", payload, sealed)
    assert "not zj0's over this evaluation report" in error.message
    # An agency's operator is no expert of the pool, whatever they sign.
    name, _, _ = signers[0]
    impostor = [(name, c.agency.code, c.agency.key), *signers[1:]]
    sealed = {}
    payload = signing.evaluation("p1", "2026-05-06", results(), impostor, ["赵敏"], sealed)
    error = refused(Invalid, evaluate, c, "p1", payload, sealed)
    assert "is not a registered evaluation expert" in error.message
    # An expert without a signature, and a member of no known role.
    for member in ({"name": "王建国", "role": "expert"}, {"name": "王建国", "role": "chair"}):
        sealed = {}
        payload = c.world.evaluation("p1", "2026-05-06", results(), sealed)
        payload["committee"] = signing.sealed_value([member], sealed)
        refused(Invalid, evaluate, c, "p1", payload, sealed)


def test_the_verifier_checks_the_signatures_once_the_committee_is_disclosed(
    county: County,
) -> None:
    c = county
    opened(c, "p1")
    sealed: dict[str, Disclosure] = {}
    evaluate(c, "p1", c.world.evaluation("p1", "2026-05-06", results(), sealed), sealed)
    awarded_and_announced(c, "p1", "xinda")
    log = entries(c.world)
    timed(log, c)
    # An operator past the ledger's checks: the agency signs an evaluation whose sealed
    # committee gives zj0 the signature of zj1. Sealed, nobody sees it until the result
    # notice discloses it; then the verifier checks each signature against the report.
    evaluated = next(i for i, e in enumerate(log) if e["type"] == "EvaluationCompleted")
    announced = next(i for i, e in enumerate(log) if e["type"] == "ResultAnnounced")
    members = log[announced]["data"]["committee"]["value"]
    forged = [dict(m) for m in members]
    forged[0]["signature"] = members[1]["signature"]
    commitment, opening = seal(forged)
    command = log[evaluated]["command"]
    command = {**command, "payload": {**command["payload"], "committee": commitment}}
    log[evaluated] = {**log[evaluated], "command": command,
                      "signature": signing.sign(command, c.agency.key)["signature"],
                      "data": {**log[evaluated]["data"], "committee": commitment}}  # fmt: skip
    disclosed = {**commitment, "value": forged, "salt": opening.salt_b64}
    log[announced] = {**log[announced],
                      "data": {**log[announced]["data"], "committee": disclosed}}  # fmt: skip
    with pytest.raises(VerificationFailed, match="not zj0's over this evaluation report"):
        timed(log, c)


def test_a_tender_of_ten_million_yuan_or_more_has_seven_members(county: County) -> None:
    c = county
    # 87号令 第四十七条: from 1000万元 a tender's committee has 7 or more members.
    for code, experts in (("p1", 4), ("p2", 6)):
        c.to_announced(code, budget="12000000.00")
        for supplier in c.suppliers:
            c.bid(supplier, PRICES[supplier.organisation], procurement=code)
        c.world.close_and_open(c.agency, "2026-05-06", procurement=code)
        sealed: dict[str, Disclosure] = {}
        payload = c.world.evaluation(code, "2026-05-06", results(), sealed, experts)
        evaluate(c, code, payload, sealed)
    size = awarded_and_announced(c, "p1", "xinda")[1]["committee_size"]
    assert "应当由7人以上单数组成；实有5人" in size["description_zh"]
    assert awarded_and_announced(c, "p2", "xinda")[1] == {}
    verified(c)


CONSENT = {"by": "澄溪县卫生健康委员会", "reference": "澄卫函〔2026〕18号",
           "reason": "设备技术复杂，专家库内相关专业评审专家不足，随机抽取难以确定合适人选"}


def test_how_each_expert_was_selected_stays_sealed_until_the_result(county: County) -> None:
    c = county
    opened(c, "p1")
    sealed: dict[str, Disclosure] = {}
    ways = ({"selection": "chosen", "consent": CONSENT}, {"selection": "chosen"},
            {"selection": "random"}, {"selection": "random"})  # fmt: skip
    payload = c.world.evaluation("p1", "2026-05-06", results(), sealed, selections=ways)
    evaluated = evaluate(c, "p1", payload, sealed)
    assert set(c.leaf(evaluated)["data"]["committee"]) == {"commitment"}
    # Chosen without consent did happen: recorded, no finding of the ledger's own (the red
    # flags judge it), and disclosed with the list at the result notice.
    assert awarded_and_announced(c, "p1", "xinda") == ({}, {})
    announced = next(e for e in entries(c.world) if e["type"] == "ResultAnnounced")
    members = announced["data"]["committee"]["value"]
    assert [m.get("selection") for m in members] == ["chosen", "chosen", "random", "random",
                                                     None]  # the representative: none
    assert members[0]["consent"] == CONSENT and "consent" not in members[1]
    verified(c)


def test_a_selection_the_law_does_not_know_is_refused(county: County) -> None:
    c = county
    opened(c, "p1")
    wrong = (
        ({"selection": "lottery"}, '"random" (随机抽取) or "chosen"'),
        ({"selection": "random", "consent": CONSENT}, "drawn at random needs no consent"),
        ({"selection": "chosen", "consent": {"by": "卫健委"}}, "主管预算单位 that consented"),
        ({"consent": CONSENT}, 'only with "selection": "chosen"'),
    )
    for way, message in wrong:
        sealed: dict[str, Disclosure] = {}
        payload = c.world.evaluation("p1", "2026-05-06", results(), sealed, selections=(way,))
        assert message in refused(Invalid, evaluate, c, "p1", payload, sealed).message
