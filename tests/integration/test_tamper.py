"""Tamper tests: an operator with write access to the database changes history behind
the ledger's back, and `sunshine verify` must notice and name the entry (or the broken
consistency with an older checkpoint).

Each test builds the same small ledger on SQLite and on PostgreSQL, keeps a signed
checkpoint the way an outside observer would, then edits the tables directly after
dropping or disabling the append-only triggers, as a malicious operator with the
database owner's rights can.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest
import rfc8785
from conftest import World, _url, start_server, sunshine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.log.merkle import (
    ProofError,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from ledger.store.url import DatabaseURL

LOG_TABLES = ("log_leaves", "log_nodes", "log_checkpoints")
EXTRA_COMMANDS = 2  # commands added after the older checkpoint was saved


# -- direct database access, as the operator ---------------------------------------------


class Raw:
    """One connection to the ledger's database, outside the application."""

    def __init__(self, url: DatabaseURL):
        self.url = url
        self.pg = not url.is_sqlite
        self.events = "ledger_events" if self.pg else "stored_events"
        self.nid = "notification_id" if self.pg else "rowid"
        if self.pg:
            self.conn: Any = psycopg.connect(url.conninfo(), autocommit=True)
        else:
            self.conn = sqlite3.connect(str(url.path), isolation_level=None)

    def close(self) -> None:
        self.conn.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.pg:
            sql = sql.replace("?", "%s")
        cur = self.conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    def drop_append_only(self) -> None:
        """What a malicious operator does first: switch the database's guard off."""
        for table in (self.events, "ledger_nonces", *LOG_TABLES):
            if self.pg:
                self.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                self.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            else:
                self.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                self.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")

    # -- reading ---------------------------------------------------------------------

    def leaf_index(self, notification_id: int) -> int:
        rows = self.execute("SELECT idx FROM log_leaves WHERE notification_id = ?",
                            (notification_id,))
        assert len(rows) == 1, f"notification {notification_id} has {len(rows)} leaves"
        return int(rows[0][0])

    def notification_id(self, index: int) -> int:
        (row,) = self.execute("SELECT notification_id FROM log_leaves WHERE idx = ?", (index,))
        return int(row[0])

    def size(self) -> int:
        (row,) = self.execute("SELECT COUNT(*), MAX(idx) FROM log_leaves")
        assert row[0] == row[1] + 1, "leaf indices are not dense before tampering"
        return int(row[0])

    def event(self, notification_id: int) -> tuple[Any, int, str, bytes]:
        (row,) = self.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.nid} = ?",
            (notification_id,),
        )
        return row[0], int(row[1]), str(row[2]), bytes(row[3])

    def event_ids(self) -> list[int]:
        rows = self.execute(f"SELECT {self.nid} FROM {self.events} ORDER BY {self.nid}")
        return [int(r[0]) for r in rows]

    # -- writing, triggers off ---------------------------------------------------------

    def set_event(self, notification_id: int, originator_id: Any, version: int, topic: str,
                  state: bytes) -> None:
        self.execute(
            f"UPDATE {self.events} SET originator_id = ?, originator_version = ?, topic = ?, "
            f"state = ? WHERE {self.nid} = ?",
            (originator_id, version, topic, state, notification_id),
        )

    def set_state(self, notification_id: int, state: bytes) -> None:
        self.execute(f"UPDATE {self.events} SET state = ? WHERE {self.nid} = ?",
                     (state, notification_id))

    def delete_events(self, notification_ids: list[int]) -> None:
        for nid in notification_ids:
            self.execute(f"DELETE FROM {self.events} WHERE {self.nid} = ?", (nid,))

    def flip_node(self, level: int, index: int) -> None:
        """One bit of one stored subtree hash, as a disk or an operator's UPDATE might."""
        (row,) = self.execute("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?",
                              (level, index))
        digest = bytes(row[0])
        self.execute("UPDATE log_nodes SET hash = ? WHERE level = ? AND idx = ?",
                     (bytes([digest[0] ^ 1]) + digest[1:], level, index))

    def truncate_log(self, new_size: int) -> None:
        """Cut the log back to `new_size` leaves, consistently: leaves, the subtree
        hashes that cover any removed leaf, and every checkpoint past the new size."""
        self.execute("DELETE FROM log_leaves WHERE idx >= ?", (new_size,))
        nodes = self.execute("SELECT level, idx FROM log_nodes")
        for level, idx in nodes:
            if (int(idx) + 1) << int(level) > new_size:
                self.execute("DELETE FROM log_nodes WHERE level = ? AND idx = ?", (level, idx))
        self.execute("DELETE FROM log_checkpoints WHERE size > ?", (new_size,))


