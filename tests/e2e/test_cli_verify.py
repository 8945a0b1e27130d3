"""`sunshine verify` on a local database only reads: it creates no file and no key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import World, sunshine

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
