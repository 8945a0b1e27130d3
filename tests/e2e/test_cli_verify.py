"""`sunshine verify` on a local database only reads: it creates no file and no key; with
`--check-timing` it recomputes the time-limit findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, World, hospital_world, make_config, sunshine
from procurement_world import County

from ledger.application import Ledger
from ledger.store.url import parse_database_url


def test_a_missing_database_is_named_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ledger.db"
    result = sunshine("verify", "--db", f"sqlite:///{missing}", data_dir=tmp_path)
    assert result.returncode == 1
    assert f"no ledger database at {missing}" in result.stdout
    assert not missing.exists() and not missing.parent.exists()


def test_verifying_with_a_pinned_key_creates_no_key(world: World, tmp_path: Path) -> None:
    pinned = world.ledger.signer.verifier_key
    url = world.ledger.config.database
    world.ledger.close()
    if not url.is_sqlite:
        pytest.skip("the key-file question is the same on both backends; SQLite shows it")
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    result = sunshine("verify", "--log-key", pinned, data_dir=elsewhere,
                      db=parse_database_url(str(url)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(elsewhere.iterdir()) == []


def test_check_timing_recomputes_time_limit_findings_with_the_operators_table(
    tmp_path: Path,
) -> None:
    """A ledger run with a time-limit table that lets results wait 20 working days records a
    late result without its finding; `verify --check-timing` with the packaged table names
    it, and with the operator's table (the one the ledger ran with) agrees."""
    table = (ROOT / "ledger" / "domain" / "time_limits.toml").read_text(encoding="utf-8")
    rule = '\nid = "result_announced_after_award"\n'
    start = table.index(rule)
    relaxed_table = table[:start] + table[start:].replace("limit = 2\n", "limit = 20\n", 1)
    relaxed = tmp_path / "relaxed-time-limits.toml"
    relaxed.write_text(relaxed_table, encoding="utf-8")
    url = parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True, time_limits_file=relaxed))
    try:
        world = hospital_world(ledger)
        county = County(world)
        county.to_evaluated()
        award = {"date": "2026-05-07", "supplier": "kangtai", "amount": "1790000.00"}
        county.act(county.purchaser, "DecideAward", award)
        late = county.act(county.agency, "AnnounceResult", {"date": "2026-05-20"})
        assert county.leaf(late)["data"]["findings"] == []  # 9 working days: fine by the table
    finally:
        ledger.close()
    plain = sunshine("verify", data_dir=tmp_path, db=url)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    packaged = sunshine("verify", "--check-timing", data_dir=tmp_path, db=url)
    assert packaged.returncode == 1, packaged.stdout
    assert "ResultAnnounced records the time-limit findings none" in packaged.stdout
    # Two working days after 7 May: the 9th, a Saturday worked in exchange for the May Day days.
    assert "result_announced_after_award (due 2026-05-09, on 2026-05-20)" in packaged.stdout
    operators = sunshine(
        "verify", "--check-timing", "--time-limits", str(relaxed), data_dir=tmp_path, db=url
    )
    assert operators.returncode == 0, operators.stdout + operators.stderr
    assert "time-limit findings of" in operators.stdout
