"""`sunshine publish` killed with SIGKILL and restarted, and several of them at once: every
notice arrives, a retry carries the same webhook-id, and the ledger holds one receipt each."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, _url, eventually
from test_publish_site import Answer, FakeSite, county_with_notices, destinations_toml, receipts_of

from ledger import signing
from publisher.store import JobStore


def files(tmp_path: Path, actor: Any, *destinations: dict[str, Any]) -> list[str]:
    key = tmp_path / "fbfw-svc.pem"
    if not key.exists():
        signing.write_key(key, actor.key)
    config = tmp_path / "destinations.toml"
    config.write_text(destinations_toml(*destinations), encoding="utf-8")
    return ["--destinations", str(config), "--key", str(key)]


def publish(world: Any, tmp_path: Path, args: list[str], *extra: str) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        SUNSHINE_DATA_DIR=str(tmp_path),
        SUNSHINE_DATABASE_URL=_url(world.ledger.config.database),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "publish", *args, *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    """The run's output once it has ended on its own, successfully (however long that takes
    on a loaded machine: the suite's per-test timeout ends a run that never does)."""
    out, err = process.communicate()
    assert process.returncode == 0, err
    return out


def one_receipt_each(world: Any, pairs: set[tuple[int, str]]) -> None:
    receipts = collections.Counter((r["notice"], r["destination"]) for r in receipts_of(world))
    assert set(receipts) == pairs and set(receipts.values()) == {1}, receipts


def test_killed_after_the_site_took_it_but_before_the_receipt(world: Any, tmp_path: Path) -> None:
    _, actor, notices = county_with_notices(world, procurements=2)
    held = threading.Event()

    def script(n: int, msg_id: str) -> Answer:
        return Answer(block=held) if n == 1 else Answer()  # the first answer waits

    with FakeSite(actor.key.public_key(), script=script) as site:
        args = files(tmp_path, actor, {"name": "ccgp-hebei", "url": site.url})
        first = publish(world, tmp_path, args, "--workers", "1")
        eventually(lambda: len(site.seen) == 1, first)
        # The site has the notice (it is processing it); the publisher dies before hearing so.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        held.set()
        assert receipts_of(world) == []
        finish(publish(world, tmp_path, args, "--once"))
        taken = site.seen[0].webhook_id
        ids = collections.Counter(site.ids())
    assert ids[taken] == 2  # sent again, under the same webhook-id
    assert len(ids) == len(notices)
    assert site.processed == dict.fromkeys(ids, 1)
    one_receipt_each(world, {(n, "ccgp-hebei") for n in notices})


def test_killed_in_the_middle_of_a_run(world: Any, tmp_path: Path) -> None:
    _, actor, notices = county_with_notices(world, procurements=6)
    slow = lambda n, msg_id: Answer(delay=0.05)  # noqa: E731
    with (
        FakeSite(actor.key.public_key(), script=slow) as a,
        FakeSite(actor.key.public_key(), script=slow) as b,
    ):
        args = files(
            tmp_path, actor, {"name": "site-a", "url": a.url}, {"name": "site-b", "url": b.url}
        )
        first = publish(world, tmp_path, args, "--workers", "4")
        eventually(lambda: len(a.seen) >= 4, first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        finish(publish(world, tmp_path, args, "--once"))
        for site in (a, b):
            assert set(site.ids()) == {s.webhook_id for s in site.seen}
            assert len(set(site.ids())) == len(notices)  # every notice arrived
            assert set(site.processed.values()) == {1}
    one_receipt_each(world, {(n, d) for n in notices for d in ("site-a", "site-b")})


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_processes_share_the_work_without_double_delivery(world: Any, tmp_path: Path) -> None:
    _, actor, notices = county_with_notices(world, procurements=10)
    # Both sites hold every answer until both processes demonstrably work at once, whatever
    # order the machine runs them in: the first's workers each wait on a request, holding
    # at most three of the four requests the two sites allow at once, so the second must
    # claim the rest. (A generous timeout: nobody gives up on a held request meanwhile.)
    both_working = threading.Event()
    held = lambda n, msg_id: Answer(block=both_working)  # noqa: E731
    with (
        FakeSite(actor.key.public_key(), script=held) as a,
        FakeSite(actor.key.public_key(), script=held) as b,
    ):
        sites = [
            {"name": name, "url": site.url, "batch": 2, "timeout": "300s"}
            for name, site in (("site-a", a), ("site-b", b))
        ]
        args = files(tmp_path, actor, *sites)
        store = JobStore(world.ledger.db)

        def leasing() -> set[str]:
            """The processes (by pid) that hold a lease on some job right now."""
            return {str(j.worker).split(":")[1] for j in store.jobs(state="leased", limit=1000)}

        runs = [publish(world, tmp_path, args, "--once", "--workers", "3")]
        # The second starts once the first is set up (it says so): the ledger's own
        # start-up (its tables and functions) is not made for two processes creating them
        # at the same moment.
        assert runs[0].stdout is not None
        assert runs[0].stdout.readline().startswith("publishing to")
        runs.append(publish(world, tmp_path, args, "--once", "--workers", "3"))
        try:
            eventually(lambda: leasing() == {str(run.pid) for run in runs}, *runs)
        finally:
            both_working.set()
        for run in runs:
            finish(run)
        for site in (a, b):
            assert sorted(site.ids()) == sorted(set(site.ids()))  # none sent twice
            assert len(site.ids()) == len(notices)
    one_receipt_each(world, {(n, d) for n in notices for d in ("site-a", "site-b")})
    workers = {j.worker for j in store.jobs(limit=1000)}
    pids = {str(w).split(":")[1] for w in workers}
    assert pids == {str(run.pid) for run in runs}  # both processes delivered some
