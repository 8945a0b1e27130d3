"""HTTP for the write side and the log: POST /commands and the /log endpoints of DESIGN.md."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from ledger.application import Receipt
from ledger.bundle import filename, make_bundle, signed_size
from ledger.canonical import b64encode
from ledger.command_schemas import request_body
from ledger.commands import MAX_BODY_BYTES, parse_envelope
from ledger.deps import CommandsDep, LogDep
from ledger.domain.errors import NotFound, TooLarge
from ledger.domain.schema.payload_check import check_payload
from ledger.log.cosigned import cosigned_checkpoint, with_cosignatures
from ledger.log.reader import MAX_ENTRIES_PER_PAGE
from ledger.ports import CommandService, LogView

# Log positions beyond this are refused before they reach the database (SQLite
# integers are 64-bit; no log here will hold 2**53 entries).
MAX_POSITION = 2**53


#: A number as the log writes it: decimal digits, no sign, space, point, underscore or
#: leading zero. One spelling per position, so an entry has one URL (its bytes are cached
#: as immutable) and " 1", "+1", "01", "1.0" or "1_0" are refused instead of read as 1.
CANONICAL_NUMBER: Final = re.compile(r"0|[1-9][0-9]{0,17}")


def parse_position(text: str) -> int | None:
    """``text`` as a log position, or None unless it is a canonical decimal number."""
    return int(text) if CANONICAL_NUMBER.fullmatch(text) else None


def _canonical(value: object) -> object:
    if isinstance(value, str) and parse_position(value) is None:
        raise PydanticCustomError(
            "canonical_number", "a whole number in decimal digits, without sign or leading zero"
        )
    return value


Canonical = BeforeValidator(_canonical)
# The validator after the parameter: before it, FastAPI would print the bounds into the
# OpenAPI document as "ge"/"le", which no client reads.
Position = Annotated[int, Query(ge=0, le=MAX_POSITION), Canonical]
Size = Annotated[int, Query(ge=1, le=MAX_POSITION), Canonical]
Count = Annotated[int, Query(ge=1, le=MAX_ENTRIES_PER_PAGE), Canonical]
Index = Annotated[int, Path(ge=0, le=MAX_POSITION), Canonical]

#: What an endpoint reading a signed request may answer before its own refusals.
SIGNED_REQUEST_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "malformed: not JSON, wrong types, bad base64 or text"},
    401: {"description": "unknown or revoked key, or a signature that does not verify"},
    413: {"description": f"body over {MAX_BODY_BYTES} bytes"},
    422: {"description": "a request of another type, or not fresh (issued_at)"},
}

commands = APIRouter(tags=["commands"])
log = APIRouter(prefix="/log", tags=["log"])


async def read_body_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge(f"request body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge(f"request body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


@commands.post(
    "/commands",
    status_code=201,
    summary="Submit a signed command",
    description=(
        'Body: {"command": {type, procurement, payload, actor, key, issued_at, nonce}, '
        '"signature": base64 Ed25519 over the RFC 8785 canonical JSON of command, '
        '"sealed": optional openings of the sealed values the payload commits to}. '
        f"At most {MAX_BODY_BYTES} bytes. Answers with the events recorded, their leaf "
        "indices and inclusion proofs against a fresh signed checkpoint (201), or 202 "
        "when the integrator has not reached them within the wait."
    ),
    # The body is read raw (its exact bytes matter), so describe it for /docs by hand;
    # the command's variants are components (``command_schemas.add_to_openapi``).
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": request_body("#/components/schemas/{model}")}
            },
        },
        "responses": {
            "400": {"description": "malformed: JSON, types, base64, text"},
            "401": {"description": "unknown or revoked key, or a signature that does not verify"},
            "403": {"description": "the actor's role or organisation may not do this"},
            "409": {"description": "replayed nonce, or the record exists or changed"},
            "413": {"description": f"body over {MAX_BODY_BYTES} bytes"},
            "422": {
                "description": (
                    "fields not of the payload's schema, every one listed in `errors` "
                    "(code invalid_fields); or a domain rule refuses the command"
                )
            },
        },
    },
)
async def submit_command(request: Request, service: CommandsDep) -> JSONResponse:
    body = await read_body_limited(request)
    receipt = await run_in_threadpool(_checked_submit, service, body)
    return JSONResponse(receipt.as_json(), status_code=201 if receipt.checkpoint else 202)


def _checked_submit(service: CommandService, body: bytes) -> Receipt:
    """The command's payload against its schema first, every field error at once (422
    ``invalid_fields``); then the ledger decides. The domain's own checks stay its own."""
    command = parse_envelope(body).command
    check_payload(command.type, command.payload)
    return service.submit(body)


