"""Sealed reads replayed from the log alone, as an independent verifier checks them.

A ``SealedValueRead`` leaf records that its signer read a sealed value. From earlier leaves
only, the verifier knows every commitment a signed command sealed, for which procurement,
and by which organisation (the signer's, as the ledger keeps it). It checks that:

* only a ``ReadSealed`` command records a ``SealedValueRead``, and it records nothing else;
* the read is on its reader's stream, and its data names exactly the commitment signed for,
  the procurement that sealed it, the reader and the reader's organisation (and no value);
* the commitment was sealed by an earlier entry, and the reader was entitled to it
  (``sealed_reads.may_read``: supervisors any, others their own organisation's, and a
  sealed challenge its procurement's purchaser and agency);
* it was recorded within ``REQUEST_MAX_AGE`` of being signed, as the ledger requires.

Memory grows with the number of sealed values, as the lifecycle replay's with the bids.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from ledger.commands import REQUEST_MAX_AGE
from ledger.domain.errors import Forbidden
from ledger.domain.registry import Role
from ledger.domain.registry_commands import Signer
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.sealed import commitments_in
from ledger.domain.sealed_reads import (
    READ_SEALED,
    SEALED_VALUE_READ,
    may_read,
    read_data,
    sealed_reads_stream,
)


class ReadViolation(ValueError):
    pass


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


#: The box's commands that seal a challenge's envelope (RecordChallenge, …).
SEALED_CHALLENGES: Final = frozenset(
    BY_DATA[kind].command for kind in (E.ChallengeFiled, E.ChallengeWithdrawn)
)


class SealedReadReplay:
    def __init__(self, answering: Callable[[str], frozenset[str]] | None = None) -> None:
        self.sealed: dict[str, tuple[str, str]] = {}  # commitment → (procurement, organisation)
        self.challenges: set[str] = set()  # the sealed challenges' envelopes
        # A procurement's purchaser and agency, who read its sealed challenges.
        self.answering = answering or (lambda _: frozenset())

    def check(self, entry: dict[str, Any], role: str, organisation: str) -> bool:
        """Check one leaf; True if it is a sealed read (nothing more to check of it)."""
        command, kind = entry["command"], entry["type"]
        reading = command["type"] == READ_SEALED
        if reading != (kind == SEALED_VALUE_READ):
            raise ReadViolation(f"a {command['type']} command cannot record {kind}")
        if not reading:
            # One tuple of interned codes for all of a command's values: a province seals
            # millions, and each leaf's JSON would give every one its own copies.
            owned = (sys.intern(command["procurement"] or ""), sys.intern(organisation))
            for commitment in commitments_in(command["payload"]):
                self.sealed.setdefault(commitment, owned)
                if command["type"] in SEALED_CHALLENGES:
                    self.challenges.add(commitment)
            return False
        self._read(entry, Signer(entry["actor"], Role(role), organisation, entry["key"]))
        return True

    def _read(self, entry: dict[str, Any], signer: Signer) -> None:
        command, data = entry["command"], entry["data"]
        if entry["stream"] != str(sealed_reads_stream(signer.actor)):
            raise ReadViolation(f"a read by {signer.actor} is not on that reader's stream")
        payload = command["payload"]
        commitment = payload.get("commitment") if set(payload) == {"commitment"} else None
        kept = self.sealed.get(commitment) if isinstance(commitment, str) else None
        if commitment is None or kept is None:
            raise ReadViolation(f"a read of {commitment!r}, which no earlier entry sealed")
        procurement, owner = kept
        if command["procurement"] not in (None, procurement):
            raise ReadViolation(f"a read names procurement {command['procurement']}, "
                                f"but the value belongs to {procurement}")  # fmt: skip
        try:
            answering = self.answering(procurement) if commitment in self.challenges else None
            may_read(signer.role, signer.organisation, owner, signer.actor, answering)
        except Forbidden as refusal:
            raise ReadViolation(
                f"SealedValueRead should have been refused: {refusal.message}"
            ) from None
        if data != read_data(commitment, procurement, signer).dump():
            raise ReadViolation("SealedValueRead data is not what the signed request reads")
        if _time(entry["recorded_at"]) - _time(command["issued_at"]) > REQUEST_MAX_AGE:
            raise ReadViolation(f"a read recorded more than {REQUEST_MAX_AGE} after it was signed")
