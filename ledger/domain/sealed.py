"""Sealed values: a commitment in the public leaf, the value and its salt kept aside.

A value that may not be public yet (a bid price before opening, the evaluation
committee before the result) or ever (an identity number) appears in a signed
command only as

    {"commitment": "<standard base64 of SHA-256(salt ‖ JCS(value))>"}

with a fresh random 32-byte salt. JCS is RFC 8785 canonical JSON, so the
commitment does not depend on how the value was spelled. The value and the salt
(the `Disclosure`) travel beside the command, and anyone holding a disclosure can
check it against the commitment with `check_disclosure`. The salt stops anyone
from guessing a small value (a price, a name from a short list) by hashing
candidates.

Values are JSON: strings, integers, booleans, null, lists and objects. Floats are
refused, as everywhere in the ledger: amounts are strings.

Pure: no I/O besides the system's random source.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import rfc8785

from ledger.domain.errors import Invalid

SALT_BYTES = 32
DIGEST_BYTES = 32
SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: integers up to this are exact
_BMP_END = "\U00010000"
CODE = "bad_disclosure"


@dataclass(frozen=True)
class Disclosure:
    """What opens a commitment: the value itself and the salt, in standard base64."""

    value: Any
    salt_b64: str


def _refuse(message: str) -> Invalid:
    return Invalid(message, code=CODE)


def _decode_32(text: object) -> bytes | None:
    """The 32 bytes of `text` if it is their canonical standard base64, else None."""
    if not isinstance(text, str) or not text.isascii():
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        return None
    return raw


def _check_json(value: Any, depth: int = 0) -> bool:
    """Refuse what is no sealed value; True when ``value`` lies where orjson's sorted output
    is RFC 8785 byte for byte: plain dicts, lists, strings, booleans, null and integers
    within ±2**53, with keys free of characters beyond the BMP (RFC 8785 orders keys by
    their UTF-16 code units, orjson by code points: the two differ only there)."""
    if depth > 64:
        raise _refuse("sealed value is nested too deeply")
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-SAFE_INTEGER <= value <= SAFE_INTEGER)
    if isinstance(value, float):
        raise _refuse("sealed values may not contain floats; write amounts as strings")
    plain = kind is list or kind is dict
    if isinstance(value, list):
        for item in value:
            plain = _check_json(item, depth + 1) and plain
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refuse("sealed value object keys must be strings")
            plain = _check_json(item, depth + 1) and plain
            bmp = key.isascii() or max(key, default="") < _BMP_END
            plain = plain and type(key) is str and bmp
    return plain


def _jcs(value: Any) -> bytes:
    if _check_json(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: the reference encoder says what is wrong
    try:
        encoded: bytes = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise _refuse(f"sealed value is not canonical JSON: {exc}") from exc
    return encoded


def commitment_of(value: Any, salt: bytes) -> str:
    """Standard base64 of SHA-256(salt ‖ JCS(value))."""
    if len(salt) != SALT_BYTES:
        raise _refuse(f"salt must be {SALT_BYTES} bytes, got {len(salt)}")
    digest = hashlib.sha256(bytes(salt) + _jcs(value)).digest()
    return base64.b64encode(digest).decode()


def seal(value: Any) -> tuple[dict[str, str], Disclosure]:
    """A fresh commitment to `value` and the disclosure that opens it."""
    salt = secrets.token_bytes(SALT_BYTES)
    commitment = {"commitment": commitment_of(value, salt)}
    return commitment, Disclosure(value, base64.b64encode(salt).decode())


def is_commitment(obj: object) -> bool:
    """True for exactly `{"commitment": <canonical standard base64 of 32 bytes>}`."""
    return (
        isinstance(obj, dict)
        and len(obj) == 1
        and "commitment" in obj
        and _decode_32(obj["commitment"]) is not None
    )


def commitments_in(value: Any) -> list[str]:
    """Every commitment in a payload, at any depth."""
    if is_commitment(value):
        return [value["commitment"]]
    if isinstance(value, dict):
        return [c for item in value.values() for c in commitments_in(item)]
    if isinstance(value, list):
        return [c for item in value for c in commitments_in(item)]
    return []


def check_disclosure(commitment: object, value: Any, salt_b64: str) -> None:
    """Refuse (Invalid, code "bad_disclosure") unless `value` and `salt_b64` open
    `commitment`.

    `commitment` is the object found in the leaf, `{"commitment": "<b64>"}`; its bare
    base64 string is accepted too.
    """
    if isinstance(commitment, str):
        commitment = {"commitment": commitment}
    if not is_commitment(commitment):
        raise _refuse('malformed commitment: expected {"commitment": "<base64 of 32 bytes>"}')
    assert isinstance(commitment, dict)
    salt = _decode_32(salt_b64)
    if salt is None:
        raise _refuse("salt must be 32 bytes in canonical standard base64")
    expected = commitment["commitment"]
    if not hmac.compare_digest(commitment_of(value, salt), expected):
        raise _refuse("disclosure does not match the commitment: value or salt is wrong")
