"""How a page names an attached document: its digest in hex (its address), its size and its
format, for ``templates/_documents.html``."""

from __future__ import annotations

import base64
import binascii

from ledger.domain.documents import MEDIA_TYPES


def document_hex(sha256: str) -> str:
    """The hex of a base64 SHA-256: the document's address, ``/documents/<hex>``."""
    try:
        return base64.b64decode(sha256, validate=True).hex()
    except (binascii.Error, ValueError):
        return ""


def file_size(size: int) -> str:
    """A size as a reader takes it in: 字节 below a KB, then KB or MB with one decimal."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def document_format(media_type: str) -> str:
    return MEDIA_TYPES.get(media_type, "文件")
