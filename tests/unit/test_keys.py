"""The registry accepts only canonical, full-order Ed25519 public keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.domain.keys import WeakKey, decode_public_key

P_MINUS_1 = "ec" + "ff" * 30 + "7f"
SMALL_ORDER = [
    "01" + "00" * 31,  # the identity: "signatures" verify for every message
    "00" * 32,
    P_MINUS_1,
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "01" + "00" * 30 + "80",  # the identity with the sign bit set
]
NON_CANONICAL = ["ed" + "ff" * 30 + "7f", "ee" + "ff" * 30 + "7f", "ff" * 32]


def b64(hexadecimal: str) -> str:
    return base64.b64encode(bytes.fromhex(hexadecimal)).decode()


def test_a_real_key_is_accepted() -> None:
    key = Ed25519PrivateKey.generate()
    assert decode_public_key(signing.public_b64(key)) == signing.public_bytes(key)


@pytest.mark.parametrize("point", SMALL_ORDER)
def test_small_order_points_are_refused(point: str) -> None:
    with pytest.raises(WeakKey, match="small-order"):
        decode_public_key(b64(point))


@pytest.mark.parametrize("point", NON_CANONICAL)
def test_non_canonical_points_are_refused(point: str) -> None:
    with pytest.raises(WeakKey, match="canonical"):
        decode_public_key(b64(point))


def test_one_spelling_per_key() -> None:
    text = signing.public_b64(Ed25519PrivateKey.generate())
    raw = base64.b64decode(text)
    # Same bytes, but the unused low bits of the last base64 digit set: decodes the same.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = text[:-2] + last[last.index(text[-2]) + 1] + "="
    assert base64.b64decode(twin) == raw
    with pytest.raises(WeakKey, match="canonical base64"):
        decode_public_key(twin)


@pytest.mark.parametrize("value", [None, 42, "", "not base64!", b64("01" * 31)])
def test_malformed_values_are_refused(value: object) -> None:
    with pytest.raises(WeakKey):
        decode_public_key(value)
