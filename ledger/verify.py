"""Verify a log from its leaves alone: every leaf, every signature, the root, the checkpoint.

The verifier trusts nothing but the log's public key. It replays the registry
from the leaves themselves to know which key was valid at each index, recomputes
the tree with an O(log n) frontier (memory stays flat however long the log), and
checks the signed checkpoint's root. With an older checkpoint it also checks that
the log still contains exactly what that checkpoint committed to. Signature checks,
the costly part, run in worker processes when more than one job is asked for.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.canonical import canonical
from ledger.collector import fewer_collections
from ledger.log.merkle import CompactRange, leaf_hash
from ledger.log.note import Checkpoint, NoteError, Verifier, open_note, parse_checkpoint
from ledger.verify_lifecycle import BoxOutcome, LifecycleReplay, LifecycleViolation
from ledger.verify_registry import KeyState, RegistryReplay, RegistryViolation
from ledger.verify_statutes import StatuteViolation
from ledger.verify_timing import TimingCheck

LEAF_FIELDS = {
    "index",
    "stream",
    "version",
    "type",
    "recorded_at",
    "actor",
    "key",
    "command",
    "signature",
    "data",
}
BATCH = 2000


class VerificationFailed(Exception):
    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return where + super().__str__()


@dataclass(frozen=True)
class Pending:
    """Stored events after the last leaf: committed, not yet integrated."""

    count: int
    first: tuple[int, ...]  # their first notification ids
    oldest_recorded_at: str | None


@dataclass
class Report:
    size: int = 0
    root: bytes = b""
    signatures: int = 0
    consistent_with: Checkpoint | None = None
    checkpoint: Checkpoint | None = None
    keys: dict[str, KeyState] = field(default_factory=dict)
    timing: TimingCheck | None = None  # with --check-timing: what was compared
    nodes: int = 0  # stored tree nodes compared with the ones recomputed from the leaves
    pending: Pending | None = None  # a local database: stored events not yet in the log
    tiles: int = 0  # verify --tiles: hash tiles compared with the nodes the entries give
    tile_hashes: int = 0
    witnesses: str | None = None  # with a witness policy: whose cosignatures met it
    sealed_bids: tuple[int, int] = (0, 0)  # envelopes in the bid box: opened, still sealed
    bid_box: BoxOutcome = field(default_factory=BoxOutcome)


# (index, public key, signature, message) — checked in a worker
SignatureJob = tuple[int, bytes, bytes, bytes]
# Compares the hashes of the tree nodes that leaves [start, end) completed, in the order
# they were completed, with the stored ones
NodeCheck = Callable[[int, int, list[bytes]], None]


def check_signatures(jobs: list[SignatureJob]) -> int | None:
    """The index of the first signature that fails, or None."""
    keys: dict[bytes, Ed25519PublicKey] = {}  # a log's entries are signed by few keys
    for index, public_key, signature, message in jobs:
        try:
            key = keys.get(public_key)
            if key is None:
                key = keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
            key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return index
    return None


def open_checkpoint(note: str | bytes, verifier: Verifier, what: str) -> Checkpoint:
    try:
        return parse_checkpoint(open_note(note, [verifier]))
    except (NoteError, ValueError) as exc:
        raise VerificationFailed(f"{what} does not verify with {verifier.name}: {exc}") from None


class LogVerifier:
    """Streams leaves in index order and checks each against everything before it."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        old: Checkpoint | None = None,
        timing: TimingCheck | None = None,
        keep_nodes: bool = False,
    ):
        if old is not None and old.size > checkpoint.size:
            raise VerificationFailed(
                f"the older checkpoint has size {old.size}, larger than the log's "
                f"{checkpoint.size}: the log has been truncated"
            )
        if old is not None and old.origin != checkpoint.origin:
            raise VerificationFailed(f"the older checkpoint is for origin {old.origin!r}")
        self.checkpoint = checkpoint
        self.old = old
        self.tree = CompactRange()
        self.report = Report(checkpoint=checkpoint)
        self.pending: list[SignatureJob] = []
        # The hashes of the perfect subtrees the leaves complete, for comparing with the
        # stored tree: bytes only, which the garbage collector need not track.
        self.completed: list[bytes] | None = [] if keep_nodes else None
        self.completed_from = 0
        self.registry = RegistryReplay()
        self.lifecycle = LifecycleReplay(timing, self.registry)
        self.report.keys = self.registry.keys
        self.report.timing = timing

    def add(self, index: int, leaf: bytes) -> None:
        if index != self.tree.size:
            raise VerificationFailed(f"expected entry {self.tree.size}, got {index}", index)
        try:
            entry = orjson.loads(leaf)
        except orjson.JSONDecodeError:
            raise VerificationFailed("leaf is not valid JSON", index) from None
        if not isinstance(entry, dict) or set(entry) != LEAF_FIELDS:
            raise VerificationFailed("leaf does not have the fields of the leaf format", index)
        if entry["index"] != index:
            raise VerificationFailed(f"leaf says it is entry {entry['index']}", index)
        try:
            signed = _split_canonical(entry, leaf)
        except (TypeError, ValueError):
            raise VerificationFailed("leaf holds values outside canonical JSON", index) from None
        if signed is None:
            raise VerificationFailed("leaf is not RFC 8785 canonical JSON", index)
        self.pending.append(self._signature_job(index, entry, signed))
        completed = self.tree.append(leaf_hash(leaf))
        if self.completed is not None:
            for _, digest in completed:
                self.completed.append(digest)
        if self.old is not None and self.tree.size == self.old.size:
            if self.tree.root() != self.old.root:
                raise VerificationFailed(
                    f"the log's first {self.old.size} entries no longer hash to the root of "
                    "the older checkpoint: the log was rewritten (consistency broken)",
                    index,
                )
            self.report.consistent_with = self.old

    def _signature_job(self, index: int, entry: dict[str, Any], signed: bytes) -> SignatureJob:
        command = entry["command"]
        if not isinstance(command, dict):
            raise VerificationFailed("command is not an object", index)
        if command.get("actor") != entry["actor"] or command.get("key") != entry["key"]:
            raise VerificationFailed("leaf actor or key differs from the signed command", index)
        try:
            public_key = self.registry.signer_key(index, entry)
            self.lifecycle.check(entry, *self.registry.last_signer)
            signature = base64.b64decode(entry["signature"], validate=True)
        except (RegistryViolation, LifecycleViolation) as problem:
            raise VerificationFailed(str(problem), index) from None
        except (binascii.Error, KeyError, TypeError, ValueError, AttributeError) as problem:
            raise VerificationFailed(f"leaf content is malformed ({problem!r})", index) from None
        return (index, public_key, signature, signed)

    def take_jobs(self) -> list[SignatureJob]:
        jobs, self.pending = self.pending, []
        return jobs

    def take_nodes(self) -> tuple[int, int, list[bytes]]:
        """Leaves [start, end) and the hashes of the nodes they completed, in that order."""
        start, self.completed_from = self.completed_from, self.tree.size
        hashes, self.completed = self.completed or [], []
        return start, self.tree.size, hashes

    def finish(self) -> Report:
        if self.tree.size != self.checkpoint.size:
            raise VerificationFailed(
                f"the checkpoint commits to {self.checkpoint.size} entries but the log has "
                f"{self.tree.size}",
                self.tree.size if self.tree.size < self.checkpoint.size else None,
            )
        if self.tree.root() != self.checkpoint.root:
            raise VerificationFailed(
                f"the leaves do not hash to the checkpoint's root at size {self.tree.size}"
            )
        try:
            self.lifecycle.statutes.finish()
        except StatuteViolation as problem:
            raise VerificationFailed(str(problem), self.tree.size - 1) from None
        dropped = self.lifecycle.dropped_bids()
        if dropped:
            raise VerificationFailed(
                f"the sealed bid committed at entry {dropped[0]} is in no opening, though every "
                "bid box open when it came in has been opened since: a bid was dropped",
                dropped[0],
            )
        self.report.size = self.tree.size
        self.report.root = self.tree.root()
        self.report.sealed_bids = self.lifecycle.sealed_counts()
        self.report.bid_box = self.lifecycle.box
        return self.report


