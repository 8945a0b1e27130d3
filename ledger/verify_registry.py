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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.commands import DEFAULT_MAX_AGE, DEFAULT_MAX_SKEW
from ledger.domain.keys import WeakKey, decode_public_key
from ledger.domain.registry import Role, key_id_of

FINANCE = Role.FINANCE_OFFICE.value
REGISTRY_EVENTS = {
    "OrganisationRegistered",
    "OrganisationAmended",
    "ActorRegistered",
    "KeyRegistered",
    "KeyRevoked",
}
PRODUCES = {
    "Genesis": {"OrganisationRegistered", "ActorRegistered", "KeyRegistered"},
    "RegisterOrganisation": {"OrganisationRegistered"},
    "AmendOrganisation": {"OrganisationAmended"},
    "RegisterActor": {"ActorRegistered"},
    "RegisterKey": {"KeyRegistered"},
    "RevokeKey": {"KeyRevoked"},
}


class RegistryViolation(ValueError):
    pass


@dataclass
class KeyState:
    public_key: bytes
    actor: str
    revoked_at: int | None = None


@dataclass(frozen=True)
class ActorState:
    role: str
    organisation: str


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class RegistryReplay:
    def __init__(self, max_age: timedelta = DEFAULT_MAX_AGE, skew: timedelta = DEFAULT_MAX_SKEW):
        self.keys: dict[str, KeyState] = {}
        self.actors: dict[str, ActorState] = {}
        self.organisations: dict[str, str] = {}  # code → kind
        self.max_age, self.skew = max_age, skew
        self._genesis: str | None = None  # the genesis command's signature
        self._past_genesis = False
        # Nonces seen within the freshness window, oldest first, as short digests.
        self._nonces: dict[bytes, datetime] = {}
        self._order: deque[tuple[datetime, bytes]] = deque()
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
            allowed is None and entry["type"] in REGISTRY_EVENTS
        ):
            raise RegistryViolation(f"a {kind} command cannot record a {entry['type']} event")
        if kind == "Genesis":
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
        if entry["type"] in REGISTRY_EVENTS:
            self._apply(index, entry, role, organisation)
        self.last_signer = (role, organisation)
        return public_key

    def _check_genesis(self, index: int, kind: str, signature: str) -> None:
        if kind == "Genesis":
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
            self._nonces[key] = issued
            self._order.append((issued, key))
        self._previous = this
        # Forget nonces no later command could replay: it would be refused as stale.
        horizon = recorded - self.max_age - 2 * self.skew
        while self._order and self._order[0][0] < horizon:
            self._nonces.pop(self._order.popleft()[1], None)

    def _genesis_key(self, command: dict[str, Any]) -> bytes:
        try:
            public_key = decode_public_key(command["payload"]["public_key"])
        except WeakKey as problem:
            raise RegistryViolation(f"genesis key {problem}") from None
        if key_id_of(public_key) != command["key"]:
            raise RegistryViolation("genesis is not signed by the key it registers")
        return public_key

    def _apply(self, index: int, entry: dict[str, Any], role: str, organisation: str) -> None:
        command, data, kind = entry["command"], entry["data"], entry["type"]
        payload = command["payload"]
        genesis = command["type"] == "Genesis"
        if kind != "OrganisationRegistered" and not genesis and role != FINANCE:
            own = (kind == "OrganisationAmended" and payload.get("code") == organisation) or (
                kind == "KeyRevoked"
                and self.keys.get(payload.get("key_id", ""), KeyState(b"", "")).actor
                == entry["actor"]
            )
            if not own:
                raise RegistryViolation(f"a {role} may not issue {command['type']}")
        if kind == "OrganisationRegistered" and not genesis and role != FINANCE:
            raise RegistryViolation(f"a {role} may not issue {command['type']}")
        expected = self._derive(kind, payload, genesis)
        if data != expected:
            raise RegistryViolation(f"{kind} data differs from the signed command it records")
        if kind == "OrganisationRegistered":
            self.organisations[data["code"]] = data["kind"]
        elif kind == "ActorRegistered":
            if self.organisations.get(data["organisation"]) != data["role"]:
                raise RegistryViolation(
                    f"a {data['role']} actor in {data['organisation']}, "
                    f"which is not a {data['role']}"
                )
            self.actors[data["code"]] = ActorState(data["role"], data["organisation"])
        elif kind == "KeyRegistered":
            if data["key_id"] in self.keys:
                raise RegistryViolation(f"key {data['key_id']} registered twice")
            self.keys[data["key_id"]] = KeyState(
                base64.b64decode(data["public_key"]), data["actor"]
            )
        elif kind == "KeyRevoked":
            state = self.keys.get(data["key_id"])
            if state is None or state.revoked_at is not None:
                raise RegistryViolation("revocation of an unknown or revoked key")
            state.revoked_at = index

    def _derive(self, kind: str, payload: dict[str, Any], genesis: bool) -> dict[str, Any]:
        """The data the ledger records for a registry event, from the signed payload."""
        if kind == "OrganisationRegistered":
            source = payload["organisation"] if genesis else payload
            return {
                "code": source["code"],
                "name": source["name"],
                "kind": FINANCE if genesis else source["kind"],
                "region": source["region"],
                "address": source.get("address", ""),
            }
        if kind == "OrganisationAmended":
            return {k: payload[k] for k in ("code", "name", "region", "address") if k in payload}
        if kind == "ActorRegistered":
            if genesis:
                admin = payload["administrator"]
                return {
                    "code": admin["code"],
                    "organisation": payload["organisation"]["code"],
                    "role": FINANCE,
                    "name": admin["name"],
                }
            return {k: payload[k] for k in ("code", "organisation", "role", "name")}
        if kind == "KeyRegistered":
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
        return {"key_id": payload["key_id"], "reason": payload["reason"]}  # KeyRevoked
