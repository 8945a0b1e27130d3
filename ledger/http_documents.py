"""Attached documents over HTTP: ``POST /documents`` takes one, ``GET /documents/{hex}``
serves it with its digest.

An upload is a raw body (the file) with its ``Content-Type`` and, in the header
``Sunshine-Signed-Request``, the base64 of a signed request of type ``UploadDocument``
(``ledger.signed_requests``): payload ``{"sha256", "size", "media_type"}`` of the file and,
if the uploader likes, its ``name``. The signature is checked, and the signer's role, before
a byte of the body is read: nobody without a valid key of a purchaser, an agency or a
finance office fills the disk. The body is hashed as it streams in and kept under the digest
it turns out to have, which must be the one signed.

A download carries the digest every way HTTP knows: ``Repr-Digest`` (RFC 9530), the older
``Digest`` (RFC 3230), and the ``ETag``. It is immutable (its name is its hash), always an
attachment, and served as the type recorded for it (all of which a browser displays or
saves, none it runs), with ``nosniff`` and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ledger.deps import DocumentsDep, SignedRequestsDep
from ledger.domain.documents import EXTENSIONS, MEDIA_TYPES, digest_bytes, media_type
from ledger.domain.errors import (
    Forbidden,
    Invalid,
    LedgerError,
    MalformedCommand,
    NotFound,
    TooLarge,
)
from ledger.domain.registry import Role
from ledger.http import SIGNED_REQUEST_ERRORS
from ledger.signed_requests import SignedRequest
from ledger.store.documents import DocumentStore, StoredDocument

UPLOAD: Final = "UploadDocument"
HEADER: Final = "Sunshine-Signed-Request"
#: Who may upload: those who attach documents to tenders and contracts, and their overseer.
UPLOADERS: Final = frozenset({Role.PURCHASER, Role.AGENCY, Role.FINANCE_OFFICE})
HEX: Final = re.compile(r"[0-9a-f]{64}\Z")
#: A signed request in a header: a few hundred bytes; anything longer is refused unread.
MAX_HEADER: Final = 8192
#: Characters a file name never carries to the user's disk: separators, quotes, controls.
_UNSAFE: Final = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')

documents = APIRouter(tags=["documents"])


class Unauthenticated(LedgerError):
    status = 401
    code = "unauthenticated"


def _authorised(request: SignedRequest) -> None:
    if request.key.role not in UPLOADERS:
        raise Forbidden(
            "rule documents.upload: documents are uploaded by a purchaser 采购人, an agency "
            f"采购代理机构 or the finance office 财政部门; {request.command.actor} is "
            f"{request.key.role.value}"
        )


def _signed_request(header: str | None) -> bytes:
    if header is None or len(header) > MAX_HEADER:
        raise Unauthenticated(
            f"an upload carries a signed {UPLOAD} request, base64, in the {HEADER} header"
        )
    try:
        return base64.b64decode(header, validate=True)
    except (binascii.Error, ValueError):
        raise Unauthenticated(f"the {HEADER} header is not base64") from None


def _announced(payload: dict[str, Any], content_type: str | None, length: str | None) -> bytes:
    """What the signed payload says of the file, checked against the request's headers;
    the digest the body must have."""
    extra = sorted(set(payload) - {"sha256", "size", "media_type", "name"})
    if extra:
        raise Invalid(f"payload has unknown field {extra[0]!r}")
    digest = digest_bytes(payload.get("sha256", ""))
    if digest is None:
        raise Invalid("payload.sha256 must be the file's SHA-256 in base64 (32 bytes)")
    kind = media_type(payload.get("media_type"), "payload.media_type")
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared != kind:
        raise Invalid(
            f"the body's Content-Type {declared or '(none)'} is not the signed media type {kind}",
            code="document_type",
        )
    size = payload.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise Invalid("payload.size must be the file's size in bytes, a positive integer")
    if length is not None and length.isdigit() and int(length) != size:
        raise Invalid(f"the body's Content-Length {length} is not the signed size {size}")
    return digest


def answer(stored: StoredDocument, name: str | None) -> dict[str, Any]:
    """What an upload answers: the digest in both spellings, where to fetch it, and the
    reference a command attaches it by (with ``name``, when the uploader gave one)."""
    sha256 = base64.b64encode(stored.digest).decode()
    out: dict[str, Any] = {
        "sha256": sha256,
        "sha256_hex": stored.hex,
        "size": stored.size,
        "media_type": stored.media_type,
        "url": f"/documents/{stored.hex}",
        "new": stored.new,
    }
    if name:
        out["document"] = {
            "name": name,
            "media_type": stored.media_type,
            "sha256": sha256,
            "size": stored.size,
        }
    return out


@documents.post(
    "/documents",
    summary="Upload an attached document (招标文件, 合同文本)",
    description=(
        f"Body: the file itself, its Content-Type one of {', '.join(MEDIA_TYPES)}. Header "
        f"{HEADER}: base64 of a signed {UPLOAD} request (an envelope like a command's, "
        'procurement null) with payload {"sha256": base64, "size": bytes, "media_type", '
        '"name"?}, by an actor of a purchaser, an agency or the finance office. Answers the '
        "SHA-256 (base64 and hex), the URL and, with a name, the reference a command "
        "attaches (201; 200 when the store held the same bytes already)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
        }
    },
    responses={
        **SIGNED_REQUEST_ERRORS,
        403: {"description": "the signer may not upload documents"},
        409: {"description": "the request's nonce was used before"},
        413: {"description": "the document is larger than the store takes"},
    },
)
async def upload(
    request: Request, requests: SignedRequestsDep, store: DocumentsDep
) -> Response:
    body = _signed_request(request.headers.get(HEADER))
    announced: dict[str, bytes] = {}

    def check(signed: SignedRequest) -> None:
        _authorised(signed)
        payload = signed.command.payload
        announced["digest"] = _announced(
            payload, request.headers.get("content-type"), request.headers.get("content-length")
        )
        if payload["size"] > store.max_bytes:
            raise TooLarge(f"a document may have at most {store.max_bytes} bytes")

    try:
        signed = await run_in_threadpool(requests.accept, body, UPLOAD, check)
    except MalformedCommand as exc:
        raise Unauthenticated(f"a signed {UPLOAD} request is required: {exc.message}") from None
    payload = signed.command.payload
    name = payload.get("name")
    if name is not None:
        name = _name_line(name)
    stored = await _receive(request, store, payload["media_type"], announced["digest"])
    return JSONResponse(answer(stored, name), status_code=201 if stored.new else 200)


def _name_line(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\n" in name:
        raise Invalid("payload.name must be one line of at most 200 characters")
    return name


async def _receive(
    request: Request, store: DocumentStore, kind: str, digest: bytes
) -> StoredDocument:
    """The body, streamed into the store; nothing is kept unless it is whole and hashes to
    ``digest``."""
    upload = await run_in_threadpool(store.begin, kind)
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(upload.write, chunk)
    except BaseException:
        await run_in_threadpool(upload.abort)
        raise
    return await run_in_threadpool(upload.finish, digest)


def file_name(name: str | None, hex_digest: str, kind: str) -> str:
    """A name the user's disk can take: no separators, quotes or controls, the extension of
    the type served (whatever the name given says)."""
    extension = EXTENSIONS[kind]
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", name or "")).strip(" .")[:150]
    if stem.lower().endswith(f".{extension}"):
        stem = stem[: -len(extension) - 1]
    return f"{stem or hex_digest}.{extension}"


Hex = Annotated[str, Path(description="the hex of the document's SHA-256, lower case")]


@documents.get(
    "/documents/{sha256}",
    summary="Download an attached document, with its SHA-256",
    response_class=Response,
    responses={404: {"description": "no such document"}, 304: {"description": "unchanged"}},
)
async def download(
    request: Request,
    store: DocumentsDep,
    sha256: Hex,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if not HEX.match(sha256):
        raise NotFound("a document is named by the 64 lower-case hex digits of its SHA-256")
    digest = bytes.fromhex(sha256)
    held = await run_in_threadpool(store.held, digest)
    if held is None or held.media_type not in MEDIA_TYPES:
        raise NotFound(f"no document {sha256} is kept here")
    tag = f'"{sha256}"'
    b64 = base64.b64encode(digest).decode()
    saved = file_name(name, sha256, held.media_type)
    headers = {
        "ETag": tag,
        "Repr-Digest": f"sha-256=:{b64}:",
        "Digest": f"sha-256={b64}",
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Disposition": (
            f"attachment; filename=\"{sha256}.{EXTENSIONS[held.media_type]}\"; "
            f"filename*=UTF-8''{quote(saved, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    served = held.media_type + ("; charset=utf-8" if held.media_type == "text/plain" else "")
    headers["Content-Length"] = str(held.size)
    chunks: Iterator[bytes] = store.chunks(digest)
    return StreamingResponse(iterate_in_threadpool(chunks), media_type=served, headers=headers)
