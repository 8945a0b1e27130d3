"""A registered key, as the write path checks command signatures with it: by libsodium.

Everything else checks Ed25519 with OpenSSL (``cryptography``); commands are checked by
libsodium because its check releases the GIL, so other requests' Python (deciding, the group
commit) runs on the other core meanwhile, and because it takes about half the time here
(47 against 96 µs of CPU a signature). libsodium accepts a subset of what OpenSSL accepts:
both refuse S ≥ L and compare R without the cofactor, and libsodium also refuses small-order
R and keys (registered keys are never small-order: ``domain.keys``). So every command the
ledger records verifies again under ``sunshine verify``, which checks with OpenSSL.
"""

from __future__ import annotations

import base64

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class CommandKey:
    __slots__ = ("raw",)

    def __init__(self, raw: bytes):
        if len(raw) != PUBLIC_KEY_BYTES:
            raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes, not {len(raw)}")
        self.raw = raw

    @classmethod
    def from_b64(cls, text: str) -> CommandKey:
        return cls(base64.b64decode(text))

    def verifies(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != SIGNATURE_BYTES:
            return False
        try:
            crypto_sign_open(signature + message, self.raw)
        except BadSignatureError:
            return False
        return True
