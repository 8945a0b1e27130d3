"""Errors a user can cause: a stable code, a clear message, an HTTP status."""

from __future__ import annotations

from ledger.domain.refusals import in_chinese


class LedgerError(Exception):
    """A refusal with a stable machine-readable code.

    Nothing is recorded when one is raised: every check runs before the save.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message,
                "message_zh": in_chinese(self.code, self.message)}  # fmt: skip


class MalformedCommand(LedgerError):
    status = 400
    code = "malformed"


class InvalidSignature(LedgerError):
    status = 401
    code = "bad_signature"


class UnknownKey(LedgerError):
    status = 401
    code = "unknown_key"


class RevokedKey(LedgerError):
    status = 401
    code = "revoked_key"


class Forbidden(LedgerError):
    """The actor's role or organisation may not do this; the message names the rule."""

    status = 403
    code = "forbidden"


class NotFound(LedgerError):
    status = 404
    code = "not_found"


class ReplayedNonce(LedgerError):
    status = 409
    code = "replayed_nonce"


class Conflict(LedgerError):
    """The command does not fit the current state (already exists, already revoked…)."""

    status = 409
    code = "conflict"


class Invalid(LedgerError):
    """Well-formed JSON whose content breaks a domain rule (unknown enum, bad amount…)."""

    status = 422
    code = "invalid"


class TooLarge(LedgerError):
    status = 413
    code = "too_large"


class FieldErrors(Invalid):
    """Fields of a command that are not of their schema, every one at once: each with its
    JSON path (``payload.items[0].quantity``) and what it must be, in Chinese."""

    code = "invalid_fields"

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        listed = "；".join(f"{field}：{message}" for field, message in errors)
        super().__init__(f"命令有{len(errors)}处字段错误：{listed}")

    def as_json(self) -> dict[str, object]:  # type: ignore[override]
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message,
            "errors": [{"field": field, "message": message} for field, message in self.errors],
        }