@commands.post(
    "/sealed/read",
    summary="Read a sealed value (signed request)",
    description=(
        'Body: a signed request like a command, of type "ReadSealed", payload '
        '{"commitment": "<base64>"}, signed at most 5 minutes before. Inspectors and the '
        "finance office read every sealed value; any other actor only those its organisation "
        "sealed. Every read is recorded first, as a SealedValueRead entry of the log (who read "
        "which value of which procurement, never the value): the answer carries the value, "
        "its salt and that entry's receipt (\"recorded\"). A refused read records nothing."
    ),
    responses={
        **SIGNED_REQUEST_ERRORS,
        403: {"description": "the reader is not entitled to this value"},
        404: {"description": "no value is kept under this commitment"},
        409: {"description": "the request was sent before, or the kept value is damaged"},
        422: {"description": "signed more than 5 minutes ago, or a malformed payload"},
    },
)
async def read_sealed(request: Request, service: CommandsDep) -> JSONResponse:
    body = await read_body_limited(request)
    value = await run_in_threadpool(service.read_sealed, body)
    return JSONResponse(value, headers={"Cache-Control": "no-store"})


@log.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The signed checkpoint with the witnesses' cosignatures",
    description=(
        "The newest checkpoint that carries a witness's cosignature (C2SP tlog-cosignature "
        "lines after the log's own signature line), or the latest one while none does. "
        "Headers: `Sunshine-Log-Size` (the latest signed size), `Sunshine-Cosigned-Lag` "
        "(how many entries the served one is behind it), `Sunshine-Cosignatures`."
    ),
)
def checkpoint(log_view: LogDep) -> Response:
    served = cosigned_checkpoint(log_view.reader.db)
    if served is None:
        raise NotFound("the log is empty: no checkpoint has been signed yet")
    return Response(
        served.note,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-cache", **served.headers()},
    )


