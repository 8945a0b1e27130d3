"""The document store: attached documents 附件, content-addressed by their SHA-256.

Two adapters behind one port (``DocumentStore``), chosen by the ledger's database URL:

* beside a SQLite ledger, a directory (``<data dir>/documents``): each document a file
  named by the hex of its SHA-256, its media type in ``<hex>.type`` beside it. Both are
  written to a temporary file, fsynced and linked into place (never over an existing one),
  then the directory is fsynced: a crash leaves a whole document or none;
* beside a PostgreSQL ledger, the table ``documents`` (bytea, the digest its primary key),
  append-only in the database like the ledger's tables: every process on the database sees
  every document, and nobody deletes or overwrites one.

An upload is hashed while it streams in and is kept under the digest it turned out to have:
the same bytes uploaded again are the same document (the first upload's media type is kept).
A document is never replaced: the log's entries name it by digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Protocol

from ledger.domain.documents import MEDIA_TYPES, HeldDocument
from ledger.domain.errors import Invalid, TooLarge
from ledger.store.recorders import pg_append_only
from ledger.store.sql import Database

TABLE: Final = "documents"
#: The default cap on a document's size (``SUNSHINE_DOCUMENT_MAX_BYTES``).
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
#: What a download is read and sent in.
CHUNK: Final = 1024 * 1024

POSTGRES: Final = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (digest bytea PRIMARY KEY "
    "CHECK (octet_length(digest) = 32), media_type text NOT NULL, "
    "size bigint NOT NULL CHECK (size > 0), content bytea NOT NULL, "
    "CHECK (octet_length(content) = size))",
    *pg_append_only(TABLE),
]


@dataclass(frozen=True)
class StoredDocument:
    """A document kept: its digest (32 bytes), size and media type; ``new`` when this upload
    added it (not when the store held the same bytes already)."""

    digest: bytes
    size: int
    media_type: str
    new: bool = True

    @property
    def hex(self) -> str:
        return self.digest.hex()


class Upload(Protocol):
    """One document arriving: chunks written in, then ``finish`` keeps it (or ``abort``)."""

    def write(self, chunk: bytes) -> None: ...

    def finish(self, expected: bytes | None = None) -> StoredDocument:
        """Keep the document; refused (``Invalid`` ``digest_mismatch``) when ``expected``
        is given and the bytes hash to another digest, or it is empty."""
        ...

    def abort(self) -> None: ...


class DocumentStore(Protocol):
    max_bytes: int

    def begin(self, media_type: str) -> Upload: ...

    def held(self, digest: bytes) -> HeldDocument | None: ...

    def chunks(self, digest: bytes) -> Iterator[bytes]:
        """The document's bytes, in chunks (nothing if the store holds no such document)."""
        ...

    def create_tables(self) -> None: ...


class _Hashing:
    """What every upload does as the bytes stream in: hash, count, refuse past the cap."""

    def __init__(self, media_type: str, max_bytes: int):
        if media_type not in MEDIA_TYPES:
            raise Invalid(f"media type {media_type!r} is not one a document may have")
        self.media_type = media_type
        self.max_bytes = max_bytes
        self.hasher = hashlib.sha256()
        self.size = 0

    def _take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"a document may have at most {self.max_bytes} bytes")
        self.hasher.update(chunk)

    def _digest(self, expected: bytes | None) -> bytes:
        if self.size == 0:
            raise Invalid("the document is empty", code="empty_document")
        digest = self.hasher.digest()
        if expected is not None and digest != expected:
            raise Invalid(
                f"the body's SHA-256 is {digest.hex()}, not the {expected.hex()} that was "
                "signed: the upload was damaged or is another file; nothing was kept",
                code="digest_mismatch",
            )
        return digest


# -- a directory on disk (beside a SQLite ledger) ----------------------------------------------


