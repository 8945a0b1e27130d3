"""未列入预算的采购 (unbudgeted) through the real ledger and the red-flags projection: a plan
that names no 预算项目 or no 资金来源 raises it, its page showing what the plan does name; the
honest twin, the same plan naming both, raises nothing (政府采购法 第六条; 实施条例
第二十九条)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_scene import FUNDED, Scene, make_scene, open_world

from ledger.store.url import DatabaseURL
from projections.flags import FlagKind

K = FlagKind


@pytest.fixture
def scene(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Scene]:
    for world in open_world(db_url, tmp_path):
        yield make_scene(world)


def test_a_plan_without_its_budget_item_is_flagged_and_its_twin_is_not(scene: Scene) -> None:
    s = scene
    s.plan("p1", funding={"funding_source": "general_budget"})
    s.plan("p2", title="全自动生化分析仪采购项目")
    flag = s.the(K.UNBUDGETED, "p1")
    assert flag.summary == "采购计划未载明预算项目"
    assert flag.severity == "medium"
    assert flag.details["facts"] == [
        {"label": "资金来源", "value": "一般公共预算资金"},
        {"label": "预算项目", "value": "未载明"},
        {"label": "预算金额", "value": "1850000.00元"},
    ]
    assert s.evidence(flag.id) == s.at("p1:plan")
    assert K.UNBUDGETED not in s.kinds("p2")


def test_a_plan_naming_neither_is_flagged_for_both(scene: Scene) -> None:
    s = scene
    s.plan("p1", funding={})
    s.plan("p2", funding={"budget_item": FUNDED["budget_item"]})
    assert s.the(K.UNBUDGETED, "p1").summary == "采购计划未载明资金来源、预算项目"
    flag = s.the(K.UNBUDGETED, "p2")
    assert flag.summary == "采购计划未载明资金来源"
    item = {"label": "预算项目", "value": "医疗设备购置（2026-RMYY-003）"}
    assert flag.details["facts"][1] == item
