"""The log's own Ed25519 key: signs checkpoints as C2SP signed notes."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from ledger.log.note import Checkpoint, parse_verifier_key, sign_note, verifier_key
from ledger.store.secret_file import read_or_create, read_secret


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Read the PEM key at `path`, generating it (mode 0600) on first start."""

    def generate() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    key = serialization.load_pem_private_key(read_or_create(path, generate), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_verifier_key(path: Path, origin: str) -> str:
    """The verifier key of the private key at `path`, without creating anything."""
    key = serialization.load_pem_private_key(read_secret(path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return verifier_key(origin, raw)


class SodiumKey:
    """The same private key, signing by libsodium: it releases the GIL while it signs (a
    checkpoint is signed within each group commit, while the other requests decide) and
    takes about 60% of OpenSSL's time here. The signatures are the same bytes."""

    __slots__ = ("_secret",)

    def __init__(self, key: Ed25519PrivateKey):
        seed = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._secret = crypto_sign_seed_keypair(seed)[1]

    def sign(self, data: bytes) -> bytes:
        return crypto_sign(data, self._secret)[:64]


class LogSigner:
    def __init__(self, origin: str, key: Ed25519PrivateKey):
        self.origin = origin
        self._key = SodiumKey(key)
        self.public_key = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier_key = verifier_key(origin, self.public_key)
        self.verifier = parse_verifier_key(self.verifier_key)

    def sign(self, size: int, root: bytes) -> str:
        body = Checkpoint(self.origin, size, root).body()
        return sign_note(body, self.origin, self._key, self.public_key)
