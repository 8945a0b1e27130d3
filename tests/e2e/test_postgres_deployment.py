"""PostgreSQL as the README deploys it: `sunshine db-setup` as the owner, then the service and
the publisher as the application role, which may not create, alter or drop anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import ROOT, TLS, _url, eventually, hospital_world, start_server
from lookup_client import look_up
from supervision_client import sign_in
from test_publish_site import FakeSite, config, county_with_notices, receipts_of

from ledger.application import Ledger, LedgerConfig
from ledger.store.url import DatabaseURL
from publisher.worker import Publisher

pytestmark = pytest.mark.postgres

NO_DDL = {"SUNSHINE_CREATE_TABLES": "false"}


def test_the_service_and_the_publisher_run_as_the_application_role(
    pg_url: DatabaseURL, app_role: str, tmp_path: Path
) -> None:
    as_app = pg_url.with_user(app_role)
    ledger = Ledger(
        LedgerConfig(database=as_app, data_dir=tmp_path, create_tables=False,
                     inline_integration=True)
    )  # fmt: skip
    try:
        world = hospital_world(ledger)
        county, actor, notices = county_with_notices(world, procurements=1)
        inspector = county.inspector
        with FakeSite(actor.key.public_key()) as site:
            publisher = Publisher(
                ledger, config({"name": "ccgp-hebei", "url": site.url}), actor.key, workers=2
            )
            publisher.setup()
            publisher.drain(timeout=60)
            assert sorted(s.json["data"]["notice"] for s in site.seen) == notices
        assert sorted(r["notice"] for r in receipts_of(world)) == notices
    finally:
        ledger.close()
    server = start_server(as_app, tmp_path, env=NO_DDL)
    try:
        def published() -> httpx.Response | None:  # the projections, by the app role, catch up
            page = httpx.get(f"{server.url}/announcements/{notices[-1]}", timeout=30, verify=TLS)
            return page if page.status_code == 200 and "发布记录" in page.text else None

        page = eventually(published, server.process, every=0.2)
        assert "ccgp-hebei" in page.text
        # An inspector signs in and out: the spent challenge and session are rows too.
        with sign_in(server.url, inspector) as client:
            assert client.get("/supervision/session").status_code == 200
            assert client.delete("/supervision/session").status_code == 204
        # A challenge lookup after a typo: the failure is a row, and the right code's attempt
        # is a row until it is taken back. (The code is the ledger's own for a number not
        # filed yet, so the lookup ends as "not on the public pages yet".)
        code = ledger.lookup_codes.code("p1-ZY1")
        typo = ("A" if code[0] != "A" else "B") + code[1:]
        assert look_up(server.url, "p1-ZY1", typo).status_code == 404
        pending = look_up(server.url, "p1-ZY1", code)
        assert pending.status_code == 503 and "公开记录正在更新" in pending.text
    finally:
        server.stop()


def test_a_projection_the_owner_did_not_set_up_stops_the_service_naming_db_setup(
    pg_url: DatabaseURL, app_role: str, tmp_path: Path
) -> None:
    # As if a new release brought a projection that `sunshine db-setup` has not made yet.
    with psycopg.connect(pg_url.conninfo(), autocommit=True) as conn:
        conn.execute("DELETE FROM projection_positions WHERE name = 'flags'")
    env = dict(
        os.environ, SUNSHINE_DATA_DIR=str(tmp_path),
        SUNSHINE_DATABASE_URL=_url(pg_url.with_user(app_role)), **NO_DDL,
    )  # fmt: skip
    served = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "serve", "--port", "0"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert served.returncode != 0
    assert "the tables of 'flags' are not set up" in served.stderr
    assert "`sunshine db-setup`" in served.stderr
