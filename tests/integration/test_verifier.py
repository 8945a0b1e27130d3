"""The streaming verifier names the first bad entry and why."""

from __future__ import annotations

import json

import pytest
from conftest import World

from ledger.log.note import open_note, parse_checkpoint
from ledger.verify import VerificationFailed, verify_stream


def leaves_and_checkpoint(world: World) -> tuple[list[tuple[int, bytes]], object]:
    ledger = world.ledger
    size = ledger.reader.size()
    leaves = list(enumerate(ledger.reader.entries(0, size)))
    note = ledger.reader.checkpoint()
    assert note is not None
    return leaves, parse_checkpoint(open_note(note, [ledger.signer.verifier]))


def test_an_honest_log_verifies(world: World) -> None:
    leaves, checkpoint = leaves_and_checkpoint(world)
    report = verify_stream([leaves], checkpoint)  # type: ignore[arg-type]
    assert report.size == len(leaves) == report.signatures


@pytest.mark.parametrize(
    ("rewrite", "why"),
    [
        (lambda obj: json.dumps(obj, ensure_ascii=False).encode(), "not RFC 8785 canonical"),
        (lambda obj: json.dumps(obj, ensure_ascii=True, sort_keys=True,
                                separators=(",", ":")).encode(), "not RFC 8785 canonical"),
        (lambda obj: json.dumps({**obj, "command": {**obj["command"], "nonce": "x" * 20}},
                                ensure_ascii=False, sort_keys=True,
                                separators=(",", ":")).encode(), "signature does not verify"),
    ],
)
def test_a_bad_leaf_is_named(world: World, rewrite: object, why: str) -> None:
    leaves, checkpoint = leaves_and_checkpoint(world)
    index, leaf = leaves[4]
    leaves[4] = (index, rewrite(json.loads(leaf)))  # type: ignore[operator]
    with pytest.raises(VerificationFailed, match=why) as failure:
        verify_stream([leaves], checkpoint)  # type: ignore[arg-type]
    assert failure.value.index == 4


def test_the_first_bad_entry_is_named_even_when_a_later_one_is_worse(world: World) -> None:
    leaves, checkpoint = leaves_and_checkpoint(world)
    forged = json.loads(leaves[4][1])
    forged["command"]["nonce"] = "y" * 20  # entry 4: a signature that does not verify
    leaves[4] = (4, json.dumps(forged, ensure_ascii=False, sort_keys=True,
                               separators=(",", ":")).encode())
    leaves[5] = (5, b"{ not json")  # entry 5: not even JSON
    with pytest.raises(VerificationFailed, match="signature") as failure:
        verify_stream([leaves], checkpoint)  # type: ignore[arg-type]
    assert failure.value.index == 4
