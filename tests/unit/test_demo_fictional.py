"""The demo county is evidently fictional: no real place is named, so no real body or
company is shown doing what the demo invents (化整为零, designated brands, late answers)."""

from __future__ import annotations

import re
from pathlib import Path

DEMO = Path(__file__).parents[2] / "demo"
#: The real places the demo was once set in, and their neighbours.
REAL = ("清河", "邢台", "河北", "石家庄", "衡水", "南宫", "保定", "卫运河", "国道308")


def test_no_real_place_is_named_in_the_demo() -> None:
    named = {
        f"{path.name}: {place}"
        for path in DEMO.glob("*.py")
        for place in REAL
        if place in path.read_text(encoding="utf-8")
    }
    assert named == set()


def test_the_demo_county_is_the_invented_one() -> None:
    text = (DEMO / "builder.py").read_text(encoding="utf-8")
    assert len(re.findall("澄溪县", text)) >= 20
