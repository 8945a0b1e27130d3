"""The ledger as its readers use it: one narrow port per need, grouped in ``LedgerPorts``.

Routers, projections and the export take these, never ``Ledger`` itself: a page that shows
a procurement's history can read leaves and proofs, not sign checkpoints; the challenge
lookup can check a lookup code and read a challenge, not store one. The composition root
(``sunshine.bootstrap``) builds them from one ``Ledger`` and hands them out through
``ledger.deps``. A port the ledger gains (a new store, say) is a field here and an alias
there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.application import Draft, Receipt
from ledger.domain.bid_box import SupplierEnvelope
from ledger.domain.challenges import Challenge
from ledger.domain.context import Statutes
from ledger.domain.errors import LedgerError
from ledger.domain.registry import Actor, Colleague, Key, Organisation
from ledger.log.note import Verifier
from ledger.log.reader import LogReader
from ledger.lookup import LookupCodes
from ledger.signed_requests import SignedRequests
from ledger.store.documents import DocumentStore
from ledger.store.sql import PostgresDatabase, SQLiteDatabase

#: The database the ledger writes and every projection keeps its own tables in.
Database = SQLiteDatabase | PostgresDatabase


class CommandService(Protocol):
    """Signed commands in, receipts out (``Ledger``): each checked, decided, stored, logged."""

    def submit(self, body: bytes) -> Receipt: ...

    def submit_many(self, bodies: Sequence[bytes]) -> list[Receipt | LedgerError]: ...

    def read_sealed(self, body: bytes) -> dict[str, Any]: ...

    def draft(self, body: bytes) -> Draft:
        """What ``submit`` would record for this command (signed or not), nothing stored."""
        ...


class RegistryView(Protocol):
    """Records as the event store has them now, for reading only."""

    def current_key(self, key_id: str) -> Key | None: ...

    def actor(self, code: str) -> Actor | None:
        """A registered actor (its name, to greet an inspector by it)."""
        ...

    def organisation(self, code: str) -> Organisation | None: ...

    def administrator(self, organisation: str) -> str | None:
        """The organisation's administrator: its first registered actor."""
        ...

    def staff(self, organisation: str) -> list[Colleague]:
        """The organisation's actors and their keys, for its administrator's workbench."""
        ...

    def challenge(self, number: str) -> Challenge | None: ...

    def challenger(self, number: str) -> str | None:
        """The organisation that filed challenge ``number`` (sealed: from the sealed store)."""
        ...

    def envelopes_of(self, supplier: str) -> list[SupplierEnvelope]:
        """The supplier's envelopes in the bid boxes (the box's private index), newest first."""
        ...

    def committed_leaves(self, commitments: set[str]) -> dict[str, int]:
        """The log index of the box's leaf for each commitment."""
        ...


class SealedValues(Protocol):
    """Which sealed values are kept, without their cleartext: a value itself is read only
    through ``CommandService.read_sealed``, which records the read first."""

    def kept(self, commitments: Collection[str]) -> set[str]: ...


@dataclass(frozen=True)
class LogView:
    """The log as anyone may read it: leaves, proofs and checkpoints, with the public key
    that verifies them (never the key that signs them)."""

    reader: LogReader
    origin: str
    verifier_key: str  # <origin>+<key id>+<base64 key>, as GET /log/key serves it
    verifier: Verifier
    witness_policy: str | None = None  # served at GET /log/witness-policy


@dataclass(frozen=True)
class LedgerPorts:
    """Every port of the ledger a reader of it may be given."""

    commands: CommandService
    log: LogView
    sealed: SealedValues
    registry: RegistryView
    lookup_codes: LookupCodes  # challenge lookup codes (and keys derived from their secret)
    requests: SignedRequests  # signed requests that record nothing: sign-in, lookups, admin
    db: Database
    # the calendar and the statutory time limits in force: read anew, as the log adopts them
    statutes: Callable[[], Statutes]
    documents: DocumentStore  # attached documents, by their SHA-256
