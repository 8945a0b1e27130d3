"""The admin API over real HTTP: signed requests of the finance office or the publishing
service list and requeue delivery jobs; anyone else is refused; /metrics is Prometheus text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import ROOT, Server, free_port, start_server
from test_publish_site import Answer, FakeSite, config, county_with_notices

from publisher.worker import Publisher

#: The operator's token for GET /metrics (a file only its owner reads).
METRICS_TOKEN = "3f6c1d0e9b2a4c8d7e5f60718293a4b5c6d7e8f90a1b2c3d"


def token_file(directory: Path, token: str = METRICS_TOKEN, mode: int = 0o600) -> Path:
    path = directory / "metrics-token"
    path.write_text(token + "\n", encoding="ascii")
    path.chmod(mode)
    return path


@pytest.fixture
def dead_letters(world: Any, tmp_path: Path) -> Iterator[tuple[Any, Any, list[int], Server]]:
    """A county whose notices could not be delivered (dead letters), and the API serving it,
    its metrics behind the operator's token."""
    county, actor, notices = county_with_notices(world, procurements=1)
    with FakeSite(actor.key.public_key(), script=lambda n, i: Answer(503)) as site:
        cfg = config({"name": "ccgp-hebei", "url": site.url}, defaults={"max_attempts": 1})
        publisher = Publisher(world.ledger, cfg, actor.key, workers=1)
        publisher.setup()
        publisher.drain(timeout=30)
    env = {"SUNSHINE_METRICS_TOKEN_FILE": str(token_file(tmp_path))}
    server = start_server(world.ledger.config.database, tmp_path, env=env)
    try:
        yield county, actor, notices, server
    finally:
        server.stop()


BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def post(server: Server, path: str, body: bytes) -> httpx.Response:
    return httpx.post(
        server.url + path, content=body, timeout=10, headers={"content-type": "application/json"}
    )


def test_unsigned_or_unauthorised_requests_are_refused(
    dead_letters: tuple[Any, Any, list[int], Server],
) -> None:
    county, _, _, server = dead_letters
    path = "/publisher/deliveries"
    for body in (b"", b"{}", orjson.dumps({"command": {"type": "ListDeliveries"}})):
        answer = post(server, path, body)
        assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
    forged = orjson.loads(county.finance.body("ListDeliveries", {}))
    forged["command"]["payload"] = {"state": "dead"}  # changed after signing
    answer = post(server, path, orjson.dumps(forged))
    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
    for actor in (county.purchaser, county.suppliers[0], county.inspector):
        answer = post(server, path, actor.body("ListDeliveries", {}))
        assert answer.status_code == 403 and "rule publisher.admin" in answer.json()["message"]
    answer = post(
        server, "/publisher/deliveries/requeue", county.purchaser.body("RequeueDelivery", {})
    )
    assert answer.status_code == 403
    # A request of another kind is not this one.
    answer = post(server, path, county.finance.body("RequeueDelivery", {}))
    assert answer.status_code == 422


def test_the_finance_office_lists_and_requeues(
    dead_letters: tuple[Any, Any, list[int], Server],
) -> None:
    county, actor, notices, server = dead_letters
    answer = post(
        server,
        "/publisher/deliveries",
        county.finance.body("ListDeliveries", {"state": "dead", "limit": 1}),
    )
    assert answer.status_code == 200, answer.text
    listing = answer.json()
    assert listing["counts"] == {"ccgp-hebei": {"dead": len(notices)}}
    (first,) = listing["deliveries"]
    assert (first["notice"], first["state"], first["last_status"]) == (notices[0], "dead", 503)
    assert "lease" not in first
    assert listing["next"] == {"notice": notices[0], "destination": "ccgp-hebei"}
    answer = post(
        server,
        "/publisher/deliveries",
        actor.body(  # the publishing service too
            "ListDeliveries", {"state": "dead", "after": listing["next"]}
        ),
    )
    assert [d["notice"] for d in answer.json()["deliveries"]] == notices[1:]
    bad = post(
        server, "/publisher/deliveries", county.finance.body("ListDeliveries", {"state": "lost"})
    )
    assert bad.status_code == 422 and "payload.state" in bad.json()["message"]
    body = county.finance.body("RequeueDelivery", {"notice": notices[0]})
    answer = post(server, "/publisher/deliveries/requeue", body)
    assert answer.json() == {
        "requeued": [{"notice": notices[0], "destination": "ccgp-hebei"}],
        "count": 1,
    }
    again = post(server, "/publisher/deliveries/requeue", body)  # the same signed request
    assert again.status_code == 409 and again.json()["code"] == "replayed_nonce"
    metrics = httpx.get(server.url + "/metrics", timeout=10, headers=BEARER)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'sunshine_publisher_queue_depth{destination="ccgp-hebei",state="pending"} 1.0' in text
    dead = len(notices) - 1
    assert (
        f'sunshine_publisher_queue_depth{{destination="ccgp-hebei",state="dead"}} {dead}.0' in text
    )
    assert (
        f'sunshine_publisher_recorded_failures_total{{destination="ccgp-hebei"}} {len(notices)}.0'
        in text
    )


def test_metrics_need_the_operators_token(
    dead_letters: tuple[Any, Any, list[int], Server],
) -> None:
    _, _, _, server = dead_letters
    for headers in ({}, {"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "0"},
                    {"Authorization": METRICS_TOKEN}, {"Authorization": "Basic " + METRICS_TOKEN}):
        answer = httpx.get(server.url + "/metrics", timeout=10, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "sunshine_publisher" not in answer.text
    assert httpx.get(server.url + "/metrics", timeout=10, headers=BEARER).status_code == 200


def test_without_a_token_file_the_api_serves_no_metrics(world: Any, tmp_path: Path) -> None:
    county_with_notices(world, procurements=1)
    server = start_server(world.ledger.config.database, tmp_path)
    try:
        for headers in ({}, BEARER):
            answer = httpx.get(server.url + "/metrics", timeout=10, headers=headers)
            assert answer.status_code == 404 and answer.json()["code"] == "not_found"
            assert "sunshine_publisher" not in answer.text
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("token", "mode", "complaint"),
    [
        (METRICS_TOKEN, 0o644, "open to other users"),
        (METRICS_TOKEN, 0o640, "open to other users"),
        ("short", 0o600, "at least 32"),
        ("two words " + METRICS_TOKEN, 0o600, "one word"),
    ],
    ids=["world-readable", "group-readable", "short", "two-words"],
)
def test_a_token_file_others_can_read_or_a_weak_token_stops_the_service(
    sqlite_url: Any, tmp_path: Path, token: str, mode: int, complaint: str
) -> None:
    path = token_file(tmp_path, token, mode)
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(tmp_path), SUNSHINE_DATABASE_URL=str(sqlite_url),
               SUNSHINE_METRICS_TOKEN_FILE=str(path))
    done = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(free_port())],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert complaint in done.stderr and str(path) in done.stderr
