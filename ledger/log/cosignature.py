"""C2SP tlog-cosignature/v1 (Ed25519): what a witness signs and how anyone checks it.

A cosignature is an extra signed-note signature line on a checkpoint:
``— <witness name> base64(key ID || u64 big-endian timestamp || Ed25519 signature)``, the
signature over ``"cosignature/v1\\ntime <timestamp>\\n"`` followed by the checkpoint text. Its
key ID is SHA-256(name || "\\n" || 0x04 || public key)[:4], and its verifier key
``<name>+<hex key ID>+<base64(0x04 || public key)>``.

Pure: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.log.note import ALG_ED25519, NoteError, _b64decode, _check_name, _check_text

__all__ = [
    "ALG_COSIGNATURE_V1",
    "Cosignature",
    "CosignatureVerifier",
    "cosign",
    "cosignature_key_id",
    "cosignature_message",
    "cosignature_verifier_key",
    "note_parts",
    "parse_cosignature_key",
    "signature_lines",
]

ALG_COSIGNATURE_V1 = 0x04  # signed-note signature type of Ed25519 cosignature/v1
_SIG_PREFIX = "\u2014 "
_MAX_TIMESTAMP = 2**63 - 1
_BLOB_SIZE = 4 + 8 + 64


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    _check_name(name)
    if len(public_key) != 32:
        raise NoteError("Ed25519 public key must be 32 bytes")
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def cosignature_verifier_key(name: str, public_key: bytes) -> str:
    blob = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + public_key).decode("ascii")
    return f"{name}+{cosignature_key_id(name, public_key).hex()}+{blob}"


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosigner signs for checkpoint ``text`` at ``timestamp``."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp out of range")
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


@dataclass(frozen=True)
class Cosignature:
    """One verified cosignature: whose, and when the witness made it."""

    name: str
    key_id: bytes
    timestamp: int


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's public key as a verifier of its cosignature/v1 lines."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if cosignature_key_id(self.name, self.public_key) != self.key_id:
            raise NoteError(f"key ID does not match the public key for {self.name!r}")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise NoteError("invalid Ed25519 public key") from exc

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> CosignatureVerifier:
        return cls(name, cosignature_key_id(name, public_key), bytes(public_key))

    @property
    def vkey(self) -> str:
        return cosignature_verifier_key(self.name, self.public_key)

    def matches(self, name: str, blob: bytes) -> bool:
        """Whether a signature line (name, decoded blob) claims to be from this key."""
        return name == self.name and blob[:4] == self.key_id

    def verify(self, text: str, blob: bytes) -> Cosignature:
        """Check one decoded signature (key ID || timestamp || signature) over ``text``."""
        if len(blob) != _BLOB_SIZE:
            raise NoteError(f"cosignature from {self.name!r} is not {_BLOB_SIZE} bytes")
        if blob[:4] != self.key_id:
            raise NoteError(f"cosignature is not from key {self.name}+{self.key_id.hex()}")
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        if timestamp > _MAX_TIMESTAMP:
            raise NoteError(f"cosignature from {self.name!r} has a timestamp beyond 2^63-1")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                blob[12:], cosignature_message(text, timestamp)
            )
        except InvalidSignature:
            raise NoteError(f"invalid cosignature from {self.name!r}") from None
        return Cosignature(self.name, self.key_id, timestamp)


def parse_cosignature_key(text: str) -> CosignatureVerifier:
    """A witness's verifier key: type 0x04, or an Ed25519 note key (0x01) of the same key,
    whose cosignature key ID is then derived with 0x04 (as transparency-dev/formats does)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must have the form name+keyid+key")
    name, hex_id, blob = parts
    _check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError("verifier key ID must be 8 lowercase hex digits")
    raw = _b64decode(blob, "verifier key")
    if len(raw) != 33 or raw[0] not in (ALG_COSIGNATURE_V1, ALG_ED25519):
        raise NoteError("a witness key must be an Ed25519 key of type 0x04 (or 0x01)")
    public = raw[1:]
    declared = bytes.fromhex(hex_id)
    if raw[0] == ALG_ED25519:
        # The note key's ID commits to type 0x01: check it, then derive the 0x04 one.
        if hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4] != declared:
            raise NoteError(f"key ID does not match the public key for {name!r}")
        return CosignatureVerifier.from_public_key(name, public)
    return CosignatureVerifier(name, declared, public)


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A cosignature/v1 line (with its newline) over checkpoint ``text``."""
    _check_text(text)
    public = key.public_key().public_bytes_raw()
    signature = key.sign(cosignature_message(text, timestamp))
    blob = cosignature_key_id(name, public) + struct.pack(">Q", timestamp) + signature
    return f"{_SIG_PREFIX}{name} {base64.b64encode(blob).decode('ascii')}\n"


def note_parts(note: str) -> tuple[str, list[str]]:
    """A signed note's text and its signature lines (each without its newline)."""
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no signature block")
    return note[: split + 1], note[split + 2 :].split("\n")[:-1]


def signature_lines(lines: list[str]) -> Iterator[tuple[str, bytes]]:
    """(key name, decoded signature) of each line; a malformed line is a NoteError."""
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
        yield name, raw