class DirectoryDocuments:
    """Documents as files named by the hex of their SHA-256 in ``root``."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.root = root
        self.max_bytes = max_bytes

    def create_tables(self) -> None:
        self.root.mkdir(mode=0o750, parents=True, exist_ok=True)

    def path(self, digest: bytes) -> Path:
        return self.root / digest.hex()

    def begin(self, media_type: str) -> Upload:
        self.create_tables()
        return _FileUpload(self, media_type)

    def held(self, digest: bytes) -> HeldDocument | None:
        path = self.path(digest)
        try:
            size = path.stat().st_size
            kind = path.with_suffix(".type").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return HeldDocument(size, kind)

    def chunks(self, digest: bytes) -> Iterator[bytes]:
        try:
            file = self.path(digest).open("rb")
        except FileNotFoundError:
            return
        with file:
            while chunk := file.read(CHUNK):
                yield chunk

    def keep(self, temporary: Path, digest: bytes, media_type: str) -> bool:
        """Link the fsynced ``temporary`` into place as ``digest``'s file, its type first;
        False when the store held the document already (``temporary`` is then dropped)."""
        target = self.path(digest)
        try:
            if target.exists():
                return False
            type_file = target.with_suffix(".type")
            if not type_file.exists():
                _link_new(self.root, type_file, media_type.encode("ascii"))
            try:
                os.link(temporary, target)
            except FileExistsError:
                return False  # another upload of the same bytes won: the same document
            _sync_directory(self.root)
            return True
        finally:
            temporary.unlink(missing_ok=True)


class _FileUpload(_Hashing):
    def __init__(self, store: DirectoryDocuments, media_type: str):
        super().__init__(media_type, store.max_bytes)
        self.store = store
        handle, name = tempfile.mkstemp(prefix=".upload-", dir=store.root)
        self.path = Path(name)
        self.file: IO[bytes] = os.fdopen(handle, "wb")

    def write(self, chunk: bytes) -> None:
        self._take(chunk)
        self.file.write(chunk)

    def finish(self, expected: bytes | None = None) -> StoredDocument:
        try:
            digest = self._digest(expected)
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
        except BaseException:
            self.abort()
            raise
        new = self.store.keep(self.path, digest, self.media_type)
        held = self.store.held(digest)
        assert held is not None
        return StoredDocument(digest, held.size, held.media_type, new)

    def abort(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


def _link_new(directory: Path, target: Path, content: bytes) -> None:
    """``content`` written whole and fsynced, then linked to ``target`` unless it exists."""
    handle, name = tempfile.mkstemp(prefix=".upload-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(name, target)
    finally:
        os.unlink(name)


def _sync_directory(directory: Path) -> None:
    """Make the new names in ``directory`` durable (a file's fsync does not cover them)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# -- a PostgreSQL table (beside a PostgreSQL ledger) -------------------------------------------


class PostgresDocuments:
    """Documents as rows of the append-only table ``documents``."""

    def __init__(self, db: Database, max_bytes: int = DEFAULT_MAX_BYTES):
        self.db = db
        self.max_bytes = max_bytes

    def create_tables(self) -> None:
        self.db.execute_script(POSTGRES)

    def begin(self, media_type: str) -> Upload:
        return _RowUpload(self, media_type)

    def held(self, digest: bytes) -> HeldDocument | None:
        with self.db.read() as cur:
            row = cur.execute(
                f"SELECT size, media_type FROM {TABLE} WHERE digest = ?",  # noqa: S608
                (digest,),
            ).fetchone()
        return None if row is None else HeldDocument(int(row[0]), str(row[1]))

    def chunks(self, digest: bytes) -> Iterator[bytes]:
        held = self.held(digest)
        if held is None:
            return
        # A page at a time: a 50 MiB document is never held whole in memory.
        for start in range(0, held.size, CHUNK):
            with self.db.read() as cur:
                row = cur.execute(
                    f"SELECT substring(content FROM ? FOR ?) FROM {TABLE} "  # noqa: S608
                    "WHERE digest = ?",
                    (start + 1, CHUNK, digest),
                ).fetchone()
            assert row is not None  # never deleted
            yield bytes(row[0])

    def insert(self, digest: bytes, media_type: str, content: bytes) -> bool:
        with self.db.write(0) as cur:
            row = cur.execute(
                f"INSERT INTO {TABLE} (digest, media_type, size, content) "  # noqa: S608
                "VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING RETURNING 1",
                (digest, media_type, len(content), content),
            ).fetchone()
        return row is not None


class _RowUpload(_Hashing):
    def __init__(self, store: PostgresDocuments, media_type: str):
        super().__init__(media_type, store.max_bytes)
        self.store = store
        # Spooled: a small document stays in memory, a large one goes to a temporary file
        # until it is whole and its digest is known.
        self.file = tempfile.SpooledTemporaryFile(max_size=CHUNK)  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self._take(chunk)
        self.file.write(chunk)

    def finish(self, expected: bytes | None = None) -> StoredDocument:
        try:
            digest = self._digest(expected)
            self.file.seek(0)
            content = self.file.read()
        finally:
            self.file.close()
        new = self.store.insert(digest, self.media_type, content)
        held = self.store.held(digest)
        assert held is not None
        return StoredDocument(digest, held.size, held.media_type, new)

    def abort(self) -> None:
        self.file.close()


def open_documents(
    db: Database, data_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> DocumentStore:
    """The document store beside the ledger's database: a directory for SQLite, the
    ``documents`` table for PostgreSQL."""
    if db.url.is_sqlite:
        return DirectoryDocuments(data_dir / "documents", max_bytes)
    return PostgresDocuments(db, max_bytes)
