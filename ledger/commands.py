"""Signed commands: the envelope an actor sends, checked before anything is decided.

Request body: {"command": {"type", "procurement", "payload", "actor", "key",
"issued_at", "nonce"}, "signature": "<standard base64 Ed25519 over JCS(command)>"},
and, when the payload holds sealed values, "sealed": {"<commitment>": {"value", "salt"}}
beside them: each value and salt must open its commitment (DESIGN.md, "Confidential values").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.canonical import b64decode_strict, canonical_text, parse_strict, validate
from ledger.command_key import CommandKey
from ledger.domain.errors import Invalid, InvalidSignature, MalformedCommand, TooLarge
from ledger.domain.sealed import Disclosure, check_disclosure

MAX_BODY_BYTES = 64 * 1024
MAX_SEALED = 16  # sealed values beside one command
DEFAULT_MAX_AGE = timedelta(hours=24)  # how old a signed command may be when it arrives
DEFAULT_MAX_SKEW = timedelta(minutes=5)  # how far ahead of the ledger's clock
#: How old a signed *read* may be (ReadSealed, ListDeliveries, LookupChallenge, SignIn). A
#: command may have been signed offline and sent later, hence its day; a read is signed by
#: the client that sends it, at once. Five minutes bounds what a captured read is worth and
#: how long every process must remember its nonce to refuse it a second time.
REQUEST_MAX_AGE = timedelta(minutes=5)
COMMAND_FIELDS = ("type", "procurement", "payload", "actor", "key", "issued_at", "nonce")
TYPE_PATTERN = re.compile(r"[A-Z][A-Za-z]{2,63}\Z")
ACTOR_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]\Z")
KEY_PATTERN = re.compile(r"[0-9a-f]{16}\Z")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}\Z")
PROCUREMENT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})\Z")


@dataclass(frozen=True)
class Command:
    type: str
    procurement: str | None
    payload: dict[str, Any]
    actor: str
    key: str
    issued_at: datetime
    nonce: str


@dataclass(frozen=True)
class Envelope:
    command: Command
    text: str  # canonical JSON of the command object: the signed bytes, as text
    signature: bytes
    signature_b64: str
    sealed: dict[str, Disclosure] = field(default_factory=dict)  # commitment → disclosure

    def verify_with(self, public_key: bytes) -> None:
        self.verify_with_key(CommandKey(public_key))

    def verify_with_key(self, public_key: CommandKey) -> None:
        if not public_key.verifies(self.signature, self.text.encode()):
            raise InvalidSignature(f"the signature does not verify with key {self.command.key}")


def parse_envelope(body: bytes, signature_required: bool = True) -> Envelope:
    """The body's command, signature and sealed values, each checked for shape. A draft
    (``Ledger.draft``) may come without a signature: its ``signature`` is then empty."""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"request body over {MAX_BODY_BYTES} bytes")
    value = parse_strict(body)
    if not isinstance(value, dict):
        raise MalformedCommand("body must be a JSON object {command, signature}")
    extra = sorted(set(value) - {"command", "signature", "sealed"})
    if extra:
        raise MalformedCommand(f"unknown field {extra[0]!r} beside command and signature")
    raw, signature = value.get("command"), value.get("signature")
    if not isinstance(raw, dict):
        raise MalformedCommand("command must be a JSON object")
    if signature is None and not signature_required:
        sig, signature = b"", ""
    elif not isinstance(signature, str):
        raise MalformedCommand("signature must be a base64 string")
    else:
        sig = b64decode_strict(signature, "signature", length=64)
    command = parse_command(raw)
    return Envelope(
        command=command,
        text=canonical_text(raw),
        signature=sig,
        signature_b64=signature,
        sealed=parse_sealed(value.get("sealed", {})),
    )


def parse_sealed(raw: object) -> dict[str, Disclosure]:
    """The sealed values sent beside a command, each checked against its commitment."""
    if not isinstance(raw, dict):
        raise MalformedCommand('sealed must be an object {"<commitment>": {"value", "salt"}}')
    if len(raw) > MAX_SEALED:
        raise MalformedCommand(f"at most {MAX_SEALED} sealed values beside one command")
    sealed = {}
    for commitment, opening in raw.items():
        if not isinstance(opening, dict) or set(opening) != {"value", "salt"}:
            raise MalformedCommand(f"sealed[{commitment!r}] must be an object {{value, salt}}")
        if not isinstance(opening["salt"], str):
            raise MalformedCommand(f"sealed[{commitment!r}].salt must be base64 of 32 bytes")
        validate(opening["value"], "sealed.value")
        check_disclosure(commitment, opening["value"], opening["salt"])
        sealed[commitment] = Disclosure(opening["value"], opening["salt"])
    return sealed


def parse_command(raw: dict[str, Any]) -> Command:
    missing = [f for f in COMMAND_FIELDS if f not in raw]
    if missing:
        raise MalformedCommand(f"command is missing {missing[0]!r}")
    extra = sorted(set(raw) - set(COMMAND_FIELDS))
    if extra:
        raise MalformedCommand(f"command has unknown field {extra[0]!r}")
    validate(raw, "command")
    kind, procurement, payload = raw["type"], raw["procurement"], raw["payload"]
    actor, key, issued_at, nonce = raw["actor"], raw["key"], raw["issued_at"], raw["nonce"]
    _expect(isinstance(kind, str) and TYPE_PATTERN.match(kind), "type must be a command name")
    _expect(
        procurement is None
        or (isinstance(procurement, str) and PROCUREMENT_PATTERN.match(procurement)),
        "procurement must be null or a procurement id",
    )
    _expect(isinstance(payload, dict), "payload must be a JSON object")
    _expect(isinstance(actor, str) and ACTOR_PATTERN.match(actor), "actor must be an actor id")
    _expect(isinstance(key, str) and KEY_PATTERN.match(key), "key must be 16 hex digits")
    _expect(
        isinstance(nonce, str) and NONCE_PATTERN.match(nonce),
        "nonce must be 16–128 characters of A-Z a-z 0-9 _ -",
    )
    _expect(isinstance(issued_at, str) and RFC3339.match(issued_at), "issued_at must be RFC 3339")
    try:
        moment = datetime.fromisoformat(issued_at.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        raise MalformedCommand("command.issued_at is not a valid date and time") from None
    return Command(kind, procurement, payload, actor, key, moment, nonce)


def check_fresh(command: Command, now: datetime, max_age: timedelta, max_skew: timedelta) -> None:
    if command.issued_at > now + max_skew:
        raise Invalid(
            "issued_at is in the future; check the signing computer's clock", code="not_fresh"
        )
    if command.issued_at < now - max_age:
        raise Invalid(
            f"issued_at is older than {max_age}; sign the command again", code="not_fresh"
        )


def _expect(ok: object, message: str) -> None:
    if not ok:
        raise MalformedCommand(f"command.{message}")
