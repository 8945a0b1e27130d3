"""The ledger's write side: verify a signed command, decide, store, integrate.

Order of checks, all before anything is stored: envelope shape and text, the key
(registered, not revoked, the actor's own), the signature, freshness, the rule
that allows this actor to issue this command, the domain decision. The nonce and
an unchanged key are then checked again inside the insert transaction.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Transcoder

from ledger.canonical import b64encode
from ledger.commands import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_SKEW,
    Envelope,
    check_fresh,
    parse_envelope,
)
from ledger.committer import GroupCommitter
from ledger.domain.errors import Conflict, Forbidden, Invalid, RevokedKey, UnknownKey
from ledger.domain.events import Signed
from ledger.domain.registry import Actor, Key, Organisation, stream_id
from ledger.domain.registry_commands import HANDLERS, Signer, genesis
from ledger.log.integrator import Integrator
from ledger.log.reader import LogReader
from ledger.log.schema import POSTGRES, SQLITE
from ledger.log.signer import LogSigner, load_or_create_key
from ledger.store.recorders import CommandGuard, KeyChanged
from ledger.store.sql import open_database
from ledger.store.transcoder import OrjsonTranscoder
from ledger.store.url import DatabaseURL, postgres_env

A = TypeVar("A", bound=Aggregate)


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


def event_store_env(config: LedgerConfig) -> dict[str, str]:
    url = config.database
    env = {
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "CREATE_TABLE": "y" if config.create_tables else "n",
    }
    if url.is_sqlite:
        assert url.path is not None
        url.path.parent.mkdir(parents=True, exist_ok=True)
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

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "integrated" if self.checkpoint else "pending",
            "events": self.events,
            "size": self.size,
            "checkpoint": self.checkpoint,
            "proofs": self.proofs,
        }


class StaleRecord(Exception):
    """A command was decided on a cached record that had moved on; nothing was stored."""


class RepositoryRegistry:
    """The registry as the domain sees it: cached records, checked when stored.

    Optimistic concurrency: a command is decided on the cached copy of the record it
    changes, and storing its event at the next version fails if anyone appended to
    that record meanwhile (the event table's primary key), so a stale decision is
    never stored: the record is re-read and the command decided again. Registry
    commands read other records only for facts that never change (an
    organisation's kind, an actor's role), so those reads may be cached too.
    """

    def __init__(self, app: LedgerEvents, optimistic: bool = False):
        self.app = app
        self.cache = app.repository.cache
        self.optimistic = optimistic

    def with_optimism(self, optimistic: bool) -> RepositoryRegistry:
        return RepositoryRegistry(self.app, optimistic)

    def taken(self, kind: str, code: str) -> bool:
        aggregate_id = stream_id(kind, code)
        if self.cache is not None:
            with contextlib.suppress(KeyError):
                if self.cache.get(aggregate_id) is not None:
                    return True
        if self.optimistic:
            return False  # a duplicate conflicts on insert: see StaleRecord
        try:
            self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def _get(self, kind: str, code: str, cls: type[A]) -> A | None:
        aggregate_id = stream_id(kind, code)
        aggregate: Aggregate | None = None
        if self.cache is not None:
            with contextlib.suppress(KeyError):
                aggregate = cast(Aggregate, copy.deepcopy(self.cache.get(aggregate_id)))
        if aggregate is None:
            try:
                aggregate = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return aggregate if isinstance(aggregate, cls) else None

    def remember(self, aggregates: list[Aggregate]) -> None:
        if self.cache is not None:
            for aggregate in aggregates:
                self.cache.put(aggregate.id, aggregate)

    def forget(self, *ids: UUID) -> None:
        if self.cache is not None:
            for aggregate_id in ids:
                with contextlib.suppress(KeyError):
                    self.cache.get(aggregate_id, evict=True)

    def organisation(self, code: str) -> Organisation | None:
        return self._get("organisation", code, Organisation)

    def actor(self, code: str) -> Actor | None:
        return self._get("actor", code, Actor)

    def key(self, key_id: str) -> Key | None:
        return self._get("key", key_id, Key)


class Ledger:
    def __init__(self, config: LedgerConfig):
        self.config = config
        self.events = LedgerEvents(env=event_store_env(config))
        self.db = open_database(config.database)
        if config.create_tables:
            self.db.execute_script(SQLITE if config.database.is_sqlite else POSTGRES)
        key_path = config.log_key_path or config.data_dir / "log-key.pem"
        self.signer = LogSigner(config.origin, load_or_create_key(key_path))
        self.integrator = Integrator(self.db, self.events.recorder, self.signer)
        self.reader = LogReader(self.db)
        self.registry = RepositoryRegistry(self.events)
        self._keys: dict[str, tuple[Key, Ed25519PublicKey]] = {}
        inline = config.inline_integration
        self.inline_integration = config.database.is_sqlite if inline is None else inline
        self.committer = GroupCommitter(
            self.events, after_commit=self.integrator.integrate if self.inline_integration else None
        )

    def close(self) -> None:
        self.events.close()
        self.db.close()

    # -- commands -----------------------------------------------------------------

    def submit(self, body: bytes) -> Receipt:
        envelope = parse_envelope(body)
        if envelope.command.type == "Genesis":
            raise Forbidden(
                "rule registry.genesis: genesis is done once by the operator with `sunshine init`"
            )
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

    def _decide(self, envelope: Envelope, optimistic: bool) -> Receipt:
        command = envelope.command
        key, public_key = self._valid_key(command.key, command.actor)
        envelope.verify_with_key(public_key)
        check_fresh(
            command, datetime.now(UTC), self.config.max_command_age, self.config.max_clock_skew
        )
        handler = HANDLERS.get(command.type)
        if handler is None:
            raise Invalid(f"unknown command type {command.type!r}", code="unknown_command")
        signer = Signer(command.actor, key.role, key.organisation, key.key_id)
        registry = self.registry.with_optimism(optimistic)
        aggregates = handler(signer, command.payload, _signed(envelope), registry)
        guard = CommandGuard(command.actor, command.nonce, key.id, key.version)
        return self._store(aggregates, guard)

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

    def _valid_key(self, key_id: str, actor: str) -> tuple[Key, Ed25519PublicKey]:
        # Keys are cached without a read per command: the insert transaction checks
        # the key's stream version, so a stale entry can never let a command through.
        cached = self._keys.get(key_id)
        if cached is None:
            key = self.registry.key(key_id)
            if key is None:
                raise UnknownKey(f"key {key_id} is not registered")
            cached = (key, Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)))
            self._keys[key_id] = cached
        key = cached[0]
        if key.revoked:
            raise RevokedKey(f"key {key_id} was revoked: {key.revocation_reason}")
        if key.owner != actor:
            raise Forbidden(
                f"rule registry.key_owner: key {key_id} belongs to {key.owner}, not {actor}"
            )
        return cached

    def _store(self, aggregates: list[Aggregate], guard: CommandGuard) -> Receipt:
        try:
            recordings = self.committer.store(aggregates, guard)
        except IntegrityError:
            self.registry.forget(*(a.id for a in aggregates))
            raise StaleRecord from None
        self.registry.remember(aggregates)
        for aggregate in aggregates:
            if isinstance(aggregate, Key):
                self._keys.pop(aggregate.key_id, None)
        events = [
            {
                "stream": str(r.notification.originator_id),
                "version": r.notification.originator_version,
                "type": type(r.domain_event).event_type,
                "notification_id": r.notification.id,
            }
            for r in recordings
        ]
        return self._receipt(events)

    # -- the log --------------------------------------------------------------------

    def _receipt(self, events: list[dict[str, Any]]) -> Receipt:
        ids = [e.pop("notification_id") for e in events]
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


def _signed(envelope: Envelope) -> Signed:
    return Signed(
        actor=envelope.command.actor,
        key=envelope.command.key,
        command=envelope.text,
        signature=envelope.signature_b64,
    )
