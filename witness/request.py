"""The body of a C2SP tlog-witness ``add-checkpoint`` request, parsed strictly.

``old <size>\\n``, zero to 63 base64 hash lines, an empty line, then the signed checkpoint
note. Anything else is a malformed request (400).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

MAX_BODY_BYTES: Final = 64 * 1024
MAX_PROOF_LINES: Final = 63
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class Malformed(ValueError):
    """Not an add-checkpoint body: answer 400."""


@dataclass(frozen=True)
class AddCheckpoint:
    old: int
    proof: tuple[bytes, ...]
    note: str

    def to_body(self) -> bytes:
        lines = [f"old {self.old}", *(base64.b64encode(p).decode() for p in self.proof)]
        return ("\n".join(lines) + "\n\n" + self.note).encode("utf-8")


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    if len(body) > MAX_BODY_BYTES:
        raise Malformed(f"request body over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise Malformed("the request has no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if match is None:
        raise Malformed("the first line must be `old <size>` in canonical decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Malformed(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            raw = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise Malformed("a proof line is not base64") from None
        if len(raw) != 32 or base64.b64encode(raw).decode() != line:
            raise Malformed("a proof line is not the canonical base64 of a 32-byte hash")
        proof.append(raw)
    return AddCheckpoint(int(match.group(1)), tuple(proof), note)
