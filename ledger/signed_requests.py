"""Signed requests that record nothing in the log: reads and operators' requests.

``ListDeliveries``, ``RequeueDelivery``, ``LookupChallenge`` and ``SignIn`` are envelopes
like a command's (``ledger.commands``), checked here, once for all of them:

1. the envelope's shape and text, its type, and ``procurement`` null;
2. the signing key as the store has it now (never a cached copy): a key revoked by another
   process counts at once;
3. the signature;
4. freshness, short: issued at most ``REQUEST_MAX_AGE`` ago (and not ahead of the clock by
   more than the allowed skew);
5. the caller's own authorisation (who may ask this), if it gives one;
6. single use: the request's (actor, nonce) goes into ``request_nonces``, shared by every
   process on the database, so a captured request is refused (409 ``replayed_nonce``) here
   or on any other process. A nonce is kept until its request could no longer be fresh, then
   deleted: the table holds minutes of requests, not history.

A request refused at any step spends nothing. ``ReadSealed`` is not one of these: a sealed
read is recorded in the log (``Ledger.read_sealed``), its nonce guarded like a command's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from ledger.command_key import CommandKey
from ledger.commands import REQUEST_MAX_AGE, Command, check_fresh, parse_envelope
from ledger.domain.errors import Forbidden, Invalid, ReplayedNonce, RevokedKey, UnknownKey
from ledger.domain.registry import Key
from ledger.log.schema import REQUEST_NONCES
from ledger.store.sql import Database

_SPEND: Final = (
    f"INSERT INTO {REQUEST_NONCES} (actor, nonce, expires) VALUES (?, ?, ?) "  # noqa: S608
    "ON CONFLICT (actor, nonce) DO NOTHING RETURNING 1"
)
_SWEEP: Final = f"DELETE FROM {REQUEST_NONCES} WHERE expires < ?"  # noqa: S608


class CurrentKeys(Protocol):
    """Where keys are read as the store has them now (``ledger.records.RepositoryRegistry``)."""

    def current_key(self, key_id: str) -> Key | None: ...


@dataclass(frozen=True)
class SignedRequest:
    """A request that passed every check: what was signed, and the key as it is now."""

    command: Command
    key: Key


def current_key(registry: CurrentKeys, key_id: str, actor: str) -> Key:
    """The key ``key_id`` of ``actor`` as the store has it now; refused if unknown, revoked
    or another actor's."""
    key = registry.current_key(key_id)
    if key is None:
        raise UnknownKey(f"key {key_id} is not registered")
    if key.revoked:
        raise RevokedKey(f"key {key_id} was revoked: {key.revocation_reason}")
    if key.owner != actor:
        raise Forbidden(
            f"rule registry.key_owner: key {key_id} belongs to {key.owner}, not {actor}"
        )
    return key


class SignedRequests:
    def __init__(
        self,
        db: Database,
        registry: CurrentKeys,
        max_skew: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.db = db
        self.registry = registry
        self.max_skew = max_skew
        self.clock = clock

    def accept(
        self,
        body: bytes,
        kind: str,
        authorise: Callable[[SignedRequest], None] | None = None,
    ) -> SignedRequest:
        """The checked request; ``authorise`` refuses (raises) what its signer may not ask.
        Its nonce is spent last, once everything else has passed."""
        envelope = parse_envelope(body)
        command = envelope.command
        if command.type != kind:
            raise Invalid(f"this request must be a signed {kind}, not {command.type}")
        if command.procurement is not None or envelope.sealed:
            raise Invalid(f"a {kind} request has procurement null and carries no sealed value")
        key = current_key(self.registry, command.key, command.actor)
        envelope.verify_with_key(CommandKey.from_b64(key.public_key))
        check_fresh(command, self.clock(), REQUEST_MAX_AGE, self.max_skew)
        request = SignedRequest(command, key)
        if authorise is not None:
            authorise(request)
        self._spend(command)
        return request

    def _spend(self, command: Command) -> None:
        # Kept while another process, whose clock may be the skew behind, could still
        # find the request fresh.
        expires = command.issued_at + REQUEST_MAX_AGE + self.max_skew
        now = int(self.clock().timestamp())
        with self.db.write(0) as cur:
            cur.execute(_SWEEP, (now,))
            row = cur.execute(
                _SPEND, (command.actor, command.nonce, int(expires.timestamp()) + 1)
            ).fetchone()
        if row is None:
            raise ReplayedNonce(
                f"nonce {command.nonce!r} of actor {command.actor!r} was used before: "
                "sign each request afresh"
            )
