"""The sealed store: disclosures of sealed values, encrypted at rest.

Each row is keyed by the commitment that appears in the public leaf and holds the
disclosure (value and salt) encrypted with AES-256-GCM under the ledger's sealed-
value key, a fresh random 12-byte nonce per row, and the commitment as associated
data, so a row moved under another commitment does not decrypt. Whoever can read
the database sees commitments, nonces and ciphertext, never a value.

A command's sealed values are inserted by the event store's recorder in the same
transaction as the command's events (``row`` encrypts them beforehand, ``CommandGuard``
carries them): a refused command keeps none, an accepted one cannot be stored without them.

Access control is NOT done here: this store hands a disclosure to whoever calls
`get`. Deciding who may read a sealed value (the roles entitled to it, and the
public only once the lifecycle discloses it) is the caller's job.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.domain.errors import Invalid
from ledger.domain.sealed import Disclosure, check_disclosure
from ledger.store.recorders import (
    SEALED_TABLE,
    SQLITE_INSERT_SEALED,
    SealedRow,
    pg_append_only,
    sqlite_append_only,
)
from ledger.store.secret_file import read_or_create
from ledger.store.sql import Database

TABLE = SEALED_TABLE
KEY_BYTES = 32
NONCE_BYTES = 12

# Append-only like the log: a sealed value deleted or overwritten could never be disclosed.
SQLITE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (commitment TEXT PRIMARY KEY, "
    "procurement TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', "
    "nonce BLOB NOT NULL, ciphertext BLOB NOT NULL)",
    *sqlite_append_only(TABLE, ("commitment",)),
]

POSTGRES = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (commitment text PRIMARY KEY, "
    "procurement text NOT NULL DEFAULT '', owner text NOT NULL DEFAULT '', "
    "nonce bytea NOT NULL, ciphertext bytea NOT NULL)",
    *pg_append_only(TABLE),
]


@dataclass(frozen=True)
class SealedEntry:
    """A kept sealed value with the procurement it belongs to and the organisation that
    sealed it (who, besides supervisors, may read it)."""

    disclosure: Disclosure
    procurement: str
    owner: str


class SealedStoreError(RuntimeError):
    """A stored row cannot be opened: wrong key, or the row was altered."""


class SealedStore:
    """Disclosures of sealed values, encrypted with AES-256-GCM under `key`.

    Who may read a sealed value is the caller's job: check that the reader's role is
    entitled to it before calling `get`.
    """

    def __init__(self, db: Database, key: bytes):
        if len(key) != KEY_BYTES:
            raise ValueError(f"the sealed-value key must be {KEY_BYTES} bytes, got {len(key)}")
        self.db = db
        self._aead = AESGCM(bytes(key))

    def create_tables(self) -> None:
        self.db.execute_script(SQLITE if self.db.url.is_sqlite else POSTGRES)

    def row(
        self, commitment: str, disclosure: Disclosure, *, procurement: str = "", owner: str = ""
    ) -> SealedRow:
        """`disclosure` encrypted for its row under `commitment`, refusing (Invalid,
        "bad_disclosure") a disclosure that does not open it."""
        check_disclosure(commitment, disclosure.value, disclosure.salt_b64)
        plaintext = json.dumps(
            {"value": disclosure.value, "salt": disclosure.salt_b64},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext, _bound(commitment, procurement, owner))
        return SealedRow(commitment, procurement, owner, nonce, ciphertext)

    def put(
        self, commitment: str, disclosure: Disclosure, *, procurement: str = "", owner: str = ""
    ) -> None:
        """Store `disclosure` under `commitment` on its own, outside any command (the ledger
        stores a command's values with its events instead). Storing the same commitment
        again is a no-op."""
        row = self.row(commitment, disclosure, procurement=procurement, owner=owner)
        with self.db.write(0) as cur:
            cur.execute(SQLITE_INSERT_SEALED, (*row.values, row.commitment))

    def get(self, commitment: str) -> Disclosure | None:
        """The disclosure stored under `commitment`, None if there is none.

        Raises SealedStoreError when the row cannot be decrypted with this store's key
        or what it holds does not open the commitment (the row was tampered with).
        """
        entry = self.entry(commitment)
        return None if entry is None else entry.disclosure

    def entry(self, commitment: str) -> SealedEntry | None:
        """As `get`, with the procurement and the owner the value was kept for."""
        with self.db.read() as cur:
            row = cur.execute(
                f"SELECT nonce, ciphertext, procurement, owner FROM {TABLE} "  # noqa: S608
                "WHERE commitment = ?",
                (commitment,),
            ).fetchone()
        if row is None:
            return None
        nonce, ciphertext = bytes(row[0]), bytes(row[1])
        try:
            plaintext = self._aead.decrypt(
                nonce, ciphertext, _bound(commitment, str(row[2]), str(row[3]))
            )
        except InvalidTag:
            raise SealedStoreError(
                f"sealed value {commitment} cannot be decrypted: "
                "wrong sealed-value key, or the row was altered"
            ) from None
        try:
            stored: Any = json.loads(plaintext)
            if not isinstance(stored, dict) or set(stored) != {"value", "salt"}:
                raise ValueError("unexpected shape")
            disclosure = Disclosure(stored["value"], stored["salt"])
            check_disclosure(commitment, disclosure.value, disclosure.salt_b64)
        except (ValueError, Invalid) as exc:
            raise SealedStoreError(
                f"sealed value {commitment} does not open its commitment: {exc}"
            ) from None
        return SealedEntry(disclosure, str(row[2]), str(row[3]))


def _bound(commitment: str, procurement: str, owner: str) -> bytes:
    """Associated data: a row moved under another commitment, procurement or owner fails."""
    return "\n".join((commitment, procurement, owner)).encode()


def load_or_create_sealed_key(path: Path) -> bytes:
    """Read the 32-byte sealed-value key at `path`, generating it (mode 0600) on first
    start. Creation is atomic: concurrent starts all end up with the same key."""
    key = read_or_create(path, lambda: secrets.token_bytes(KEY_BYTES))
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} is not a {KEY_BYTES}-byte sealed-value key")
    return key
