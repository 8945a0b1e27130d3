"""C2SP signed-note v1 (Ed25519 only) and C2SP tlog-checkpoint bodies.

Pure functions: no I/O. Verification is deliberately strict, since notes are
parsed from untrusted input; anything the spec forbids is a NoteError.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "Verifier",
    "key_id",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "sign_note",
    "verifier_key",
]

ALG_ED25519 = 0x01  # signed-note signature type byte for Ed25519
MAX_SIGNATURES = 100  # spec: verifiers SHOULD cap this, MUST accept >= 16
_SIG_PREFIX = "\u2014 "  # em dash + space
_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64
_ROOT_SIZE = 32
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls except "\n"
_SPACE = re.compile(r"\s")  # what str.isspace() calls a space, Unicode spaces included
_SIZE = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """Malformed, unverifiable or untrusted note, key or checkpoint."""


def _b64decode(text: str, what: str) -> bytes:
    # Reject non-canonical encodings so every value has exactly one spelling
    # (otherwise equal notes could differ byte-wise, confusing caches/witnesses).
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"invalid base64 in {what}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"non-canonical base64 in {what}")
    return raw


def _check_name(name: str) -> None:
    # Spec: non-empty, no Unicode spaces, no "+" (the verifier key separator).
    if not isinstance(name, str) or not name:
        raise NoteError("key name must be a non-empty string")
    if "+" in name or _SPACE.search(name) or _CONTROL.search(name):
        raise NoteError(f"key name {name!r} contains a space, '+' or control character")


def key_id(name: str, public_key: bytes) -> bytes:
    """4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_name(name)
    if len(public_key) != _ED25519_KEY_SIZE:
        raise NoteError(f"Ed25519 public key must be {_ED25519_KEY_SIZE} bytes")
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + bytes(public_key)
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A trusted Ed25519 note key. Construction checks that all fields agree."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if key_id(self.name, self.public_key) != self.key_id:
            raise NoteError(f"key ID does not match the public key for {self.name!r}")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise NoteError("invalid Ed25519 public key") from exc

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        return cls(name, key_id(name, public_key), bytes(public_key))

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != _ED25519_SIG_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, msg)
        except InvalidSignature:
            return False
        return True


def verifier_key(name: str, public_key: bytes) -> str:
    """Text form of a verifier key: ``<name>+<hex key id>+<base64(0x01||key)>``."""
    kid = key_id(name, public_key)
    blob = base64.b64encode(bytes([ALG_ED25519]) + bytes(public_key)).decode("ascii")
    return f"{name}+{kid.hex()}+{blob}"


def parse_verifier_key(text: str) -> Verifier:
    """Parse a verifier key string; the key ID must match the key."""
    # Names never contain "+", but base64 can: split only on the first two.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must have the form name+keyid+key")
    name, hex_id, blob = parts
    _check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError("verifier key ID must be 8 lowercase hex digits")
    raw = _b64decode(blob, "verifier key")
    if not raw or raw[0] != ALG_ED25519:
        raise NoteError("unsupported verifier key algorithm (only Ed25519 is accepted)")
    if len(raw) != 1 + _ED25519_KEY_SIZE:
        raise NoteError("Ed25519 verifier key must be 32 bytes")
    return Verifier(name, bytes.fromhex(hex_id), raw[1:])


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text contains a control character other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise NoteError("note text is not valid UTF-8") from exc


class SigningKey(Protocol):
    """An Ed25519 private key by another implementation (``log.signer``): Ed25519
    signatures are deterministic, so the note is the same bytes."""

    def sign(self, data: bytes) -> bytes: ...


def sign_note(
    text: str,
    name: str,
    private_key: Ed25519PrivateKey | SigningKey,
    public_key: bytes | None = None,
) -> str:
    """Sign ``text`` and return the full note (text, blank line, signature). A signer that
    signs often passes its `public_key` (raw) rather than have it derived each time; a
    ``SigningKey`` must pass it."""
    _check_text(text)
    _check_name(name)
    if public_key is not None:
        pub = public_key
    elif isinstance(private_key, Ed25519PrivateKey):
        pub = private_key.public_key().public_bytes_raw()
    else:
        raise TypeError("sign_note with a SigningKey needs its public key")
    sig = private_key.sign(text.encode("utf-8"))
    line = base64.b64encode(key_id(name, pub) + sig).decode("ascii")
    return f"{text}\n{_SIG_PREFIX}{name} {line}\n"


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> str:
    """Return the note text if a known verifier's signature checks out.

    Signatures from unknown keys (name *and* key ID must both match) are
    ignored, as the spec requires, so logs can be cosigned or rotate keys. A
    known key with a bad signature rejects the whole note: that is never
    benign.
    """
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    _check_text(note)
    # The text is separated from signatures by the *last* blank line; the text
    # itself may contain blank lines.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no signature block")
    text = note[: split + 1]
    lines = note[split + 2 :].split("\n")[:-1]  # note ends in "\n": drop ""
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")

    known = {(v.name, v.key_id): v for v in verifiers}
    msg = text.encode("utf-8")
    verified = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("malformed signature line")
        name, sep, blob = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep:
            raise NoteError("malformed signature line")
        _check_name(name)
        raw = _b64decode(blob, "signature")
        if len(raw) < 5:
            raise NoteError("signature is too short")
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(msg, raw[4:]):
            raise NoteError(f"invalid signature from known key {name!r}")
        verified = True
    if not verified:
        raise NoteError("note is not signed by any known key")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """C2SP tlog-checkpoint body: origin, tree size, root hash, extensions."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Validate on construction so body() can never emit an unparseable note.
        for what, line in (("origin", self.origin), *(("extension", e) for e in self.extensions)):
            if not isinstance(line, str) or not line:
                raise NoteError(f"checkpoint {what} line must be a non-empty string")
            if "\n" in line or _CONTROL.search(line):
                raise NoteError(f"checkpoint {what} line contains a control character")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise NoteError("checkpoint size must be a non-negative int")
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise NoteError(f"checkpoint root must be {_ROOT_SIZE} bytes")

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Strictly parse a checkpoint note text (as returned by ``open_note``)."""
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs origin, size and root lines")
    origin, size, root, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise NoteError("checkpoint size must be decimal without leading zeros")
    return Checkpoint(origin, int(size), _b64decode(root, "checkpoint root"), tuple(extensions))
