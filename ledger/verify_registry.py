"""The registry replayed from signed commands alone, as an independent verifier sees it.

For every leaf it answers: which public key must have signed it, and may that
actor issue that command? It re-derives the data of every registry event from
the signed command (nothing unsigned is trusted), refuses an event type the
command cannot produce, and refuses a nonce used twice within the freshness
window. Memory grows with the registry and the window, not with the log.
"""

from __future__ import annotations

import base64
import hashlib
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, assert_never

from ledger.commands import DEFAULT_MAX_AGE, DEFAULT_MAX_SKEW
from ledger.domain.credit_code import check_credit_code
from ledger.domain.identity import FIELDS
from ledger.domain.keys import WeakKey, decode_public_key
from ledger.domain.methods import Jurisdiction
from ledger.domain.registry import Role, key_id_of
from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import MalformedEntry, parse_data
from ledger.domain.schema.kinds import GENESIS, GENESIS_KINDS, KINDS, REGISTRY_KINDS

FINANCE = Role.FINANCE_OFFICE.value
#: The registry kinds each registry command records.
PRODUCES: Final = {
    GENESIS: frozenset(kind.__name__ for kind in GENESIS_KINDS),
    **{k.command: frozenset({k.name}) for k in KINDS if k.name in REGISTRY_KINDS},
}


class RegistryViolation(ValueError):
    pass


@dataclass
class KeyState:
    public_key: bytes
    actor: str
    revoked_at: int | None = None
    registered_at: int = 0