@log.get(
    "/witness-policy",
    response_class=PlainTextResponse,
    summary="The witness policy readers should apply to /log/checkpoint",
    description=(
        "Sigsum/transparency-dev policy text: `witness NAME VKEY [URL]`, "
        "`group NAME all|any|K MEMBER...`, `quorum NAME`."
    ),
    responses={404: {"description": "the log has no witnesses configured"}},
)
def witness_policy(log_view: LogDep) -> Response:
    if log_view.witness_policy is None:
        raise NotFound("this log has no witnesses configured")
    return Response(
        log_view.witness_policy,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@log.get("/key", response_class=PlainTextResponse, summary="The log's verifier key")
def key(log_view: LogDep) -> Response:
    return Response(log_view.verifier_key, media_type="text/plain; charset=utf-8")


@log.get("/entries/{index}", summary="The exact bytes of one leaf")
def entry(index: Index, log_view: LogDep) -> Response:
    return Response(
        log_view.reader.entry(index),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@log.get(
    "/entries",
    summary="A run of leaves, one per line (NDJSON)",
    description=f"At most {MAX_ENTRIES_PER_PAGE} leaves from `start`; leaves hold no raw newline.",
)
def entries(start: Position, log_view: LogDep, count: Count = 100) -> Response:
    leaves = log_view.reader.entries(start, count)
    if not leaves:  # indices are dense: nothing at start means start is past the end
        raise NotFound(f"no log entry at index {start}: the log has {log_view.reader.size()}")
    return Response(b"".join(leaf + b"\n" for leaf in leaves), media_type="application/x-ndjson")


@log.get("/proof/inclusion", summary="Inclusion proof of leaf `index` in the tree of `size`")
def inclusion(index: Position, size: Size, log_view: LogDep) -> dict[str, object]:
    leaf, proof = log_view.reader.inclusion(index, size)
    return {
        "index": index,
        "size": size,
        "leaf_hash": b64encode(leaf),
        "proof": [b64encode(p) for p in proof],
    }


@log.get("/proof/consistency", summary="Consistency proof from size `old` to size `size`")
def consistency(old: Size, size: Size, log_view: LogDep) -> dict[str, object]:
    proof = log_view.reader.consistency(old, size)
    return {"old": old, "size": size, "proof": [b64encode(p) for p in proof]}


@log.get(
    "/health",
    summary="Whether the stored tree still gives the signed root",
    description=(
        '200 {"status": "ok", "size", "refused_proofs"}, or 503 {"status": "damaged", "code": '
        '"log_damaged", "message", "size", "damage": {"message", "size", "node": {"level", '
        '"index"} or null, "found_at"}, "refused_proofs"}. Checked on each request: the latest '
        "checkpoint's signature and the stored frontier against its root; and every proof "
        "this process refused because it did not verify against the signed checkpoint. "
        "`sunshine verify --db` recomputes every stored node from the leaves."
    ),
    responses={503: {"description": "the stored tree is damaged"}},
)
def health(log_view: LogDep) -> JSONResponse:
    size, damage = log_view.reader.check_tree(log_view.verifier)
    answer: dict[str, object] = {"status": "ok", "size": size}
    if damage is not None:
        answer = {
            "status": "damaged",
            "code": "log_damaged",
            "message": f"the stored tree is damaged at {damage.where()}: {damage.message}",
            "size": size,
            "damage": damage.as_json(),
        }
    answer["refused_proofs"] = log_view.reader.health.refused
    return JSONResponse(
        answer, status_code=503 if damage else 200, headers={"Cache-Control": "no-store"}
    )


@log.get(
    "/bundle/{index}",
    summary="A downloadable proof bundle for one entry",
    description=(
        'JSON {"index", "leaf" (base64 of the exact leaf bytes), "size", "proof", '
        '"checkpoint" (signed note), "log_key"}: everything `sunshine verify --bundle` '
        "needs to check the entry offline against the latest signed checkpoint."
    ),
)
def bundle(index: Index, log_view: LogDep) -> Response:
    note, size = _bundle_checkpoint(index, log_view)
    if index >= size:
        raise NotFound(
            f"entry {index} is not yet in a signed checkpoint (size {size}); try again shortly"
        )
    _, proof = log_view.reader.inclusion(index, size)
    made = make_bundle(
        index, log_view.reader.entry(index), size, proof, note, log_view.verifier_key
    )
    return Response(
        made.to_bytes(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(index)}"',
            "Cache-Control": "no-cache",
        },
    )


def _bundle_checkpoint(index: int, log_view: LogView) -> tuple[str, int]:
    """The cosigned checkpoint when it holds the entry (the bundle then carries the
    witnesses' lines), else the latest one."""
    served = cosigned_checkpoint(log_view.reader.db)
    if served is None:
        raise NotFound("the log is empty: no checkpoint has been signed yet")
    if index < served.size:
        return served.note, signed_size(served.note, log_view.verifier)
    note = log_view.reader.checkpoint()
    assert note is not None  # a checkpoint was served, so a latest one exists
    size = signed_size(note, log_view.verifier)
    return with_cosignatures(log_view.reader.db, size, note), size
