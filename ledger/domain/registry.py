"""The registry: organisations, actors and their keys, all as signed events.

Who may act is itself recorded in the log, so anyone replaying the log knows which
key belonged to whom and whether it was valid at any index.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

import orjson

from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate

NAMESPACE = UUID("6f1c7c3e-2b8a-5d43-9a57-3c1e0f7b8d21")


class Role(StrEnum):
    """An actor's role; an organisation's kind uses the same names."""

    PURCHASER = "purchaser"  # 采购人
    AGENCY = "agency"  # 采购代理机构
    FINANCE_OFFICE = "finance_office"  # 财政部门（采购办）
    SUPPLIER = "supplier"  # 供应商
    INSPECTOR = "inspector"  # 纪检监察 / 审计 / 检察院
    PUBLISHER = "publisher"  # 发布服务


def stream_id(kind: str, code: str) -> UUID:
    """Deterministic stream ids, so one read finds an organisation, actor or key."""
    return uuid5(NAMESPACE, f"{kind}:{code}")


def key_id_of(public_key: bytes) -> str:
    """A key's id: the first 8 bytes of SHA-256 of its raw 32 bytes, in hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


class Organisation(ValueAggregate):
    """A purchaser, agency, supplier, finance office, inspectorate or publisher."""

    class Registered(SignedCreated):
        event_type = "OrganisationRegistered"

    class Amended(SignedEvent):
        event_type = "OrganisationAmended"

        def apply(self, aggregate: Organisation) -> None:
            aggregate.update(self.values)

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        values = orjson.loads(data)
        self.code: str = values["code"]
        self.kind = Role(values["kind"])
        self.name: str = ""
        self.region: str = ""
        self.address: str = ""
        self.update(values)

    def update(self, values: dict[str, Any]) -> None:
        self.name = values.get("name", self.name)
        self.region = values.get("region", self.region)
        self.address = values.get("address", self.address)


class Actor(ValueAggregate):
    """A person or service acting for one organisation in one role."""

    class Registered(SignedCreated):
        event_type = "ActorRegistered"

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        values = orjson.loads(data)
        self.code: str = values["code"]
        self.organisation: str = values["organisation"]
        self.role = Role(values["role"])
        self.name: str = values["name"]


class Key(ValueAggregate):
    """An actor's Ed25519 public key; valid from its registration until revoked."""

    class Registered(SignedCreated):
        event_type = "KeyRegistered"

    class Revoked(SignedEvent):
        event_type = "KeyRevoked"

        def apply(self, aggregate: Key) -> None:
            aggregate.revoked = True
            aggregate.revocation_reason = self.values.get("reason", "")

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        values = orjson.loads(data)
        self.key_id: str = values["key_id"]
        self.public_key: str = values["public_key"]
        self.owner: str = values["actor"]
        self.organisation: str = values["organisation"]
        self.role = Role(values["role"])
        self.revoked = False
        self.revocation_reason = ""
