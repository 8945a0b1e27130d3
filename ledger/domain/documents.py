"""Attached documents 附件: 招标文件, 合同文本, referred to by their SHA-256.

A command names a document by ``{name, media_type, sha256, size}``; the bytes are kept in
the document store (``ledger.store.documents``), named by the same digest, and served with
it. The signed entry holds the digest, so anyone who downloads the file can check that it is
the one the official signed for. A command may only name a document the store holds, with
its size: the log never points at bytes nobody can fetch.

Pure: no I/O. The store is asked through the decision's view (``DocumentHolder``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ledger.domain import fields, text
from ledger.domain.errors import Invalid
from ledger.domain.schema import entries as E

#: The types a document may have, with the name a page shows. Nothing a browser would run
#: (HTML, SVG, scripts): a document is served as one of these or not at all.
MEDIA_TYPES: Final = {
    "application/pdf": "PDF",
    "application/ofd": "OFD",  # 版式文档 GB/T 33190-2016
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/zip": "ZIP",
    "text/plain": "TXT",
}
#: The file name extension of each type: a downloaded file is named with it, whatever its
#: name says.
EXTENSIONS: Final = {
    "application/pdf": "pdf",
    "application/ofd": "ofd",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
    "text/plain": "txt",
}
NAME_LIMIT: Final = 200
#: A notice attaches its documents, not an archive of them: a ZIP holds the rest.
MAX_DOCUMENTS: Final = 20


@dataclass(frozen=True)
class HeldDocument:
    """A document as the store holds it."""

    size: int
    media_type: str


class DocumentHolder(Protocol):
    def document(self, sha256: str) -> HeldDocument | None:
        """The document the store holds under ``sha256`` (base64), None if none."""
        ...


def digest_bytes(sha256: str) -> bytes | None:
    """The 32 bytes of a canonical standard base64 SHA-256, None for anything else."""
    if not isinstance(sha256, str) or len(sha256) != 44:
        return None
    try:
        raw = base64.b64decode(sha256, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32 or base64.b64encode(raw).decode() != sha256:
        return None
    return raw


def media_type(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in MEDIA_TYPES:
        raise Invalid(
            f"{where} must be one of {', '.join(MEDIA_TYPES)}: documents are PDF, OFD, "
            "DOCX, XLSX, ZIP or plain text",
            code="document_type",
        )
    return value


def documents(payload: Mapping[str, Any], held: DocumentHolder) -> list[E.Document] | None:
    """``payload.documents``, each one the store holds with the same size and type; None
    where the command attaches none."""
    given = payload.get("documents")
    if given is None:
        return None
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_DOCUMENTS:
        raise Invalid(f"payload.documents must be a list of 1–{MAX_DOCUMENTS} documents")
    found: list[E.Document] = []
    for n, item in enumerate(given):
        where = f"payload.documents[{n}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where} must be an object {{name, media_type, sha256, size}}")
        fields.only(item, ("name", "media_type", "sha256", "size"), where)
        document = _reference(item, where)
        if any(d.sha256 == document.sha256 for d in found):
            raise Invalid(f"{where}.sha256: the same document is attached twice")
        kept = held.document(document.sha256)
        if kept is None:
            raise Invalid(
                f"{where}.sha256: the document store holds no document {document.sha256}; "
                "upload it first (POST /documents, or `sunshine documents put`): an entry "
                "never names a document nobody can fetch",
                code="document_missing",
            )
        if kept.size != document.size or kept.media_type != document.media_type:
            raise Invalid(
                f"{where}: the document store holds {document.sha256} as {kept.media_type} "
                f"of {kept.size} bytes, not {document.media_type} of {document.size} bytes",
                code="document_mismatch",
            )
        found.append(document)
    return found


def _reference(item: Mapping[str, Any], where: str) -> E.Document:
    name = text.parse_line(item.get("name"), f"{where}.name", limit=NAME_LIMIT)
    kind = media_type(item.get("media_type"), f"{where}.media_type")
    sha256 = item.get("sha256")
    if not isinstance(sha256, str) or digest_bytes(sha256) is None:
        raise Invalid(f"{where}.sha256 must be the SHA-256 of the file in base64 (32 bytes)")
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise Invalid(f"{where}.size must be the file's size in bytes, a positive integer")
    return E.Document.model_validate(
        {"name": name, "media_type": kind, "sha256": sha256, "size": size}
    )
