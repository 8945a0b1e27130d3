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
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.domain.errors import Invalid, LedgerError
from ledger.domain.sealed import Disclosure, check_disclosure
from ledger.store.recorders import (
    SEALED_COLUMNS,
    SEALED_TABLE,
    SQLITE_INSERT_SEALED,
    SealedRow,
    pg_append_only,
    sqlite_append_only,
)
from ledger.store.secret_file import read_or_create
from ledger.store.sql import Database

TABLE = SEALED_TABLE
COLUMNS = SEALED_COLUMNS
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


class SealedStoreError(LedgerError):
    """A stored row cannot be opened: wrong key, or the row was altered. Answered as a
    refusal naming the commitment (409 ``sealed_damaged``), never as a server error: the
    request was fine, the kept value is not."""

    status = 409
    code = "sealed_damaged"

    def __init__(self, commitment: str, message: str):
        super().__init__(message)
        self.commitment = commitment

    def as_json(self) -> dict[str, str]:
        return {**super().as_json(), "commitment": self.commitment}


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
        self,
        commitment: str,
        disclosure: Disclosure,
        *,
        procurement: str = "",
        owner: str = "",
        checked: bool = False,
    ) -> SealedRow:
        """`disclosure` encrypted for its row under `commitment`, refusing (Invalid,
        "bad_disclosure") a disclosure that does not open it; ``checked``: the caller made
        the commitment from this very disclosure (the bid box), or checked that it opens it
        (``parse_envelope``), so it is not made again. The row keeps the disclosure in
        memory (``SealedRow.opened``), never in what is stored."""
        if not checked:
            check_disclosure(commitment, disclosure.value, disclosure.salt_b64)
        plaintext = json.dumps(
            {"value": disclosure.value, "salt": disclosure.salt_b64},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext, _bound(commitment, procurement, owner))
        return SealedRow(commitment, procurement, owner, nonce, ciphertext, opened=disclosure)

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
                f"SELECT {COLUMNS} FROM {TABLE} WHERE commitment = ?",  # noqa: S608
                (commitment,),
            ).fetchone()
        return None if row is None else self.open(_row(row))

    def kept(self, commitments: Collection[str]) -> set[str]:
        """Which of `commitments` have a row, without decrypting any: a view that says
        whether a value is kept never holds its cleartext."""
        if not commitments:
            return set()
        marks = ", ".join("?" * len(commitments))
        with self.db.read() as cur:
            found = cur.execute(
                f"SELECT commitment FROM {TABLE} WHERE commitment IN ({marks})",  # noqa: S608
                tuple(commitments),
            ).fetchall()
        return {str(r[0]) for r in found}

    def rows(self, after: str = "", limit: int = 1000) -> list[SealedRow]:
        """Up to `limit` rows as stored, in commitment order after `after`: a whole store
        is read a page at a time (`sunshine verify`)."""
        with self.db.read() as cur:
            found = cur.execute(
                f"SELECT {COLUMNS} FROM {TABLE} WHERE commitment > ? "  # noqa: S608
                "ORDER BY commitment LIMIT ?",
                (after, limit),
            ).fetchall()
        return [_row(r) for r in found]

    def open(self, row: SealedRow) -> SealedEntry:
        """The disclosure a stored row holds; SealedStoreError when it cannot be decrypted
        with this store's key or does not open its commitment."""
        commitment = row.commitment
        try:
            plaintext = self._aead.decrypt(
                row.nonce, row.ciphertext, _bound(commitment, row.procurement, row.owner)
            )
        except InvalidTag:
            raise SealedStoreError(
                commitment,
                f"sealed value {commitment} cannot be decrypted: "
                "wrong sealed-value key, or the row was altered",
            ) from None
        try:
            stored: Any = json.loads(plaintext)
            if not isinstance(stored, dict) or set(stored) != {"value", "salt"}:
                raise ValueError("unexpected shape")
            disclosure = Disclosure(stored["value"], stored["salt"])
            check_disclosure(commitment, disclosure.value, disclosure.salt_b64)
        except (ValueError, Invalid) as exc:
            raise SealedStoreError(
                commitment, f"sealed value {commitment} does not open its commitment: {exc}"
            ) from None
        return SealedEntry(disclosure, row.procurement, row.owner)


def _row(found: tuple[Any, ...]) -> SealedRow:
    commitment, procurement, owner, nonce, ciphertext = found
    return SealedRow(str(commitment), str(procurement), str(owner), bytes(nonce), bytes(ciphertext))


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
