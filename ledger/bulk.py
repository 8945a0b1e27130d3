"""The bulk path: a batch of signed commands decided in order and stored in one commit.

A load (the demo year, a province's ledger, an import) submits its commands in batches
instead of one request each. For a batch ``BulkLoader.submit_batch`` verifies the
signatures on two threads (Ed25519 runs beside the GIL) while it decides each command
in order exactly as ``Ledger.submit`` would, on a ``BatchView``: the records as
stored with the batch's earlier decisions laid over them, so each command sees what the
ones before it did. The records the loader stored stay laid over the store while no other
writer stores an event, so the next batches decide on them without reading them again.
The events of the whole batch go to the event store in one
transaction, with every command's guard (its nonce, its key's version, its sealed values
and bid-box rows), and the integrator gives them their leaves under one checkpoint: on
SQLite in that same transaction, from the events as inserted (``GroupCommitter.put``).
The log is the one the commands would have made one by one: the same entries in the same
order (only ``recorded_at``, the store's clock, differs from run to run).

Where a decision needs what only the store can answer once the batch's earlier commands
are in it (the log itself, the registry's people, an import's digests), the commands
decided so far are stored first (``NeedsFlush``) and the command is decided again. A
command signed by a key that the batch's pending part changes (registers, revokes) is
decided only once that part is stored: no command signed by a key shares a transaction
with a change to that key (``committer``), and it is decided on the key as stored. The
other commands share the key change's transaction: their guards check keys it leaves
alone.

A command refused by a rule is reported with its position in the batch and nothing of it
is kept; the others are decided and stored as usual. If the store refuses a part of the
batch (another writer changed a record meanwhile, a replayed nonce), nothing of that part
is stored and each of its commands is decided again on its own (``Ledger.submit``), with
its own outcome. A crash loses at most the part not yet committed: what was committed is
whole, and the integrator picks up any event still without its leaf.
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger.application import Ledger
from ledger.command_key import CommandKey
from ledger.commands import Envelope, parse_envelope
from ledger.domain.bid_box import BoxEntry
from ledger.domain.challenges import Challenge
from ledger.domain.context import Statutes
from ledger.domain.errors import Forbidden, Invalid, LedgerError, ReplayedNonce
from ledger.domain.registry import Actor, Colleague, Key, stream_id
from ledger.domain.sealed import Disclosure
from ledger.domain.sealed_reads import READ_SEALED
from ledger.domain.statute_book import Provisional
from ledger.records import RepositoryRegistry
from ledger.store.recorders import BoxRow, CommandGuard, SealedRow

A = TypeVar("A", bound=Aggregate)
VERIFY_THREADS = 2
STORED_KEPT = 4096  # records the loader stored, kept to decide on without a read
SEALED_KEPT = 16384  # and sealed values: a box's bids are read at its opening
VERIFY_PART = 16  # signatures a thread checks at a time: the first decisions wait for one
STATUTE_BOOKS = (stream_id("statutes", "calendar"), stream_id("statutes", "time-limits"))


class NeedsFlush(Exception):
    """The decision reads what the batch's pending commands change and only the store can
    answer: store them first (``log``: and integrate them), then decide again."""

    def __init__(self, log: bool = False):
        super().__init__("store the batch so far first")
        self.log = log


class BatchView(RepositoryRegistry):
    """The records as stored, with the batch's decided but not yet stored changes over
    them: aggregates, sealed values, bid-box rows and credit codes."""

    def __init__(self, base: RepositoryRegistry):
        super().__init__(
            base.app,
            base.sealed,
            base.reader,
            base.box_index,
            base.statute_cache,
            optimistic=False,
            notices=base.notices,
            documents=base.documents,
        )
        self.pending: dict[UUID, Aggregate] = {}
        # Stored by the loader's own commits, while the store holds nothing it did not
        # (``BulkLoader._through``): read from here, not fast-forwarded from the store.
        self.stored: collections.OrderedDict[UUID, Aggregate] = collections.OrderedDict()
        # …and so the bid boxes' rows, every supplier's of a procurement, as stored.
        self.boxes: collections.OrderedDict[str, list[BoxEntry]] = collections.OrderedDict()
        # The sealed values its commits stored, as it sealed them (a value's commitment
        # binds it: a row stored first by another command holds the very same value).
        self.disclosed: collections.OrderedDict[str, Disclosure] = collections.OrderedDict()
        self.sealed_rows: dict[str, SealedRow] = {}
        self.box_rows: dict[str, list[BoxRow]] = {}
        self.claims: dict[str, str] = {}
        self.people = False  # an actor or key in the batch: ``_people`` reads the store
        self._statutes: Statutes | None = None  # read once a batch (two reads a command else)

    def add(self, aggregates: Sequence[Aggregate], guard: CommandGuard) -> None:
        """A decided command's changes, its events already collected."""
        for aggregate in aggregates:
            self.pending[aggregate.id] = aggregate
            self.people = self.people or isinstance(aggregate, Actor | Key)
        for row in guard.sealed:
            self.sealed_rows.setdefault(row.commitment, row)  # the first row is kept
        for box in guard.box:
            self.box_rows.setdefault(box.procurement, []).append(box)
        self.claims.update(guard.claims)

    def clear(self) -> None:
        """Nothing laid over the store (another writer stored events meanwhile, or a part
        of the batch was refused and is decided again record by record)."""
        self.stored.clear()
        self.boxes.clear()
        self.disclosed.clear()
        self._stored_now()

    def committed(self) -> None:
        """The pending changes were stored: kept as the loader's own records, the latest
        few thousand."""
        for aggregate_id, aggregate in self.pending.items():
            self.stored[aggregate_id] = aggregate
            self.stored.move_to_end(aggregate_id)
        while len(self.stored) > STORED_KEPT:
            self.stored.popitem(last=False)
        for procurement, rows in self.box_rows.items():
            stored = self.boxes.get(procurement)
            if stored is not None:  # the rows stored after it, in the order they came
                stored.extend(_entry(row) for row in rows)
        while len(self.boxes) > STORED_KEPT:
            self.boxes.popitem(last=False)
        for commitment, row in self.sealed_rows.items():
            if row.opened is not None:
                self.disclosed[commitment] = row.opened
        while len(self.disclosed) > SEALED_KEPT:
            self.disclosed.popitem(last=False)
        self._stored_now()

    def _stored_now(self) -> None:
        self._statutes = None
        self.pending.clear()
        self.sealed_rows.clear()
        self.box_rows.clear()
        self.claims.clear()
        self.people = False

    def _laid_over(self, aggregate_id: UUID, cls: type[A]) -> tuple[bool, A | None]:
        found = self.pending.get(aggregate_id)
        if found is None:
            found = self.stored.get(aggregate_id)
        if found is None:
            return False, None
        return True, copy.deepcopy(found) if isinstance(found, cls) else None

    def with_optimism(self, optimistic: bool) -> RepositoryRegistry:
        return self

    def statutes(self) -> Statutes:
        """The statute book as the batch found it, read once; read again while the batch
        adopts a calendar or a table of its own."""
        adopting = any(book in self.pending for book in STATUTE_BOOKS)
        if self._statutes is None or adopting:
            self._statutes = super().statutes()
        return self._statutes

    def taken(self, kind: str, code: str) -> bool:
        return stream_id(kind, code) in self.pending or super().taken(kind, code)

    def _get(self, kind: str, code: str, cls: type[A]) -> A | None:
        known, found = self._laid_over(stream_id(kind, code), cls)
        return found if known else super()._get(kind, code, cls)

    def _current(self, kind: str, code: str, cls: type[A]) -> A | None:
        known, found = self._laid_over(stream_id(kind, code), cls)
        return found if known else super()._current(kind, code, cls)

    def _appended(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        known, found = self._laid_over(aggregate_id, cls)
        return found if known else super()._appended(aggregate_id, cls)

    def credit_code_holder(self, credit_code: str) -> str | None:
        return self.claims.get(credit_code) or super().credit_code_holder(credit_code)

    def _people(self) -> list[tuple[str, dict[str, Any]]]:
        if self.people:
            raise NeedsFlush
        return super()._people()

    def administrator(self, organisation: str) -> str | None:
        self._people()  # stored first if the batch registered people
        return super().administrator(organisation)

    def staff(self, organisation: str) -> list[Colleague]:
        self._people()
        return super().staff(organisation)

    def imported(self, streams: Sequence[UUID], chunk: int = 500) -> dict[UUID, str]:
        if self.pending:
            raise NeedsFlush
        return super().imported(streams, chunk)

    def disclosure(self, commitment: str) -> Disclosure | None:
        row = self.sealed_rows.get(commitment)
        if row is None:
            kept = self.disclosed.get(commitment)
            return super().disclosure(commitment) if kept is None else kept
        if row.opened is not None:  # checked when it was sealed, in this process
            return row.opened
        return self.sealed.open(row).disclosure

    def bid_box(self, procurement: str, supplier: str | None = None) -> list[BoxEntry]:
        stored = self.boxes.get(procurement)
        if stored is None:
            stored = self.boxes[procurement] = super().bid_box(procurement)
        self.boxes.move_to_end(procurement)
        entries = [e for e in stored if supplier is None or e.supplier == supplier]
        for row in self.box_rows.get(procurement, ()):
            if supplier is None or row.supplier == supplier:
                entries.append(_entry(row))
        return entries

    def notice(self, index: int) -> Any:
        found = super().notice(index)
        if found is None and self.pending:
            raise NeedsFlush(log=True)  # the log may grow to it with the batch
        return found

    def provisional(self, years: frozenset[int]) -> list[Provisional]:
        if self.pending:
            raise NeedsFlush(log=True)
        return super().provisional(years)


def _entry(row: BoxRow) -> BoxEntry:
    """A pending row as ``BidBoxIndex.entries`` reads it once stored."""
    if row.obtained:
        return BoxEntry(row.commitment, row.supplier, None, row.withdrawn, obtained=True)
    return BoxEntry(row.commitment, row.supplier, row.supersedes or None, row.withdrawn)


@dataclass(frozen=True)
class Failure:
    """A command of the batch that was refused: nothing of it is kept."""

    position: int  # from 0, in the batch as submitted
    error: LedgerError

    def __str__(self) -> str:
        return f"command {self.position} of the batch: {self.error}"


@dataclass
class BatchOutcome:
    stored: int = 0  # commands stored
    failures: list[Failure] = field(default_factory=list)
    lookups: dict[int, dict[str, str]] = field(default_factory=dict)  # a filed challenge's
    size: int = 0  # the log's size once integrated


@dataclass
class _Decided:
    position: int
    body: bytes
    guard: CommandGuard
    events: list[Any]
    lookup: dict[str, str] | None


class BulkLoader:
    """Submits batches of signed commands to ``ledger`` (see the module's docstring)."""

    def __init__(self, ledger: Ledger, integrate: bool = True):
        self.ledger = ledger
        self.integrate = integrate  # False: leave the leaves to a running integrator
        self.view = BatchView(ledger.registry)
        self._decided: list[_Decided] = []
        self._changed_keys: set[str] = set()  # keys the pending part registers or revokes
        # The store's events up to this notification id are all known to the view: the
        # view's stored records are current while every event after it is the loader's.
        self._through: int | None = None
        self._verifier = ThreadPoolExecutor(VERIFY_THREADS, thread_name_prefix="verify")

    def close(self) -> None:
        self._verifier.shutdown()

    def submit_batch(self, bodies: Sequence[bytes]) -> BatchOutcome:
        outcome = BatchOutcome()
        latest = self.ledger.events.recorder.max_notification_id() or 0
        if latest != self._through:  # another writer stored events since the last batch
            self.view.clear()
            self._through = latest
        self.view.committed()  # nothing pending here; the statutes read anew for the batch
        envelopes: list[Envelope | None] = []
        checks: dict[int, Future[set[int]]] = {}
        part: list[tuple[Envelope, CommandKey]] = []  # to check on a thread: keys stored
        for position, body in enumerate(bodies):
            try:
                parsed = _parsed(body)
            except LedgerError as exc:
                envelopes.append(None)
                outcome.failures.append(Failure(position, exc))
                continue
            envelopes.append(parsed)
            public = self._public_key(parsed.command.key)
            if public is not None:
                part.append((parsed, public))
            if len(part) == VERIFY_PART:
                self._verify(part, checks)
                part = []
        self._verify(part, checks)
        nonces: set[tuple[str, str]] = set()
        for position, (body, envelope) in enumerate(zip(bodies, envelopes, strict=True)):
            if envelope is None:
                continue
            command = envelope.command
            if (command.actor, command.nonce) in nonces:  # the store would refuse the batch
                error = ReplayedNonce(
                    f"nonce {command.nonce!r} of actor {command.actor!r} was used before")
                outcome.failures.append(Failure(position, error))  # fmt: skip
                continue
            check = checks.get(id(envelope))
            verified = check is not None and id(envelope) in check.result()
            try:
                self._decide(position, body, envelope, verified, outcome)
            except LedgerError as exc:
                outcome.failures.append(Failure(position, exc))
            else:
                nonces.add((command.actor, command.nonce))
        self._flush(outcome)
        outcome.failures.sort(key=lambda f: f.position)
        outcome.size = (
            self.ledger.integrator.integrate() if self.integrate else self.ledger.reader.size()
        )
        return outcome

    def _verify(
        self, part: list[tuple[Envelope, CommandKey]], checks: dict[int, Future[set[int]]]
    ) -> None:
        """Start checking the signatures of ``part`` of the batch, whose keys are stored:
        ``checks`` then names, for each of its envelopes (by id), the check that gives the
        ones whose signature verifies with the key their id names. Parts are checked in
        order beside the decisions, each of which waits only for its own part."""

        def check(keyed: list[tuple[Envelope, CommandKey]]) -> set[int]:
            good = set()
            for envelope, public in keyed:
                try:
                    envelope.verify_with_key(public)
                except LedgerError:
                    continue  # verified again, and refused in order, when decided
                good.add(id(envelope))
            return good

        if part:
            future = self._verifier.submit(check, part)
            checks |= {id(envelope): future for envelope, _ in part}

    def _public_key(self, key_id: str) -> CommandKey | None:
        cached = self.ledger._keys.get(key_id)  # the ledger's key cache
        if cached is not None:
            return cached[1]
        key = self.ledger.registry.key(key_id)  # its id is its public key's: never changes
        return None if key is None else CommandKey.from_b64(key.public_key)

    def _decide(
        self, position: int, body: bytes, envelope: Envelope, verified: bool, out: BatchOutcome
    ) -> None:
        ledger = self.ledger
        if envelope.command.key in self._changed_keys:
            self._flush(out)  # its key's change stored first, and the key read anew
        try:
            aggregates, guard, _ = ledger._prepare(
                envelope, False, view=self.view, verified=verified)  # fmt: skip
        except NeedsFlush as needed:
            self._flush(out)
            if needed.log:
                ledger.integrator.integrate()
            aggregates, guard, _ = ledger._prepare(
                envelope, False, view=self.view, verified=verified)  # fmt: skip
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        lookup = None
        for aggregate in aggregates:
            if isinstance(aggregate, Challenge) and aggregate.version == 1:
                number = aggregate.number
                lookup = {"challenge": number, "code": ledger.lookup_codes.code(number)}
        self.view.add(aggregates, guard)
        self._decided.append(_Decided(position, body, guard, events, lookup))
        self._changed_keys.update(a.key_id for a in aggregates if isinstance(a, Key))

    def _flush(self, out: BatchOutcome) -> None:
        """The commands decided so far, stored in one transaction."""
        decided, self._decided = self._decided, []
        self._changed_keys.clear()
        if not decided:
            return
        pending = list(self.view.pending.values())
        registry = self.ledger.registry
        try:
            recordings = self.ledger.committer.put(
                [e for d in decided for e in d.events], [d.guard for d in decided],
                integrate=self.integrate)  # fmt: skip
        except (IntegrityError, LedgerError):
            # Nothing of this part was stored: each command decided again on its own.
            self.view.clear()
            self._through = None
            registry.forget(*(a.id for a in pending))
            self._forget_keys(pending)
            for d in decided:
                result = self.ledger._outcome(d.body)
                if isinstance(result, LedgerError):
                    out.failures.append(Failure(d.position, result))
                    continue
                out.stored += 1
                if result.lookup is not None:
                    out.lookups[d.position] = {k: result.lookup[k] for k in ("challenge", "code")}
            return
        ids = [recording.notification.id for recording in recordings]
        if ids and ids[0] == (self._through or 0) + 1 and ids[-1] == ids[0] + len(ids) - 1:
            self.view.committed()
        else:  # another writer's events lie between: read every record anew
            self.view.clear()
        self._through = ids[-1] if ids else self._through
        registry.remember(pending)
        self._forget_keys(pending)
        out.stored += len(decided)
        out.lookups |= {d.position: d.lookup for d in decided if d.lookup is not None}

    def _forget_keys(self, aggregates: Sequence[Aggregate]) -> None:
        for aggregate in aggregates:
            if isinstance(aggregate, Key):
                self.ledger._keys.pop(aggregate.key_id, None)


def _parsed(body: bytes) -> Envelope:
    """As ``Ledger.submit`` takes a body: what it refuses before reading any record."""
    envelope = parse_envelope(body)
    kind = envelope.command.type
    if kind == "Genesis":
        raise Forbidden(
            "rule registry.genesis: genesis is done once by the operator with `sunshine init`"
        )
    if kind == READ_SEALED:
        raise Invalid("a sealed value is read with POST /sealed/read", code="wrong_route")
    return envelope
