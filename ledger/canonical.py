"""Strict JSON in, RFC 8785 canonical JSON (JCS) out.

Commands are parsed strictly (no duplicate keys, no floats, no NaN, valid UTF-8,
no control characters) and that strictness is what lets `canonical()` use orjson:
for ASCII-identifier keys, integers within ±2**53 and strings without lone
surrogates, its sorted compact output is byte-for-byte RFC 8785 (and ~15× faster
than a pure-Python JCS encoder). A property
test checks it against the `rfc8785` reference package, and `sunshine submit`
signs with that package, so client and server are two independent encoders.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import orjson

from ledger.domain.errors import Invalid, MalformedCommand

JSONValue = Any

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 8
MAX_STRING = 20_000
KEY_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")
# C0 controls except TAB and LF, DEL, C1 controls, lone surrogates, and bidi
# overrides (they make a page show text in another order than it is stored).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_ONE_LINE = re.compile("[\t\n]")


def canonical(value: JSONValue) -> bytes:
    """RFC 8785 bytes of an already validated value (see `validate`)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def canonical_text(value: JSONValue) -> str:
    return canonical(value).decode()


def _refuse_float(text: str) -> float:
    raise MalformedCommand(f"numbers must be integers; write amounts as strings (got {text})")


def _refuse_constant(text: str) -> float:
    raise MalformedCommand(f"{text} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedCommand(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_strict(raw: bytes) -> JSONValue:
    """Parse request bytes: valid UTF-8, no duplicate keys, no floats, no NaN."""
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise MalformedCommand(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_refuse_float,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as exc:
        raise MalformedCommand(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise MalformedCommand(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # an integer literal beyond Python's digit limit
        raise MalformedCommand("a number is far too large") from None
    return value


Path = tuple[object, ...]  # (parent path, key or index): built cheaply, named on error


def _name(path: Path) -> str:
    parts: list[str] = []
    while len(path) == 2:
        path, step = path  # type: ignore[assignment]
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return str(path[0]) + "".join(reversed(parts))


def validate(value: JSONValue, where: str = "$") -> None:
    """Check a parsed value lies in the domain where `canonical` equals RFC 8785."""
    _validate(value, (where,), 0)


def _validate(value: JSONValue, path: Path, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise MalformedCommand(f"{_name(path)}: nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind is str:
        if len(value) > MAX_STRING:
            raise Invalid(f"{_name(path)}: text longer than {MAX_STRING} characters")
        bad = _FORBIDDEN.search(value)
        if bad:
            raise MalformedCommand(
                f"{_name(path)}: control or invisible formatting character U+{ord(bad.group()):04X}"
            )
        return
    if kind is dict:
        for key, item in value.items():
            if not KEY_PATTERN.match(key):
                raise MalformedCommand(f"{_name(path)}: key {key!r} is not a lower-case identifier")
            _validate(item, (path, key), depth + 1)
        return
    if kind is list:
        for i, item in enumerate(value):
            _validate(item, (path, i), depth + 1)
        return
    if kind is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise MalformedCommand(f"{_name(path)}: integer outside ±2^53")
        return
    if kind is bool or value is None:
        return
    raise MalformedCommand(f"{_name(path)}: unsupported value of type {kind.__name__}")


def b64decode_strict(text: str, where: str, *, length: int | None = None) -> bytes:
    """Standard base64 with padding; refuses anything else instead of guessing."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedCommand(f"{where}: not valid standard base64") from None
    if length is not None and len(raw) != length:
        raise MalformedCommand(f"{where}: expected {length} bytes, got {len(raw)}")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
