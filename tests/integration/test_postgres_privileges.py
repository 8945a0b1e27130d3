"""PostgreSQL: the event and log tables are append-only in the database itself.

`sunshine db-setup` creates the tables as their owner and grants the application's
role SELECT and INSERT only. Connected as that role the ledger works; UPDATE, DELETE
and TRUNCATE fail on privileges. Even the owner is stopped by the append-only trigger.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from conftest import World, _url, genesis, hospital_world, sunshine

from ledger import signing
from ledger.application import Ledger, LedgerConfig
from ledger.domain.credit_code import check_character
from ledger.domain.sealed import Disclosure
from ledger.store.url import DatabaseURL

pytestmark = pytest.mark.postgres

CREDIT_CODE = "12139901MB0000001" + check_character("12139901MB0000001")
GUARDED = ("ledger_events", "ledger_nonces", "log_leaves", "log_nodes", "log_checkpoints",
           "sealed_values", "bid_box", "bid_box_closings", "ledger_credit_codes")


def test_application_role_appends_but_cannot_rewrite(
    pg_url: DatabaseURL, app_role: str, tmp_path: Path
) -> None:
    as_app = pg_url.with_user(app_role)
    ledger = Ledger(LedgerConfig(database=as_app, data_dir=tmp_path, create_tables=False,
                                 inline_integration=True))
    try:
        world = World(ledger, genesis(ledger))
        world.add("rmyy", "purchaser", "rmyy-op", "澄溪县人民医院")
        receipt = world.submit(world.actors["rmyy-op"], "AmendOrganisation",
                               {"code": "rmyy", "name": "澄溪县人民医院（新院区）",
                                "credit_code": CREDIT_CODE})  # fmt: skip
        assert receipt.checkpoint is not None
        assert receipt.size == 9  # genesis 3, statutes 2, organisation, actor, key, amendment
        # A sealed bid: its price is kept in the sealed store, as the application role.
        supplier = world.add("kangtai", "supplier", "kangtai-op")
        world.register_bid_box()
        purchaser = world.actors["rmyy-op"]
        world.submit(purchaser, "FilePlan", {"title": "彩超采购", "category": "goods",
                     "method": "open_tender", "budget": "100000.00", "date": "2026-03-02"}, "p1")
        world.submit(purchaser, "AnnounceTender", {
            "date": "2026-03-03", "requirement": "彩超一台", "qualifications": "无",
            "contact": "王",
            "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30", "place": "开标室"}, "p1")
        sealed: dict[str, Disclosure] = {}
        receipt = world.submit(supplier, "SubmitBid", {
            "date": "2026-03-04", "price": signing.sealed_value("99000.00", sealed)}, "p1", sealed)
        assert receipt.size == 18  # … + the box's organisation, actor, key, plan, tender, bid
        assert ledger.sealed.get(next(iter(sealed))) == next(iter(sealed.values()))
        closing = {"date": "2026-03-30", "time": "09:30"}
        closed = world.submit(purchaser, "CloseBidBox", closing, "p1")
        size = closed.size
    finally:
        ledger.close()

    with psycopg.connect(as_app.conninfo(), autocommit=True) as conn:
        (user,) = conn.execute("SELECT current_user").fetchone() or ("",)
        assert user == app_role
        # Reading works, and so would appending.
        (count,) = conn.execute("SELECT COUNT(*) FROM ledger_events").fetchone() or (0,)
        assert count == size
        attempts = [
            "UPDATE ledger_events SET state = state",
            "DELETE FROM ledger_events",
            "UPDATE ledger_nonces SET nonce = nonce || 'x'",
            "DELETE FROM ledger_nonces",
            "UPDATE log_leaves SET leaf = leaf",
            "DELETE FROM log_leaves WHERE idx = 0",
            "DELETE FROM log_nodes",
            "UPDATE log_checkpoints SET note = note",
            "DELETE FROM log_checkpoints",
            "TRUNCATE log_leaves, log_nodes, log_checkpoints",
            "UPDATE sealed_values SET owner = 'x'",
            "DELETE FROM sealed_values",
            "UPDATE bid_box SET supplier = 'x'",
            "DELETE FROM bid_box",
            "DELETE FROM bid_box_closings",
            "UPDATE ledger_credit_codes SET organisation = 'x'",
            "DELETE FROM ledger_credit_codes",
        ]
        for statement in attempts:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
        # The role holds TRUNCATE on the event table only because the event store's
        # write lock (LOCK TABLE ... IN EXCLUSIVE MODE) needs it; the trigger refuses it.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("TRUNCATE ledger_events")
        privileges = {
            row[0] for row in conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = current_user AND table_name = 'ledger_events'")
        }
        assert privileges == {"SELECT", "INSERT", "TRUNCATE"}
        # Nor can the role hand itself more rights or disable the triggers.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TRIGGER ledger_events_append_only ON ledger_events")

    # The owner is stopped by the trigger.
    with psycopg.connect(pg_url.conninfo(), autocommit=True) as conn:
        for table in GUARDED:
            for statement in (f"UPDATE {table} SET {_column(table)} = {_column(table)}",
                              f"DELETE FROM {table}",
                              f"TRUNCATE {table}"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    conn.execute(statement)
        counts = {t: _count(conn, t) for t in GUARDED}
    assert counts["ledger_events"] == size
    assert counts["log_leaves"] == size
    assert counts["ledger_nonces"] == 17  # one per command
    assert counts["sealed_values"] == 17  # the price, the envelope, the closing's 15 dummies
    assert counts["bid_box"] == 16 and counts["bid_box_closings"] == 1
    assert counts["ledger_credit_codes"] == 1  # the hospital's, claimed with its amendment

    # And the untouched ledger verifies.
    result = sunshine("verify", "--db", _url(pg_url), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_verify_runs_as_the_application_role(pg_url: DatabaseURL, app_role: str,
                                            tmp_path: Path) -> None:
    """`sunshine verify` as the application role reads what it needs and writes nothing."""
    as_app = pg_url.with_user(app_role)
    ledger = Ledger(LedgerConfig(database=as_app, data_dir=tmp_path, create_tables=False,
                                 inline_integration=True))
    try:
        genesis(ledger)
    finally:
        ledger.close()
    result = sunshine("verify", "--db", _url(as_app), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 5 entries" in result.stdout  # the genesis and the statutes adopted


def test_the_application_role_reads_sealed_values_and_spends_request_nonces(
    pg_url: DatabaseURL, app_role: str, tmp_path: Path
) -> None:
    """A sealed read is recorded and a signed request's nonce spent as the application role;
    it deletes stale request nonces but rewrites none."""
    as_app = pg_url.with_user(app_role)
    ledger = Ledger(LedgerConfig(database=as_app, data_dir=tmp_path, create_tables=False,
                                 inline_integration=True))
    try:
        world = hospital_world(ledger)
        world.register_bid_box()
        purchaser, supplier = world.actors["rmyy-op"], world.actors["kangtai-op"]
        world.submit(purchaser, "FilePlan", {"title": "彩超采购", "category": "goods",
                     "method": "open_tender", "budget": "100000.00", "date": "2026-03-02"}, "p1")
        world.submit(purchaser, "AnnounceTender", {
            "date": "2026-03-03", "requirement": "彩超一台", "qualifications": "无",
            "contact": "王",
            "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30", "place": "开标室"}, "p1")
        sealed: dict[str, Disclosure] = {}
        price = signing.sealed_value("99000.00", sealed)
        world.submit(supplier, "SubmitBid", {"date": "2026-03-04", "price": price}, "p1", sealed)
        world.close_and_open(purchaser, "2026-03-30")  # nobody reads into a closed box
        read = ledger.read_sealed(supplier.body("ReadSealed", price))
        assert read["value"] == "99000.00" and read["recorded"]["checkpoint"] is not None
        ledger.requests.accept(world.admin.body("ListDeliveries", {}), "ListDeliveries")
    finally:
        ledger.close()
    with psycopg.connect(as_app.conninfo(), autocommit=True) as conn:
        assert _count(conn, "request_nonces") == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("UPDATE request_nonces SET nonce = nonce || 'x'")
        conn.execute("DELETE FROM request_nonces")
        assert _count(conn, "request_nonces") == 0
    result = sunshine("verify", "--db", _url(as_app), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The price, the envelope and the fifteen dummies padding the box to sixteen.
    assert "sealed store: 17 kept values open their commitments" in result.stdout


def _column(table: str) -> str:
    return {"ledger_events": "state", "ledger_nonces": "nonce", "log_leaves": "leaf",
            "log_nodes": "hash", "log_checkpoints": "note", "sealed_values": "owner",
            "bid_box": "supplier", "bid_box_closings": "envelopes",
            "ledger_credit_codes": "organisation"}[table]


def _count(conn: psycopg.Connection[tuple[object, ...]], table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    assert row is not None
    return int(str(row[0]))
