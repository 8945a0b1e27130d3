"""Proof bundles: one log entry with everything needed to check it offline.

A bundle is a JSON object ``{"index", "leaf", "size", "proof", "checkpoint", "log_key"}``:
the exact leaf bytes (base64), the inclusion proof of that leaf in the tree of ``size``
leaves, the signed checkpoint (C2SP signed-note text) that commits to that tree, and the
log's verifier key. Checking it needs no server: the leaf hashes, through the proof, into
the root the checkpoint's signature vouches for.

The key inside the bundle is only a convenience; whoever sent the bundle chose it. A verifier
that pins the log's key (``check_bundle(..., pinned_key=...)``) trusts nothing in the bundle.
What a bundle cannot show is the actor's own signature: the actor's key is an earlier leaf,
so ``sunshine verify --url`` (the whole log) is the check for that.

Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from ledger.canonical import canonical
from ledger.log.merkle import HASH_SIZE, ProofError, leaf_hash, verify_inclusion
from ledger.log.note import (
    Checkpoint,
    NoteError,
    Verifier,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
)
from ledger.verify import LEAF_FIELDS

__all__ = [
    "FIELDS",
    "Bundle",
    "BundleError",
    "CheckedBundle",
    "check_bundle",
    "describe",
    "filename",
    "make_bundle",
    "parse_bundle",
]

FIELDS: Final = ("index", "leaf", "size", "proof", "checkpoint", "log_key")
MAX_PROOF: Final = 64  # a tree of 2**64 leaves: more is never a real proof
SUMMARY_WIDTH: Final = 72


class BundleError(ValueError):
    """A bundle that is malformed or does not verify; the message says what failed."""


@dataclass(frozen=True)
class Bundle:
    index: int
    leaf: bytes
    size: int
    proof: tuple[bytes, ...]
    checkpoint: str
    log_key: str

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf": _b64(self.leaf),
            "size": self.size,
            "proof": [_b64(p) for p in self.proof],
            "checkpoint": self.checkpoint,
            "log_key": self.log_key,
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.as_json(), option=orjson.OPT_INDENT_2) + b"\n"


@dataclass(frozen=True)
class CheckedBundle:
    """A bundle that verified: the entry it proves and what vouches for it."""

    index: int
    entry: dict[str, Any]
    leaf_hash: bytes
    checkpoint: Checkpoint
    verifier: Verifier
    pinned: bool
    note: str = ""  # the checkpoint note as the bundle carries it, cosignatures included


def filename(index: int) -> str:
    return f"sunshine-proof-{index}.json"


def signed_size(note: str, verifier: Verifier) -> int:
    """The tree size a checkpoint note commits to, after checking its signature."""
    return parse_checkpoint(open_note(note, [verifier])).size


def make_bundle(
    index: int, leaf: bytes, size: int, proof: Sequence[bytes], note: str, log_key: str
) -> Bundle:
    """A bundle from what the log serves; ``check_bundle`` must accept what this makes."""
    return Bundle(index, bytes(leaf), size, tuple(bytes(p) for p in proof), note, log_key)


# -- parsing ------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise BundleError(f"{what} is not valid base64") from None
    # One spelling per value: a bundle that re-encodes differently was not made by the log.
    if _b64(raw) != value:
        raise BundleError(f"{what} is not canonical base64")
    return raw


def _count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleError(f"{what} must be a non-negative integer")
    return value


def parse_bundle(raw: bytes | str | Mapping[str, Any]) -> Bundle:
    """A bundle from its JSON (bytes, text or an already decoded object)."""
    if isinstance(raw, bytes | str):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BundleError("the bundle is not JSON") from None
    else:
        value = raw
    if not isinstance(value, Mapping):
        raise BundleError("the bundle must be a JSON object")
    missing = [f for f in FIELDS if f not in value]
    if missing:
        raise BundleError(f"the bundle lacks {', '.join(missing)}")
    # Refuse extras: a field a reader believes was checked must have been checked.
    extra = sorted(set(value) - set(FIELDS))
    if extra:
        raise BundleError(f"the bundle has unknown fields: {', '.join(extra)}")
    proof = value["proof"]
    if not isinstance(proof, list) or len(proof) > MAX_PROOF:
        raise BundleError(f"proof must be a list of at most {MAX_PROOF} hashes")
    hashes = tuple(_unb64(p, f"proof[{n}]") for n, p in enumerate(proof))
    for n, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise BundleError(f"proof[{n}] is not a {HASH_SIZE}-byte hash")
    for name in ("checkpoint", "log_key"):
        if not isinstance(value[name], str):
            raise BundleError(f"{name} must be a string")
    return Bundle(
        index=_count(value["index"], "index"),
        leaf=_unb64(value["leaf"], "leaf"),
        size=_count(value["size"], "size"),
        proof=hashes,
        checkpoint=value["checkpoint"],
        log_key=value["log_key"],
    )


# -- checking -----------------------------------------------------------------------------


def check_bundle(
    bundle: Bundle | bytes | str | Mapping[str, Any], pinned_key: str | None = None
) -> CheckedBundle:
    """Check a bundle; raise BundleError naming the first thing that fails.

    Order: the key, the checkpoint's signature, the tree size, the leaf hash through the
    proof into the signed root, then the leaf's own format.
    """
    if not isinstance(bundle, Bundle):
        bundle = parse_bundle(bundle)
    which = "the pinned log key" if pinned_key is not None else "the bundle's log key"
    try:
        verifier = parse_verifier_key(pinned_key if pinned_key is not None else bundle.log_key)
    except NoteError as exc:
        raise BundleError(f"{which} is malformed: {exc}") from None
    key_text = f"{verifier.name}+{verifier.key_id.hex()}"
    try:
        checkpoint = parse_checkpoint(open_note(bundle.checkpoint, [verifier]))
    except NoteError as exc:
        raise BundleError(
            f"the checkpoint does not verify with {which} {key_text}: {exc}"
        ) from None
    # The key name is the log's origin (DESIGN.md): a note of another log, signed by a key
    # that happens to share a name, must not pass for this one.
    if checkpoint.origin != verifier.name:
        raise BundleError(
            f"the checkpoint is for origin {checkpoint.origin!r}, not {verifier.name!r}"
        )
    if bundle.size != checkpoint.size:
        raise BundleError(
            f"the proof is for a tree of {bundle.size} entries but the checkpoint commits to "
            f"{checkpoint.size}"
        )
    if bundle.index >= checkpoint.size:
        raise BundleError(
            f"entry {bundle.index} is beyond the checkpoint's {checkpoint.size} entries"
        )
    hashed = leaf_hash(bundle.leaf)
    try:
        verify_inclusion(hashed, bundle.index, bundle.size, bundle.proof, checkpoint.root)
    except ProofError as exc:
        raise BundleError(
            f"the leaf does not hash into the checkpoint's root ({exc}): the leaf or the "
            "proof was altered"
        ) from None
    entry = _entry(bundle.leaf, bundle.index)
    return CheckedBundle(
        bundle.index, entry, hashed, checkpoint, verifier, pinned=pinned_key is not None,
        note=bundle.checkpoint,
    )


def _entry(leaf: bytes, index: int) -> dict[str, Any]:
    # Reached only once the leaf is proven in the log, so a failure here means the log
    # itself holds a malformed leaf: say so plainly.
    try:
        entry = orjson.loads(leaf)
    except orjson.JSONDecodeError:
        raise BundleError("the leaf is in the log but is not JSON") from None
    if not isinstance(entry, dict) or set(entry) != LEAF_FIELDS:
        raise BundleError("the leaf is in the log but does not have the leaf format's fields")
    if entry["index"] != index:
        raise BundleError(f"the leaf at index {index} says it is entry {entry['index']}")
    if canonical(entry) != leaf:
        raise BundleError("the leaf is in the log but is not RFC 8785 canonical JSON")
    if not isinstance(entry["data"], dict):
        raise BundleError("the leaf's data is not an object")
    return entry


# -- describing ---------------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = value.replace("\n", "⏎")
    elif isinstance(value, dict):
        text = "{" + ", ".join(value) + "}"
    elif isinstance(value, list):
        text = f"[{len(value)} items]"
    else:
        text = orjson.dumps(value).decode()
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


def describe(checked: CheckedBundle) -> str:
    """What a verified bundle proves, for people: entry, checkpoint, and a data summary."""
    entry, cp, v = checked.entry, checked.checkpoint, checked.verifier
    lines = [
        f"OK: entry {checked.index} (leaf hash {_b64(checked.leaf_hash)}) is in the log "
        f"{cp.origin} of {cp.size} entries",
        f"  root {_b64(cp.root)}, checkpoint signed by {v.name}+{v.key_id.hex()}"
        + (" (pinned)" if checked.pinned else " (the bundle's own key: pin it with --log-key)"),
        f"  type {entry['type']}, stream {entry['stream']} version {entry['version']}, "
        f"recorded {entry['recorded_at']} by {entry['actor']} (key {entry['key']})",
        "  the actor's signature needs the actor's key from the log: "
        "`sunshine verify --url` checks it",
        "  data:",
    ]
    lines += [f"    {key}: {_short(value)}" for key, value in entry["data"].items()]
    return "\n".join(lines)
