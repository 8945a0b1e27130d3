"""`sunshine verify --db`: every value in the sealed store still opens its commitment.

The log holds only commitments; the values are kept aside, encrypted (``sealed_store``). A
row altered in the database fails AES-GCM authentication (its commitment, procurement and
owner are bound to it as associated data), and a row re-encrypted by someone holding the key
with another value no longer opens its commitment, SHA-256(salt ‖ JCS(value)). Either way
the value could not be disclosed when the lifecycle comes to it. This check needs the
sealed-value key; without it the store is not checked, and the report says so.

Rows are read a page at a time: memory stays flat however many values are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ledger.store.sealed_store import KEY_BYTES, SealedStore, SealedStoreError
from ledger.store.sql import Database
from ledger.verify import VerificationFailed

PAGE: Final = 1000
NAMED: Final = 5  # damaged rows named in the failure; the rest are counted


@dataclass
class SealedCheck:
    """What the sealed-store check found: rows checked, or why it was skipped."""

    checked: int = 0
    skipped: str | None = None
    damaged: list[SealedStoreError] = field(default_factory=list)

    def describe(self) -> str:
        if self.skipped is not None:
            return f"sealed store not checked: {self.skipped}"
        return f"sealed store: {self.checked} kept values open their commitments"


def read_sealed_key(path: Path) -> bytes | None:
    """The sealed-value key at ``path``, None when there is no such file: verifying never
    makes a key."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VerificationFailed(
            f"cannot read the sealed-value key {path}: {exc.strerror}"
        ) from None
    if len(key) != KEY_BYTES:
        raise VerificationFailed(f"{path} is not a {KEY_BYTES}-byte sealed-value key")
    return key


def check_sealed_store(db: Database, key: bytes | None, where: Path) -> SealedCheck:
    """Open every kept value; ``VerificationFailed`` naming the damaged rows, if any.
    ``where`` is the key's path, named when it is missing."""
    if key is None:
        return SealedCheck(skipped=f"no sealed-value key at {where} (pass --sealed-key)")
    store = SealedStore(db, key)
    check = SealedCheck()
    after = ""
    while page := store.rows(after, PAGE):
        for row in page:
            try:
                store.open(row)
            except SealedStoreError as damage:
                check.damaged.append(damage)
        check.checked += len(page)
        after = page[-1].commitment
    if check.damaged:
        named = "; ".join(d.message for d in check.damaged[:NAMED])
        more = len(check.damaged) - NAMED
        raise VerificationFailed(
            f"{len(check.damaged)} of {check.checked} kept sealed values are damaged: {named}"
            + (f"; and {more} more" if more > 0 else "")
            + (" (every row fails: is it this ledger's key?)" if len(check.damaged) > 1
               and len(check.damaged) == check.checked else "")
        )
    return check
