"""Roles: every lifecycle action by every kind of signer, allowed and refused."""

from __future__ import annotations

import re

import pytest

from ledger.domain.errors import Forbidden
from ledger.domain.lifecycle import Action
from ledger.domain.registry import Role
from ledger.domain.registry_commands import Signer
from ledger.domain.roles import (
    PERMISSIONS,
    ROLE_LABELS,
    Participants,
    authorise,
    may_challenge,
    may_decide_complaint,
)

A = Action
CJK = re.compile(r"[\u4e00-\u9fff]")

# The expected table, written out independently of the module's (DOMAIN.md, issue 3 item 2).
PURCHASER_ONLY = frozenset(
    {
        A.FILE_PLAN,
        A.DISCLOSE_INTENTION,
        A.DECIDE_AWARD,
        A.SIGN_CONTRACT,
        A.FILE_CONTRACT,
        A.SIGN_SUPPLEMENTARY_CONTRACT,
        A.SIGN_CALL_OFF,
        A.RECORD_ACCEPTANCE,
        A.ARCHIVE,
        A.TERMINATE,
    }
)
PURCHASER_OR_AGENCY = frozenset(
    {
        A.ANNOUNCE_PREQUALIFICATION,
        A.RECORD_PREQUALIFICATION,
        A.ANNOUNCE_TENDER,
        A.CORRECT_ANNOUNCEMENT,
        A.OPEN_BIDS,
        A.COMPLETE_EVALUATION,
        A.ANNOUNCE_RESULT,
        A.ANNOUNCE_CONTRACT,
        A.REFUND_BID_DEPOSITS,
        A.ANNOUNCE_CALL_OFF,
        A.DECLARE_FAILURE,
        A.PUBLISH_CANDIDATES,
        A.FILE_TENDER_REPORT,
    }
)
FINANCE_ONLY = frozenset({A.APPROVE_PLAN, A.REJECT_PLAN, A.APPROVE_METHOD})
# Only the finance office handling a complaint suspends and lifts (财政部令第94号 第二十八条).
SUPERVISION = frozenset({A.SUSPEND, A.RESUME})
GROUPS = (PURCHASER_ONLY, PURCHASER_OR_AGENCY, FINANCE_ONLY, SUPERVISION)

WITH_AGENCY = Participants("P-HOSP", "A-CENTRE", frozenset({"S-1", "S-2", "S-3"}))
SELF_RUN = Participants("P-HOSP", None, frozenset({"S-1"}))


def signer(role: Role, organisation: str) -> Signer:
    return Signer(
        actor=f"{organisation.lower()}-clerk", role=role, organisation=organisation, key="k"
    )


# name -> (signer, participants, actions it may issue)
CASES: dict[str, tuple[Signer, Participants, frozenset[Action]]] = {
    "own purchaser": (
        signer(Role.PURCHASER, "P-HOSP"),
        WITH_AGENCY,
        PURCHASER_ONLY | PURCHASER_OR_AGENCY,
    ),
    "own purchaser, self-run": (
        signer(Role.PURCHASER, "P-HOSP"),
        SELF_RUN,
        PURCHASER_ONLY | PURCHASER_OR_AGENCY,
    ),
    "another purchaser": (signer(Role.PURCHASER, "P-EDU"), WITH_AGENCY, frozenset()),
    "purchaser signing as the agency's code": (
        signer(Role.PURCHASER, "A-CENTRE"),
        WITH_AGENCY,
        frozenset(),
    ),
    "appointed agency": (
        signer(Role.AGENCY, "A-CENTRE"),
        WITH_AGENCY,
        PURCHASER_OR_AGENCY,
    ),
    "agency not appointed": (signer(Role.AGENCY, "A-OTHER"), WITH_AGENCY, frozenset()),
    "agency when self-run": (signer(Role.AGENCY, "A-CENTRE"), SELF_RUN, frozenset()),
    "agency with the purchaser's code": (signer(Role.AGENCY, "P-HOSP"), SELF_RUN, frozenset()),
    "finance office": (
        signer(Role.FINANCE_OFFICE, "F-COUNTY"),
        WITH_AGENCY,
        FINANCE_ONLY | SUPERVISION,
    ),
    "finance office, self-run": (
        signer(Role.FINANCE_OFFICE, "F-COUNTY"),
        SELF_RUN,
        FINANCE_ONLY | SUPERVISION,
    ),
    "bidding supplier": (signer(Role.SUPPLIER, "S-1"), WITH_AGENCY, frozenset()),
    "other supplier": (signer(Role.SUPPLIER, "S-9"), WITH_AGENCY, frozenset()),
    "inspector": (signer(Role.INSPECTOR, "I-AUDIT"), WITH_AGENCY, frozenset()),
    "publisher": (signer(Role.PUBLISHER, "PUB"), WITH_AGENCY, frozenset()),
}

MATRIX = [
    pytest.param(name, action, action in CASES[name][2], id=f"{action.value}-{name}")
    for name in CASES
    for action in Action
]


def test_expected_table_covers_every_action_once() -> None:
    assert frozenset().union(*GROUPS) == frozenset(Action)
    assert sum(len(g) for g in GROUPS) == len(Action)


def test_permissions_has_one_row_per_action() -> None:
    assert set(PERMISSIONS) == set(Action)


