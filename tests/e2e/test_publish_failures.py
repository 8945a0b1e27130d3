"""Sites that fail: Retry-After, 410 Gone, exhausted retries and requeue, garbage, huge and
slow answers, redirects, and a dead site beside a healthy one."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, sunshine
from prometheus_client import generate_latest
from test_publish_site import Answer, FakeSite, config, county_with_notices, receipts_of

from publisher.metrics import registry_for
from publisher.store import JobStore
from publisher.worker import Publisher


def run(world: Any, cfg: Any, key: Any, workers: int = 2, timeout: float = 60) -> Publisher:
    publisher = Publisher(world.ledger, cfg, key, workers=workers, seed=7)
    publisher.setup()
    publisher.drain(timeout=timeout)
    return publisher


def scripted(*first: Answer) -> Any:
    """Answer these in turn, then 200 for ever."""
    answers = iter(first)
    return lambda n, msg_id: next(answers, Answer())


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured(world: Any, status: int) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    pause = Answer(status, b"busy", headers={"Retry-After": "1"})
    with FakeSite(actor.key.public_key(), script=scripted(pause)) as site:
        run(world, config({"name": "ccgp-hebei", "url": site.url}), actor.key, workers=1)
        first, second = site.seen[0], site.seen[1]
    # The site asked for a second's peace: nothing was sent to it meanwhile.
    assert 0.95 <= second.at - first.at < 3.0
    assert len(receipts_of(world)) == len(notices)


def test_410_disables_the_destination_and_says_why(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=2)
    with FakeSite(actor.key.public_key(), script=scripted(Answer(410, b"moved away"))) as site:
        cfg = config({"name": "ccgp-hebei", "url": site.url})
        publisher = run(world, cfg, actor.key, workers=1)
        assert len(site.seen) == 1  # nothing more after the 410
        (state,) = JobStore(world.ledger.db).destinations()
        assert state.disabled_at is not None
        assert "HTTP 410 Gone: moved away" in str(state.disabled_reason)
        assert "sunshine deliveries --enable ccgp-hebei" in str(state.disabled_reason)
        counts = publisher.store.counts()
        assert counts == {("ccgp-hebei", "pending"): len(notices)}  # held, not lost
        assert receipts_of(world) == []
        # The operator fixed it with the site: enabled again, everything goes out.
        assert publisher.store.enable("ccgp-hebei")
        run(world, cfg, actor.key)
    assert len(receipts_of(world)) == len(notices)


def test_exhausted_retries_dead_letter_then_a_requeue_delivers(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    failing = threading.Event()
    failing.set()

    def script(n: int, msg_id: str) -> Answer:
        return Answer(500, b"internal error\x00\x1b[31m") if failing.is_set() else Answer()

    with FakeSite(actor.key.public_key(), script=script) as site:
        cfg = config(
            {"name": "ccgp-hebei", "url": site.url, "required": True},
            defaults={"max_attempts": 3, "circuit_failures": 100},
        )
        publisher = run(world, cfg, actor.key)
        assert len(site.seen) == 3 * len(notices)
        failures = receipts_of(world, "NoticeDeliveryFailed")
        assert sorted(f["notice"] for f in failures) == notices
        assert {(f["attempts"], f["last_status"]) for f in failures} == {(3, 500)}
        assert {f["last_error"] for f in failures} == {"HTTP 500: internal error [31m"}
        assert all(f["findings"] for f in failures)  # a required site: missing is a finding
        assert set(publisher.store.counts()) == {("ccgp-hebei", "dead")}
        # Requeued after the site is repaired: delivered, and the receipt follows the failure.
        failing.clear()
        assert publisher.store.requeue(destination="ccgp-hebei") == [
            (n, "ccgp-hebei") for n in notices
        ]
        run(world, cfg, actor.key)
    delivered = receipts_of(world)
    assert sorted(d["notice"] for d in delivered) == notices
    assert {d["attempts"] for d in delivered} == {4}
    assert len(receipts_of(world, "NoticeDeliveryFailed")) == len(notices)  # not repeated


def test_garbage_huge_and_broken_answers_do_not_stop_a_worker(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=2)
    answers = (
        Answer(garbage=b"\x00\xffNOT HTTP AT ALL\r\n\r\n\x89PNG" * 100),
        Answer(drop=True),
        Answer(200, b"not json {{{", headers={"Content-Encoding": "gzip"}),
    )
    with (
        FakeSite(actor.key.public_key(), script=scripted(*answers)) as site,
        FakeSite(actor.key.public_key(), script=lambda n, i: Answer(huge=50_000_000)) as huge,
    ):
        cfg = config(
            {"name": "ccgp-hebei", "url": site.url},
            {"name": "big-site", "url": huge.url},
            defaults={"max_response_bytes": 4096},
        )
        started = time.monotonic()
        run(world, cfg, actor.key, workers=1)
        assert time.monotonic() - started < 30  # 50 MB answers were not read
    receipts = receipts_of(world)
    assert len(receipts) == 2 * len(notices)
    # A huge answer: the digest is of what was read, the first 4096 bytes.
    first = (b'{"received": true}' + b"x" * 4096)[:4096]
    digest = base64.b64encode(hashlib.sha256(first).digest()).decode()
    assert {r["response_digest"] for r in receipts if r["destination"] == "big-site"} == {digest}
    # The garbage and the dropped connection were failures, retried.
    assert len(site.seen) == len(notices) + 2


def test_a_redirect_is_not_followed_and_a_slow_site_times_out(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    with FakeSite(actor.key.public_key()) as elsewhere:
        moved = Answer(302, headers={"Location": elsewhere.url})
        slow = Answer(delay=1.5)
        with FakeSite(actor.key.public_key(), script=scripted(moved, slow)) as site:
            cfg = config({"name": "ccgp-hebei", "url": site.url, "timeout": "500ms"})
            publisher = run(world, cfg, actor.key, workers=1)
        assert elsewhere.seen == []
    assert len(receipts_of(world)) == len(notices)
    text = generate_latest(publisher.metrics.registry).decode()
    assert (
        'sunshine_publisher_failures_total{destination="ccgp-hebei",reason="redirect_302"} 1.0'
        in text
    )
    assert (
        'sunshine_publisher_failures_total{destination="ccgp-hebei",reason="timeout"} 1.0' in text
    )


def test_a_dead_site_does_not_delay_a_healthy_one(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=5)
    hung = threading.Event()  # the dead site answers nothing until the test is done
    with (
        FakeSite(actor.key.public_key()) as healthy,
        FakeSite(actor.key.public_key(), script=lambda n, i: Answer(block=hung)) as dead,
    ):
        cfg = config(
            {"name": "healthy", "url": healthy.url},
            {"name": "dead", "url": dead.url, "timeout": "300s"},
        )
        publisher = Publisher(world.ledger, cfg, actor.key, workers=4)
        publisher.setup()
        publisher.start()
        try:
            # Every notice reaches the healthy site while the dead one still hangs: it holds
            # at most max_in_flight (2) of the four workers, however slow the machine is.
            healthy.wait_for(lambda: len(healthy.seen) == len(notices), timeout=120)
            dead.wait_for(lambda: len(dead.seen) >= 1, timeout=120)
            assert len(dead.seen) <= 2
        finally:
            hung.set()
            publisher.stop()


def test_the_circuit_opens_after_consecutive_failures(world: Any) -> None:
    _, actor, _ = county_with_notices(world, procurements=3)
    with FakeSite(actor.key.public_key(), script=lambda n, i: Answer(500)) as site:
        cfg = config(
            {"name": "ccgp-hebei", "url": site.url},
            defaults={"circuit_failures": 3, "circuit_cooldown": "2s", "max_in_flight": 1},
        )
        publisher = Publisher(world.ledger, cfg, actor.key, workers=1)
        publisher.setup()
        publisher.start()
        opened = 'sunshine_publisher_circuit_open{destination="ccgp-hebei"} 1.0'
        try:
            site.wait_for(lambda: len(site.seen) >= 3)
            # The third failure, once recorded, opens the circuit: the metric says so (polled,
            # as a loaded machine may take a while to record it).
            deadline = time.monotonic() + 60
            while opened not in generate_latest(registry_for(publisher.store)).decode():
                assert time.monotonic() < deadline, "the circuit did not open"
                time.sleep(0.05)
            site.wait_for(lambda: len(site.seen) >= 4, timeout=60)
        finally:
            publisher.stop()
    gaps = [b.at - a.at for a, b in zip(site.seen, site.seen[1:], strict=False)]
    assert gaps[2] >= 1.9, gaps  # after the third failure in a row: the cooldown's pause
    assert max(gaps[:2]) < 1.9, gaps  # before it, retries after 50 to 200 ms


def test_metrics_expose_queue_attempts_latency_and_failures(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=1)
    with FakeSite(actor.key.public_key(), script=scripted(Answer(500))) as site:
        publisher = run(world, config({"name": "ccgp-hebei", "url": site.url}), actor.key)
    text = generate_latest(registry_for(publisher.store, publisher.metrics)).decode()
    n = len(notices)
    for line in (
        f'sunshine_publisher_queue_depth{{destination="ccgp-hebei",state="done"}} {n}.0',
        'sunshine_publisher_queue_depth{destination="ccgp-hebei",state="dead"} 0.0',
        f'sunshine_publisher_recorded_attempts_total{{destination="ccgp-hebei"}} {n + 1}.0',
        'sunshine_publisher_recorded_failures_total{destination="ccgp-hebei"} 1.0',
        f'sunshine_publisher_attempts_total{{destination="ccgp-hebei",outcome="success"}} {n}.0',
        'sunshine_publisher_failures_total{destination="ccgp-hebei",reason="http_error_500"} 1.0',
        f'sunshine_publisher_request_seconds_count{{destination="ccgp-hebei"}} {n + 1}.0',
        f'sunshine_publisher_delivery_lag_seconds_count{{destination="ccgp-hebei"}} {n}.0',
        'sunshine_publisher_destination_disabled{destination="ccgp-hebei"} 0.0',
    ):
        assert line in text, line


def test_a_site_down_for_a_while_gets_every_notice_once_it_is_back(world: Any) -> None:
    _, actor, notices = county_with_notices(world, procurements=3)
    port = free_port()  # nothing listens there yet: connections are refused
    cfg = config({"name": "ccgp-hebei", "url": f"http://127.0.0.1:{port}/notices"})
    publisher = Publisher(world.ledger, cfg, actor.key, workers=2)
    publisher.setup()
    publisher.start()
    try:
        deadline = time.monotonic() + 20
        while publisher.store.attempt_totals().get("ccgp-hebei", (0, 0))[1] < 3:
            assert time.monotonic() < deadline, "no failed attempt recorded"
            time.sleep(0.05)
        with FakeSite(actor.key.public_key(), port=port) as site:  # the site is back
            site.wait_for(lambda: len(site.processed) == len(notices))
            deadline = time.monotonic() + 20
            while publisher.store.outstanding(["ccgp-hebei"]):
                assert time.monotonic() < deadline, publisher.store.counts()
                time.sleep(0.05)
    finally:
        publisher.stop()
    assert sorted(s.json["data"]["notice"] for s in site.seen) == notices  # each once
    receipts = receipts_of(world)
    assert sorted(r["notice"] for r in receipts) == notices
    assert any(r["attempts"] > 1 for r in receipts)  # the refused attempts are counted


def test_a_disabled_required_site_still_gets_its_notices_failed_on_time(
    world: Any, tmp_path: Path
) -> None:
    """410 Gone holds a site's notices, but their time still runs: once give_up_after has
    passed, each gets its NoticeDeliveryFailed receipt, with the finding a site the law
    requires raises, instead of waiting unseen for an operator."""
    _, actor, notices = county_with_notices(world, procurements=2)
    with FakeSite(actor.key.public_key(), script=scripted(Answer(410, b"closed"))) as site:
        cfg = config(
            {"name": "ccgp-hebei", "url": site.url, "required": True, "give_up_after": "1s"}
        )
        publisher = run(world, cfg, actor.key, workers=1)  # `publish --once`: 410, disabled
        assert receipts_of(world, "NoticeDeliveryFailed") == []  # held: not failed yet
        time.sleep(1.1)
        run(world, cfg, actor.key, workers=1)  # the next run: their time has run out
        assert len(site.seen) == 1  # only the request that was answered 410
    failures = receipts_of(world, "NoticeDeliveryFailed")
    assert sorted(f["notice"] for f in failures) == notices
    assert sorted(f["attempts"] for f in failures) == [0] * (len(notices) - 1) + [1]
    assert all("destination was disabled" in f["last_error"] for f in failures if not f["attempts"])
    assert all(f["findings"][0]["rule"] == "notice_published_on_website" for f in failures)
    assert set(publisher.store.counts()) == {("ccgp-hebei", "dead")}
    verified = sunshine(
        "verify", "--check-timing", data_dir=tmp_path, db=world.ledger.config.database
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
