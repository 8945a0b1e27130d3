# Over 400 lines by design: the write path in the order it runs (verify, authorise, decide, store,
# integrate), read top to bottom.
"""The ledger's write side: verify a signed command, decide, store, integrate.

Order of checks, all before anything is stored: envelope shape and text, the key
(registered, not revoked, the actor's own), the signature, freshness, the rule
that allows this actor to issue this command, the domain decision. The nonce and
an unchanged key are then checked again inside the insert transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Transcoder

from ledger.bid_box_service import BidBoxService, BoxSession
from ledger.calendar_files import load_time_limits
from ledger.canonical import b64encode
from ledger.command_key import CommandKey
from ledger.commands import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_SKEW,
    REQUEST_MAX_AGE,
    Envelope,
    check_fresh,
    parse_envelope,
)
from ledger.committer import GroupCommitter
from ledger.domain import fields
from ledger.domain.bid_commands import BID_HANDLERS
from ledger.domain.challenges import (
    CHALLENGE_HANDLERS,
    SEALED_CHALLENGE_COMMANDS,
    Challenge,
    is_sealed_challenge,
)
from ledger.domain.context import Context, ContextHandler, Statutes, china_day
from ledger.domain.deliveries import DELIVERY_HANDLERS
from ledger.domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    LedgerError,
    NotFound,
    RevokedKey,
    UnknownKey,
)
from ledger.domain.events import Signed
from ledger.domain.imports import IMPORT_HANDLERS
from ledger.domain.lifecycle import Action
from ledger.domain.procurement_commands import BIDDING, LIFECYCLE_HANDLERS
from ledger.domain.registry import Key, Role, stream_id
from ledger.domain.registry_commands import HANDLERS, Signer, credit_code_claims, genesis
from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_data
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.schema.payload_check import check_payload
from ledger.domain.schema.values import Finding
from ledger.domain.sealed import commitments_in, is_commitment
from ledger.domain.sealed_reads import READ_SEALED, record_read
from ledger.domain.statute_commands import HANDLERS as STATUTE_HANDLERS
from ledger.log.integrator import Integrated, Integrator
from ledger.log.reader import LogReader
from ledger.log.schema import POSTGRES, SQLITE
from ledger.log.signer import LogSigner, load_or_create_key
from ledger.lookup import LookupCodes, load_or_create_lookup_key
from ledger.records import RepositoryRegistry
from ledger.signed_requests import SignedRequests
from ledger.statute_reads import StatuteCache
from ledger.store.bid_box_store import BidBoxIndex
from ledger.store.documents import DEFAULT_MAX_BYTES, open_documents
from ledger.store.recorders import CommandGuard, KeyChanged
from ledger.store.sealed_store import SealedStore, load_or_create_sealed_key
from ledger.store.sql import create_sqlite_file, open_database
from ledger.store.transcoder import OrjsonTranscoder
from ledger.store.url import DatabaseURL, postgres_env

#: Lifecycle, bid, challenge and complaint commands: decided with a ``Context``.
REGISTRY_HANDLERS: Final = {**HANDLERS, **STATUTE_HANDLERS, **IMPORT_HANDLERS}
ADOPT_CALENDAR: Final = BY_DATA[E.CalendarAdopted].command
CONTEXT_HANDLERS: dict[str, ContextHandler] = {
    **LIFECYCLE_HANDLERS,
    **BID_HANDLERS,
    **CHALLENGE_HANDLERS,
    **DELIVERY_HANDLERS,
}


#: The commands the bid box takes part in: bids, and a challenge's filing and withdrawal.
BOX_COMMANDS: Final = frozenset(BID_HANDLERS) | SEALED_CHALLENGE_COMMANDS


class LedgerEvents(Application):  # type: ignore[type-arg]
    """The eventsourcing application whose event store holds every signed event."""

    name = "Ledger"  # PostgreSQL table: ledger_events

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder


@dataclass(frozen=True)
class LedgerConfig:
    database: DatabaseURL
    data_dir: Path = Path("data")
    origin: str = "sunshine-ledger.localhost/log"
    log_key_path: Path | None = None
    max_command_age: timedelta = DEFAULT_MAX_AGE
    max_clock_skew: timedelta = DEFAULT_MAX_SKEW
    leaf_wait_seconds: float = 5.0  # PostgreSQL: how long a response waits for its leaf
    create_tables: bool = True
    inline_integration: bool | None = None  # default: on for SQLite, off for PostgreSQL
    sealed_key_path: Path | None = None  # default: <data_dir>/sealed-key, made on first start
    lookup_key_path: Path | None = None  # default: <data_dir>/lookup-key, made on first start
    bid_box_key_path: Path | None = None  # default: <data_dir>/bid-box-key.pem, made on first start
    document_max_bytes: int = DEFAULT_MAX_BYTES  # the largest attached document taken


def event_store_env(config: LedgerConfig) -> dict[str, str]:
    url = config.database
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "CREATE_TABLE": "y" if config.create_tables else "n",
    }
    if url.is_sqlite:
        assert url.path is not None
        create_sqlite_file(url.path)  # mode 0640, before the event store makes it 0644
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(url.path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "ledger.store.recorders:LedgerSQLiteRecorder",
        }
    else:
        env |= postgres_env(url) | {
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "ledger.store.recorders:LedgerPostgresRecorder",
        }
    return env


@dataclass
class Receipt:
    """What a client gets back: where its events sit in the log, with proofs."""

    events: list[dict[str, Any]]
    checkpoint: str | None = None
    size: int | None = None
    proofs: list[dict[str, Any]] = field(default_factory=list)
    lookup: dict[str, str] | None = None  # a filed challenge: its number and lookup code
    bid_receipt: dict[str, Any] | None = None  # a sealed bid: the box's private receipt

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "status": "integrated" if self.checkpoint else "pending",
            "events": self.events,
            "size": self.size,
            "checkpoint": self.checkpoint,
            "proofs": self.proofs,
        }
        if self.lookup is not None:
            answer["lookup"] = self.lookup
        if self.bid_receipt is not None:
            answer["bid_receipt"] = self.bid_receipt
        return answer


@dataclass(frozen=True)
class Drafted:
    """One entry a draft would append: its stream, version, kind and typed data."""

    stream: str
    version: int
    type: str
    data: E.EntryData

    @property
    def findings(self) -> list[Finding]:
        """The rules its act would break: recorded with it, never a refusal."""
        return list(getattr(self.data, "findings", None) or [])


@dataclass(frozen=True)
class Draft:
    """What a command would record (``Ledger.draft``); nothing of it is stored."""

    entries: list[Drafted]

    @property
    def findings(self) -> list[Finding]:
        return [f for entry in self.entries for f in entry.findings]

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": [
                {"stream": e.stream, "version": e.version, "type": e.type,
                 "data": e.data.dump()}
                for e in self.entries
            ],
            "findings": [f.dump() for f in self.findings],
        }  # fmt: skip


class StaleRecord(Exception):
    """A command was decided on a cached record that had moved on; nothing was stored."""


SETUP_LOCK = 0x4C454447  # "LEDG": PostgreSQL advisory lock held while creating the tables


@contextmanager
def _setting_up(config: LedgerConfig) -> Iterator[None]:
    """PostgreSQL: one process creates the tables at a time. CREATE ... IF NOT EXISTS is
    not atomic there (two at once collide in the catalogue); the others wait, then find the
    tables made."""
    if config.database.is_sqlite or not config.create_tables:
        yield
        return
    with psycopg.connect(config.database.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


class Ledger:
    def __init__(self, config: LedgerConfig):
        self.config = config
        sealed_key = config.sealed_key_path or config.data_dir / "sealed-key"
        with _setting_up(config):
            self.events = LedgerEvents(env=event_store_env(config))
            self.db = open_database(config.database)
            self.sealed = SealedStore(self.db, load_or_create_sealed_key(sealed_key))
            self.box_index = BidBoxIndex(self.db)
            self.documents = open_documents(
                self.db, config.data_dir, config.document_max_bytes
            )
            if config.create_tables:
                self.db.execute_script(SQLITE if config.database.is_sqlite else POSTGRES)
                self.sealed.create_tables()
                self.box_index.create_tables()
                self.documents.create_tables()
        key_path = config.log_key_path or config.data_dir / "log-key.pem"
        self.signer = LogSigner(config.origin, load_or_create_key(key_path))
        self.integrator = Integrator(self.db, self.events.recorder, self.signer)
        self.reader = LogReader(self.db)
        self.registry = RepositoryRegistry(
            self.events,
            self.sealed,
            self.reader,
            self.box_index,
            StatuteCache(load_time_limits()),
            documents=self.documents,
        )
        if config.create_tables:
            self.registry.claim_recorded_codes()
        self.bid_box = BidBoxService(
            config.bid_box_key_path or config.data_dir / "bid-box-key.pem", self.sealed
        )
        self.requests = SignedRequests(self.db, self.registry, config.max_clock_skew)
        self.lookup_codes = LookupCodes(
            load_or_create_lookup_key(config.lookup_key_path or config.data_dir / "lookup-key")
        )
        self._keys: dict[str, tuple[Key, CommandKey]] = {}
        inline = config.inline_integration
        self.inline_integration = config.database.is_sqlite if inline is None else inline
        # SQLite: the leaves commit with their events, one durable commit per group.
        in_commit = self.inline_integration and config.database.is_sqlite
        self.committer = GroupCommitter(
            self.events,
            integrate_in=self.integrator.integrate_in if in_commit else None,
            after_commit=(
                self.integrator.integrate if self.inline_integration and not in_commit else None
            ),
        )

    def close(self) -> None:
        self.events.close()
        self.db.close()

    # -- commands -----------------------------------------------------------------

    def submit(self, body: bytes) -> Receipt:
        envelope = parse_envelope(body)
        _not_a_submission(envelope)
        return self._submit(envelope)

    def _submit(self, envelope: Envelope) -> Receipt:
        try:
            return self._decide(envelope, optimistic=True)
        except KeyChanged:
            # The cached key was stale (revoked or changed by another process): the
            # insert refused it, so nothing was stored. Decide again on a fresh read.
            self._keys.pop(envelope.command.key, None)
            self.registry.forget(stream_id("key", envelope.command.key))
        except StaleRecord:
            pass  # the records it changed were forgotten: decide again on fresh reads of them
        try:
            return self._decide(envelope, optimistic=False)
        except StaleRecord:
            raise Conflict(
                "another command changed the same record at the same time; sign and send it again",
                code="concurrent_change",
            ) from None

    def submit_many(
        self, bodies: Sequence[bytes], proofs: bool = True
    ) -> list[Receipt | LedgerError]:
        """Commands of one caller (the publisher's receipts, an import), each decided as by
        ``submit`` and stored together: one transaction where they can share one. Each gets
        its own outcome; one whose records moved meanwhile is decided again on its own.
        Without ``proofs`` a receipt names the events stored and nothing of the log (an
        import wants no proof per release; computing them cost a third of its time)."""
        outcomes: list[Receipt | LedgerError | None] = [None] * len(bodies)
        decided: list[tuple[int, list[Aggregate], CommandGuard, BoxSession | None]] = []
        for n, body in enumerate(bodies):
            try:
                envelope = parse_envelope(body)
                if envelope.command.type == "Genesis":
                    outcomes[n] = self._outcome(body)  # refused, as by submit
                    continue
                decided.append((n, *self._prepare(envelope, optimistic=True)))
            except LedgerError as exc:
                outcomes[n] = exc
            except (KeyChanged, StaleRecord):
                outcomes[n] = self._outcome(body)
        futures = self.committer.store_many([(a, g) for _, a, g, _ in decided])
        for (n, aggregates, _, box), future in zip(decided, futures, strict=True):
            error = future.exception()
            if error is None:
                self.registry.remember(aggregates)
                stored = future.result()
                events = self._events(stored.recordings)
                if proofs:
                    outcomes[n] = self._receipt(events, box, stored.integrated)
                else:
                    outcomes[n] = Receipt([{k: v for k, v in e.items() if k != "notification_id"}
                                           for e in events])  # fmt: skip
            else:  # nothing of it was stored: decide it again, alone
                self.registry.forget(*(a.id for a in aggregates))
                outcomes[n] = self._outcome(bodies[n])
        return [o for o in outcomes if o is not None]

    def draft(self, body: bytes) -> Draft:
        """What ``submit`` would record for this command now, with nothing stored: the
        entries it would append and the findings they would carry.

        The same decision on fresh reads: the payload's schema (every field error at once,
        as ``POST /commands`` checks it first), the key and its actor, the signature when
        the body has one, freshness, who may act, the lifecycle and the time limits. A body
        without a signature is decided as its key's actor would sign it (the workbench's
        preview of what the signed-in official is about to sign). Refusals are ``submit``'s.
        """
        envelope = parse_envelope(body, signature_required=False)
        _not_a_submission(envelope)
        check_payload(envelope.command.type, envelope.command.payload)
        aggregates, _, _ = self._prepare(envelope, optimistic=False, drafting=True)
        return Draft([_drafted(e) for a in aggregates for e in a.pending_events])

    def _outcome(self, body: bytes) -> Receipt | LedgerError:
        try:
            return self.submit(body)
        except LedgerError as exc:
            return exc

    def _decide(self, envelope: Envelope, optimistic: bool) -> Receipt:
        aggregates, guard, box = self._prepare(envelope, optimistic)
        receipt = self._store(aggregates, guard, box)
        for aggregate in aggregates:
            if isinstance(aggregate, Challenge) and aggregate.version == 1:
                number = aggregate.number
                receipt.lookup = {"challenge": number, "code": self.lookup_codes.code(number)}
                if box is not None and box.envelope_sealed is not None:
                    # The supplier's own proof that its sealed challenge is in the log.
                    commitment, salt = box.envelope_sealed
                    receipt.lookup |= {"commitment": commitment, "salt": salt}
        return receipt

    def _prepare(
        self,
        envelope: Envelope,
        optimistic: bool,
        drafting: bool = False,
        view: RepositoryRegistry | None = None,
        verified: bool = False,
    ) -> tuple[list[Aggregate], CommandGuard, BoxSession | None]:
        """The command checked and decided: the aggregates it changes, its guard, and the
        bid box's session when the box took part. A draft without a signature skips only
        the signature's check (``draft``). ``view``: the records to decide on (the bulk
        path's, which sees its batch's earlier commands); ``verified``: its signature was
        verified already with the key its id names (``ledger.bulk``)."""
        command = envelope.command
        key, public_key = self._valid_key(command.key, command.actor, view)
        if not verified and not (drafting and not envelope.signature):
            envelope.verify_with_key(public_key)
        reading = command.type == READ_SEALED
        max_age = REQUEST_MAX_AGE if reading else self.config.max_command_age
        check_fresh(command, datetime.now(UTC), max_age, self.config.max_clock_skew)
        signer = Signer(command.actor, key.role, key.organisation, key.key_id)
        registry = view if view is not None else self.registry.with_optimism(optimistic)
        handler = REGISTRY_HANDLERS.get(command.type)
        box: BoxSession | None = None
        if reading:
            aggregates = self._decide_read(envelope, signer, registry)
        elif handler is not None:
            if envelope.sealed:
                raise Invalid("registry commands carry no sealed values", code="unexpected_sealed")
            if command.type in IMPORT_HANDLERS and command.procurement is not None:
                raise Invalid("command.procurement must be null: an imported release is no "
                              "procurement")  # fmt: skip
            if command.type == ADOPT_CALENDAR:
                # Its re-evaluations read the log: every stored event must have its leaf
                # (a PostgreSQL ledger integrates in a worker of its own).
                self.integrator.integrate()
            aggregates = handler(signer, command.payload, _signed(envelope), registry)
        else:
            if command.type in BOX_COMMANDS:
                box = self.bid_box.session(envelope, registry)
            aggregates = self._decide_in_context(envelope, signer, registry, box)
        # Kept with the event, in its transaction: an event whose sealed value was lost
        # could never be disclosed, and a refused command keeps nothing at all.
        sealed = tuple(
            self.sealed.row(
                commitment,
                disclosure,
                procurement=command.procurement or "",
                owner=signer.organisation,
                checked=True,  # each opened its commitment when the envelope was parsed
            )
            for commitment, disclosure in envelope.sealed.items()
        )
        if box is not None:
            sealed += tuple(box.rows)
        guard = CommandGuard(
            command.actor,
            command.nonce,
            key.id,
            key.version,
            sealed=sealed,
            box=tuple(box.box) if box else (),
            closing=box.closing if box else None,
            claims=credit_code_claims(command.type, command.payload),
        )
        return aggregates, guard, box

    def _decide_in_context(
        self,
        envelope: Envelope,
        signer: Signer,
        registry: RepositoryRegistry,
        box: BoxSession | None,
    ) -> list[Aggregate]:
        command = envelope.command
        handler = CONTEXT_HANDLERS.get(command.type)
        if handler is None:
            raise Invalid(f"unknown command type {command.type!r}", code="unknown_command")
        # Walked only when values were sent: most commands seal nothing.
        committed = set(commitments_in(command.payload)) if envelope.sealed else set()
        for commitment in envelope.sealed:
            if commitment not in committed:
                raise Invalid(
                    f"sealed value {commitment} is not committed to in the payload",
                    code="unexpected_sealed",
                )
        context = Context(
            signer=signer,
            payload=command.payload,
            signed=_signed(envelope),
            procurement=command.procurement,
            today=china_day(command.issued_at),
            sealed=envelope.sealed,
            view=registry,
            statutes=self._statutes(registry, recording=True),
            box=box,
            issued_at=command.issued_at,
        )
        return handler(context)

    @property
    def statutes(self) -> Statutes:
        """What the ledger measures with now: the calendar and the time-limit table its
        finance office adopted (``domain.statute_book``)."""
        return self.registry.statutes()

    @staticmethod
    def _statutes(registry: RepositoryRegistry, recording: bool = False) -> Statutes:
        statutes = registry.statutes()
        if not recording:
            return statutes
        # A fresh record, per command, of the limits it finds kept only provisionally.
        return Statutes(statutes.calendar.recording(), statutes.limits)

    def _decide_read(
        self, envelope: Envelope, signer: Signer, registry: RepositoryRegistry
    ) -> list[Aggregate]:
        command = envelope.command
        if envelope.sealed:
            raise Invalid("a ReadSealed request carries no sealed value", code="unexpected_sealed")
        fields.only(command.payload, ("commitment",))
        commitment = command.payload.get("commitment")
        if not isinstance(commitment, str) or not is_commitment({"commitment": commitment}):
            raise Invalid("payload.commitment must be a commitment (base64 of 32 bytes)")
        entry = self.sealed.entry(commitment)  # a damaged row: refused, 409 sealed_damaged
        if entry is None:
            raise NotFound(f"no sealed value is kept under {commitment}")
        answering = None
        if is_sealed_challenge(entry.disclosure.value):
            # Read by those who answer it, never recorded as read by its challenger.
            found = registry.procurement(entry.procurement)
            answering = frozenset() if found is None else found.record.answerers
        elif self._in_closed_box(entry.procurement, entry.owner, registry):
            # A recorded read would name the procurement beside the reader: who bids, or
            # that someone looked, would leak before the opening (87号令 第二十八条).
            # Nor may the refusal name it: every box commitment is public, and knowing
            # each one's procurement would count the bids.
            raise Conflict(
                f"rule sealed.in_bid_box: {commitment} is in a sealed bid box, read by "
                "nobody until its opening",
                code="sealed_in_bid_box",
            )
        return record_read(
            signer,
            _signed(envelope),
            command.procurement,
            commitment,
            entry.procurement,
            entry.owner,
            registry.sealed_reads(command.actor),
            answering,
        )

    @staticmethod
    def _in_closed_box(procurement: str, owner: str, registry: RepositoryRegistry) -> bool:
        """Whether a kept value is a bid's (an envelope, what it seals, or a dummy) still
        in a box that has not been opened."""
        found = registry.procurement(procurement) if procurement else None
        if found is None:
            return False
        record = found.record
        if record.method not in BIDDING or Action.OPEN_BIDS in record.dates:
            return False
        sealer = registry.organisation(owner) if owner else None
        return owner == "" or (sealer is not None and sealer.kind is Role.SUPPLIER)

    def read_sealed(self, body: bytes) -> dict[str, Any]:
        """A sealed value for a signed ``ReadSealed`` request of an entitled reader.

        Inspectors and the finance office read every sealed value; any other actor only
        those its own organisation sealed. The read is recorded first, as a
        ``SealedValueRead`` event on the reader's stream (who read which value, when; not
        the value), and only then answered: an unrecorded read answers nothing, and a
        refused one records nothing. The request is fresh for ``REQUEST_MAX_AGE`` and its
        nonce, like a command's, works once.
        """
        envelope = parse_envelope(body)
        if envelope.command.type != READ_SEALED:
            raise Invalid("a sealed value is read with a signed ReadSealed request")
        receipt = self._submit(envelope)
        commitment = envelope.command.payload["commitment"]
        entry = self.sealed.entry(commitment)
        assert entry is not None  # kept before the read was decided; never deleted
        return {
            "commitment": commitment,
            "procurement": entry.procurement,
            "owner": entry.owner,
            "value": entry.disclosure.value,
            "salt": entry.disclosure.salt_b64,
            "recorded": receipt.as_json(),
        }

    def genesis(self, body: bytes) -> Receipt:
        """Record the finance office, its administrator and the bootstrap key."""
        envelope = parse_envelope(body)
        if envelope.command.type != "Genesis":
            raise Invalid("the first command must be of type Genesis")
        if self.events.recorder.max_notification_id():
            raise Conflict("the ledger already has a genesis", code="exists")
        aggregates, public_key = genesis(envelope.command.payload, _signed(envelope))
        envelope.verify_with(public_key)
        key_stream: UUID = aggregates[-1].id
        guard = CommandGuard(
            envelope.command.actor, envelope.command.nonce, key_stream, None, first=True
        )
        return self._store(aggregates, guard)

    def _valid_key(
        self, key_id: str, actor: str, view: RepositoryRegistry | None = None
    ) -> tuple[Key, CommandKey]:
        # Keys are cached without a read per command: the insert transaction checks
        # the key's stream version, so a stale entry can never let a command through.
        # (A request that records nothing has no insert to check it: ``SignedRequests``
        # reads the key's stream anew.)
        cached = self._keys.get(key_id)
        if cached is None:
            key = (view or self.registry).key(key_id)
            if key is None:
                raise UnknownKey(f"key {key_id} is not registered")
            cached = (key, CommandKey.from_b64(key.public_key))
            self._keys[key_id] = cached
        key = cached[0]
        if key.revoked:
            raise RevokedKey(f"key {key_id} was revoked: {key.revocation_reason}")
        if key.owner != actor:
            raise Forbidden(
                f"rule registry.key_owner: key {key_id} belongs to {key.owner}, not {actor}"
            )
        return cached

    def _store(
        self, aggregates: list[Aggregate], guard: CommandGuard, box: BoxSession | None = None
    ) -> Receipt:
        try:
            stored = self.committer.store(aggregates, guard)
        except IntegrityError:
            self.registry.forget(*(a.id for a in aggregates))
            raise StaleRecord from None
        self.registry.remember(aggregates)
        for aggregate in aggregates:
            if isinstance(aggregate, Key):
                self._keys.pop(aggregate.key_id, None)
        return self._receipt(self._events(stored.recordings), box, stored.integrated)

    @staticmethod
    def _events(recordings: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "stream": str(r.notification.originator_id),
                "version": r.notification.originator_version,
                "type": type(r.domain_event).event_type,
                "notification_id": r.notification.id,
            }
            for r in recordings
        ]

    # -- the log --------------------------------------------------------------------

    def _receipt(
        self,
        events: list[dict[str, Any]],
        box: BoxSession | None = None,
        integrated: Integrated | None = None,
    ) -> Receipt:
        receipt = self._placed(events, integrated)
        if box is not None:  # pending or integrated, the supplier gets its salt
            proof = receipt.proofs[0] if receipt.proofs else {}
            receipt.bid_receipt = box.receipt(proof, receipt.checkpoint)
        return receipt

    def _placed(
        self, events: list[dict[str, Any]], integrated: Integrated | None = None
    ) -> Receipt:
        """Where the events sit in the log, with proofs, once integrated (or soon after)."""
        ids = [e.pop("notification_id") for e in events]
        if integrated is not None and all(n in integrated.indices for n in ids):
            return self._placed_with(events, [integrated.indices[n] for n in ids], integrated)
        if not self.inline_integration and self.config.leaf_wait_seconds <= 0:
            return Receipt(events)  # fire and forget: the client asked not to wait
        deadline = time.monotonic() + self.config.leaf_wait_seconds
        indices = self.reader.leaf_indices(ids)
        while len(indices) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.01)
            indices = self.reader.leaf_indices(ids)
        if len(indices) < len(ids):
            return Receipt(events)
        for event, index in zip(events, indices, strict=True):
            event["leaf_index"] = index
        note = self.reader.checkpoint()
        assert note is not None
        size = int(note.split("\n")[1])
        proofs = []
        for index in indices:
            leaf, proof = self.reader.inclusion(index, size)
            proofs.append(
                {
                    "index": index,
                    "leaf_hash": b64encode(leaf),
                    "proof": [b64encode(p) for p in proof],
                }
            )
        return Receipt(events, note, size, proofs)

    @staticmethod
    def _placed_with(
        events: list[dict[str, Any]], indices: list[int], integrated: Integrated
    ) -> Receipt:
        """As ``_placed``, from the leaves committed with the events: nothing is read."""
        proofs = []
        for event, index in zip(events, indices, strict=True):
            event["leaf_index"] = index
            leaf, proof = integrated.inclusion(index)
            proofs.append(
                {
                    "index": index,
                    "leaf_hash": b64encode(leaf),
                    "proof": [b64encode(p) for p in proof],
                }
            )
        return Receipt(events, integrated.note, integrated.size, proofs)


def _not_a_submission(envelope: Envelope) -> None:
    """Refuse what ``POST /commands`` never records: the genesis, a sealed read."""
    if envelope.command.type == "Genesis":
        raise Forbidden(
            "rule registry.genesis: genesis is done once by the operator with `sunshine init`"
        )
    if envelope.command.type == READ_SEALED:
        # Recorded there, with the value in the answer: a read recorded here would
        # answer nothing.
        raise Invalid("a sealed value is read with POST /sealed/read", code="wrong_route")


def _drafted(event: Any) -> Drafted:
    """A pending event (``SignedEvent`` or ``SignedCreated``) as the entry it would be."""
    kind: str = type(event).event_type
    return Drafted(str(event.originator_id), event.originator_version, kind,
                   parse_data(kind, event.data))  # fmt: skip


def _signed(envelope: Envelope) -> Signed:
    return Signed(
        actor=envelope.command.actor,
        key=envelope.command.key,
        command=envelope.text,
        signature=envelope.signature_b64,
    )
