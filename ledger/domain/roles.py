"""Roles 角色权限: who may issue which lifecycle action on which procurement.

Pure and table-driven: ``PERMISSIONS`` has one row per lifecycle ``Action`` saying which
roles may issue it and how the signer's organisation must relate to the procurement;
``authorise`` reads the row and raises ``Forbidden`` naming the rule (``roles.<action>``),
who may act, and what the signer is. DOMAIN.md, "Glossary":

* the purchaser 采购人 acts only on its own procurements (relation ``"own"``);
* an agency 采购代理机构 only where it is appointed (relation ``"appointed"``);
* the finance office 财政部门（采购办） supervises every procurement in its region (relation
  ``"any"``; region checks are not made here);
* suppliers 供应商 issue no lifecycle action: they challenge (``may_challenge``) on
  procurements they took part in; inspectors 纪检监察 / 审计 / 检察院 and the publisher
  service issue none (inspectors read only).

Complaint decisions 投诉处理决定 belong to the finance office, and a works tender's to the
行政监督部门 its notice names (``may_decide_complaint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, NoReturn

from ledger.domain.errors import Forbidden
from ledger.domain.lifecycle import Action
from ledger.domain.registry import Role, Signer

Relation = Literal["own", "appointed", "any"]

#: Each role's Chinese name, as the glossary of DOMAIN.md gives it.
ROLE_LABELS: Final[Mapping[Role, str]] = MappingProxyType(
    {
        Role.PURCHASER: "采购人",
        Role.AGENCY: "采购代理机构",
        Role.FINANCE_OFFICE: "财政部门（采购办）",
        Role.SUPPLIER: "供应商",
        Role.INSPECTOR: "纪检监察 / 审计 / 检察院",
        Role.PUBLISHER: "发布服务",
        Role.BID_BOX: "投标箱服务",
        Role.EVALUATION_EXPERT: "评审专家",
        Role.SUPERVISION_DEPARTMENT: "行政监督部门",
        Role.IMPORTER: "数据导入服务",
    }
)


@dataclass(frozen=True)
class Participants:
    """Who takes part in one procurement, by organisation code."""

    purchaser: str  # the purchaser's organisation code
    agency: str | None  # the appointed agency; None when the purchaser runs it itself
    bidders: frozenset[str] = frozenset()  # suppliers that took part


@dataclass(frozen=True)
class Grant:
    """One role allowed to act, and how its organisation must relate to the procurement."""

    role: Role
    relation: Relation


@dataclass(frozen=True)
class Permission:
    """One row of the table: the grants for one action, in the order messages list them."""

    grants: tuple[Grant, ...]

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)

    def relation(self, role: Role) -> Relation | None:
        """The relation required of ``role``, or None when the role may not act at all."""
        for grant in self.grants:
            if grant.role is role:
                return grant.relation
        return None


_PURCHASER: Final = Grant(Role.PURCHASER, "own")
_AGENCY: Final = Grant(Role.AGENCY, "appointed")
_FINANCE: Final = Grant(Role.FINANCE_OFFICE, "any")

_PURCHASER_ONLY: Final = Permission((_PURCHASER,))
_PURCHASER_OR_AGENCY: Final = Permission((_PURCHASER, _AGENCY))
_FINANCE_ONLY: Final = Permission((_FINANCE,))
# Suspension: only the body handling a complaint suspends and lifts: the finance office
# (财政部令第94号 第二十八条; 政府采购法 第五十七条), or for a works tender the 行政监督部门 its
# notice names (招标投标法实施条例 第六十二条). That the cause is a complaint being handled, and
# the signer its handler, is checked with the payload (procurement_commands).
_SUPERVISION: Final = Permission((_FINANCE, Grant(Role.SUPERVISION_DEPARTMENT, "any")))

#: The table: every lifecycle action and who may issue it.
# fmt: off
PERMISSIONS: Final[Mapping[Action, Permission]] = MappingProxyType({
    Action.FILE_PLAN: _PURCHASER_ONLY,
    Action.APPROVE_PLAN: _FINANCE_ONLY,
    Action.REJECT_PLAN: _FINANCE_ONLY,
    Action.APPROVE_METHOD: _FINANCE_ONLY,
    Action.DISCLOSE_INTENTION: _PURCHASER_ONLY,
    Action.ANNOUNCE_PREQUALIFICATION: _PURCHASER_OR_AGENCY,
    Action.RECORD_PREQUALIFICATION: _PURCHASER_OR_AGENCY,
    Action.ANNOUNCE_TENDER: _PURCHASER_OR_AGENCY,
    Action.CORRECT_ANNOUNCEMENT: _PURCHASER_OR_AGENCY,
    Action.OPEN_BIDS: _PURCHASER_OR_AGENCY,
    Action.COMPLETE_EVALUATION: _PURCHASER_OR_AGENCY,
    Action.PUBLISH_CANDIDATES: _PURCHASER_OR_AGENCY,  # 招标人 publishes (实施条例 第五十四条)
    Action.DECIDE_AWARD: _PURCHASER_ONLY,  # the purchaser confirms the winner
    Action.ANNOUNCE_RESULT: _PURCHASER_OR_AGENCY,
    Action.SIGN_CONTRACT: _PURCHASER_ONLY,
    Action.ANNOUNCE_CONTRACT: _PURCHASER_OR_AGENCY,
    Action.FILE_CONTRACT: _PURCHASER_ONLY,  # 采购人 files the copy (政府采购法 第四十七条)
    Action.FILE_TENDER_REPORT: _PURCHASER_OR_AGENCY,  # 招标人 reports (招标投标法 第四十七条)
    # Stage two: the purchaser signs the call-off with the supplier it chose (财政部令第110号);
    # it or the agency running the agreement publishes the result.
    Action.SIGN_CALL_OFF: _PURCHASER_ONLY,
    Action.ANNOUNCE_CALL_OFF: _PURCHASER_OR_AGENCY,
    Action.SIGN_SUPPLEMENTARY_CONTRACT: _PURCHASER_ONLY,  # 采购人 signs it (法 第四十九条)
    Action.REFUND_BID_DEPOSITS: _PURCHASER_OR_AGENCY,  # 87号令 第三十八条
    Action.RECORD_ACCEPTANCE: _PURCHASER_ONLY,
    Action.ARCHIVE: _PURCHASER_ONLY,
    Action.DECLARE_FAILURE: _PURCHASER_OR_AGENCY,
    Action.TERMINATE: _PURCHASER_ONLY,
    Action.SUSPEND: _SUPERVISION,
    Action.RESUME: _SUPERVISION,
})
# fmt: on


def authorise(signer: Signer, action: Action, participants: Participants) -> None:
    """Return if ``signer`` may issue ``action`` on the procurement of ``participants``.

    Otherwise raise ``Forbidden`` with the message ``rule roles.<action>: …``.
    """
    permission = PERMISSIONS[action]
    relation = permission.relation(signer.role)
    if relation is None:
        if not any(signer.role in p.roles for p in PERMISSIONS.values()):
            why = f"{_a(signer.role)} issues no lifecycle action"
        else:
            why = f"{_a(signer.role)} may not {action.value}"
        _refuse(action, permission, participants, signer, why)
    if relation == "own" and signer.organisation != participants.purchaser:
        _refuse(
            action,
            permission,
            participants,
            signer,
            f"{signer.organisation} is not the purchaser of this procurement",
        )
    if relation == "appointed" and (
        participants.agency is None or signer.organisation != participants.agency
    ):
        why = (
            "no agency is appointed: the purchaser runs this procurement itself"
            if participants.agency is None
            else f"{signer.organisation} is not the appointed agency"
        )
        _refuse(action, permission, participants, signer, why)


def may_challenge(signer: Signer, participants: Participants) -> None:
    """Return if ``signer`` may file a challenge 质疑 on this procurement, else ``Forbidden``.

    Only a supplier that took part (its organisation among ``participants.bidders``).
    """
    if signer.role is not Role.SUPPLIER:
        why = f"{_a(signer.role)} does not challenge"
    elif signer.organisation not in participants.bidders:
        why = f"{signer.organisation} did not take part in this procurement"
    else:
        return
    raise Forbidden(
        "rule roles.challenge: a challenge 质疑 is filed only by a supplier 供应商 that took "
        f"part in the procurement; {_describe(signer)}: {why}"
    )


def may_decide_complaint(signer: Signer, supervisor: str | None = None) -> None:
    """Return if ``signer`` may screen or decide a complaint 投诉, else ``Forbidden``: the
    finance office; for a works tender, only the 行政监督部门 ``supervisor`` its notice named
    (招标投标法实施条例 第六十条、第六十一条), and the finance office may not."""
    if supervisor is not None:
        if signer.role is Role.SUPERVISION_DEPARTMENT and signer.organisation == supervisor:
            return
        raise Forbidden(
            "rule roles.decide_complaint: a works tender's complaint 投诉 is handled only by "
            f"the 行政监督部门 its notice names ({supervisor}) (招标投标法实施条例 第六十条、"
            f"第六十一条); {_describe(signer)}"
        )
    if signer.role is not Role.FINANCE_OFFICE:
        raise Forbidden(
            "rule roles.decide_complaint: a complaint 投诉 is decided only by the finance "
            f"office {ROLE_LABELS[Role.FINANCE_OFFICE]}; {_describe(signer)}"
        )


def _a(role: Role) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def _who(grant: Grant, participants: Participants) -> str:
    label = f"{grant.role.value.replace('_', ' ')} {ROLE_LABELS[grant.role]}"
    if grant.relation == "own":
        return f"the {label} of this procurement ({participants.purchaser})"
    if grant.relation == "appointed":
        agency = participants.agency or "none appointed"
        return f"its appointed {label} ({agency})"
    return f"the {label}"


def _describe(signer: Signer) -> str:
    return (
        f"{signer.actor} acts as {signer.role.value} {ROLE_LABELS[signer.role]} "
        f"of {signer.organisation}"
    )


def _refuse(
    action: Action, permission: Permission, participants: Participants, signer: Signer, why: str
) -> NoReturn:
    who = " or ".join(_who(grant, participants) for grant in permission.grants)
    raise Forbidden(
        f"rule roles.{action.value}: {action.value} ({action.label}) may be issued only by "
        f"{who}; {_describe(signer)}, and {why}"
    )


# -- the registry: who enrols an organisation's people and keys -------------------------------


@dataclass(frozen=True)
class Administration:
    """A registry command an organisation's administrator 本单位管理员 may issue for its own
    organisation, besides the finance office for every organisation, and why."""

    command: str
    label: str
    reason: str


#: The administrator of an organisation is its first registered actor (the genesis's for the
#: finance office). No article of 政府采购法 or its 实施条例 names who enrols an official's
#: signing key: this is the ledger's own rule, on the principle that an organisation answers
#: for what its staff record in its name (政府采购法 第七十一条、第七十二条 hold the purchaser and
#: the agency liable, 第七十七条 the supplier), so it, not only the finance office, vouches for
#: who signs for it. The finance office keeps the power for every organisation. 待核.
ADMINISTRATION: Final[Mapping[str, Administration]] = MappingProxyType(
    {
        a.command: a
        for a in (
            Administration(
                "RegisterActor",
                "登记本单位人员",
                "an organisation names who acts for it, in the role of its own kind",
            ),
            Administration(
                "RegisterKey",
                "登记本单位人员的签名密钥",
                "an organisation vouches for the key each of its officials signs with",
            ),
            Administration(
                "RevokeKey",
                "吊销本单位人员的签名密钥",
                "an organisation ends at once the key of an official who left or lost it",
            ),
        )
    }
)


def may_administer(
    signer: Signer, command: str, organisation: str, administrator: str | None
) -> None:
    """Return if ``signer`` may issue the registry ``command`` for ``organisation`` (whose
    administrator, its first registered actor, is ``administrator``), else ``Forbidden``."""
    if signer.role is Role.FINANCE_OFFICE:
        return
    granted = ADMINISTRATION.get(command)
    own = signer.organisation == organisation and signer.actor == administrator
    if granted is not None and own:
        return
    who = (
        f"the finance office, or {organisation}'s administrator (its first registered actor, "
        f"{administrator or 'none yet'})"
        if granted is not None
        else "the finance office"
    )
    raise Forbidden(
        f"rule roles.administer.{command}: {command} for {organisation} may be issued only by "
        f"{who}; {_describe(signer)}"
    )
