"""`sunshine verify` on a local database only reads: it creates no file and no key; with
`--check-timing` it recomputes the time-limit findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import World, hospital_world, make_config, sunshine
from procurement_world import County

from ledger.application import Ledger
from ledger.statute_payloads import packaged_time_limits_payload
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


def test_check_timing_measures_with_the_table_the_log_adopted(tmp_path: Path) -> None:
    """A finance office that adopted a table letting results wait 20 working days records a
    late result without its finding; `verify --check-timing` measures with that adopted
    table (an entry of the log), not with the packaged one the verifier has installed."""
    url = parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        table = packaged_time_limits_payload()
        relaxed = [
            dict(r, limit=20) if r["id"] == "result_announced_after_award" else r
            for r in table["limits"]
        ]
        world.submit(world.admin, "AdoptTimeLimits", {**table, "limits": relaxed})
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
    timed = sunshine("verify", "--check-timing", data_dir=tmp_path, db=url)
    assert timed.returncode == 0, timed.stdout + timed.stderr
    assert "time-limit findings of" in timed.stdout
