"""The command service of a server over a streaming replica alone: it records nothing.

A replica is read-only (PostgreSQL refuses any write on a hot standby); such a server
serves the pages and refuses every command with a clear answer, 503 and what to do, rather
than an error from the database. A draft records nothing and is still worked out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.application import Draft, Receipt
from ledger.domain.errors import LedgerError
from ledger.ports import CommandService

__all__ = ["ReadOnlyCommands", "ReadOnlyServer"]


class ReadOnlyServer(LedgerError):
    status = 503
    code = "read_only"

    def __init__(self) -> None:
        super().__init__(
            "this server reads a replica of the ledger and records nothing: "
            "send commands to the primary server"
        )


class ReadOnlyCommands:
    """``CommandService`` of a read-only server: every write refused, drafts worked out."""

    def __init__(self, drafts: CommandService):
        self._drafts = drafts

    def submit(self, body: bytes) -> Receipt:
        raise ReadOnlyServer()

    def submit_many(self, bodies: Sequence[bytes]) -> list[Receipt | LedgerError]:
        raise ReadOnlyServer()

    def read_sealed(self, body: bytes) -> dict[str, Any]:
        raise ReadOnlyServer()  # a read of a sealed value is recorded before it is made

    def draft(self, body: bytes) -> Draft:
        return self._drafts.draft(body)
