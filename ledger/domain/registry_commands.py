"""Registry commands: who may register organisations, actors and keys, and how.

Each handler is a pure decision: given the verified signer, the payload and a view
of the registry, it returns the aggregates whose new events record the decision,
or raises an error naming the rule that refuses it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from eventsourcing.domain import Aggregate

from ledger.domain import fields, identity, text
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import Signed
from ledger.domain.keys import WeakKey, decode_public_key
from ledger.domain.registry import Actor, Key, Organisation, Role, key_id_of, stream_id
from ledger.domain.registry import Signer as Signer  # re-exported: handlers take one
from ledger.domain.roles import may_administer
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.vocabulary import Level


class RegistryView(Protocol):
    def organisation(self, code: str) -> Organisation | None: ...
    def actor(self, code: str) -> Actor | None: ...
    def key(self, key_id: str) -> Key | None: ...

    def credit_code_holder(self, credit_code: str) -> str | None:
        """The code of the organisation registered with this 统一社会信用代码, if any."""
        ...

    def administrator(self, organisation: str) -> str | None:
        """The organisation's administrator: its first registered actor, if any."""
        ...

    def taken(self, kind: str, code: str) -> bool:
        """Whether a record of this kind and code exists.

        May answer False optimistically: creating a record that does exist then
        fails on insert, and the command is decided again with exact answers.
        """
        ...


Handler = Callable[[Signer, dict[str, Any], Signed, RegistryView], list[Aggregate]]


def require_role(rule: str, signer: Signer, *roles: Role) -> None:
    if signer.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise Forbidden(
            f"rule {rule}: only {allowed} may do this; {signer.actor} acts as {signer.role.value}"
        )


def public_key_field(payload: dict[str, Any]) -> bytes:
    try:
        return decode_public_key(payload.get("public_key"))
    except WeakKey as problem:
        raise Invalid(f"payload.public_key {problem}", code="bad_public_key") from None


