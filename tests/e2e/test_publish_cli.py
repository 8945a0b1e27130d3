"""`sunshine publish` and `sunshine deliveries` as an operator runs them."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Any

import httpx
from conftest import TLS, eventually, free_port, sunshine
from test_publish_crash import files, finish, publish
from test_publish_site import Answer, FakeSite, county_with_notices, receipts_of

from ledger import signing
from publisher.store import JobStore


def run_cli(world: Any, tmp_path: Path, *args: str) -> Any:
    return sunshine(*args, data_dir=tmp_path, db=world.ledger.config.database, timeout=120)


def test_a_malformed_or_unsafe_file_is_refused_at_start_naming_the_line(
    world: Any, tmp_path: Path
) -> None:
    _, actor, _ = county_with_notices(world, procurements=1)
    args = files(tmp_path, actor, {"name": "site", "url": "http://127.0.0.1:9/x"})
    config = tmp_path / "destinations.toml"
    config.write_text(config.read_text().replace("timeout = ", "timeout = = "))
    result = run_cli(world, tmp_path, "publish", "--once", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"sunshine: {config}:7: malformed TOML"), result.stderr
    # A loopback address without allow_private: refused, naming the url's line.
    config.write_text('[[destination]]\nname = "site"\nurl = "http://127.0.0.1:9/x"\n')
    result = run_cli(world, tmp_path, "publish", "--once", *args)
    assert result.returncode == 2
    assert (
        f"{config}:3: [[destination]] site url: host '127.0.0.1' resolves to 127.0.0.1, "
        "a loopback address" in result.stderr
    )
    store = JobStore(world.ledger.db)
    store.create()
    assert store.jobs() == []  # nothing was planned


def test_the_key_must_be_the_publishing_service_s(world: Any, tmp_path: Path) -> None:
    county, actor, _ = county_with_notices(world, procurements=1)
    args = files(tmp_path, actor, {"name": "site", "url": "http://127.0.0.1:9/x"})
    purchaser_key = tmp_path / "purchaser.pem"
    signing.write_key(purchaser_key, county.purchaser.key)
    result = run_cli(world, tmp_path, "publish", "--once", *args[:2], "--key", str(purchaser_key))
    assert result.returncode == 2
    assert "receipts are signed by an actor of role publisher" in result.stderr
    result = run_cli(world, tmp_path, "publish", "--once")
    assert result.returncode == 2 and "--destinations FILE and --key FILE" in result.stderr


def test_deliveries_lists_requeues_and_enables(world: Any, tmp_path: Path) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    broken = [True]

    def script(n: int, msg_id: str) -> Answer:
        return Answer(500, b"database down") if broken[0] else Answer()

    with (
        FakeSite(actor.key.public_key(), script=script) as site,
        FakeSite(actor.key.public_key(), script=lambda n, i: Answer(410)) as gone,
    ):
        args = files(
            tmp_path,
            actor,
            {"name": "ccgp-hebei", "url": site.url, "max_attempts": 2},
            {"name": "old-portal", "url": gone.url},
        )
        finish(publish(world, tmp_path, args, "--once", "--workers", "1"))
        listing = run_cli(world, tmp_path, "deliveries", "--state", "dead")
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        assert lines[1].split() == ["ccgp-hebei", "0", "0", "0", "0", "0", str(len(notices))]
        assert any(
            line.startswith("old-portal: DISABLED since") and "HTTP 410 Gone" in line
            for line in lines
        )
        assert sum(" dead " in line and "HTTP 500: database down" in line for line in lines) == len(
            notices
        )
        broken[0] = False
        requeued = run_cli(
            world, tmp_path, "deliveries", "--requeue", "--destination", "ccgp-hebei"
        )
        assert requeued.stdout.startswith(f"requeued {len(notices)} dead job(s)")
        enabled = run_cli(world, tmp_path, "deliveries", "--enable", "old-portal")
        assert enabled.stdout.startswith("old-portal enabled")
        gone.script = lambda n, i: Answer()
        finish(publish(world, tmp_path, args, "--once"))
    delivered = {(r["notice"], r["destination"]) for r in receipts_of(world)}
    assert delivered == {(n, d) for n in notices for d in ("ccgp-hebei", "old-portal")}
    assert len(receipts_of(world, "NoticeDeliveryFailed")) == len(notices)


def test_a_running_publisher_serves_metrics_and_stops_on_sigterm(
    world: Any, tmp_path: Path
) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    port = free_port()
    with FakeSite(actor.key.public_key()) as site:
        args = files(tmp_path, actor, {"name": "ccgp-hebei", "url": site.url})
        process = publish(world, tmp_path, args, "--metrics-port", str(port))
        eventually(lambda: len(site.seen) == len(notices), process)

        def metrics_when_done() -> str | None:
            with contextlib.suppress(httpx.HTTPError):  # not listening yet
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30, verify=TLS).text
                return text if f'state="done"}} {len(notices)}.0' in text else None
            return None

        text = eventually(metrics_when_done, process)
        process.send_signal(signal.SIGTERM)
        finish(process)
    n = len(notices)
    assert f'sunshine_publisher_queue_depth{{destination="ccgp-hebei",state="done"}} {n}.0' in text
    assert (
        f'sunshine_publisher_attempts_total{{destination="ccgp-hebei",outcome="success"}} {n}.0'
        in text
    )
    assert 'sunshine_publisher_request_seconds_bucket{destination="ccgp-hebei",le="+Inf"}' in text