@contextmanager
def raw(url: DatabaseURL) -> Iterator[Raw]:
    conn = Raw(url)
    try:
        yield conn
    finally:
        conn.close()


# -- the ledger under attack -----------------------------------------------------------------


@dataclass
class Built:
    url: DatabaseURL
    data_dir: Path
    older: Path  # a checkpoint saved by an outside observer before the last commands
    older_size: int
    amended: dict[int, str]  # leaf index -> the organisation name an amendment set there

    def verify(self, *args: str) -> Any:
        return sunshine("verify", "--db", _url(self.url), *args, data_dir=self.data_dir,
                        db=self.url, timeout=120)


def latest_checkpoint(world: World) -> str:
    with world.ledger.db.read() as cur:
        row = cur.execute("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def amend(world: World, code: str, name: str, amended: dict[int, str]) -> None:
    """One command, one event: the purchaser renames its own organisation."""
    receipt = world.submit(world.actors["rmyy-op"], "AmendOrganisation",
                           {"code": code, "name": name})
    (event,) = receipt.events
    amended[event["leaf_index"]] = name


@pytest.fixture
def built(world: World, db_url: DatabaseURL, tmp_path: Path) -> Built:
    amended: dict[int, str] = {}
    for n in range(10):
        receipt = world.submit(world.admin, "RegisterOrganisation", {
            "code": f"gys{n:02d}", "name": f"澄溪县第{n}供应商有限公司", "kind": "supplier",
            "region": "澄溪县",
        })
        assert receipt.checkpoint is not None
        amend(world, "rmyy", f"澄溪县人民医院第{n}分院", amended)
    older = tmp_path / "older.txt"
    note = latest_checkpoint(world)
    older.write_text(note, encoding="utf-8")
    older_size = int(note.split("\n")[1])
    for n in range(EXTRA_COMMANDS):
        amend(world, "rmyy", f"澄溪县人民医院新院区{n}", amended)
    world.ledger.close()
    assert (tmp_path / "log-key.pem").exists()
    return Built(db_url, tmp_path, older, older_size, amended)


def failed(result: Any) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"verify passed on a tampered ledger:\n{output}"
    return str(output)


def test_honest_ledger_verifies(built: Built) -> None:
    result = built.verify()
    assert result.returncode == 0, result.stdout + result.stderr
    with raw(built.url) as db:
        size = db.size()
    assert size == built.older_size + EXTRA_COMMANDS
    assert f"OK: {size} entries" in result.stdout

    result = built.verify("--checkpoint", str(built.older))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"consistent with the older checkpoint of size {built.older_size}" in result.stdout


def test_changed_event_bytes_are_named(built: Built) -> None:
    # An amendment in the middle of the log: the operator rewrites the name it set.
    index = sorted(built.amended)[len(built.amended) // 2]
    name = built.amended[index]
    with raw(built.url) as db:
        nid = db.notification_id(index)
        assert db.leaf_index(nid) == index
        _, _, _, state = db.event(nid)
        assert name.encode() in state
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            db.set_state(nid, state.replace(name.encode(), "澄溪县莆田系医院".encode()))
        db.drop_append_only()
        db.set_state(nid, state.replace(name.encode(), "澄溪县莆田系医院".encode()))

    output = failed(built.verify())
    assert f"entry {index}:" in output
    assert "differs from the leaf" in output


def test_deleted_tail_breaks_consistency_with_older_checkpoint(built: Built) -> None:
    with raw(built.url) as db:
        size = db.size()
        gone = [db.notification_id(i) for i in range(size - 3, size)]
        db.drop_append_only()
        db.delete_events(gone)
        db.truncate_log(size - 3)
        assert db.size() == size - 3
    assert size - 3 < built.older_size  # the observer saw the deleted events

    # The operator covered the tracks: on its own the shortened log is self-consistent.
    result = built.verify()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {size - 3} entries" in result.stdout

    output = failed(built.verify("--checkpoint", str(built.older)))
    assert "truncated" in output
    assert f"older checkpoint has size {built.older_size}" in output


def test_tail_rewritten_in_another_order_breaks_consistency(built: Built) -> None:
    """The operator takes the last three events out and puts them back in reverse order,
    then lets the integrator re-sign the log with its key. Every leaf, signature and
    checkpoint is then in order on its own; only the observer's older checkpoint shows
    that its first entries no longer hash to the root it saw."""
    from ledger.application import Ledger, LedgerConfig

    with raw(built.url) as db:
        size = db.size()
        gone = [db.notification_id(i) for i in range(size - 3, size)]
        rows = [db.event(nid) for nid in gone]
        db.drop_append_only()
        db.delete_events(gone)
        db.truncate_log(size - 3)
        for originator_id, version, topic, state in reversed(rows):
            db.execute(
                f"INSERT INTO {db.events} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (originator_id, version, topic, state),
            )
    ledger = Ledger(LedgerConfig(database=built.url, data_dir=built.data_dir))
    try:
        assert ledger.integrator.integrate() == size
    finally:
        ledger.close()

    result = built.verify()
    assert result.returncode == 0, result.stdout + result.stderr

    output = failed(built.verify("--checkpoint", str(built.older)))
    assert f"entry {built.older_size - 1}:" in output
    assert "consistency broken" in output


def test_deleted_events_under_their_leaves_are_named(built: Built) -> None:
    with raw(built.url) as db:
        size = db.size()
        gone = [db.notification_id(i) for i in range(size - 3, size)]
        first = db.leaf_index(gone[0])
        assert first == size - 3
        db.drop_append_only()
        db.delete_events(gone)

    output = failed(built.verify())
    assert f"entry {first}:" in output
    assert f"notification {gone[0]}" in output
    assert "missing from the event store" in output


def test_swapped_events_are_named_at_the_first(built: Built) -> None:
    # A supplier's registration and a later amendment of another organisation trade
    # places: every column but the notification id moves.
    with raw(built.url) as db:
        size = db.size()
        first_index, second_index = size // 2 - 3, size // 2 + 2
        a, b = db.notification_id(first_index), db.notification_id(second_index)
        row_a, row_b = db.event(a), db.event(b)
        assert row_a[0] != row_b[0], "pick events of two different streams"
        db.drop_append_only()
        placeholder = uuid4() if db.pg else uuid4().hex
        db.set_event(a, placeholder, row_a[1], row_a[2], row_a[3])  # keys stay unique
        db.set_event(b, *row_a)
        db.set_event(a, *row_b)
        assert db.event(a) == row_b and db.event(b) == row_a

    output = failed(built.verify())
    assert f"entry {min(first_index, second_index)}:" in output
    assert "changed or reordered" in output


def test_swapped_state_and_topic_only_are_named(built: Built) -> None:
    with raw(built.url) as db:
        size = db.size()
        first_index, second_index = size - 6, size - 4
        a, b = db.notification_id(first_index), db.notification_id(second_index)
        ida, va, topic_a, state_a = db.event(a)
        idb, vb, topic_b, state_b = db.event(b)
        db.drop_append_only()
        db.set_event(a, ida, va, topic_b, state_b)
        db.set_event(b, idb, vb, topic_a, state_a)

    output = failed(built.verify())
    assert f"entry {first_index}:" in output


def test_changed_leaf_bytes_are_named(built: Built) -> None:
    index = sorted(built.amended)[1]
    name = built.amended[index]
    with raw(built.url) as db:
        (row,) = db.execute("SELECT leaf FROM log_leaves WHERE idx = ?", (index,))
        leaf = bytes(row[0])
        assert name.encode() in leaf
        db.drop_append_only()
        db.execute("UPDATE log_leaves SET leaf = ? WHERE idx = ?",
                   (leaf.replace(name.encode(), "某某医院".encode()), index))

    output = failed(built.verify())
    assert f"entry {index}:" in output


def test_changed_leaf_and_event_together_break_the_root(built: Built) -> None:
    """The operator edits the unsigned `data` of an event and its leaf to match, so the
    actor's signature over the command still verifies: the verifier re-derives registry
    data from the signed command and names the entry (the root would not match either)."""
    index = sorted(built.amended)[2]
    name = built.amended[index]
    with raw(built.url) as db:
        nid = db.notification_id(index)
        _, _, _, state_bytes = db.event(nid)
        state = json.loads(state_bytes)
        data = state["data"]
        assert name in data
        state["data"] = data.replace(name, "某某医院")
        (row,) = db.execute("SELECT leaf FROM log_leaves WHERE idx = ?", (index,))
        leaf = bytes(row[0])
        old_part, new_part = f'"data":{data}'.encode(), f'"data":{state["data"]}'.encode()
        assert leaf.count(old_part) == 1
        db.drop_append_only()
        db.set_state(nid, json.dumps(state, ensure_ascii=False,
                                     separators=(",", ":")).encode())
        db.execute("UPDATE log_leaves SET leaf = ? WHERE idx = ?",
                   (leaf.replace(old_part, new_part), index))

    output = failed(built.verify())
    assert f"entry {index}: OrganisationAmended data differs from the signed command" in output


def test_key_registration_rewritten_with_the_operators_key_is_named(built: Built) -> None:
    """The operator swaps the public key in the unsigned `data` of the purchaser's key
    registration for a key of its own, re-signs every command of that actor with it,
    and rebuilds the log with the log key. Every leaf, actor signature and checkpoint
    then checks out on its own, unless the verifier holds each registration's data to
    the signed command it came from."""
    from ledger.application import Ledger, LedgerConfig

    forger = Ed25519PrivateKey.generate()
    forged_kid, forged_pub = signing.key_id(forger), signing.public_b64(forger)
    with raw(built.url) as db:
        registration = None
        rewritten = 0
        db.drop_append_only()
        for nid in db.event_ids():
            _, _, topic, state_bytes = db.event(nid)
            state = json.loads(state_bytes)
            data = json.loads(state["data"])
            if topic.endswith("Key.Registered") and data["actor"] == "rmyy-op":
                registration = db.leaf_index(nid)
                data |= {"key_id": forged_kid, "public_key": forged_pub}
            elif state["actor"] == "rmyy-op":
                command = json.loads(state["command"])
                command["key"] = forged_kid
                command["payload"]["name"] = data["name"] = "澄溪县莆田系医院"
                state["command"] = rfc8785.dumps(command).decode()
                state["signature"] = base64.b64encode(
                    forger.sign(rfc8785.dumps(command))).decode()
                state["key"] = forged_kid
                rewritten += 1
            else:
                continue
            state["data"] = rfc8785.dumps(data).decode()
            db.set_state(nid, json.dumps(state, ensure_ascii=False,
                                         separators=(",", ":")).encode())
        assert registration is not None and rewritten == len(built.amended)
        for table in LOG_TABLES:
            db.execute(f"DELETE FROM {table}")
    ledger = Ledger(LedgerConfig(database=built.url, data_dir=built.data_dir))
    try:
        ledger.integrator.integrate()
    finally:
        ledger.close()

    output = failed(built.verify())
    assert f"entry {registration}:" in output


def test_event_hidden_before_the_log_is_named(built: Built) -> None:
    """An event slipped into the event store under a notification id before the first
    leaf's: the integrator, which follows ids upwards, never gives it a leaf, yet the
    ledger's records are read from the event store. A gap inside the log is damage."""
    with raw(built.url) as db:
        first = db.notification_id(0)
        _, _, topic, state = db.event(db.notification_id(5))
        forged = uuid4() if db.pg else uuid4().hex
        db.execute(
            f"INSERT INTO {db.events} (originator_id, originator_version, topic, state, "
            f"{'notification_id' if db.pg else 'rowid'}) VALUES (?, 1, ?, ?, ?)",
            (forged, topic, state, first - 1),
        )

    output = failed(built.verify())
    assert (f"entry 0: the event store holds an event (notification {first - 1}) stored "
            "before this entry's event that has no leaf: the log skipped it") in output


# -- a stored tree node changed: the leaves are intact, the proofs made from it are not -----


def signed_root(checkpoint: str) -> tuple[int, bytes]:
    _, size, root = checkpoint.split("\n")[:3]
    return int(size), base64.b64decode(root)


def test_changed_tree_node_is_named_and_its_proofs_are_refused(built: Built) -> None:
    """Node (level 1, index 2) hashes entries 4 and 5; it sits inside the tree, so the
    checkpoint's root, every leaf and every signature still check out. Proofs of entries 6
    and 7 carry it as a sibling and would not verify for anyone who asked."""
    with raw(built.url) as db:
        size = db.size()
        assert size > 16  # the node lies under the first perfect subtree, off the frontier
        db.drop_append_only()
        db.flip_node(1, 2)

    output = failed(built.verify())
    assert ("stored tree node (level 1, index 2) differs from the hash of entries 4–5 "
            "recomputed from the leaves") in output

    server = start_server(built.url, built.data_dir)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            size, root = signed_root(client.get("/log/checkpoint").text)
            assert size == built.older_size + EXTRA_COMMANDS

            damaged = client.get("/log/proof/inclusion", params={"index": 6, "size": size})
            assert damaged.status_code == 503, damaged.text
            assert damaged.json()["code"] == "log_damaged"
            assert "node (level 1, index 2)" in damaged.json()["message"]
            # Also at an older size, and for a consistency proof and a proof bundle.
            for path, params in (("/log/proof/inclusion", {"index": 7, "size": 9}),
                                 ("/log/proof/consistency", {"old": 6, "size": size}),
                                 ("/log/bundle/6", None)):
                refused = client.get(path, params=params)
                assert refused.status_code == 503, (path, refused.text)
                assert refused.json()["code"] == "log_damaged"

            # A proof that does not pass through the node is still served, and verifies.
            fine = client.get("/log/proof/inclusion", params={"index": 4, "size": size}).json()
            verify_inclusion(base64.b64decode(fine["leaf_hash"]), 4, size,
                             [base64.b64decode(p) for p in fine["proof"]], root)

            health = client.get("/log/health")
            assert health.status_code == 503
            report = health.json()
            assert report["status"] == "damaged" and report["code"] == "log_damaged"
            assert report["damage"]["node"] == {"level": 1, "index": 2}
            assert report["refused_proofs"] == 4
            assert "node (level 1, index 2)" in report["message"]
    finally:
        server.stop()


def test_changed_frontier_node_shows_in_health_before_any_proof(built: Built) -> None:
    """The last entry's own node is on the tree's right edge, which gives the signed root:
    the health check reads that edge, so it names the node before anyone asks for a proof."""
    with raw(built.url) as db:
        size = db.size()
        db.drop_append_only()
        db.flip_node(0, size - 1)

    server = start_server(built.url, built.data_dir)
    try:
        health = httpx.get(server.url + "/log/health", timeout=30)
        assert health.status_code == 503
        assert health.json()["damage"]["node"] == {"level": 0, "index": size - 1}
        assert health.json()["refused_proofs"] == 0
        old = httpx.get(server.url + "/log/proof/consistency",
                        params={"old": built.older_size, "size": size}, timeout=30)
        assert old.status_code == 503 and old.json()["code"] == "log_damaged"
    finally:
        server.stop()

    output = failed(built.verify())
    assert f"stored tree node (level 0, index {size - 1}) differs from the hash of entry " \
           f"{size - 1}" in output


def test_honest_tree_is_healthy_and_its_proofs_verify(built: Built) -> None:
    server = start_server(built.url, built.data_dir)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            size, root = signed_root(client.get("/log/checkpoint").text)
            health = client.get("/log/health")
            assert health.status_code == 200
            assert health.json() == {"status": "ok", "size": size, "refused_proofs": 0}
            for old in range(1, size + 1):
                # The last entry's proof at each size gives that size's root, and the
                # consistency proof from there must lead to the signed root.
                body = client.get("/log/proof/inclusion",
                                  params={"index": old - 1, "size": old}).json()
                old_root = root_from_inclusion(base64.b64decode(body["leaf_hash"]), old - 1, old,
                                               [base64.b64decode(p) for p in body["proof"]])
                proof = client.get("/log/proof/consistency",
                                   params={"old": old, "size": size}).json()["proof"]
                try:
                    verify_consistency(old, size, [base64.b64decode(p) for p in proof],
                                       old_root, root)
                except ProofError as problem:
                    raise AssertionError(f"size {old}: {problem}") from None
    finally:
        server.stop()
    result = built.verify()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stored tree nodes match the ones the leaves give" in result.stdout

