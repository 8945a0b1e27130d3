"""`sunshine province`: a province drawn from its seed, every entry through the real ledger;
a load killed midway is resumed by running it again, to the same log; it verifies."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from conftest import ROOT, TLS, eventually, make_config, start_server, sunshine
from fresh import leaves_of, without_fresh

from demo.province import ProvinceBuilder, counties
from ledger.application import Ledger
from ledger.store.url import DatabaseURL, parse_database_url

#: Two counties of one city: each its own registry and its share of the year.
PROCUREMENTS = 170
SEED = 7


def _build(url: DatabaseURL, data: Path, procurements: int = PROCUREMENTS) -> list[dict[str, Any]]:
    ledger = Ledger(make_config(url, data))
    try:
        summary = ProvinceBuilder(ledger, data, procurements, SEED).build()
        assert summary.procurements == procurements
        return leaves_of(ledger.reader, summary.size)
    finally:
        ledger.close()


def _nonces(db: Path) -> int:
    """How many commands the ledger in ``db`` has stored (0 while it is being made)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM ledger_nonces").fetchone()[0])
    except sqlite3.OperationalError:  # not made yet, or its tables not yet
        return 0


def test_a_killed_load_resumes_to_the_seed_s_province_which_verifies(tmp_path: Path) -> None:
    fresh = _build(parse_database_url(f"sqlite:///{tmp_path / 'fresh.db'}"), tmp_path / "fresh")
    # The same load in the command line, killed once it has stored a good part, then run
    # again with the same seed and size: it picks up where the store stopped.
    data = tmp_path / "resumed"
    data.mkdir()  # with the same bid box (its key signs what it records)
    shutil.copy(tmp_path / "fresh" / "bid-box-key.pem", data / "bid-box-key.pem")
    command = [sys.executable, "-m", "sunshine.cli", "province", "--procurements",
               str(PROCUREMENTS), "--seed", str(SEED), "--data-dir", str(data)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNSHINE_")}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        eventually(lambda: _nonces(data / "ledger.db") > 2000, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stopped = _nonces(data / "ledger.db")
    assert 2000 < stopped < len(fresh)  # killed midway
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=900)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{PROCUREMENTS} procurements" in again.stdout
    assert "sunshine serve" in again.stdout
    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    ledger = Ledger(make_config(url, data))
    try:
        resumed = leaves_of(ledger.reader, ledger.reader.size())
    finally:
        ledger.close()
    # The same province: the same entries in the same order, but what is fresh on every
    # run (times, signatures, the box's salts).
    assert len(resumed) == len(fresh)
    assert [without_fresh(x, signed_anew=True) for x in resumed] == [
        without_fresh(x, signed_anew=True) for x in fresh]  # fmt: skip
    verified = sunshine("verify", "--check-timing", data_dir=data, db=url, timeout=600)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # Two counties, each with its own purchasers and finance office, its own codes.
    first, second = counties(PROCUREMENTS)
    plans = [x for x in fresh if x["type"] == "PlanFiled"]
    assert len(plans) == PROCUREMENTS
    assert {p["command"]["procurement"].split("-")[0] for p in plans} == {first.code, second.code}
    titles = [p["data"]["title"] for p in plans]
    assert any(t.startswith(first.name) for t in titles)
    assert any(t.startswith(second.name) for t in titles)
    assert not any("澄溪县" in t for t in titles)


def test_another_seed_draws_another_province(tmp_path: Path) -> None:
    ledger = Ledger(make_config(parse_database_url(f"sqlite:///{tmp_path / 'x.db'}"), tmp_path))
    try:
        county = counties(PROCUREMENTS)[0]
        drawn = [
            [(s.kind, s.on, s.payload.get("budget")) for s in
             ProvinceBuilder(ledger, tmp_path, PROCUREMENTS, seed)._year(county)]
            for seed in (SEED, SEED, SEED + 1)
        ]  # fmt: skip
    finally:
        ledger.close()
    assert drawn[0] == drawn[1]
    assert drawn[0] != drawn[2]


def test_sunshine_serve_serves_the_province(tmp_path: Path) -> None:
    from sunshine.bootstrap import projector_for

    url = parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    _build(url, tmp_path, procurements=12)
    ledger = Ledger(make_config(url, tmp_path))
    try:  # projected before the server starts: every page complete from the first visit
        projector = projector_for(ledger)
        projector.setup()
        projector.catch_up()
    finally:
        ledger.close()
    county = counties(12)[0]
    server = start_server(url, tmp_path)
    try:
        page = httpx.get(f"{server.url}/announcements", params={"q": "人民医院"}, verify=TLS)
    finally:
        server.stop()
    assert page.status_code == 200
    assert f"{county.name}人民医院" in page.text
    assert "澄溪县" not in page.text


def test_the_province_loads_into_postgresql(pg_url: DatabaseURL, tmp_path: Path) -> None:
    leaves = _build(pg_url, tmp_path, procurements=12)
    assert sum(1 for x in leaves if x["type"] == "PlanFiled") == 12
    verified = sunshine("verify", "--check-timing", data_dir=tmp_path, db=pg_url, timeout=600)
    assert verified.returncode == 0, verified.stdout + verified.stderr
