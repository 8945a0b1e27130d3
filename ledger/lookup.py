"""Lookup codes 查询码: how a supplier finds its challenge without an account.

The code is an HMAC of the challenge number under the ledger's lookup key (a secret file
in the data directory), so nothing needs storing: the ledger recomputes it to check one.
It is returned once, in the response to the supplier's own signed FileChallenge. Sixteen
base32 characters are 80 bits: guessing is hopeless, and lookups are rate-limited besides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Final

from ledger.store.secret_file import read_or_create

KEY_BYTES: Final = 32
CODE_CHARACTERS: Final = 16


def load_or_create_lookup_key(path: Path) -> bytes:
    key = read_or_create(path, lambda: secrets.token_bytes(KEY_BYTES))
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} is not a {KEY_BYTES}-byte lookup key")
    return key


class LookupCodes:
    def __init__(self, key: bytes):
        self._key = bytes(key)

    def code(self, number: str) -> str:
        """The lookup code of challenge ``number``, as ABCD-EFGH-JKLM-NPQR."""
        digest = hmac.new(self._key, f"challenge:{number}".encode(), hashlib.sha256).digest()
        text = base64.b32encode(digest).decode()[:CODE_CHARACTERS]
        return "-".join(text[i : i + 4] for i in range(0, CODE_CHARACTERS, 4))

    def derived_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` (the lookup form's tokens, …) derived from the lookup key, so
        every process sharing the data directory has it; never equal to a code's MAC input."""
        return hmac.new(self._key, f"derived:{purpose}".encode(), hashlib.sha256).digest()

    def matches(self, number: str, code: str) -> bool:
        """Whether ``code`` (any case, with or without dashes and spaces) is ``number``'s."""
        given = code.upper().replace("-", "").replace(" ", "")
        expected = self.code(number).replace("-", "")
        return hmac.compare_digest(given.encode(), expected.encode())