@fewer_collections()  # see ledger/collector.py
def verify_stream(
    leaves: Iterable[list[tuple[int, bytes]]],
    checkpoint: Checkpoint,
    old: Checkpoint | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    timing: TimingCheck | None = None,
    nodes: NodeCheck | None = None,
) -> Report:
    """Check batches of (index, leaf bytes); raise VerificationFailed at the first bad entry.
    ``timing``: recompute time-limit findings with its calendar and table too. ``nodes``:
    compare the stored tree with the one the leaves give, batch by batch."""
    verifier = LogVerifier(checkpoint, old, timing, keep_nodes=nodes is not None)
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    futures: list[Any] = []
    try:
        for batch in leaves:
            try:
                for index, leaf in batch:
                    verifier.add(index, leaf)
                if nodes is not None:
                    start, end, completed = verifier.take_nodes()
                    nodes(start, end, completed)
                    verifier.report.nodes += len(completed)
            except VerificationFailed as failure:
                # Name the first bad entry: a signature before it may be bad too.
                earlier = [check_signatures(verifier.take_jobs())]
                earlier += [future.result() for future in futures]
                bad = [i for i in earlier if i is not None]
                if bad and (failure.index is None or min(bad) < failure.index):
                    _raise_bad(min(bad))
                raise
            work = verifier.take_jobs()
            verifier.report.signatures += len(work)
            if pool is None:
                _raise_bad(check_signatures(work))
            else:
                futures.append(pool.submit(check_signatures, work))
                while len(futures) > 2 * jobs:  # bounded: memory stays flat
                    _raise_bad(futures.pop(0).result())
            if progress is not None:
                progress(verifier.tree.size, checkpoint.size)
        for future in futures:
            _raise_bad(future.result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return verifier.finish()


def _split_canonical(entry: dict[str, Any], leaf: bytes) -> bytes | None:
    """The canonical bytes of the leaf's command, or None if the leaf is not canonical.

    Encodes the command once and the rest of the leaf once (with the command as
    null), instead of the whole leaf and then the command again: "actor" is the
    only key before "command", so the command's position in the leaf is known.
    """
    command = canonical(entry["command"])
    rest = canonical({**entry, "command": None})
    # The actor is a JSON string, whose encoding cannot hold an unescaped '",', so the
    # first ',"command":' ends it.
    head = rest.find(b',"command":null') + len(b',"command":')
    if head < len(b',"command":'):
        return None
    if leaf[:head] != rest[:head] or leaf[head : head + len(command)] != command:
        return None
    if leaf[head + len(command) :] != rest[head + 4 :]:
        return None
    return command


def _raise_bad(index: int | None) -> None:
    if index is not None:
        raise VerificationFailed("the actor's signature does not verify", index)


def batched(
    rows: Iterator[tuple[int, bytes]], size: int = BATCH
) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
