"""Which Ed25519 public keys the registry accepts.

A key must be written in canonical base64 (one spelling per key, so the signed
command and the recorded data can never disagree) and must be a canonical point
encoding outside the small-order subgroup: for a small-order key, signatures that
verify for every message exist without any private key, so nobody could be held
to what such a key "signed".
"""

from __future__ import annotations

import base64
import binascii

# y-coordinates (little-endian, sign bit cleared) of the points of order 1, 2, 4
# and 8, and the non-canonical encodings of 0, 1 and p-1 that alias them.
_P = 2**255 - 19
_SMALL_ORDER_Y = {
    0,
    1,
    _P - 1,
    int.from_bytes(
        bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
    ),
    int.from_bytes(
        bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), "little"
    ),
}


class WeakKey(ValueError):
    pass


def decode_public_key(text: object) -> bytes:
    """The 32 raw bytes of an acceptable key, or WeakKey saying why not."""
    if not isinstance(text, str):
        raise WeakKey("must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise WeakKey("must be standard base64") from None
    if len(raw) != 32:
        raise WeakKey("must be a 32-byte Ed25519 public key")
    if base64.b64encode(raw).decode("ascii") != text:
        raise WeakKey("must be written in canonical base64")
    y = int.from_bytes(raw[:31] + bytes([raw[31] & 0x7F]), "little")
    if y >= _P:
        raise WeakKey("is not a canonical Ed25519 point encoding")
    if y in _SMALL_ORDER_Y:
        raise WeakKey("is a small-order point, for which signatures can be forged")
    return raw
