"""Proofs stay O(log n) reads: the node lookup must use the primary key, never scan."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import World

from ledger.log.merkle import inclusion_proof
from ledger.log.nodes import node_reader


class PlanRecorder:
    """A cursor that records SQLite's plan for each query before running it."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.plans: list[str] = []
        self._rows: list[tuple[object, ...]] = []

    def execute(self, sql: str, params: object = ()) -> PlanRecorder:
        plan = self.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()  # type: ignore[arg-type]
        self.plans.append(" | ".join(str(row[-1]) for row in plan))
        self._rows = self.conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        return self

    def fetchall(self) -> list[tuple[object, ...]]:
        return self._rows


def test_proof_reads_use_the_primary_key(world: World) -> None:
    url = world.ledger.config.database
    if not url.is_sqlite:
        pytest.skip("the plan check is SQLite's; PostgreSQL's planner uses the index either way")
    assert url.path is not None
    size = world.ledger.reader.size()
    conn = sqlite3.connect(url.path)
    try:
        cursor = PlanRecorder(conn)
        inclusion_proof(size // 2, size, node_reader(cursor))  # type: ignore[arg-type]
    finally:
        conn.close()
    assert cursor.plans, "the proof read no nodes"
    for plan in cursor.plans:
        assert "SCAN log_nodes" not in plan, plan
        assert "USING PRIMARY KEY" in plan or "USING INDEX" in plan, plan