def register_organisation(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    require_role("registry.register_organisation", signer, Role.FINANCE_OFFICE)
    fields.only(
        payload,
        ("code", "name", "kind", "region", "address", "level", "oversees", *identity.FIELDS),
    )
    kind = fields.choice(payload, "kind", Role)
    data = E.OrganisationRegistered(
        code=fields.code(payload, "code"),
        name=fields.text(payload, "name"),
        kind=kind,
        region=fields.text(payload, "region", limit=100),
        address=fields.text(payload, "address", required=False),
        **_jurisdiction(payload, kind),
        **_identity(payload, kind),
    )
    if registry.taken("organisation", data.code):
        raise Conflict(f"organisation {data.code} is already registered", code="exists")
    _unique_credit_code(registry, data.credit_code, data.code)
    return [new_organisation(signed, data)]


def _identity(payload: dict[str, Any], kind: Role) -> dict[str, Any]:
    """The identity fields the payload gives, each checked; the 中小企业 status is a
    supplier's only (财库〔2020〕46号 declares it for suppliers)."""
    given: dict[str, Any] = {}
    if "credit_code" in payload:
        given["credit_code"] = identity.credit_code(payload, "credit_code")
    if "contact" in payload:
        given["contact"] = identity.contact(payload, "contact")
    if "telephone" in payload:
        given["telephone"] = identity.telephone(payload, "telephone")
    if "sme" in payload:
        if kind is not Role.SUPPLIER:
            raise Invalid("payload.sme (中小企业声明) is a supplier's only", code="not_supplier")
        given["sme"] = identity.sme_status(payload, "sme")
    return given


def _unique_credit_code(registry: RegistryView, credit_code: str | None, code: str) -> None:
    """A 统一社会信用代码 is its holder's for life (GB 32100-2015): one the registry ever gave
    another organisation is refused, even if that one has since amended its own."""
    if credit_code is None:
        return
    holder = registry.credit_code_holder(credit_code)
    if holder is not None and holder != code:
        raise Conflict(
            f"payload.credit_code: 统一社会信用代码{credit_code}已登记于单位{holder} / "
            f"already registered to {holder}",
            code="credit_code_taken",
        )


def credit_code_claims(kind: str, payload: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (统一社会信用代码, organisation) a decided registry command gives, for the store to
    keep unique in the command's own transaction: two registrations of one code decided at
    the same instant cannot both be stored."""
    if kind not in ("RegisterOrganisation", "AmendOrganisation"):
        return ()
    code, credit = payload.get("code"), payload.get("credit_code")
    return ((credit, code),) if isinstance(code, str) and isinstance(credit, str) else ()


MAX_OVERSEEN: Final = 200


def _jurisdiction(payload: dict[str, Any], kind: Role) -> dict[str, Any]:
    """A finance office's level and the regions it oversees, when the payload gives them."""
    given: dict[str, Any] = {n: payload[n] for n in ("level", "oversees") if n in payload}
    if given and kind is not Role.FINANCE_OFFICE:
        raise Invalid("payload.level and payload.oversees are a finance office's only")
    if "level" in given:
        given["level"] = fields.choice(payload, "level", Level)
    if "oversees" in given:
        regions = given["oversees"]
        if not isinstance(regions, list) or len(regions) > MAX_OVERSEEN:
            raise Invalid(f"payload.oversees must be a list of at most {MAX_OVERSEEN} regions")
        given["oversees"] = [
            fields.text({f"oversees[{i}]": r}, f"oversees[{i}]", limit=100)
            for i, r in enumerate(regions)
        ]
    return given


def new_organisation(signed: Signed, data: E.OrganisationRegistered) -> Organisation:
    return Organisation._create(
        Organisation.Registered, id=stream_id("organisation", data.code), **signed.fields(data)
    )


def amend_organisation(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    fields.only(payload, ("code", "name", "region", "address", *identity.FIELDS))
    code = fields.code(payload, "code")
    if signer.role is not Role.FINANCE_OFFICE and signer.organisation != code:
        raise Forbidden(
            "rule registry.amend_organisation: an organisation's details are amended by "
            f"the finance office or by the organisation itself; {signer.actor} is of "
            f"{signer.organisation}"
        )
    organisation = registry.organisation(code)
    if organisation is None:
        raise Invalid(f"organisation {code} is not registered", code="unknown_organisation")
    changes: dict[str, Any] = {}
    for name, limit in (("name", 200), ("region", 100), ("address", 200)):
        if name in payload:
            changes[name] = fields.text(payload, name, limit=limit, required=name != "address")
    given = _identity(payload, organisation.kind)
    if not changes and not given:
        raise Invalid(
            "payload names nothing to amend (name, region, address, credit_code, contact, "
            "telephone or sme)"
        )
    data = E.OrganisationAmended(code=code, **changes, **given)
    _unique_credit_code(registry, data.credit_code, code)
    organisation.trigger_event(Organisation.Amended, **signed.fields(data))
    return [organisation]


DEBARMENT_CITATION: Final = "政府采购法 第二十二条、第七十七条；政府采购法实施条例 第十九条"


def record_debarment(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    """RecordDebarment: a finance office records a supplier's 禁止参加政府采购活动 period, by
    its decision's 文号 and reason (``DEBARMENT_CITATION``)."""
    require_role("registry.record_debarment", signer, Role.FINANCE_OFFICE)
    fields.only(payload, ("code", "since", "until", "document_number", "reason"))
    code = fields.code(payload, "code")
    organisation = registry.organisation(code)
    if organisation is None or organisation.kind is not Role.SUPPLIER:
        raise Invalid(f"payload.code: {code} is not a registered supplier", code="not_supplier")
    since, until = text.day(payload, "since"), text.day(payload, "until")
    text.ensure_order(since, until, ("payload.since", "payload.until"))
    data = E.SupplierDebarred(
        code=code,
        since=since,
        until=until,
        document_number=fields.text(payload, "document_number", limit=60),
        reason=text.requirement(payload, "reason"),
    )
    organisation.trigger_event(Organisation.Debarred, **signed.fields(data))
    return [organisation]


def register_actor(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    fields.only(payload, ("code", "organisation", "role", "name"))
    data = E.ActorRegistered(
        code=fields.code(payload, "code"),
        organisation=fields.code(payload, "organisation"),
        role=fields.choice(payload, "role", Role),
        name=fields.text(payload, "name", limit=100),
    )
    _administers(signer, "RegisterActor", data.organisation, registry)
    organisation = registry.organisation(data.organisation)
    if organisation is None:
        raise Invalid(
            f"organisation {data.organisation} is not registered", code="unknown_organisation"
        )
    if organisation.kind is not data.role:
        raise Invalid(
            f"rule registry.role_matches_organisation: a {data.role.value} actor cannot belong "
            f"to {organisation.code}, which is a {organisation.kind.value}"
        )
    if registry.taken("actor", data.code):
        raise Conflict(f"actor {data.code} is already registered", code="exists")
    return [new_actor(signed, data)]


def new_actor(signed: Signed, data: E.ActorRegistered) -> Actor:
    return Actor._create(Actor.Registered, id=stream_id("actor", data.code), **signed.fields(data))


def _administers(signer: Signer, command: str, organisation: str, registry: RegistryView) -> None:
    """The finance office, or the organisation's own administrator (``roles.ADMINISTRATION``)."""
    if signer.role is not Role.FINANCE_OFFICE:
        may_administer(signer, command, organisation, registry.administrator(organisation))


def register_key(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    fields.only(payload, ("actor", "public_key"))
    owner = registry.actor(fields.code(payload, "actor"))
    if owner is None:
        raise Invalid(f"actor {payload['actor']} is not registered", code="unknown_actor")
    _administers(signer, "RegisterKey", owner.organisation, registry)
    public_key = public_key_field(payload)
    kid = key_id_of(public_key)
    if registry.taken("key", kid):
        raise Conflict(f"key {kid} is already registered", code="exists")
    return [new_key(signed, owner, public_key)]


def new_key(signed: Signed, owner: Actor, public_key: bytes) -> Key:
    data = E.KeyRegistered(
        key_id=key_id_of(public_key),
        public_key=base64.b64encode(public_key).decode("ascii"),
        actor=owner.code,
        organisation=owner.organisation,
        role=owner.role,
    )
    return Key._create(Key.Registered, id=stream_id("key", data.key_id), **signed.fields(data))


def revoke_key(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    fields.only(payload, ("key_id", "reason"))
    kid = payload.get("key_id")
    if not isinstance(kid, str) or len(kid) != 16:
        raise Invalid("payload.key_id must be 16 hex digits")
    reason = fields.text(payload, "reason", limit=500)
    key = registry.key(kid)
    if key is None:
        raise Invalid(f"key {kid} is not registered", code="unknown_key")
    if key.owner != signer.actor:  # its own actor may; else the finance office or admin
        _administers(signer, "RevokeKey", key.organisation, registry)
    if key.revoked:
        raise Conflict(f"key {kid} is already revoked", code="already_revoked")
    key.trigger_event(Key.Revoked, **signed.fields(E.KeyRevoked(key_id=kid, reason=reason)))
    return [key]


HANDLERS: dict[str, Handler] = {
    BY_DATA[E.OrganisationRegistered].command: register_organisation,
    BY_DATA[E.OrganisationAmended].command: amend_organisation,
    BY_DATA[E.SupplierDebarred].command: record_debarment,
    BY_DATA[E.ActorRegistered].command: register_actor,
    BY_DATA[E.KeyRegistered].command: register_key,
    BY_DATA[E.KeyRevoked].command: revoke_key,
}


def genesis(payload: dict[str, Any], signed: Signed) -> tuple[list[Aggregate], bytes]:
    """The first command: the finance office, its administrator and their key.

    It is signed by the bootstrap key it registers, so it verifies from its own leaf.
    """
    fields.only(payload, ("organisation", "administrator", "public_key"))
    org, admin = payload.get("organisation"), payload.get("administrator")
    if not isinstance(org, dict) or not isinstance(admin, dict):
        raise Invalid("payload.organisation and payload.administrator must be objects")
    fields.only(
        org,
        ("code", "name", "region", "address", "level", "oversees", *identity.FIELDS),
        "payload.organisation",
    )
    fields.only(admin, ("code", "name"), "payload.administrator")
    public_key = public_key_field(payload)
    org_data = E.OrganisationRegistered(
        code=fields.code(org, "code"),
        name=fields.text(org, "name"),
        kind=Role.FINANCE_OFFICE,
        region=fields.text(org, "region", limit=100),
        address=fields.text(org, "address", required=False),
        **_jurisdiction(org, Role.FINANCE_OFFICE),
        **_identity(org, Role.FINANCE_OFFICE),
    )
    admin_data = E.ActorRegistered(
        code=fields.code(admin, "code"),
        organisation=org_data.code,
        role=Role.FINANCE_OFFICE,
        name=fields.text(admin, "name", limit=100),
    )
    if signed.actor != admin_data.code or signed.key != key_id_of(public_key):
        raise Invalid("genesis must be signed by the administrator with the key it registers")
    actor = new_actor(signed, admin_data)
    return [
        new_organisation(signed, org_data),
        actor,
        new_key(signed, actor, public_key),
    ], public_key
