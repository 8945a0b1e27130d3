"""The lifecycle of one procurement: what may follow what, what is refused, what is flagged."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import Conflict
from ledger.domain.lifecycle import (
    ACTED_WHILE_SUSPENDED,
    CONTRACT_BEFORE_RESULT_ANNOUNCED,
    PROCURE_FIRST_FILE_LATER,
    RULES,
    SKIPPED_INTENTION,
    SUPPLEMENT_AFTER_ACCEPTANCE,
    Action,
    Stage,
    State,
    Transition,
    allowed,
    decide,
)
from ledger.domain.vocabulary import AnnouncementType, Method

A = Action
S = Stage
N = AnnouncementType
OPEN = Method.OPEN_TENDER
CJK = re.compile(r"[\u4e00-\u9fff]")

EVENTS_AND_LABELS: dict[str, tuple[str, str]] = {
    "file_plan": ("PlanFiled", "采购计划备案"),
    "approve_plan": ("PlanApproved", "批复采购计划"),
    "reject_plan": ("PlanRejected", "退回采购计划"),
    "approve_method": ("MethodApproved", "批准采购方式"),
    "disclose_intention": ("IntentionDisclosed", "公开采购意向"),
    "announce_prequalification": ("PrequalificationAnnounced", "发布资格预审公告"),
    "record_prequalification": ("PrequalificationCompleted", "记录资格预审结果"),
    "announce_tender": ("TenderAnnounced", "发布采购公告"),
    "correct_announcement": ("AnnouncementCorrected", "发布更正公告"),
    "open_bids": ("BidsOpened", "开标"),
    "complete_evaluation": ("EvaluationCompleted", "完成评审"),
    "publish_candidates": ("CandidatesPublished", "公示中标候选人"),
    "decide_award": ("AwardDecided", "确定中标（成交）供应商"),
    "announce_result": ("ResultAnnounced", "发布结果公告"),
    "sign_contract": ("ContractSigned", "签订合同"),
    "announce_contract": ("ContractAnnounced", "发布合同公告"),
    "file_contract": ("ContractFiled", "合同备案"),
    "file_tender_report": ("TenderReportFiled", "提交招标投标情况书面报告"),
    "sign_supplementary_contract": ("SupplementaryContractSigned", "签订补充合同"),
    "sign_call_off": ("CallOffSigned", "签订框架协议采购合同（第二阶段）"),
    "announce_call_off": ("CallOffAnnounced", "发布框架协议采购成交结果公告"),
    "refund_bid_deposits": ("BidDepositsRefunded", "退还投标保证金"),
    "record_acceptance": ("AcceptanceRecorded", "履约验收"),
    "archive": ("Archived", "归档"),
    "declare_failure": ("ProcurementFailed", "废标"),
    "terminate": ("ProcurementTerminated", "终止"),
    "suspend": ("ProcurementSuspended", "暂停采购活动"),
    "resume": ("ProcurementResumed", "恢复采购活动"),
}

# A procurement failed or terminated still refunds its bidders' deposits (财政部令第87号
# 第二十九条) and is archived; nothing else.
CLOSED_ALLOWS = (A.REFUND_BID_DEPOSITS, A.ARCHIVE)

def ready(progress: Stage = S.NONE, **changes: Any) -> State:
    """A procurement whose plan and method are approved, at ``progress``."""
    return replace(State(plan="approved", method_approved=True, progress=progress), **changes)


def run(actions: list[Action], method: Method = OPEN, state: State | None = None) -> State:
    current = State.initial() if state is None else state
    for action in actions:
        current = decide(current, action, method).state
    return current


def rules_of(transition: Transition) -> list[str]:
    return [irregularity.rule for irregularity in transition.irregularities]


# -- the vocabulary of actions ----------------------------------------------------------


def test_every_action_has_its_event_and_chinese_label() -> None:
    assert [action.value for action in Action] == list(EVENTS_AND_LABELS)
    assert set(RULES) == set(Action)
    for action in Action:
        event, label = EVENTS_AND_LABELS[action.value]
        assert action.kind.__name__ == event
        assert action.label == label
    assert Action.labels() == {value: label for value, (_, label) in EVENTS_AND_LABELS.items()}
    assert Action.parse("open_bids", "payload.action") is Action.OPEN_BIDS


def test_every_stage_and_state_reads_in_chinese() -> None:
    assert [stage.value for stage in Stage] == [
        "none",
        "intention_disclosed",
        "announced",
        "bids_opened",
        "evaluated",
        "awarded",
        "result_announced",
        "contract_signed",
        "contract_announced",
        "accepted",
    ]
    assert all(CJK.search(stage.label) for stage in Stage)
    assert State.initial() == State("none", False, S.NONE, None, False)
    assert State.initial().label == "采购计划未备案，采购方式未批准，未开始采购"
    closed = State("approved", True, S.BIDS_OPENED, "failed", False)
    assert closed.label == "采购计划已批复，采购方式已批准，已开标，已废标"
    assert "采购活动暂停中" in ready(S.ANNOUNCED, suspended=True).label


# -- each action allowed and refused ----------------------------------------------------

FILED = State(plan="filed")
PLAN_ONLY = State(plan="approved")

ALLOWED: list[tuple[Action, State, Method]] = [
    (A.FILE_PLAN, State.initial(), OPEN),
    (A.APPROVE_PLAN, FILED, OPEN),
    (A.APPROVE_PLAN, State(plan="filed", progress=S.CONTRACT_SIGNED), OPEN),
    (A.REJECT_PLAN, FILED, OPEN),
    (A.APPROVE_METHOD, PLAN_ONLY, Method.SINGLE_SOURCE),
    (A.APPROVE_METHOD, State(plan="approved", progress=S.ANNOUNCED), OPEN),
    (A.DISCLOSE_INTENTION, ready(), OPEN),
    (A.ANNOUNCE_PREQUALIFICATION, ready(S.INTENTION_DISCLOSED), Method.INVITED_TENDER),
    (A.RECORD_PREQUALIFICATION, ready(S.INTENTION_DISCLOSED), Method.INVITED_TENDER),
    (A.ANNOUNCE_TENDER, ready(), OPEN),
    (A.ANNOUNCE_TENDER, ready(S.INTENTION_DISCLOSED), OPEN),
    (A.CORRECT_ANNOUNCEMENT, ready(S.ANNOUNCED), OPEN),
    (A.OPEN_BIDS, ready(S.ANNOUNCED), OPEN),
    (A.COMPLETE_EVALUATION, ready(S.BIDS_OPENED), OPEN),
    (A.PUBLISH_CANDIDATES, ready(S.EVALUATED), OPEN),
    (A.DECIDE_AWARD, ready(S.EVALUATED), OPEN),
    (A.DECIDE_AWARD, ready(S.ANNOUNCED), Method.SINGLE_SOURCE),
    (A.DECIDE_AWARD, ready(S.EVALUATED), Method.FRAMEWORK_AGREEMENT),
    (A.ANNOUNCE_RESULT, ready(S.AWARDED), OPEN),
    (A.SIGN_CONTRACT, ready(S.RESULT_ANNOUNCED), OPEN),
    (A.SIGN_CONTRACT, ready(S.AWARDED), OPEN),
    (A.ANNOUNCE_CONTRACT, ready(S.CONTRACT_SIGNED), OPEN),
    (A.FILE_CONTRACT, ready(S.CONTRACT_SIGNED), OPEN),
    (A.FILE_TENDER_REPORT, ready(S.AWARDED), OPEN),
    (A.FILE_TENDER_REPORT, ready(S.ACCEPTED, suspended=True), OPEN),
    (A.FILE_CONTRACT, ready(S.ACCEPTED, suspended=True), OPEN),
    (A.SIGN_SUPPLEMENTARY_CONTRACT, ready(S.CONTRACT_ANNOUNCED), OPEN),
    (A.SIGN_CALL_OFF, ready(S.CONTRACT_SIGNED), Method.FRAMEWORK_AGREEMENT),
    (A.ANNOUNCE_CALL_OFF, ready(S.ACCEPTED), Method.FRAMEWORK_AGREEMENT),
    (A.REFUND_BID_DEPOSITS, ready(S.BIDS_OPENED), OPEN),
    (A.REFUND_BID_DEPOSITS, ready(S.ACCEPTED, suspended=True), OPEN),
    (A.RECORD_ACCEPTANCE, ready(S.CONTRACT_ANNOUNCED), OPEN),
    (A.RECORD_ACCEPTANCE, ready(S.CONTRACT_SIGNED), OPEN),
    (A.ARCHIVE, ready(S.ACCEPTED), OPEN),
    (A.ARCHIVE, ready(S.BIDS_OPENED, closed="failed"), OPEN),
    (A.ARCHIVE, ready(S.NONE, closed="terminated"), OPEN),
    (A.DECLARE_FAILURE, ready(S.ANNOUNCED), OPEN),
    (A.DECLARE_FAILURE, ready(S.BIDS_OPENED), OPEN),
    (A.DECLARE_FAILURE, ready(S.EVALUATED), OPEN),
    (A.TERMINATE, State.initial(), OPEN),
    (A.TERMINATE, ready(S.CONTRACT_ANNOUNCED, suspended=True), OPEN),
    (A.SUSPEND, ready(S.BIDS_OPENED), OPEN),
    (A.RESUME, ready(S.BIDS_OPENED, suspended=True), OPEN),
]

# (action, state, method, what the message must say)
REFUSED: list[tuple[Action, State, Method, str]] = [
    (A.FILE_PLAN, FILED, OPEN, "须采购计划未备案"),
    (A.FILE_PLAN, State(suspended=True), OPEN, "须先恢复"),
    (A.FILE_PLAN, State(progress=S.INTENTION_DISCLOSED), OPEN, "当前阶段须为：未开始采购"),
    (A.APPROVE_PLAN, State.initial(), OPEN, "须采购计划已备案待批复"),
    (A.APPROVE_PLAN, PLAN_ONLY, OPEN, "须采购计划已备案待批复"),
    (A.REJECT_PLAN, State(plan="rejected"), OPEN, "须采购计划已备案待批复"),
    (A.APPROVE_METHOD, FILED, OPEN, "须采购计划已批复"),
    (A.APPROVE_METHOD, ready(), OPEN, "不能重复批准"),
    (A.DISCLOSE_INTENTION, ready(S.INTENTION_DISCLOSED), OPEN, "当前阶段须为：未开始采购"),
    (A.ANNOUNCE_PREQUALIFICATION, ready(S.ANNOUNCED), Method.INVITED_TENDER,
     "未开始采购、已公开采购意向"),
    # the result comes before the invitation to bid (the tender notice), never after it
    (A.RECORD_PREQUALIFICATION, ready(S.ANNOUNCED), Method.INVITED_TENDER,
     "未开始采购、已公开采购意向"),
    (A.ANNOUNCE_TENDER, ready(S.ANNOUNCED), OPEN, "未开始采购、已公开采购意向"),
    (A.CORRECT_ANNOUNCEMENT, ready(S.BIDS_OPENED), OPEN, "已发布采购公告"),
    (A.CORRECT_ANNOUNCEMENT, ready(), OPEN, "已发布采购公告"),
    (A.OPEN_BIDS, ready(S.INTENTION_DISCLOSED), OPEN, "已发布采购公告"),
    (A.COMPLETE_EVALUATION, ready(S.ANNOUNCED), OPEN, "已开标"),
    (A.PUBLISH_CANDIDATES, ready(S.AWARDED), OPEN, "当前阶段须为：已完成评审"),
    (A.DECIDE_AWARD, ready(S.ANNOUNCED), OPEN, "当前阶段须为：已完成评审"),
    (A.DECIDE_AWARD, ready(S.ANNOUNCED), Method.INQUIRY, "已完成评审"),
    (A.DECIDE_AWARD, ready(S.INTENTION_DISCLOSED), Method.SINGLE_SOURCE, "已发布采购公告"),
    # A framework agreement's stage one opens and evaluates its responses (财政部令第110号).
    (A.DECIDE_AWARD, ready(S.ANNOUNCED), Method.FRAMEWORK_AGREEMENT, "已完成评审"),
    (A.SIGN_CALL_OFF, ready(S.RESULT_ANNOUNCED), Method.FRAMEWORK_AGREEMENT, "已签订合同"),
    (A.SIGN_CALL_OFF, ready(S.ACCEPTED), Method.FRAMEWORK_AGREEMENT, "已发布合同公告"),
    (A.ANNOUNCE_CALL_OFF, ready(S.AWARDED), Method.FRAMEWORK_AGREEMENT, "已签订合同"),
    (A.ANNOUNCE_RESULT, ready(S.EVALUATED), OPEN, "已确定中标（成交）供应商"),
    (A.SIGN_CONTRACT, ready(S.EVALUATED), OPEN, "已确定中标（成交）供应商、已发布结果公告"),
    (A.ANNOUNCE_CONTRACT, ready(S.RESULT_ANNOUNCED), OPEN, "已签订合同"),
    (A.FILE_CONTRACT, ready(S.RESULT_ANNOUNCED), OPEN, "已签订合同、已发布合同公告、已履约验收"),
    (A.FILE_CONTRACT, ready(S.ACCEPTED, closed="archived"), OPEN, "已归档"),
    (A.FILE_TENDER_REPORT, ready(S.EVALUATED), OPEN, "已确定中标（成交）供应商"),
    (A.SIGN_SUPPLEMENTARY_CONTRACT, ready(S.AWARDED), OPEN, "已发布合同公告、已履约验收"),
    (A.SIGN_SUPPLEMENTARY_CONTRACT, ready(S.CONTRACT_SIGNED, closed="terminated"), OPEN, "归档"),
    (A.REFUND_BID_DEPOSITS, ready(S.ANNOUNCED), OPEN, "已开标、已完成评审"),
    (A.RECORD_ACCEPTANCE, ready(S.AWARDED), OPEN, "已签订合同、已发布合同公告"),
    (A.ARCHIVE, ready(S.CONTRACT_ANNOUNCED), OPEN, "已履约验收，或已废标、已终止"),
    (A.ARCHIVE, ready(S.ACCEPTED, suspended=True), OPEN, "须先恢复"),
    (A.ARCHIVE, ready(S.ACCEPTED, closed="archived"), OPEN, "已归档，不能再记录任何行为"),
    (A.DECLARE_FAILURE, ready(), OPEN, "已发布采购公告、已开标、已完成评审"),
    (A.DECLARE_FAILURE, ready(S.AWARDED), OPEN, "已发布采购公告、已开标、已完成评审"),
    (A.TERMINATE, ready(S.ANNOUNCED, closed="failed"), OPEN, "已废标，只能退还投标保证金或归档"),
    (A.TERMINATE, ready(S.ACCEPTED, closed="archived"), OPEN, "已归档"),
    (A.SUSPEND, ready(S.ANNOUNCED, suspended=True), OPEN, "须先恢复"),
    (A.SUSPEND, ready(S.ANNOUNCED, closed="terminated"), OPEN, "已终止，只能退还投标保证金或归档"),
    (A.RESUME, ready(S.ANNOUNCED), OPEN, "采购活动未暂停"),
    (A.OPEN_BIDS, ready(S.ANNOUNCED, closed="terminated"), OPEN, "或归档"),
    (A.APPROVE_PLAN, State(plan="filed", closed="failed"), OPEN, "或归档"),
]


def test_every_action_is_tested_allowed_and_refused() -> None:
    assert {case[0] for case in ALLOWED} == set(Action)
    assert {case[0] for case in REFUSED} == set(Action)


@pytest.mark.parametrize(("action", "state", "method"), ALLOWED)
def test_allowed(action: Action, state: State, method: Method) -> None:
    transition = decide(state, action, method)
    assert transition.kind is action.kind
    # Corrections, the contract's filing and its supplements change no state: they are
    # repeated or measured.
    unchanging = (
        A.CORRECT_ANNOUNCEMENT, A.FILE_CONTRACT, A.SIGN_SUPPLEMENTARY_CONTRACT,
        A.REFUND_BID_DEPOSITS, A.PUBLISH_CANDIDATES, A.FILE_TENDER_REPORT,
        A.SIGN_CALL_OFF, A.ANNOUNCE_CALL_OFF, A.ANNOUNCE_PREQUALIFICATION,
        A.RECORD_PREQUALIFICATION,
    )  # fmt: skip
    assert transition.state != state or action in unchanging
    assert action in allowed(state, method)


@pytest.mark.parametrize(("action", "state", "method", "says"), REFUSED)
def test_refused(action: Action, state: State, method: Method, says: str) -> None:
    before = replace(state)
    with pytest.raises(Conflict) as info:
        decide(state, action, method)
    error = info.value
    assert error.code == "lifecycle"
    assert error.status == 409
    assert error.message.startswith(f"rule lifecycle.{action.value}: {action.label}不可记录，")
    assert says in error.message
    assert error.message.endswith(f"（当前：{state.label}）")
    assert state == before
    assert action not in allowed(state, method)


def test_what_may_follow_the_initial_state_and_an_archive() -> None:
    assert allowed(State.initial(), OPEN) == (
        A.FILE_PLAN,
        A.DISCLOSE_INTENTION,
        A.ANNOUNCE_PREQUALIFICATION,  # the command allows it to invited and works tenders only
        A.RECORD_PREQUALIFICATION,  # …and its result only after such a call
        A.ANNOUNCE_TENDER,
        A.TERMINATE,
        A.SUSPEND,
    )
    assert allowed(ready(S.ACCEPTED, closed="archived"), OPEN) == ()
    assert allowed(ready(S.EVALUATED, closed="failed"), OPEN) == CLOSED_ALLOWS


# -- whole paths ------------------------------------------------------------------------

OPEN_TENDER_PATH: list[tuple[Action, Stage, AnnouncementType | None]] = [
    (A.FILE_PLAN, S.NONE, None),
    (A.APPROVE_PLAN, S.NONE, None),
    (A.APPROVE_METHOD, S.NONE, None),
    (A.DISCLOSE_INTENTION, S.INTENTION_DISCLOSED, N.INTENTION),
    (A.ANNOUNCE_TENDER, S.ANNOUNCED, N.TENDER),
    (A.CORRECT_ANNOUNCEMENT, S.ANNOUNCED, N.CORRECTION),
    (A.CORRECT_ANNOUNCEMENT, S.ANNOUNCED, N.CORRECTION),
    (A.OPEN_BIDS, S.BIDS_OPENED, None),
    (A.COMPLETE_EVALUATION, S.EVALUATED, None),
    (A.DECIDE_AWARD, S.AWARDED, None),
    (A.ANNOUNCE_RESULT, S.RESULT_ANNOUNCED, N.RESULT),
    (A.SIGN_CONTRACT, S.CONTRACT_SIGNED, None),
    (A.ANNOUNCE_CONTRACT, S.CONTRACT_ANNOUNCED, N.CONTRACT),
    (A.RECORD_ACCEPTANCE, S.ACCEPTED, N.ACCEPTANCE),
    (A.ARCHIVE, S.ACCEPTED, None),
]


def test_open_tender_from_plan_to_archive_with_its_notices() -> None:
    state = State.initial()
    for action, stage, announcement in OPEN_TENDER_PATH:
        transition = decide(state, action, OPEN)
        assert transition.kind is action.kind
        assert transition.state.progress is stage
        assert transition.announcement is announcement, action
        assert transition.irregularities == (), action
        state = transition.state
    assert state == State("approved", True, S.ACCEPTED, "archived", False)
    assert state.plan == "approved" and state.method_approved
    for action in Action:
        with pytest.raises(Conflict, match="已归档"):
            decide(state, action, OPEN)


@pytest.mark.parametrize("method", [Method.SINGLE_SOURCE])
def test_single_source_awards_without_opening_bids(method: Method) -> None:
    state = run([A.FILE_PLAN, A.APPROVE_PLAN, A.APPROVE_METHOD, A.DISCLOSE_INTENTION], method)
    announced = decide(state, A.ANNOUNCE_TENDER, method)
    expected = N.SINGLE_SOURCE if method is Method.SINGLE_SOURCE else N.TENDER
    assert announced.announcement is expected
    awarded = decide(announced.state, A.DECIDE_AWARD, method)
    assert awarded.state.progress is S.AWARDED
    assert awarded.irregularities == ()
    rest = [A.ANNOUNCE_RESULT, A.SIGN_CONTRACT, A.RECORD_ACCEPTANCE, A.ARCHIVE]
    end = run(rest, method, awarded.state)
    assert end.closed == "archived"


@pytest.mark.parametrize("method", list(Method))
def test_only_open_tender_announces_a_tender_notice_except_single_source(method: Method) -> None:
    transition = decide(ready(S.INTENTION_DISCLOSED), A.ANNOUNCE_TENDER, method)
    if method is Method.SINGLE_SOURCE:
        assert transition.announcement is N.SINGLE_SOURCE
    else:
        assert transition.announcement is N.TENDER


@pytest.mark.parametrize("stage", [S.ANNOUNCED, S.BIDS_OPENED, S.EVALUATED])
def test_failure_publishes_its_notice_then_only_archive(stage: Stage) -> None:
    failed = decide(ready(stage), A.DECLARE_FAILURE, OPEN)
    assert failed.announcement is N.FAILURE
    assert failed.state.closed == "failed"
    assert failed.state.progress is stage
    assert allowed(failed.state, OPEN) == CLOSED_ALLOWS
    archived = decide(failed.state, A.ARCHIVE, OPEN)
    assert archived.state.closed == "archived"
    assert archived.announcement is None


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("suspended", [False, True])
def test_termination_from_any_open_stage_then_archive(stage: Stage, suspended: bool) -> None:
    terminated = decide(ready(stage, suspended=suspended), A.TERMINATE, OPEN)
    assert terminated.announcement is N.TERMINATION
    assert terminated.state.closed == "terminated"
    assert terminated.state.suspended is False
    assert allowed(terminated.state, OPEN) == CLOSED_ALLOWS
    assert decide(terminated.state, A.ARCHIVE, OPEN).state.closed == "archived"


def test_a_rejected_plan_can_still_be_terminated_and_archived() -> None:
    rejected = run([A.FILE_PLAN, A.REJECT_PLAN])
    assert rejected.plan == "rejected"
    with pytest.raises(Conflict):
        decide(rejected, A.APPROVE_METHOD, OPEN)
    assert run([A.TERMINATE, A.ARCHIVE], state=rejected).closed == "archived"


# -- irregularities: recorded, flagged, and absent from the on-time twin ----------------


def test_procure_first_file_later_when_the_plan_is_not_approved() -> None:
    early = decide(run([A.FILE_PLAN, A.DISCLOSE_INTENTION]), A.ANNOUNCE_TENDER, OPEN)
    assert rules_of(early) == [PROCURE_FIRST_FILE_LATER]
    assert early.irregularities[0].description_zh == "先采购后备案：采购计划未批复即发布采购公告"
    twin = decide(ready(S.INTENTION_DISCLOSED), A.ANNOUNCE_TENDER, OPEN)
    assert rules_of(twin) == []


def test_procure_first_file_later_when_only_the_method_is_missing() -> None:
    state = State(plan="approved", progress=S.CONTRACT_SIGNED)
    early = decide(state, A.RECORD_ACCEPTANCE, OPEN)
    assert rules_of(early) == [PROCURE_FIRST_FILE_LATER]
    assert "采购方式未批准即履约验收" in early.irregularities[0].description_zh
    assert rules_of(decide(ready(S.CONTRACT_SIGNED), A.RECORD_ACCEPTANCE, OPEN)) == []


def test_procure_first_then_file_later_is_recorded_then_approved() -> None:
    state = run([A.FILE_PLAN, A.DISCLOSE_INTENTION])
    flagged: list[Action] = []
    for action in [
        A.ANNOUNCE_TENDER,
        A.OPEN_BIDS,
        A.COMPLETE_EVALUATION,
        A.DECIDE_AWARD,
        A.ANNOUNCE_RESULT,
        A.SIGN_CONTRACT,
    ]:
        transition = decide(state, action, OPEN)
        if PROCURE_FIRST_FILE_LATER in rules_of(transition):
            flagged.append(action)
        state = transition.state
    assert len(flagged) == 6
    state = run([A.APPROVE_PLAN, A.APPROVE_METHOD], state=state)
    assert rules_of(decide(state, A.ANNOUNCE_CONTRACT, OPEN)) == []


@pytest.mark.parametrize(
    "action", [A.FILE_PLAN, A.APPROVE_PLAN, A.DISCLOSE_INTENTION, A.SUSPEND, A.TERMINATE]
)
def test_steps_before_the_tender_are_not_procure_first(action: Action) -> None:
    state = FILED if action is A.APPROVE_PLAN else State.initial()
    assert rules_of(decide(state, action, OPEN)) == []


def test_acted_while_suspended() -> None:
    late = decide(ready(S.ANNOUNCED, suspended=True), A.OPEN_BIDS, OPEN)
    assert rules_of(late) == [ACTED_WHILE_SUSPENDED]
    assert late.irregularities[0].description_zh == "采购活动暂停期间开标"
    assert late.state.suspended is True
    assert rules_of(decide(ready(S.ANNOUNCED), A.OPEN_BIDS, OPEN)) == []


def test_contract_before_result_announced() -> None:
    early = decide(ready(S.AWARDED), A.SIGN_CONTRACT, OPEN)
    assert rules_of(early) == [CONTRACT_BEFORE_RESULT_ANNOUNCED]
    assert early.state.progress is S.CONTRACT_SIGNED
    assert rules_of(decide(ready(S.RESULT_ANNOUNCED), A.SIGN_CONTRACT, OPEN)) == []


def test_a_supplementary_contract_after_the_acceptance_is_irregular() -> None:
    late = decide(ready(S.ACCEPTED), A.SIGN_SUPPLEMENTARY_CONTRACT, OPEN)
    assert rules_of(late) == [SUPPLEMENT_AFTER_ACCEPTANCE]
    assert late.irregularities[0].citation == "政府采购法 第四十九条"
    assert late.state == ready(S.ACCEPTED)
    for stage in (S.CONTRACT_SIGNED, S.CONTRACT_ANNOUNCED):
        assert rules_of(decide(ready(stage), A.SIGN_SUPPLEMENTARY_CONTRACT, OPEN)) == []


def test_skipped_intention_cites_its_source() -> None:
    skipped = decide(ready(), A.ANNOUNCE_TENDER, OPEN)
    assert rules_of(skipped) == [SKIPPED_INTENTION]
    assert skipped.irregularities[0].citation == "财库〔2020〕10号"
    assert rules_of(decide(ready(S.INTENTION_DISCLOSED), A.ANNOUNCE_TENDER, OPEN)) == []


def test_irregularities_add_up() -> None:
    everything = decide(State(plan="filed", suspended=True), A.ANNOUNCE_TENDER, OPEN)
    assert rules_of(everything) == [
        PROCURE_FIRST_FILE_LATER,
        ACTED_WHILE_SUSPENDED,
        SKIPPED_INTENTION,
    ]
    assert all(CJK.search(i.description_zh) for i in everything.irregularities)


# -- suspension -------------------------------------------------------------------------


def test_suspend_and_resume() -> None:
    state = ready(S.BIDS_OPENED)
    suspended = decide(state, A.SUSPEND, OPEN)
    assert suspended.state == ready(S.BIDS_OPENED, suspended=True)
    assert suspended.announcement is None and suspended.irregularities == ()
    with pytest.raises(Conflict, match="采购活动暂停中"):
        decide(suspended.state, A.SUSPEND, OPEN)
    resumed = decide(suspended.state, A.RESUME, OPEN)
    assert resumed.state == state
    with pytest.raises(Conflict, match="采购活动未暂停"):
        decide(resumed.state, A.RESUME, OPEN)


def test_plan_decisions_while_suspended_are_not_flagged() -> None:
    state = State(plan="filed", progress=S.ANNOUNCED, suspended=True)
    approved = decide(state, A.APPROVE_PLAN, OPEN)
    assert approved.irregularities == ()
    assert decide(approved.state, A.APPROVE_METHOD, OPEN).irregularities == ()


def test_failure_while_suspended_ends_the_suspension() -> None:
    failed = decide(ready(S.BIDS_OPENED, suspended=True), A.DECLARE_FAILURE, OPEN)
    assert failed.state.suspended is False
    assert failed.irregularities == ()


# -- properties -------------------------------------------------------------------------


@cache
def graph(method: Method) -> dict[State, frozenset[State]]:
    """Every state reachable from the initial one, with its successors."""
    edges: dict[State, frozenset[State]] = {}
    queue = deque([State.initial()])
    while queue:
        state = queue.popleft()
        if state in edges:
            continue
        successors = frozenset(decide(state, a, method).state for a in allowed(state, method))
        edges[state] = successors
        queue.extend(successors)
    return edges


@cache
def can_archive(method: Method) -> frozenset[State]:
    """The reachable states from which an archived state is reachable."""
    edges = graph(method)
    good = {state for state in edges if state.closed == "archived"}
    changed = True
    while changed:
        changed = False
        for state, successors in edges.items():
            if state not in good and successors & good:
                good.add(state)
                changed = True
    return frozenset(good)


def invariants(state: State) -> None:
    assert not (state.closed is not None and state.suspended)
    assert not state.method_approved or state.plan == "approved"


@pytest.mark.parametrize("method", list(Method))
def test_archive_is_reachable_from_every_reachable_state(method: Method) -> None:
    edges = graph(method)
    assert can_archive(method) == frozenset(edges)
    for state in edges:
        invariants(state)
    assert len(edges) > 100


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(list(Method)),
    actions=st.lists(st.sampled_from(list(Action)), max_size=40),
)
def test_random_sequences_refuse_or_stay_archivable(method: Method, actions: list[Action]) -> None:
    state = State.initial()
    for action in actions:
        snapshot = replace(state)
        try:
            transition = decide(state, action, method)
        except Conflict as error:
            assert error.code == "lifecycle"
            assert error.message.startswith(f"rule lifecycle.{action.value}: ")
            assert state == snapshot
            assert action not in allowed(state, method)
            continue
        assert state == snapshot
        assert decide(state, action, method) == transition
        assert transition.kind is action.kind
        invariants(transition.state)
        state = transition.state
        assert state.closed == "archived" or state in can_archive(method)
