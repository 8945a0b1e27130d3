"""The one check of signed requests that record nothing: used once across processes, fresh
for minutes, refused requests spend nothing, and spent nonces are deleted once stale."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import World, make_config

from ledger.application import Ledger
from ledger.domain.errors import Forbidden, Invalid, LedgerError, ReplayedNonce
from ledger.signed_requests import SignedRequest, SignedRequests


def _nonces(world: World) -> list[tuple[str, str]]:
    with world.ledger.db.read() as cur:
        rows = cur.execute("SELECT actor, nonce FROM request_nonces ORDER BY nonce").fetchall()
    return [(str(a), str(n)) for a, n in rows]


def test_a_request_is_used_once_by_every_process(world: World, tmp_path: Path) -> None:
    admin = world.admin
    body = admin.body("ListDeliveries", {})
    other = Ledger(make_config(world.ledger.config.database, tmp_path / "other",
                               log_key_path=tmp_path / "log-key.pem"))  # fmt: skip
    try:
        assert other.requests.accept(body, "ListDeliveries").command.actor == admin.code
        for ledger in (world.ledger, other):
            with pytest.raises(ReplayedNonce, match="sign each request afresh"):
                ledger.requests.accept(body, "ListDeliveries")
    finally:
        other.close()


def test_a_refused_request_spends_nothing(world: World) -> None:
    body = world.admin.body("ListDeliveries", {})

    def refuse(_: SignedRequest) -> None:
        raise Forbidden("rule test.refused: not now")

    with pytest.raises(Forbidden):
        world.ledger.requests.accept(body, "ListDeliveries", refuse)
    assert _nonces(world) == []
    world.ledger.requests.accept(body, "ListDeliveries")  # the same request, now allowed
    assert len(_nonces(world)) == 1


def test_what_a_request_must_be(world: World) -> None:
    admin, requests = world.admin, world.ledger.requests
    with pytest.raises(Invalid, match="must be a signed ListDeliveries"):
        requests.accept(admin.body("RequeueDelivery", {}), "ListDeliveries")
    with pytest.raises(Invalid, match="procurement null"):
        requests.accept(admin.body("ListDeliveries", {}, procurement="p1"), "ListDeliveries")
    stale = datetime.now(UTC) - timedelta(minutes=6)
    with pytest.raises(LedgerError) as refused:
        requests.accept(admin.body("ListDeliveries", {}, issued_at=stale), "ListDeliveries")
    assert refused.value.code == "not_fresh"
    assert _nonces(world) == []


def test_spent_nonces_are_deleted_once_no_request_could_use_them(world: World) -> None:
    admin, ledger = world.admin, world.ledger
    now = datetime.now(UTC)
    ledger.requests.accept(admin.body("ListDeliveries", {}), "ListDeliveries")
    assert len(_nonces(world)) == 1
    # Eleven minutes on (five of freshness, five of clock skew, and a second): the first
    # nonce can no longer be replayed, so the next spend deletes it.
    later = now + timedelta(minutes=11)
    requests = SignedRequests(ledger.db, ledger.registry, ledger.config.max_clock_skew,
                              clock=lambda: later)  # fmt: skip
    body = admin.body("ListDeliveries", {}, issued_at=later)
    requests.accept(body, "ListDeliveries")
    assert _nonces(world) == [(admin.code, _nonce(body))]


def _nonce(body: bytes) -> str:
    nonce: str = json.loads(body)["command"]["nonce"]
    return nonce
