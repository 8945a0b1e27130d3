"""SQLite: a group of commands commits its events, their leaves and one checkpoint together,
and each receipt is answered from what that commit appended."""

from __future__ import annotations

import base64
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from conftest import World, hospital_world, make_config

from ledger.application import Ledger, Receipt
from ledger.log.merkle import leaf_hash, verify_inclusion
from ledger.log.note import open_note, parse_checkpoint
from ledger.store.url import DatabaseURL


def registration(world: World, n: int) -> bytes:
    return world.admin.body(
        "RegisterOrganisation",
        {"code": f"commit-{n:03}", "name": f"澄溪县第{n}中学", "kind": "purchaser",
         "region": "澄溪县"},
    )


def stored(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(str(path)) as conn:
        return list(conn.execute(sql).fetchall())


def test_receipts_from_the_commit_verify_against_stored_checkpoints(
    sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    url = sqlite_url
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        bodies = [registration(world, n) for n in range(40)]
        with ThreadPoolExecutor(8) as pool:
            receipts: list[Receipt] = list(pool.map(ledger.submit, bodies))
        verifier = ledger.signer.verifier
    finally:
        ledger.close()

    assert url.path is not None
    rows = stored(url.path, "SELECT idx, leaf FROM log_leaves")
    leaves = {int(i): bytes(leaf) for i, leaf in rows}
    notes = {str(n) for (n,) in stored(url.path, "SELECT note FROM log_checkpoints")}
    for receipt in receipts:
        assert receipt.as_json()["status"] == "integrated"
        assert receipt.checkpoint in notes  # the checkpoint committed with the command
        signed = parse_checkpoint(open_note(receipt.checkpoint, [verifier]))
        assert signed.size == receipt.size
        (event,) = receipt.events
        (proof,) = receipt.proofs
        index = event["leaf_index"]
        assert proof["index"] == index < signed.size
        # The leaf the receipt names is the leaf stored at its index, and it is this event's.
        assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(leaves[index])
        assert f'"stream":"{event["stream"]}"' in leaves[index].decode()
        verify_inclusion(base64.b64decode(proof["leaf_hash"]), index, signed.size,
                         [base64.b64decode(p) for p in proof["proof"]], signed.root)
    # Every command got its own leaf, densely.
    indices = sorted(r.events[0]["leaf_index"] for r in receipts)
    assert len(set(indices)) == len(receipts)
    assert sorted(leaves) == list(range(len(leaves)))


def test_a_command_is_stored_when_its_leaves_cannot_be(
    sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    """A stored tree that no longer gives the signed root: the log refuses to sign over it,
    yet the command is stored (its receipt says pending), as when integration followed the
    commit; once the tree is repaired the next command's commit gives both their leaves."""
    url = sqlite_url
    ledger = Ledger(make_config(url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        size = ledger.reader.size()
    finally:
        ledger.close()
    assert url.path is not None
    with sqlite3.connect(str(url.path), isolation_level=None) as conn:
        conn.execute("DROP TRIGGER log_nodes_no_update")
        (digest,) = conn.execute(
            "SELECT hash FROM log_nodes WHERE level = 0 AND idx = ?", (size - 1,)
        ).fetchone()
        conn.execute("UPDATE log_nodes SET hash = ? WHERE level = 0 AND idx = ?",
                     (bytes([digest[0] ^ 1]) + digest[1:], size - 1))

    ledger = Ledger(make_config(url, tmp_path, inline_integration=True, leaf_wait_seconds=0.05))
    try:
        world.ledger = ledger
        pending = ledger.submit(registration(world, 1))
        assert pending.as_json()["status"] == "pending"
        assert ledger.registry.organisation("commit-001") is not None
        assert ledger.reader.size() == size

        with sqlite3.connect(str(url.path), isolation_level=None) as conn:
            conn.execute("DROP TRIGGER log_nodes_no_update")  # the restart made it again
            conn.execute("UPDATE log_nodes SET hash = ? WHERE level = 0 AND idx = ?",
                         (digest, size - 1))
        after = ledger.submit(registration(world, 2))
        assert after.as_json()["status"] == "integrated"
        assert [e["leaf_index"] for e in after.events] == [size + 1]
        assert after.size == size + 2
        assert '"commit-001"' in ledger.reader.entry(size).decode()
    finally:
        ledger.close()