@pytest.mark.parametrize(("name", "action", "allowed"), MATRIX)
def test_authorise(name: str, action: Action, allowed: bool) -> None:
    who, participants, _ = CASES[name]
    if allowed:
        authorise(who, action, participants)
        return
    with pytest.raises(Forbidden) as refused:
        authorise(who, action, participants)
    message = refused.value.message
    assert message.startswith(f"rule roles.{action.value}: ")
    assert refused.value.code == "forbidden"
    assert refused.value.status == 403
    assert who.role.value in message
    assert ROLE_LABELS[who.role] in message
    assert who.organisation in message
    assert who.actor in message
    assert action.label in message  # the action's Chinese name
    for grant in PERMISSIONS[action].grants:  # names who may do it
        assert ROLE_LABELS[grant.role] in message


def test_another_purchaser_is_told_whose_procurement_it_is() -> None:
    with pytest.raises(Forbidden, match=r"rule roles\.sign_contract: ") as refused:
        authorise(signer(Role.PURCHASER, "P-EDU"), A.SIGN_CONTRACT, WITH_AGENCY)
    assert "(P-HOSP)" in refused.value.message
    assert "P-EDU is not the purchaser of this procurement" in refused.value.message


def test_agency_not_appointed_is_told_which_is() -> None:
    with pytest.raises(Forbidden, match=r"rule roles\.open_bids: ") as refused:
        authorise(signer(Role.AGENCY, "A-OTHER"), A.OPEN_BIDS, WITH_AGENCY)
    assert "appointed agency 采购代理机构 (A-CENTRE)" in refused.value.message
    assert "A-OTHER is not the appointed agency" in refused.value.message


def test_agency_on_a_self_run_procurement_is_told_none_is_appointed() -> None:
    with pytest.raises(Forbidden, match=r"rule roles\.announce_result: ") as refused:
        authorise(signer(Role.AGENCY, "A-CENTRE"), A.ANNOUNCE_RESULT, SELF_RUN)
    assert "no agency is appointed" in refused.value.message


def test_agency_may_not_decide_the_award() -> None:
    with pytest.raises(Forbidden, match=r"rule roles\.decide_award: .*may not decide_award"):
        authorise(signer(Role.AGENCY, "A-CENTRE"), A.DECIDE_AWARD, WITH_AGENCY)


def test_finance_office_approves_but_does_not_announce() -> None:
    finance = signer(Role.FINANCE_OFFICE, "F-COUNTY")
    authorise(finance, A.APPROVE_PLAN, WITH_AGENCY)
    authorise(finance, A.APPROVE_METHOD, SELF_RUN)
    with pytest.raises(Forbidden, match=r"rule roles\.announce_tender: ") as refused:
        authorise(finance, A.ANNOUNCE_TENDER, WITH_AGENCY)
    assert "a finance_office may not announce_tender" in refused.value.message


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.PUBLISHER, Role.SUPPLIER])
@pytest.mark.parametrize("action", list(Action))
def test_read_only_roles_issue_no_lifecycle_action(role: Role, action: Action) -> None:
    # Even when the signer's organisation code is the purchaser's own.
    with pytest.raises(Forbidden, match=r"issues no lifecycle action$"):
        authorise(signer(role, "P-HOSP"), action, WITH_AGENCY)


def test_messages_are_english_with_chinese_role_names() -> None:
    with pytest.raises(Forbidden) as refused:
        authorise(signer(Role.INSPECTOR, "I-AUDIT"), A.SUSPEND, WITH_AGENCY)
    message = refused.value.message
    assert message == (
        "rule roles.suspend: suspend (暂停采购活动) may be issued only by the finance office "
        "财政部门（采购办） or the supervision department 行政监督部门; i-audit-clerk acts as "
        "inspector "
        "纪检监察 / 审计 / 检察院 of I-AUDIT, and an inspector issues no lifecycle action"
    )
    assert CJK.search(message)


# -- challenges 质疑 -------------------------------------------------------------------------


@pytest.mark.parametrize("bidder", sorted(WITH_AGENCY.bidders))
def test_bidding_supplier_may_challenge(bidder: str) -> None:
    may_challenge(signer(Role.SUPPLIER, bidder), WITH_AGENCY)


def test_supplier_that_did_not_bid_may_not_challenge() -> None:
    with pytest.raises(Forbidden, match=r"^rule roles\.challenge: ") as refused:
        may_challenge(signer(Role.SUPPLIER, "S-9"), WITH_AGENCY)
    assert "S-9 did not take part in this procurement" in refused.value.message
    assert "供应商" in refused.value.message


def test_supplier_may_not_challenge_where_nobody_bid() -> None:
    with pytest.raises(Forbidden, match=r"^rule roles\.challenge: "):
        may_challenge(signer(Role.SUPPLIER, "S-1"), Participants("P-HOSP", None))


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.SUPPLIER])
def test_only_suppliers_challenge(role: Role) -> None:
    # Even an organisation code listed among the bidders: the role decides first.
    with pytest.raises(Forbidden, match=r"^rule roles\.challenge: .*does not challenge$"):
        may_challenge(signer(role, "S-1"), WITH_AGENCY)


# -- complaints 投诉 -------------------------------------------------------------------------


def test_finance_office_decides_complaints() -> None:
    may_decide_complaint(signer(Role.FINANCE_OFFICE, "F-COUNTY"))


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.FINANCE_OFFICE])
def test_only_the_finance_office_decides_complaints(role: Role) -> None:
    who = signer(role, "X-ORG")
    with pytest.raises(Forbidden, match=r"^rule roles\.decide_complaint: ") as refused:
        may_decide_complaint(who)
    assert role.value in refused.value.message
    assert "X-ORG" in refused.value.message
    assert "财政部门（采购办）" in refused.value.message
