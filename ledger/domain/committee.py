"""The evaluation committee 评标委员会（谈判、询价、磋商小组）, its report and its ranking.

Pure: no I/O. A committee is made of the purchaser's representatives 采购人代表 and evaluation
experts 评审专家; each expert is a registered actor (role ``evaluation_expert``) who signs the
evaluation report 评审报告 with their own key. The whole list, signatures included, is one
sealed value: it stays sealed until the result notice (财政部令第87号 第六十九条), so the
signatures are checked by the ledger when the evaluation is recorded and by the verifier
when the list is disclosed.

What the law asks of a committee is data with its citation (``COMMITTEE_RULES``); a committee
that breaks it, or an award that departs from the committee's ranking without a recorded
reason, did happen, so it is recorded with a finding, never refused.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.domain.errors import Invalid
from ledger.domain.lifecycle import Irregularity
from ledger.domain.money import Money
from ledger.domain.vocabulary import Method

MemberRole = Literal["expert", "representative"]
MEMBER_ROLES: Final[Mapping[str, str]] = MappingProxyType(
    {"expert": "评审专家", "representative": "采购人代表"}
)
#: How an expert came to sit (实施条例 第三十九条: drawn at random from the 评审专家库; 财政部令
#: 第87号 第四十八条 lets the purchaser choose experts for a 技术复杂、专业性强 project a random
#: draw cannot staff, with the consent of its 主管预算单位).
Selection = Literal["random", "chosen"]
SELECTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {"random": "随机抽取", "chosen": "自行选定"}
)
#: What a chosen expert's consent names: who consented, its 文号, and why a draw could not do.
CONSENT_FIELDS: Final = ("by", "reference", "reason")
Consent = Mapping[str, str]
#: The bound of a committee's size the ledger accepts at all (a typing guard, not the law).
MAX_MEMBERS: Final = 25
#: Domain separation: an expert's signature over a report can serve for nothing else.
REPORT_CONTEXT: Final = b"sunshine-ledger evaluation report v1\n"


@dataclass(frozen=True)
class CommitteeRule:
    """What the law asks of one method's committee."""

    least: int  # members, at least
    odd: bool  # an odd number of members 单数
    expert_share: Fraction  # experts, at least this share of the members
    citation: str
    large_budget: Money | None = None  # at or above it, at least ``large_least`` members
    large_least: int = 0

    def least_for(self, budget: Money) -> int:
        if self.large_budget is not None and budget >= self.large_budget:
            return max(self.least, self.large_least)
        return self.least


# 87号令 第四十七条 also asks 7 or more for technically complex projects or those of wide
# social impact: a judgement the ledger cannot make, so only the budget is counted.
_TENDER: Final = CommitteeRule(
    5, True, Fraction(2, 3), "财政部令第87号 第四十七条", Money.from_fen(10_000_000_00), 7
)
_NEGOTIATION: Final = CommitteeRule(3, True, Fraction(2, 3), "财政部令第74号 第七条")
_CONSULTATION: Final = CommitteeRule(3, True, Fraction(2, 3), "财库〔2014〕214号 第十四条")

#: The committee each method evaluates with; a method absent here has none.
COMMITTEE_RULES: Final[Mapping[Method, CommitteeRule]] = MappingProxyType(
    {
        Method.OPEN_TENDER: _TENDER,
        Method.INVITED_TENDER: _TENDER,
        Method.COMPETITIVE_NEGOTIATION: _NEGOTIATION,
        Method.INQUIRY: _NEGOTIATION,
        Method.COMPETITIVE_CONSULTATION: _CONSULTATION,
    }
)

COMMITTEE_SIZE: Final = "committee_size"
COMMITTEE_EXPERT_SHARE: Final = "committee_expert_share"
AWARD_OUT_OF_RANKING: Final = "award_follows_ranking"
RANKING_CITATION: Final = "政府采购法实施条例 第四十三条；财政部令第87号 第六十八条"


@dataclass(frozen=True)
class Member:
    """One member as the sealed list names them."""

    name: str
    role: MemberRole
    actor: str | None = None  # an expert's registered actor
    key: str | None = None  # the key id the expert signed with
    signature: str | None = None  # base64 Ed25519 over ``report_message``
    selection: Selection | None = None  # an expert's; None in lists recorded before it was asked
    consent: Consent | None = None  # a chosen expert's consent, when recorded


