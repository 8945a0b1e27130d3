"""评审专家未随机抽取 through the real ledger: experts are drawn at random from the 评审专家库
(政府采购法实施条例 第三十九条); a purchaser may choose them for a 技术复杂、专业性强 project only
with its 主管预算单位's consent (财政部令第87号 第四十八条), and not on an inquiry. Read from the
committee the result notice discloses; each case with its honest twin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flag_scene import Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind
PRICES = ("1790000.00", "1720000.00", "1805000.00")
CONSENT = {"by": "澄溪县卫生健康委员会", "reference": "澄卫函〔2026〕18号",
           "reason": "设备技术复杂，专家库内相关专业评审专家不足，随机抽取难以确定合适人选"}
RANDOM = {"selection": "random"}


@pytest.fixture
def scene(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(sqlite_url, tmp_path):
        yield make_scene(world)


def facts(flag: object) -> dict[str, str]:
    return {f["label"]: f["value"] for f in getattr(flag, "details")["facts"]}  # noqa: B009


def chosen(consent: bool, experts: int = 4) -> dict[str, Any]:
    """The first two experts chosen (with the consent or without), the rest drawn."""
    way: dict[str, Any] = {"selection": "chosen"} | ({"consent": CONSENT} if consent else {})
    return {"experts": experts, "selections": (way, way, *[RANDOM] * (experts - 2))}


def test_experts_chosen_without_consent_are_flagged_with_every_members_selection(
    scene: Scene,
) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", committee=chosen(consent=False))
    flag = s.the(K.EXPERT_NOT_DRAWN, "p1")
    assert flag.summary == "评审专家王建国、李秀英系采购人自行选定，未记录主管预算单位同意"
    assert flag.severity == "high"
    assert flag.details.items() >= {"chosen": 2, "unconsented": ["王建国", "李秀英"]}.items()
    seats = facts(flag)
    assert seats["王建国"] == "评审专家，自行选定（未记录主管预算单位同意）"
    assert seats["张伟"] == "评审专家，随机抽取" and seats["赵敏"] == "采购人代表"
    assert "第三十九条" in seats["依据"]
    # Evidence: the sealed evaluation and the result notice that disclosed the list.
    assert s.evidence(flag.id) == s.at("p1:evaluated", "p1:result")


def test_experts_chosen_with_consent_or_drawn_raise_nothing(scene: Scene) -> None:
    s = scene
    s.tender_run("p1", PRICES, 1, "1720000.00", committee=chosen(consent=True))
    s.tender_run("p2", PRICES, 1, "1720000.00", committee={"selections": (RANDOM,) * 4})
    # A list recorded before the ledger asked how experts were selected: unknown, not judged.
    s.tender_run("p3", PRICES, 1, "1720000.00")
    assert not any(K.EXPERT_NOT_DRAWN in s.kinds(code) for code in ("p1", "p2", "p3"))


def test_an_inquiry_may_not_choose_its_experts_even_with_consent(scene: Scene) -> None:
    s = scene
    # An inquiry buys goods of one standard (74号令 第七条 lets only a negotiation choose).
    s.tender_run("p1", PRICES, 1, "1720000.00", method="inquiry",
                 committee=chosen(consent=True, experts=2))  # fmt: skip
    flag = s.the(K.EXPERT_NOT_DRAWN, "p1")
    assert flag.summary == "评审专家王建国、李秀英系采购人自行选定，所用采购方式不允许自行选定"
    assert facts(flag)["王建国"] == (
        "评审专家，自行选定（经澄溪县卫生健康委员会同意，澄卫函〔2026〕18号）")
    # Its twin, a negotiation with the same consent, is lawful.
    s.tender_run("p2", PRICES, 1, "1720000.00", method="competitive_negotiation",
                 committee=chosen(consent=True, experts=2))  # fmt: skip
    assert K.EXPERT_NOT_DRAWN not in s.kinds("p2")