@dataclass(frozen=True)
class ActorState:
    role: str
    organisation: str


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _micros(moment: datetime) -> int:
    # Exact, and a time without an offset is refused (TypeError) as comparing it was.
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class RegistryReplay:
    def __init__(self, max_age: timedelta = DEFAULT_MAX_AGE, skew: timedelta = DEFAULT_MAX_SKEW):
        self.keys: dict[str, KeyState] = {}
        self.actors: dict[str, ActorState] = {}
        self.organisations: dict[str, str] = {}  # code → kind
        self.administrators: dict[str, str] = {}  # code → its first registered actor
        self.credit_codes: dict[str, str] = {}  # 统一社会信用代码 → code
        self.jurisdictions: dict[str, Jurisdiction] = {}  # code → region, level, oversees
        self.max_age, self.skew = max_age, skew
        self._genesis: str | None = None  # the genesis command's signature
        self._past_genesis = False
        # Nonces seen within the freshness window, oldest first, as short digests.
        self._nonces: set[bytes] = set()
        # Each nonce's key after its issue time (8 bytes, µs): one small object a command.
        self._order: deque[bytes] = deque()
        self._previous: tuple[str, str, str] | None = None
        self._run: list[tuple[str, str, int]] = []  # events of the command being read
        self.last_signer: tuple[str, str] = ("", "")  # role and organisation of the last leaf

    def signer_key(self, index: int, entry: dict[str, Any]) -> bytes:
        """Check the leaf against the registry so far, apply it, return the signer's key."""
        command: dict[str, Any] = entry["command"]
        kind = command["type"]
        self._check_genesis(index, kind, entry["signature"])
        self._check_nonce(entry)
        allowed = PRODUCES.get(kind)
        if (allowed is not None and entry["type"] not in allowed) or (
            allowed is None and entry["type"] in REGISTRY_KINDS
        ):
            raise RegistryViolation(f"a {kind} command cannot record a {entry['type']} event")
        if kind == GENESIS:
            public_key = self._genesis_key(command)
            role, organisation = FINANCE, command["payload"]["organisation"]["code"]
        else:
            state = self.keys.get(entry["key"])
            if state is None:
                raise RegistryViolation(f"signed with key {entry['key']}, not registered before it")
            if state.revoked_at is not None and state.revoked_at < index:
                raise RegistryViolation(
                    f"signed with key {entry['key']}, revoked at entry {state.revoked_at}"
                )
            if state.actor != entry["actor"]:
                raise RegistryViolation(f"key {entry['key']} belongs to {state.actor}")
            actor = self.actors[state.actor]
            public_key, role, organisation = state.public_key, actor.role, actor.organisation
        if entry["type"] in REGISTRY_KINDS:
            self._apply(index, entry, role, organisation)
        self.last_signer = (role, organisation)
        return public_key

    def _check_genesis(self, index: int, kind: str, signature: str) -> None:
        if kind == GENESIS:
            if self._past_genesis or (self._genesis not in (None, signature)):
                raise RegistryViolation("a second genesis")
            self._genesis = signature
        elif index == 0:
            raise RegistryViolation("the log does not start with its genesis")
        else:
            self._past_genesis = True

    def _check_nonce(self, entry: dict[str, Any]) -> None:
        command = entry["command"]
        issued, recorded = _time(command["issued_at"]), _time(entry["recorded_at"])
        if not issued - self.skew <= recorded <= issued + self.max_age:
            raise RegistryViolation(
                f"recorded at {entry['recorded_at']}, outside the freshness window of a command "
                f"issued at {command['issued_at']}"
            )
        actor, nonce = entry["actor"], command["nonce"]
        key = hashlib.blake2b(f"{actor}\n{nonce}".encode(), digest_size=16).digest()
        this = (actor, nonce, entry["signature"])
        event = (entry["type"], entry["stream"], entry["version"])
        if key in self._nonces:
            # One command's events are consecutive leaves, each a different event: for a
            # registry command each event type once, for any command each stream version.
            repeat = self._previous != this or any(
                event[1:] == seen[1:] or (command["type"] in PRODUCES and event[0] == seen[0])
                for seen in self._run
            )
            if repeat:
                raise RegistryViolation(f"nonce {nonce} of {actor} was used before: a replay")
            self._run.append(event)
        else:
            self._run = [event]
            self._nonces.add(key)
            self._order.append(_micros(issued).to_bytes(8, "big", signed=True) + key)
        self._previous = this
        # Forget nonces no later command could replay: it would be refused as stale.
        horizon = _micros(recorded - self.max_age - 2 * self.skew)
        while self._order and int.from_bytes(self._order[0][:8], "big", signed=True) < horizon:
            self._nonces.discard(self._order.popleft()[8:])

    def _genesis_key(self, command: dict[str, Any]) -> bytes:
        try:
            public_key = decode_public_key(command["payload"]["public_key"])
        except WeakKey as problem:
            raise RegistryViolation(f"genesis key {problem}") from None
        if key_id_of(public_key) != command["key"]:
            raise RegistryViolation("genesis is not signed by the key it registers")
        return public_key

    def _apply(self, index: int, entry: dict[str, Any], role: str, organisation: str) -> None:
        command = entry["command"]
        payload = command["payload"]
        genesis = command["type"] == GENESIS
        try:
            data = parse_data(entry["type"], entry["data"])
        except MalformedEntry as problem:
            raise RegistryViolation(str(problem)) from None
        assert isinstance(data, E.RegistryData)
        if not genesis and role != FINANCE and not self._own(data, payload, entry, organisation):
            raise RegistryViolation(f"a {role} may not issue {command['type']}")
        expected = self._derive(data, payload, genesis)
        if entry["data"] != expected:
            raise RegistryViolation(
                f"{entry['type']} data differs from the signed command it records"
            )
        match data:
            case E.OrganisationRegistered():
                self._identity(data, data.kind.value)
                self.organisations[data.code] = data.kind.value
                self.jurisdictions[data.code] = Jurisdiction(
                    data.region, data.level, tuple(data.oversees or ())
                )
            case E.ActorRegistered():
                if self.organisations.get(data.organisation) != data.role.value:
                    raise RegistryViolation(
                        f"a {data.role.value} actor in {data.organisation}, "
                        f"which is not a {data.role.value}"
                    )
                self.actors[data.code] = ActorState(data.role.value, data.organisation)
                self.administrators.setdefault(data.organisation, data.code)
            case E.KeyRegistered():
                if data.key_id in self.keys:
                    raise RegistryViolation(f"key {data.key_id} registered twice")
                self.keys[data.key_id] = KeyState(
                    base64.b64decode(data.public_key), data.actor, registered_at=index
                )
            case E.KeyRevoked():
                state = self.keys.get(data.key_id)
                if state is None or state.revoked_at is not None:
                    raise RegistryViolation("revocation of an unknown or revoked key")
                state.revoked_at = index
            case E.OrganisationAmended():
                self._identity(data, self.organisations.get(data.code, ""))
                if data.region is not None and data.code in self.jurisdictions:
                    held = self.jurisdictions[data.code]
                    self.jurisdictions[data.code] = replace(held, region=data.region)
            case E.SupplierDebarred():
                if self.organisations.get(data.code) != Role.SUPPLIER.value:
                    raise RegistryViolation(f"禁止参加政府采购活动 recorded for {data.code}, "
                                            "which is no registered supplier")  # fmt: skip
                if data.until < data.since:
                    raise RegistryViolation(f"{data.code}: a debarment ending before it begins")
            case _:
                assert_never(data)

    def _identity(
        self, data: E.OrganisationRegistered | E.OrganisationAmended, kind: str
    ) -> None:
        """An organisation's identity as the registry commands check it: a 统一社会信用代码
        with its check digit, never given to another organisation; a 中小企业 status for a
        supplier only."""
        if data.sme is not None and kind != Role.SUPPLIER.value:
            raise RegistryViolation(f"a 中小企业 status for {data.code}, which is not a supplier")
        if data.credit_code is None:
            return
        problem = check_credit_code(data.credit_code)
        if problem is not None:
            raise RegistryViolation(f"{data.code}: {problem}")
        holder = self.credit_codes.get(data.credit_code, data.code)
        if holder != data.code:
            raise RegistryViolation(
                f"统一社会信用代码 {data.credit_code} registered to {holder} and {data.code}"
            )
        self.credit_codes[data.credit_code] = data.code  # its holder's for life

    def _own(
        self, data: E.RegistryData, payload: dict[str, Any], entry: dict[str, Any], org: str
    ) -> bool:
        """Whether a signer outside the finance office acts on its own record: its own
        organisation's details, or its own key's revocation; or, as its organisation's
        administrator (its first registered actor, ``roles.ADMINISTRATION``), enrols its
        organisation's people and keys and revokes them."""
        administrator = self.administrators.get(org) == entry["actor"]
        match data:
            case E.OrganisationAmended():
                return bool(payload.get("code") == org)
            case E.KeyRevoked():
                key = self.keys.get(payload.get("key_id", ""), KeyState(b"", ""))
                return bool(key.actor == entry["actor"]) or (
                    administrator and self._organisation_of(key.actor) == org
                )
            case E.ActorRegistered():
                return administrator and payload.get("organisation") == org
            case E.KeyRegistered():
                return administrator and self._organisation_of(payload.get("actor")) == org
            case E.OrganisationRegistered() | E.SupplierDebarred():
                return False
            case _:
                assert_never(data)

    def _organisation_of(self, actor: object) -> str | None:
        state = self.actors.get(actor) if isinstance(actor, str) else None
        return state.organisation if state is not None else None

    def _derive(self, data: E.RegistryData, payload: dict[str, Any], genesis: bool) -> Any:
        """The data the ledger records for a registry entry, from the signed payload."""
        match data:
            case E.OrganisationRegistered():
                source = payload["organisation"] if genesis else payload
                return {
                    "code": source["code"],
                    "name": source["name"],
                    "kind": FINANCE if genesis else source["kind"],
                    "region": source["region"],
                    "address": source.get("address", ""),
                    # a finance office's level and the regions it oversees, when given
                    **{k: source[k] for k in ("level", "oversees") if k in source},
                    **{k: source[k] for k in FIELDS if k in source},
                }
            case E.OrganisationAmended():
                named = ("code", "name", "region", "address", *FIELDS)
                return {k: payload[k] for k in named if k in payload}
            case E.ActorRegistered():
                if genesis:
                    admin = payload["administrator"]
                    return {
                        "code": admin["code"],
                        "organisation": payload["organisation"]["code"],
                        "role": FINANCE,
                        "name": admin["name"],
                    }
                return {k: payload[k] for k in ("code", "organisation", "role", "name")}
            case E.KeyRegistered():
                try:
                    public_key = decode_public_key(payload["public_key"])
                except WeakKey as problem:
                    raise RegistryViolation(f"registered key {problem}") from None
                owner_code = payload["administrator"]["code"] if genesis else payload["actor"]
                owner = self.actors.get(owner_code)
                if owner is None:
                    raise RegistryViolation(f"key for {owner_code}, who is not registered")
                return {
                    "key_id": key_id_of(public_key),
                    "public_key": payload["public_key"],
                    "actor": owner_code,
                    "organisation": owner.organisation,
                    "role": owner.role,
                }
            case E.KeyRevoked():
                return {"key_id": payload["key_id"], "reason": payload["reason"]}
            case E.SupplierDebarred():
                given = ("code", "since", "until", "document_number", "reason")
                return {k: payload[k] for k in given}
            case _:
                assert_never(data)
