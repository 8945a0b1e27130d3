"""`sunshine rebuild` drops a projection and replays the log into it: same content again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import sunshine
from procurement_world import County

from projections.public import PublicProjection
from projections.runner import Follower


def test_rebuild_replays_the_log_to_the_same_content(world: Any, tmp_path: Path) -> None:
    county = County(world)
    county.to_evaluated()
    ledger = county.ledger
    follower = Follower(ledger.db, PublicProjection(ledger.config.database.is_sqlite))
    follower.setup()
    follower.catch_up()
    before = follower.digest()
    db = ledger.config.database

    done = sunshine("rebuild", "public", data_dir=tmp_path, db=db)
    assert done.returncode == 0, done.stderr
    size = ledger.reader.size()
    assert f"public: rebuilt from {size:,} of {size:,} leaves" in done.stdout
    assert f"{size:,}/{size:,} leaves" in done.stderr  # progress on the terminal
    assert follower.digest() == before

    unknown = sunshine("rebuild", "nosuch", data_dir=tmp_path, db=db)
    assert unknown.returncode == 2 and "no projection named 'nosuch'" in unknown.stderr
