"""The README's time-limit table is the packaged table, rule for rule, with its citations."""

from __future__ import annotations

from ledger import law_table
from ledger.calendar_files import load_time_limits


def test_the_readme_lists_every_time_limit_with_its_citation() -> None:
    readme = law_table.README.read_text(encoding="utf-8")
    assert readme == law_table.published(), (
        "README.md's time-limit table is out of date with ledger/domain/time_limits.toml: "
        "run `.venv/bin/python -m ledger.law_table` and commit the result"
    )
    section = readme[readme.index(law_table.BEGIN) : readme.index(law_table.END)]
    for rule in load_time_limits().values():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{rule.id}` |"))
        assert rule.citation in row and str(rule.limit) in row
