"""The sealed store on SQLite and PostgreSQL: encrypted at rest, tamper-evident."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.errors import Invalid
from ledger.domain.sealed import Disclosure, seal
from ledger.store.sealed_store import (
    SealedStore,
    SealedStoreError,
    load_or_create_sealed_key,
)
from ledger.store.secret_file import write_secret
from ledger.store.sql import PostgresDatabase, SQLiteDatabase, open_database
from ledger.store.url import DatabaseURL

MEMBER = "欧阳建华"
PRICE = "1386500.00"


@pytest.fixture
def db(db_url: DatabaseURL) -> Iterator[SQLiteDatabase | PostgresDatabase]:
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def store(db: SQLiteDatabase | PostgresDatabase, tmp_path: Path) -> SealedStore:
    s = SealedStore(db, load_or_create_sealed_key(tmp_path / "keys" / "sealed.key"))
    s.create_tables()
    s.create_tables()  # idempotent
    return s


def _rows(db: SQLiteDatabase | PostgresDatabase) -> list[tuple[Any, ...]]:
    with db.read() as cur:
        return cur.execute(
            "SELECT commitment, nonce, ciphertext FROM sealed_values ORDER BY commitment"
        ).fetchall()


@pytest.mark.parametrize(
    "value",
    [
        PRICE,
        {"members": [MEMBER, "李秀英", "张伟"], "chair": MEMBER},
        ["130102198001011234", 7, None, True],
    ],
)
def test_round_trip(store: SealedStore, value: Any) -> None:
    commitment, disclosure = seal(value)
    store.put(commitment["commitment"], disclosure)
    assert store.get(commitment["commitment"]) == disclosure


def test_missing_is_none(store: SealedStore) -> None:
    commitment, _ = seal("x")
    assert store.get(commitment["commitment"]) is None


def test_put_is_idempotent(store: SealedStore, db: SQLiteDatabase | PostgresDatabase) -> None:
    commitment, disclosure = seal(PRICE)
    store.put(commitment["commitment"], disclosure)
    first = _rows(db)
    store.put(commitment["commitment"], disclosure)
    assert _rows(db) == first
    assert len(first) == 1
    assert store.get(commitment["commitment"]) == disclosure


def test_plaintext_not_at_rest(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase, db_url: DatabaseURL
) -> None:
    committee, committee_disclosure = seal({"members": [MEMBER, "李秀英"]})
    price, price_disclosure = seal(PRICE)
    store.put(committee["commitment"], committee_disclosure)
    store.put(price["commitment"], price_disclosure)
    secrets_ = [
        MEMBER.encode(),
        MEMBER.encode("unicode_escape"),
        PRICE.encode(),
        committee_disclosure.salt_b64.encode(),
        price_disclosure.salt_b64.encode(),
    ]
    rows = _rows(db)
    assert len(rows) == 2
    for commitment, nonce, ciphertext in rows:
        assert len(bytes(nonce)) == 12
        raw = commitment.encode() + bytes(nonce) + bytes(ciphertext)
        for secret in secrets_:
            assert secret not in raw
    if db_url.is_sqlite:
        db.close()  # checkpoint the WAL into the file
        assert db_url.path is not None
        base = Path(db_url.path)
        files = [base, base.with_name(base.name + "-wal")]
        content = b"".join(p.read_bytes() for p in files if p.exists())
        assert committee["commitment"].encode() in content
        for secret in secrets_:
            assert secret not in content


def test_wrong_key_cannot_read(store: SealedStore, db: SQLiteDatabase | PostgresDatabase) -> None:
    commitment, disclosure = seal(PRICE)
    store.put(commitment["commitment"], disclosure)
    other = SealedStore(db, os.urandom(32))
    with pytest.raises(SealedStoreError, match="cannot be decrypted"):
        other.get(commitment["commitment"])


def test_kept_says_which_values_have_a_row_without_opening_them(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase
) -> None:
    price, disclosure = seal(PRICE)
    missing, _ = seal("1.00")
    store.put(price["commitment"], disclosure)
    both = [price["commitment"], missing["commitment"]]
    assert store.kept(both) == {price["commitment"]}
    assert store.kept([]) == set()
    # A store under another key cannot open the row, yet sees that it is kept.
    assert SealedStore(db, os.urandom(32)).kept(both) == {price["commitment"]}


def _tamper(
    db: SQLiteDatabase | PostgresDatabase, statement: str, params: tuple[object, ...]
) -> None:
    """Change a row as the database owner could: first switching the append-only triggers off."""
    with db.write(0) as cur:
        if db.url.is_sqlite:
            cur.execute("DROP TRIGGER sealed_values_no_update")
        else:
            cur.execute("ALTER TABLE sealed_values DISABLE TRIGGER USER")
        cur.execute(statement, params)


def test_kept_values_cannot_be_changed_or_deleted(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase
) -> None:
    commitment, disclosure = seal("100.00")
    store.put(commitment["commitment"], disclosure)
    for statement in ("UPDATE sealed_values SET owner = 'x'", "DELETE FROM sealed_values"):
        with pytest.raises(Exception, match="append-only"), db.write(0) as cur:
            cur.execute(statement)
    assert store.get(commitment["commitment"]) == disclosure


def test_altered_ciphertext_refused(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase
) -> None:
    commitment, disclosure = seal({"members": [MEMBER]})
    c = commitment["commitment"]
    store.put(c, disclosure)
    ((_, _, ciphertext),) = _rows(db)
    altered = bytearray(ciphertext)
    altered[0] ^= 0x01
    _tamper(db, "UPDATE sealed_values SET ciphertext = ? WHERE commitment = ?", (bytes(altered), c))
    with pytest.raises(SealedStoreError, match="row was altered"):
        store.get(c)


def test_row_moved_to_another_commitment_refused(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase
) -> None:
    first, first_disclosure = seal("100.00")
    second, second_disclosure = seal("999.00")
    store.put(first["commitment"], first_disclosure)
    store.put(second["commitment"], second_disclosure)
    rows = {row[0]: row for row in _rows(db)}
    _, nonce, ciphertext = rows[first["commitment"]]
    _tamper(
        db,
        "UPDATE sealed_values SET nonce = ?, ciphertext = ? WHERE commitment = ?",
        (bytes(nonce), bytes(ciphertext), second["commitment"]),
    )
    with pytest.raises(SealedStoreError):
        store.get(second["commitment"])
    assert store.get(first["commitment"]) == first_disclosure


@pytest.mark.parametrize("kind", ["value", "salt", "commitment"])
def test_mismatching_disclosure_refused(
    store: SealedStore, db: SQLiteDatabase | PostgresDatabase, kind: str
) -> None:
    commitment, disclosure = seal(PRICE)
    _, other = seal(PRICE)
    c = commitment["commitment"]
    if kind == "value":
        bad = Disclosure("1.00", disclosure.salt_b64)
    elif kind == "salt":
        bad = Disclosure(PRICE, other.salt_b64)
    else:
        bad = disclosure
        c = c[:-4]
    with pytest.raises(Invalid) as caught:
        store.put(c, bad)
    assert caught.value.code == "bad_disclosure"
    assert _rows(db) == []


def test_key_must_be_32_bytes(db: SQLiteDatabase | PostgresDatabase) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SealedStore(db, b"short")


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sealed.key"
    key = load_or_create_sealed_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key
    assert load_or_create_sealed_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["sealed.key"]  # no temporaries left


def test_key_file_concurrent_creation_agrees(tmp_path: Path) -> None:
    path = tmp_path / "sealed.key"
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_sealed_key(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8
    assert set(keys) == {path.read_bytes()}


def test_bad_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "sealed.key"
    write_secret(path, b"too short")
    with pytest.raises(ValueError, match="32-byte"):
        load_or_create_sealed_key(path)
