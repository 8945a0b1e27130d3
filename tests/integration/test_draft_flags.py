"""The red flags a drafted command would raise (``projections.flags.dry_run``), on SQLite and
PostgreSQL: raised by the projection's own rules under the operator's thresholds, the
projection's leaves not yet applied applied first, and nothing of it kept."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import World
from procurement_world import County

from ledger.application import Draft
from ledger.log.follower import Entry
from projections.flags import FlagKind, load_flag_config
from projections.flags.config import FlagConfig
from projections.flags.dry_run import WouldRaise, would_raise
from projections.workbench import preview
from sunshine.bootstrap import projector_for

#: Bids a hair under the budget of 1,850,000 元: an award at 1,840,000 is 99.46% of it.
CLOSE = ("1840000.00", "1845000.00", "1849000.00")


# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def award(c: County) -> tuple[dict[str, Any], Draft]:
    """DecideAward to kangtai at its price, drafted."""
    command = c.purchaser.command(
        "DecideAward", {"date": "2026-05-07", "supplier": "kangtai", "amount": CLOSE[0]},
        procurement="p1",
    )  # fmt: skip
    return command, c.ledger.draft(json.dumps({"command": command}).encode())


def drafted_award(c: County) -> list[Entry]:
    """The entries DecideAward to kangtai at its price would record, as the preview has them."""
    command, draft = award(c)
    at = datetime.now(UTC).isoformat()
    return [Entry(0, e.stream, e.version, e.type, at, command["actor"], command["key"], command,
                  "", e.data) for e in draft.entries]  # fmt: skip


def kept(c: County) -> tuple[Any, ...]:
    with c.ledger.db.read() as cur:
        flags = cur.execute("SELECT COUNT(*) FROM flag_flags").fetchone()
        position = cur.execute(
            "SELECT position FROM projection_positions WHERE name = 'flags'"
        ).fetchone()
    return (flags, position)


def raised(c: County, config: FlagConfig) -> list[WouldRaise] | None:
    return would_raise(c.ledger.db, config, drafted_award(c))


def test_an_award_close_to_the_budget_would_raise_its_flag_and_nothing_is_kept(
    county: County, tmp_path: Path
) -> None:
    c = county
    c.to_evaluated(CLOSE)
    projector = projector_for(c.ledger)
    projector.setup(create=True)
    # The projection has applied none of the procurement yet: the dry run applies it first.
    before = kept(c)
    found = raised(c, load_flag_config())
    assert found is not None
    (flag,) = [f for f in found if f.kind is FlagKind.AWARD_CLOSE_TO_BUDGET]
    assert "99.46%" in flag.summary or "99.5%" in flag.summary, flag.summary
    assert kept(c) == before, "a dry run keeps nothing"

    projector.catch_up()
    before = kept(c)
    assert raised(c, load_flag_config()) == found
    assert kept(c) == before

    # The preview warns of it in the projection's words, beside the entry the public will see.
    command, draft = award(c)
    shown = preview.render(c.ledger.db, "p1", draft, preview.red_flags(
        c.ledger.db, load_flag_config(), command, draft))  # fmt: skip
    assert f"将被记为预警：成交金额接近预算：{flag.summary}（依据：" in html.unescape(shown)
    assert "中标（成交）供应商：云岭康泰医疗器械有限公司" in html.unescape(shown)

    # The operator's thresholds decide: at 99.9% the same award raises no such flag.
    stricter = tmp_path / "flags.toml"
    stricter.write_text('[award_close_to_budget]\nmin_ratio = "0.999"\n', encoding="utf-8")
    quieter = raised(c, load_flag_config(stricter))
    assert quieter is not None
    assert FlagKind.AWARD_CLOSE_TO_BUDGET not in {f.kind for f in quieter}
