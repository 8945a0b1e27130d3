"""The document store's contract, run against both adapters: a directory beside a SQLite
ledger (real files) and the ``documents`` table beside a PostgreSQL ledger (`db_url`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.domain.documents import HeldDocument
from ledger.domain.errors import Invalid, TooLarge
from ledger.store.documents import DirectoryDocuments, DocumentStore, open_documents
from ledger.store.sql import open_database
from ledger.store.url import DatabaseURL

PDF = "application/pdf"
TEXT = "text/plain"


@pytest.fixture
def store(db_url: DatabaseURL, tmp_path: Path) -> Iterator[DocumentStore]:
    db = open_database(db_url)
    documents = open_documents(db, tmp_path / "data", max_bytes=3 * 1024 * 1024)
    documents.create_tables()
    try:
        yield documents
    finally:
        db.close()


def put(store: DocumentStore, content: bytes, kind: str = PDF, expected: bytes | None = None,
        chunk: int = 65536) -> tuple[bytes, bool]:
    upload = store.begin(kind)
    for start in range(0, len(content), chunk):
        upload.write(content[start : start + chunk])
    stored = upload.finish(expected)
    return stored.digest, stored.new


def read(store: DocumentStore, digest: bytes) -> bytes:
    return b"".join(store.chunks(digest))


def test_a_document_is_kept_under_its_sha256_and_read_back_whole(store: DocumentStore) -> None:
    content = b"%PDF-1.7\n" + bytes(range(256)) * 9000  # over 2 MiB: several chunks
    digest, new = put(store, content, expected=hashlib.sha256(content).digest())
    assert digest == hashlib.sha256(content).digest()
    assert new
    assert store.held(digest) == HeldDocument(len(content), PDF)
    assert read(store, digest) == content


def test_the_same_bytes_again_are_the_same_document(store: DocumentStore) -> None:
    digest, new = put(store, "招标文件正文".encode())
    again, new_again = put(store, "招标文件正文".encode(), kind=TEXT)
    assert (again, new, new_again) == (digest, True, False)
    # The first upload's type stands: a document is never replaced.
    assert store.held(digest) == HeldDocument(len("招标文件正文".encode()), PDF)


def test_a_document_the_store_never_took_is_not_held(store: DocumentStore) -> None:
    missing = hashlib.sha256(b"never uploaded").digest()
    assert store.held(missing) is None
    assert read(store, missing) == b""


def test_bytes_that_hash_to_another_digest_than_signed_are_not_kept(
    store: DocumentStore, tmp_path: Path
) -> None:
    content = b"the real contract"
    with pytest.raises(Invalid) as refused:
        put(store, content, expected=hashlib.sha256(b"another file").digest())
    assert refused.value.code == "digest_mismatch"
    assert store.held(hashlib.sha256(content).digest()) is None
    _no_leftovers(store)


def test_a_document_over_the_cap_is_refused_and_nothing_kept(store: DocumentStore) -> None:
    content = b"x" * (store.max_bytes + 1)
    with pytest.raises(TooLarge):
        upload = store.begin(PDF)
        try:
            for start in range(0, len(content), 1 << 20):
                upload.write(content[start : start + (1 << 20)])
        except TooLarge:
            upload.abort()
            raise
    assert store.held(hashlib.sha256(content).digest()) is None
    _no_leftovers(store)


def test_an_empty_document_or_another_type_is_refused(store: DocumentStore) -> None:
    with pytest.raises(Invalid) as empty:
        put(store, b"")
    assert empty.value.code == "empty_document"
    with pytest.raises(Invalid):
        store.begin("text/html")
    _no_leftovers(store)


def test_nobody_replaces_or_deletes_a_kept_document(
    store: DocumentStore, db_url: DatabaseURL
) -> None:
    digest, _ = put(store, b"signed contract text")
    if isinstance(store, DirectoryDocuments):
        path = store.path(digest)
        assert path.name == digest.hex()
        assert path.read_bytes() == b"signed contract text"
        return
    with psycopg.connect(db_url.conninfo(), autocommit=True) as conn:
        for statement in ("UPDATE documents SET content = 'x'", "DELETE FROM documents",
                          "TRUNCATE documents"):  # fmt: skip
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
    assert read(store, digest) == b"signed contract text"


def _no_leftovers(store: DocumentStore) -> None:
    """A refused upload leaves no temporary file behind (the directory adapter)."""
    if isinstance(store, DirectoryDocuments):
        assert [p.name for p in store.root.iterdir() if p.name.startswith(".upload-")] == []
