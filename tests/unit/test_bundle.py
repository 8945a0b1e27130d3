"""Proof bundles, pure: a small log built in memory, bundles made for every entry, and each
kind of tampering refused with a message that names what failed."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.bundle import Bundle, BundleError, check_bundle, describe, make_bundle, parse_bundle
from ledger.canonical import canonical
from ledger.log.merkle import CompactRange, NodeId, inclusion_proof, leaf_hash
from ledger.log.note import Checkpoint, sign_note
from ledger.log.signer import LogSigner

ORIGIN = "sunshine.test/log"
TITLE = '澄溪县人民医院 <script>window.__pwned=1</script> & "CT" — ①\n第二行'


def entry(index: int, **data: Any) -> dict[str, Any]:
    return {
        "index": index,
        "stream": "procurement-p1",
        "version": index + 1,
        "type": "TenderAnnounced",
        "recorded_at": "2026-04-10T02:00:00Z",
        "actor": "ggzy-op",
        "key": "0123456789abcdef",
        "command": {"type": "AnnounceTender", "payload": {"n": index}},
        "signature": base64.b64encode(bytes(64)).decode(),
        "data": {"title": f"{TITLE} {index}", "budget": "1850000.00", **data},
    }


class Log:
    """Leaves, the perfect nodes over them, and a signer: what a bundle is made from."""

    def __init__(self, leaves: list[bytes], signer: LogSigner | None = None):
        self.leaves = leaves
        self.signer = signer or LogSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.nodes: dict[NodeId, bytes] = {}
        tree = CompactRange()
        for leaf in leaves:
            self.nodes.update(tree.append(leaf_hash(leaf)))
        self.size, self.root = tree.size, tree.root()
        self.note = self.signer.sign(self.size, self.root)

    def read(self, ids: Any) -> list[bytes]:
        return [self.nodes[i] for i in ids]

    def bundle(self, index: int) -> Bundle:
        proof = inclusion_proof(index, self.size, self.read)
        return make_bundle(
            index, self.leaves[index], self.size, proof, self.note, self.signer.verifier_key
        )


def log_of(size: int) -> Log:
    return Log([canonical(entry(i)) for i in range(size)])


@pytest.fixture(scope="module")
def log() -> Log:
    return log_of(7)  # not a power of two: proofs have right-edge nodes without siblings


def as_json(bundle: Bundle) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(bundle.to_bytes())
    return value


def refused(value: Any, *words: str, pinned: str | None = None) -> str:
    with pytest.raises(BundleError) as caught:
        check_bundle(value, pinned)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize("size", [1, 2, 7, 8, 33])
def test_every_entry_round_trips_through_json(size: int) -> None:
    log = log_of(size)
    for index in range(size):
        raw = log.bundle(index).to_bytes()
        assert parse_bundle(raw) == log.bundle(index)
        checked = check_bundle(raw)
        assert checked.index == index and checked.checkpoint.size == size
        assert checked.entry["data"]["title"] == f"{TITLE} {index}"
        assert checked.leaf_hash == leaf_hash(log.leaves[index]) and not checked.pinned


def test_the_bundle_holds_exactly_the_documented_fields(log: Log) -> None:
    value = as_json(log.bundle(3))
    assert list(value) == ["index", "leaf", "size", "proof", "checkpoint", "log_key"]
    assert base64.b64decode(value["leaf"]) == log.leaves[3]
    assert value["checkpoint"] == log.note and value["log_key"] == log.signer.verifier_key


def test_pinning_the_right_key_passes(log: Log) -> None:
    checked = check_bundle(log.bundle(2).to_bytes(), log.signer.verifier_key)
    assert checked.pinned
    assert "(pinned)" in describe(checked)


def test_a_pinned_wrong_key_is_refused(log: Log) -> None:
    other = LogSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier_key
    refused(log.bundle(2).to_bytes(), "pinned log key", "not signed", pinned=other)


def test_a_bundle_resigned_by_another_key_passes_only_unpinned(log: Log) -> None:
    # An attacker may rewrite the leaf and sign a checkpoint over it with their own key,
    # shipped in the bundle. The proof then checks out: only pinning the log's key stops it.
    forged = [*log.leaves]
    forged[4] = canonical(entry(4, title="伪造的项目名称"))
    fake = Log(forged, LogSigner(ORIGIN, Ed25519PrivateKey.generate()))
    assert check_bundle(fake.bundle(4).to_bytes()).entry["data"]["title"] == "伪造的项目名称"
    refused(fake.bundle(4).to_bytes(), "pinned", pinned=log.signer.verifier_key)


def test_a_tampered_leaf_is_refused(log: Log) -> None:
    value = as_json(log.bundle(5))
    leaf = base64.b64decode(value["leaf"]).replace(b"1850000.00", b"1950000.00")
    value["leaf"] = base64.b64encode(leaf).decode()
    refused(value, "does not hash into the checkpoint's root", "altered")


@pytest.mark.parametrize("how", ["flip", "drop", "add", "swap"])
def test_a_tampered_proof_is_refused(log: Log, how: str) -> None:
    value = as_json(log.bundle(1))
    proof = value["proof"]
    if how == "flip":
        raw = bytearray(base64.b64decode(proof[0]))
        raw[0] ^= 1
        proof[0] = base64.b64encode(raw).decode()
    elif how == "drop":
        proof.pop()
    elif how == "add":
        proof.append(base64.b64encode(bytes(32)).decode())
    else:
        proof[0], proof[1] = proof[1], proof[0]
    refused(value, "does not hash into the checkpoint's root")


def test_a_proof_for_another_index_is_refused(log: Log) -> None:
    value = as_json(log.bundle(1))
    value["index"] = 2  # leaf 1 with its own proof, claimed to be entry 2
    refused(value, "does not hash into")


def test_a_tampered_checkpoint_is_refused(log: Log) -> None:
    value = as_json(log.bundle(0))
    body, _, signature = value["checkpoint"].partition("\n\n")
    origin, size, _root = body.split("\n")
    other_root = base64.b64encode(bytes(32)).decode()
    value["checkpoint"] = f"{origin}\n{size}\n{other_root}\n\n{signature}"
    refused(value, "the checkpoint does not verify", "bundle's log key")


def test_a_checkpoint_of_another_origin_is_refused(log: Log) -> None:
    # Signed by the right key (its name is the log's origin) over another log's body.
    key = Ed25519PrivateKey.generate()
    signer = LogSigner(ORIGIN, key)
    note = sign_note(Checkpoint("other.example/log", log.size, log.root).body(), ORIGIN, key)
    bundle = log.bundle(0)
    forged = make_bundle(0, bundle.leaf, bundle.size, bundle.proof, note, signer.verifier_key)
    refused(forged.to_bytes(), "origin 'other.example/log'")


def test_a_size_other_than_the_checkpoints_is_refused(log: Log) -> None:
    value = as_json(log.bundle(0))
    value["size"] = log.size - 1
    refused(value, "tree of 6 entries", "commits to 7")


def test_an_index_beyond_the_checkpoint_is_refused(log: Log) -> None:
    value = as_json(log.bundle(0))
    value["index"] = log.size
    refused(value, "beyond the checkpoint")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda v: v.pop("proof"), ("lacks proof",)),
        (lambda v: v.update(note="trust me"), ("unknown fields: note",)),
        (lambda v: v.update(index=True), ("index must be",)),
        (lambda v: v.update(size="7"), ("size must be",)),
        (lambda v: v.update(leaf="not base64!"), ("leaf is not valid base64",)),
        (lambda v: v.update(leaf="QR=="), ("leaf is not canonical base64",)),
        (lambda v: v["proof"].__setitem__(0, "AAAA"), ("proof[0] is not a 32-byte hash",)),
        (lambda v: v.update(proof="AAAA"), ("proof must be a list",)),
        (lambda v: v.update(checkpoint=None), ("checkpoint must be a string",)),
        (lambda v: v.update(log_key="nope"), ("bundle's log key is malformed",)),
    ],
)
def test_malformed_bundles_are_refused(log: Log, change: Any, words: tuple[str, ...]) -> None:
    value = as_json(log.bundle(3))
    change(value)
    refused(value, *words)


def test_non_json_is_refused() -> None:
    refused(b"<html>", "not JSON")
    refused(b"[1, 2]", "JSON object")


def test_a_proven_leaf_must_still_be_a_canonical_leaf() -> None:
    # A log that committed to a leaf outside the leaf format: proven, but said so plainly.
    loose = orjson.dumps(entry(0), option=orjson.OPT_INDENT_2)
    refused(Log([loose]).bundle(0).to_bytes(), "not RFC 8785 canonical JSON")
    wrong_index = canonical(entry(5))
    refused(Log([wrong_index]).bundle(0).to_bytes(), "says it is entry 5")
    fields = canonical({"index": 0, "data": {}})
    refused(Log([fields]).bundle(0).to_bytes(), "leaf format's fields")


def test_describe_names_type_stream_and_summarises_the_data(log: Log) -> None:
    text = describe(check_bundle(log.bundle(6)))
    assert "OK: entry 6" in text and f"log {ORIGIN} of 7 entries" in text
    assert "type TenderAnnounced, stream procurement-p1 version 7" in text
    assert "pin it with --log-key" in text
    assert "budget: 1850000.00" in text
    # Newlines are made visible so a text cannot forge further summary lines.
    assert "title: 澄溪县人民医院 <script>" in text and "⏎第二行" in text
