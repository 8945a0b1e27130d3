"""Command signatures are checked by libsodium and every log is verified by OpenSSL: what the
first accepts, the second must accept too, or a recorded command would fail verification."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import signing
from ledger.command_key import CommandKey

KEY = Ed25519PrivateKey.generate()
PUBLIC = signing.public_bytes(KEY)
# The group order: S + L verifies in the equation but is refused by both libraries.
L = 2**252 + 27742317777372353535851937790883648493


def openssl_accepts(signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(PUBLIC).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def test_a_signature_verifies_for_its_message_only() -> None:
    message = "采购公告 2026".encode()
    signature = KEY.sign(message)
    key = CommandKey.from_b64(signing.public_b64(KEY))
    assert key.verifies(signature, message)
    assert not key.verifies(signature, message + b" ")
    assert not key.verifies(signature[:63], message)
    assert not CommandKey(signing.public_bytes(Ed25519PrivateKey.generate())).verifies(
        signature, message
    )


def test_a_malleated_signature_is_refused_as_openssl_refuses_it() -> None:
    message = b"amend"
    signature = KEY.sign(message)
    s = int.from_bytes(signature[32:], "little") + L
    twin = signature[:32] + s.to_bytes(32, "little")
    assert not openssl_accepts(twin, message)
    assert not CommandKey(PUBLIC).verifies(twin, message)


def test_a_key_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CommandKey(PUBLIC[:31])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 64 * 8 - 1), st.booleans())
def test_what_libsodium_accepts_openssl_accepts(message: bytes, bit: int, flip: bool) -> None:
    signature = bytearray(KEY.sign(message))
    if flip:
        signature[bit // 8] ^= 1 << (bit % 8)
    ours = CommandKey(PUBLIC).verifies(bytes(signature), message)
    assert ours == openssl_accepts(bytes(signature), message)
    assert ours == (not flip)
