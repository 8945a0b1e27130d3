"""A sealed value is stored in the same transaction as its command's events: a refused
command leaves nothing at all in the sealed store, an accepted one leaves its values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Actor, World

from ledger import signing
from ledger.domain.errors import Conflict, LedgerError, ReplayedNonce
from ledger.domain.sealed import Disclosure

TENDER = {
    "requirement": "彩超一台", "qualifications": "无", "contact": "王",
    "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30", "place": "开标室",
}  # fmt: skip


def _kept(world: World) -> set[str]:
    """The sealed values kept besides the bid box's envelopes (which ``_envelopes`` counts)."""
    with world.ledger.db.read() as cur:
        rows = cur.execute(
            "SELECT commitment FROM sealed_values WHERE commitment NOT IN "
            "(SELECT commitment FROM bid_box)"
        ).fetchall()
    return {str(r[0]) for r in rows}


def _envelopes(world: World) -> int:
    with world.ledger.db.read() as cur:
        row = cur.execute(
            "SELECT count(*) FROM bid_box JOIN sealed_values USING (commitment)"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _announced(world: World, *codes: str) -> None:
    world.register_bid_box()
    purchaser = world.actors["rmyy-op"]
    for code in codes:
        world.submit(purchaser, "FilePlan", {
            "title": "彩超采购", "category": "goods", "method": "open_tender",
            "budget": "100000.00", "date": "2026-03-02"}, code)  # fmt: skip
        world.submit(purchaser, "AnnounceTender", {"date": "2026-03-03", **TENDER}, code)


def _bid(
    supplier: Actor, code: str, price: str, nonce: str | None = None
) -> tuple[bytes, str, Disclosure]:
    """A signed SubmitBid with its sealed price (and, if given, a chosen nonce)."""
    sealed: dict[str, Disclosure] = {}
    payload = {"date": "2026-03-04", "price": signing.sealed_value(price, sealed)}
    command = supplier.command("SubmitBid", payload, procurement=code)
    if nonce is not None:
        command["nonce"] = nonce
    body = json.dumps(signing.sign(command, supplier.key, sealed), ensure_ascii=False).encode()
    ((commitment, disclosure),) = sealed.items()
    return body, commitment, disclosure


def _nonce(body: bytes) -> str:
    nonce: str = json.loads(body)["command"]["nonce"]
    return nonce


def test_an_accepted_command_keeps_its_sealed_values(world: World) -> None:
    _announced(world, "p1")
    body, commitment, disclosure = _bid(world.actors["kangtai-op"], "p1", "99000.00")
    world.ledger.submit(body)
    assert _kept(world) == {commitment} and _envelopes(world) == 1
    assert world.ledger.sealed.get(commitment) == disclosure


def test_a_replayed_nonce_with_a_new_sealed_value_keeps_nothing(world: World) -> None:
    _announced(world, "p1", "p2")
    supplier = world.actors["kangtai-op"]
    first, kept, _ = _bid(supplier, "p1", "99000.00")
    world.ledger.submit(first)
    # The same nonce on a command the domain would accept (a first bid on p2): the insert
    # refuses the nonce, and the new price must not have been kept either.
    replay, new, _ = _bid(supplier, "p2", "88000.00", nonce=_nonce(first))
    with pytest.raises(ReplayedNonce):
        world.ledger.submit(replay)
    assert _kept(world) == {kept}
    assert world.ledger.sealed.get(new) is None


def test_a_command_refused_by_a_domain_rule_keeps_nothing(world: World) -> None:
    _announced(world, "p1")
    supplier = world.actors["kangtai-op"]
    first, kept, _ = _bid(supplier, "p1", "99000.00")
    world.ledger.submit(first)
    second, _, _ = _bid(supplier, "p1", "98000.00")
    with pytest.raises(Conflict):  # a second bid
        world.ledger.submit(second)
    assert _kept(world) == {kept}


def test_a_command_refused_at_insert_keeps_nothing(world: World) -> None:
    """Two bids of one supplier decided together on the same state: both pass the domain,
    the insert of the second conflicts (group commit retries each alone), and deciding it
    again refuses it as a second bid. Only the stored bid's price is kept."""
    _announced(world, "p1", "p2")
    supplier = world.actors["kangtai-op"]
    one, first, _ = _bid(supplier, "p1", "99000.00")
    two, second, _ = _bid(supplier, "p1", "98000.00")
    other, third, _ = _bid(supplier, "p2", "77000.00")
    outcomes: list[Any] = world.ledger.submit_many([one, two, other])
    assert not isinstance(outcomes[0], LedgerError)
    assert isinstance(outcomes[1], Conflict)
    assert not isinstance(outcomes[2], LedgerError)  # batched with them, stored with its value
    assert _kept(world) == {first, third}
    assert world.ledger.sealed.get(second) is None
    assert _envelopes(world) == 2  # each stored bid's envelope, kept with its price
