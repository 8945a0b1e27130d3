"""The registry: organisations, actors and their keys, all as signed events.

Who may act is itself recorded in the log, so anyone replaying the log knows which
key belonged to whom and whether it was valid at any index.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from uuid import UUID, uuid5

from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.methods import Jurisdiction
from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import Role as Role  # re-exported: the registry's roles

NAMESPACE = UUID("6f1c7c3e-2b8a-5d43-9a57-3c1e0f7b8d21")


@lru_cache(maxsize=1 << 16)  # a SHA-1 each: every decision reads a few records by code
def stream_id(kind: str, code: str) -> UUID:
    """Deterministic stream ids, so one read finds an organisation, actor or key."""
    return uuid5(NAMESPACE, f"{kind}:{code}")


def key_id_of(public_key: bytes) -> str:
    """A key's id: the first 8 bytes of SHA-256 of its raw 32 bytes, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """The actor whose valid key signed the command, as the registry knows them."""

    actor: str
    role: Role
    organisation: str
    key: str


class Organisation(ValueAggregate):
    """A purchaser, agency, supplier, finance office, inspectorate or publisher."""

    class Registered(SignedCreated):
        event_type = E.OrganisationRegistered.__name__

    class Amended(SignedEvent):
        event_type = E.OrganisationAmended.__name__

        def apply(self, aggregate: Organisation) -> None:
            aggregate.amend(E.OrganisationAmended.model_validate_json(self.data))

    class Debarred(SignedEvent):
        event_type = E.SupplierDebarred.__name__

        def apply(self, aggregate: Organisation) -> None:
            debarred = E.SupplierDebarred.model_validate_json(self.data)
            aggregate.debarments += ((debarred.since, debarred.until),)

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        registered = E.OrganisationRegistered.model_validate_json(data)
        self.debarments: tuple[tuple[date, date], ...] = ()  # 禁止参加政府采购活动, recorded
        self.code = registered.code
        self.kind = registered.kind
        self.name = registered.name
        self.region = registered.region
        self.address = registered.address
        self.level = registered.level  # a finance office's 层级
        self.oversees = tuple(registered.oversees or ())
        self.credit_code = registered.credit_code
        self.contact = registered.contact
        self.telephone = registered.telephone
        self.sme = registered.sme

    @property
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(self.region, self.level, self.oversees)

    def amend(self, amended: E.OrganisationAmended) -> None:
        self.name = amended.name or self.name
        self.region = amended.region or self.region
        self.address = self.address if amended.address is None else amended.address
        self.credit_code = amended.credit_code or self.credit_code
        self.contact = amended.contact or self.contact
        self.telephone = amended.telephone or self.telephone
        self.sme = amended.sme or self.sme


class Actor(ValueAggregate):
    """A person or service acting for one organisation in one role."""

    class Registered(SignedCreated):
        event_type = E.ActorRegistered.__name__

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        registered = E.ActorRegistered.model_validate_json(data)
        self.code = registered.code
        self.organisation = registered.organisation
        self.role = registered.role
        self.name = registered.name


class Key(ValueAggregate):
    """An actor's Ed25519 public key; valid from its registration until revoked."""

    class Registered(SignedCreated):
        event_type = E.KeyRegistered.__name__

    class Revoked(SignedEvent):
        event_type = E.KeyRevoked.__name__

        def apply(self, aggregate: Key) -> None:
            aggregate.revoked = True
            aggregate.revocation_reason = E.KeyRevoked.model_validate_json(self.data).reason

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        registered = E.KeyRegistered.model_validate_json(data)
        self.key_id = registered.key_id
        self.public_key = registered.public_key
        self.owner = registered.actor
        self.organisation = registered.organisation
        self.role = registered.role
        self.revoked = False
        self.revocation_reason = ""


@dataclass(frozen=True)
class Colleague:
    """One actor of an organisation, as its administrator sees it on the workbench: its keys
    (key id, revoked or not) in the order they were registered."""

    code: str
    name: str
    role: Role
    keys: tuple[tuple[str, bool], ...] = ()
