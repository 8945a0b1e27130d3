"""The witness's HTTP face: C2SP tlog-witness ``POST /add-checkpoint``, and ``GET /`` for its
verifier key.

Answers: 200 with the cosignature line; 400 a malformed body or an old size above the new;
403 no trusted signature of the log; 404 a log it does not watch; 409 (``text/x.tlog.size``,
the size it knows) a stale old size or another root for the same size; 422 a consistency
proof that does not verify.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ledger.log.cosignature import cosign
from ledger.log.note import Checkpoint, NoteError, open_note, parse_checkpoint
from witness.config import WatchedLog, witness_vkey
from witness.request import MAX_BODY_BYTES, Malformed, parse_add_checkpoint
from witness.state import BadProof, Conflict, WitnessState

logger = logging.getLogger("sunshine.witness")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    media_type: str = "text/plain; charset=utf-8"


class Witness:
    """The witness itself, without HTTP: one submission in, one answer out."""

    def __init__(
        self, name: str, key: Ed25519PrivateKey, logs: dict[str, WatchedLog], state: WitnessState
    ):
        self.name = name
        self.key = key
        self.logs = logs
        self.state = state
        self.vkey = witness_vkey(name, key)

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = parse_add_checkpoint(body)
            origin = request.note.split("\n", 1)[0]
        except Malformed as exc:
            return Answer(400, f"{exc}\n")
        log = self.logs.get(origin)
        if log is None:
            return Answer(404, f"this witness does not watch the log {origin!r}\n")
        try:
            text = open_note(request.note, [log.verifier])
        except NoteError as exc:
            return Answer(403, f"the checkpoint is not signed by the log's key: {exc}\n")
        try:
            checkpoint = parse_checkpoint(text)
        except NoteError as exc:
            return Answer(400, f"not a checkpoint: {exc}\n")
        if request.old > checkpoint.size:
            return Answer(400, f"old size {request.old} is above the size {checkpoint.size}\n")
        try:
            line = self.state.advance(
                request.old, request.proof, checkpoint, request.note,
                lambda: self._cosign(checkpoint),
            )
        except Conflict as exc:
            logger.info("409 for %s: %s", origin, exc)
            return Answer(409, f"{exc.known}\n", "text/x.tlog.size")
        except BadProof as exc:
            logger.warning("422 for %s: %s", origin, exc)
            return Answer(422, f"{exc}\n")
        return Answer(200, line)

    def _cosign(self, checkpoint: Checkpoint) -> str:
        return cosign(checkpoint.body(), self.name, self.key, int(time.time()))


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return PlainTextResponse(f"request body over {MAX_BODY_BYTES} bytes\n", 413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse(f"request body over {MAX_BODY_BYTES} bytes\n", 413)
        answer = await run_in_threadpool(witness.add_checkpoint, bytes(body))
        # The type is set whole: Starlette would add a charset to text/x.tlog.size.
        return Response(
            answer.body.encode("utf-8"),
            status_code=answer.status,
            headers={"Content-Type": answer.media_type, "Cache-Control": "no-store"},
        )

    async def about(request: Request) -> Response:
        return PlainTextResponse(witness.vkey + "\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/", about, methods=["GET"]),
        ]
    )
