"""Secret files are private: an existing one other users may read is refused, naming the
file and the fix; new ones are 0600; the SQLite ledger is 0640 (its -wal and -shm too)."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger
from ledger.log.signer import load_or_create_key, public_verifier_key
from ledger.lookup import load_or_create_lookup_key
from ledger.store.sealed_store import load_or_create_sealed_key
from ledger.store.sql import open_database
from ledger.store.url import parse_database_url


def _pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# Each secret file the ledger or a client reads: (what it is, how it is read, good content).
SECRET_FILES: dict[str, tuple[Callable[[Path], Any], Callable[[], bytes]]] = {
    "log key": (load_or_create_key, _pem),
    "log key, for its verifier key": (
        lambda path: public_verifier_key(path, "sunshine-ledger.localhost/log"),
        _pem,
    ),
    "sealed-value key": (load_or_create_sealed_key, lambda: secrets.token_bytes(32)),
    "lookup key": (load_or_create_lookup_key, lambda: secrets.token_bytes(32)),
    "actor key (sunshine submit --key, init --bootstrap-key, publish --key)": (
        signing.read_key,
        _pem,
    ),
}


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems have (022): files are group- and world-readable by default."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("what", sorted(SECRET_FILES))
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o606], ids=lambda m: f"{m:04o}")
def test_a_secret_file_others_may_read_is_refused_naming_the_fix(
    tmp_path: Path, what: str, mode: int
) -> None:
    read, content = SECRET_FILES[what]
    path = tmp_path / "secret"
    secret = content()
    path.write_bytes(secret)
    path.chmod(mode)
    with pytest.raises(ValueError) as refused:
        read(path)
    message = str(refused.value)
    assert str(path) in message and f"chmod 600 {path}" in message
    assert f"{mode:04o}" in message
    assert path.read_bytes() == secret and _mode(path) == mode  # left as it was
    path.chmod(0o600)  # the fix the message names
    read(path)


@pytest.mark.parametrize("what", ["log key", "sealed-value key", "lookup key"])
def test_new_secret_files_are_0600(tmp_path: Path, what: str, usual_umask: None) -> None:
    read, _ = SECRET_FILES[what]
    path = tmp_path / "data" / "secret"
    read(path)
    assert _mode(path) == 0o600
    made = path.read_bytes()
    read(path)
    assert path.read_bytes() == made  # read back, not made again


def test_new_actor_key_files_are_0600_and_never_overwritten(
    tmp_path: Path, usual_umask: None
) -> None:
    path = tmp_path / "keys" / "clerk.pem"
    key = Ed25519PrivateKey.generate()
    signing.write_key(path, key)
    assert _mode(path) == 0o600
    assert signing.key_id(signing.read_key(path)) == signing.key_id(key)
    with pytest.raises(FileExistsError):
        signing.write_key(path, Ed25519PrivateKey.generate())
    assert signing.key_id(signing.read_key(path)) == signing.key_id(key)
    assert [p.name for p in path.parent.iterdir()] == ["clerk.pem"]  # no temporaries left


def test_a_new_sqlite_ledger_is_0640_with_its_wal_and_shm(
    tmp_path: Path, usual_umask: None
) -> None:
    data = tmp_path / "data"
    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    ledger = Ledger(make_config(url, data))
    try:
        files = {p.name: _mode(p) for p in data.iterdir()}
        assert files["ledger.db"] == 0o640
        assert files["ledger.db-wal"] == files["ledger.db-shm"] == 0o640
        for name in ("log-key.pem", "sealed-key", "lookup-key"):
            assert files[name] == 0o600, name
    finally:
        ledger.close()
    # Our own tables' adapter opened first (``sunshine deliveries`` on a new file) does the same.
    other = parse_database_url(f"sqlite:///{tmp_path / 'other.db'}")
    db = open_database(other)
    try:
        db.execute_script(["CREATE TABLE t (x INTEGER)"])
        assert _mode(tmp_path / "other.db") == 0o640
    finally:
        db.close()