def parse_members(value: Any, where: str) -> tuple[Member, ...]:
    """The sealed committee list: ``[{"name", "role", "actor", "key", "signature"}]``, experts
    with their actor, key and signature (and, since it is asked, ``selection`` and a chosen
    expert's ``consent``), representatives by name."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_MEMBERS:
        raise Invalid(f"{where} must list the 1–{MAX_MEMBERS} members of the committee")
    members = []
    for n, row in enumerate(value):
        at = f"{where}[{n}]"
        if not isinstance(row, dict):
            raise Invalid(f'{at} must be an object {{"name", "role", …}}')
        role = row.get("role")
        expected = {"name", "role", "actor", "key", "signature"} if role == "expert" else None
        if role == "representative":
            expected = {"name", "role"}
        if expected is None:
            raise Invalid(f'{at}.role must be "expert" (评审专家) or "representative" (采购人代表)')
        given = set(row) - {"selection", "consent"} if role == "expert" else set(row)
        if given != expected:
            raise Invalid(f"{at}: a {role} is given by {', '.join(sorted(expected))}")
        name = row["name"]
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 50:
            raise Invalid(f"{at}.name must be the member's name, 1–50 characters")
        for field in ("actor", "key", "signature"):
            if field in row and not (isinstance(row[field], str) and 0 < len(row[field]) <= 200):
                raise Invalid(f"{at}.{field} must be a string")
        held: MemberRole = "expert" if role == "expert" else "representative"
        selection, consent = _selection(row, at)
        members.append(Member(name, held, row.get("actor"), row.get("key"), row.get("signature"),
                              selection, consent))  # fmt: skip
    if len({m.name for m in members}) != len(members):
        raise Invalid(f"{where} names a member twice")
    experts = [m.actor for m in members if m.actor is not None]
    if len(set(experts)) != len(experts):
        raise Invalid(f"{where} names an expert twice")
    return tuple(members)


def _selection(row: Mapping[str, Any], at: str) -> tuple[Selection | None, Consent | None]:
    """An expert's ``selection`` and, for a chosen one, the ``consent`` that allows it. A
    chosen expert without consent is recorded as it happened (the red flags judge it)."""
    selection, consent = row.get("selection"), row.get("consent")
    if selection is None:
        if consent is not None:
            raise Invalid(f"{at}.consent is given only with \"selection\": \"chosen\"")
        return None, None
    if selection not in SELECTIONS:
        raise Invalid(f'{at}.selection must be "random" (随机抽取) or "chosen" (自行选定)')
    if consent is None:
        return selection, None
    if selection != "chosen":
        raise Invalid(f"{at}.consent: an expert drawn at random needs no consent")
    if not isinstance(consent, dict) or set(consent) != set(CONSENT_FIELDS):
        raise Invalid(f"{at}.consent must be {{\"by\", \"reference\", \"reason\"}}: the "
                      "主管预算单位 that consented, its 文号 and why a random draw could not do")
    for field, most in zip(CONSENT_FIELDS, (100, 100, 500), strict=True):
        value = consent[field]
        if not isinstance(value, str) or not 0 < len(value.strip()) <= most:
            raise Invalid(f"{at}.consent.{field} must be 1–{most} characters")
    return "chosen", MappingProxyType(dict(consent))


def report_message(procurement: str, date: str, results: Any) -> bytes:
    """What each expert signs: the evaluation report of ``procurement`` as recorded on
    ``date``, every bidder's row as the evaluation entry keeps it."""
    report: Any = {"procurement": procurement, "date": date, "results": results}
    return REPORT_CONTEXT + rfc8785.dumps(report)


def committee_irregularities(
    method: Method, budget: Money, members: Sequence[Member]
) -> tuple[Irregularity, ...]:
    """What a committee of ``members`` evaluating by ``method`` a procurement of ``budget``
    is found to break."""
    rule = COMMITTEE_RULES.get(method)
    if rule is None:
        return ()
    found = []
    size, least = len(members), rule.least_for(budget)
    if size < least or (rule.odd and size % 2 == 0):
        found.append(
            Irregularity(
                COMMITTEE_SIZE,
                f"评审委员会（小组）应当由{least}人以上单数组成；实有{size}人",
                rule.citation,
            )
        )
    experts = sum(1 for m in members if m.role == "expert")
    if Fraction(experts, max(size, 1)) < rule.expert_share:
        found.append(
            Irregularity(
                COMMITTEE_EXPERT_SHARE,
                f"评审专家不得少于成员总数的三分之二；{size}人中评审专家{experts}人",
                rule.citation,
            )
        )
    return tuple(found)


def ranking_irregularities(
    winner: str, ranking: Sequence[str], reason: str | None
) -> tuple[Irregularity, ...]:
    """An award to another than the committee's first-ranked candidate without a recorded
    reason (实施条例 第四十三条; 第四十九条 lets the next candidate in order win when the
    first declines, and the reason says so)."""
    if not ranking or winner == ranking[0] or reason:
        return ()
    place = ranking.index(winner) + 1 if winner in ranking else None
    held = f"第{place}名" if place else "未排序的供应商"
    return (
        Irregularity(
            AWARD_OUT_OF_RANKING,
            f"采购人应当按评审报告推荐的中标（成交）候选人顺序确定中标（成交）供应商；"
            f"确定了{held}，未记录理由",
            RANKING_CITATION,
        ),
    )


#: An expert's public key: ``(actor, key id) -> raw key`` when the actor is a registered
#: evaluation expert and the key theirs and valid at the evaluation, else None.
ExpertKey = Callable[[str, str], bytes | None]


def check_signatures(members: Sequence[Member], message: bytes, expert_key: ExpertKey) -> None:
    """Every expert's signature over the report ``message``, or Invalid naming who fails."""
    for n, member in enumerate(members):
        if member.role != "expert":
            continue
        assert member.actor and member.key and member.signature  # parse_members says so
        public = expert_key(member.actor, member.key)
        if public is None:
            raise Invalid(
                f"committee member {n} ({member.name}): {member.actor} is not a registered "
                f"evaluation expert 评审专家 with the valid key {member.key}"
            )
        try:
            signature = base64.b64decode(member.signature, validate=True)
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        except (ValueError, InvalidSignature):
            raise Invalid(
                f"committee member {n} ({member.name}): the signature is not {member.actor}'s "
                "over this evaluation report"
            ) from None
