"""What a witness is told: its name and key, and the logs it watches (a TOML file)::

    [[log]]
    key = "sunshine-ledger.localhost/log+1a2b3c4d+AQ..."   # the log's verifier key (0x01)
    # origin = "..."                                       # default: the key's name
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.cosignature import cosignature_verifier_key
from ledger.log.note import NoteError, Verifier, parse_verifier_key
from ledger.store.secret_file import read_secret, write_secret


class ConfigError(ValueError):
    """A witness configuration that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class WatchedLog:
    origin: str
    verifier: Verifier


def load_logs(path: Path) -> dict[str, WatchedLog]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    entries = data.get("log", [])
    if set(data) - {"log"} or not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected one or more [[log]] tables and nothing else")
    logs: dict[str, WatchedLog] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or set(entry) - {"key", "origin"} or "key" not in entry:
            raise ConfigError(f"{path}: log {number} needs `key` (and optionally `origin`)")
        try:
            verifier = parse_verifier_key(str(entry["key"]))
        except NoteError as exc:
            raise ConfigError(f"{path}: log {number}: {exc}") from None
        origin = str(entry.get("origin", verifier.name))
        if origin in logs:
            raise ConfigError(f"{path}: log {origin} is listed twice")
        logs[origin] = WatchedLog(origin, verifier)
    return logs


def new_key(path: Path) -> Ed25519PrivateKey:
    """A new witness key at ``path`` (PEM, mode 0600); never overwrites one."""
    key = Ed25519PrivateKey.generate()
    write_secret(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(read_secret(path), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    return key


def witness_vkey(name: str, key: Ed25519PrivateKey) -> str:
    return cosignature_verifier_key(name, key.public_key().public_bytes_raw())
