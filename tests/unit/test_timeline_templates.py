"""Every kind a procurement's timeline can show has its template: a new step without one
would make its procurement's page fail, so this names it first."""

from __future__ import annotations

from pathlib import Path

from ledger.domain.schema.kinds import PROCUREMENT_KINDS, STREAM_KINDS

STEPS = Path(__file__).parents[2] / "projections" / "web" / "templates" / "steps"


def test_every_timeline_kind_has_its_step_template() -> None:
    missing = sorted(
        k for k in PROCUREMENT_KINDS | STREAM_KINDS if not (STEPS / f"{k}.html").is_file()
    )
    assert missing == []


#: A re-evaluation is shown on the timeline of the procurement whose entry it re-evaluates.
TIMELINE_KINDS = PROCUREMENT_KINDS | STREAM_KINDS | {"TimingReevaluated"}


def test_no_step_template_is_left_for_a_kind_that_no_longer_exists() -> None:
    stale = sorted(p.stem for p in STEPS.glob("*.html") if p.stem not in TIMELINE_KINDS)
    assert stale == []
