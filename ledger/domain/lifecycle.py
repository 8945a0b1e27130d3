"""The lifecycle of one procurement 采购项目生命周期: which recorded action may follow which.

Pure and table-driven: ``RULES`` has one row per ``Action`` saying which states it may follow
and what it changes; ``decide`` reads the row. Two kinds of rule (DOMAIN.md, "Lifecycle of
one procurement"):

* **impossible** — a result before bids were opened, anything after archiving: ``decide``
  raises ``Conflict`` (code ``lifecycle``) naming the rule and the current state in Chinese;
  nothing is to be recorded;
* **irregular but real** — procure first, file later; acting while suspended; a contract
  signed before the result was announced; a tender without a disclosed intention: ``decide``
  returns the transition with its ``Irregularity`` items, which the caller records as
  findings.

What is not decided here: who may act (roles), the method's rationale text (the caller checks
it when ``method.needs_rationale``), and statutory time limits (``ledger.domain.clock``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final, NoReturn

from ledger.domain.errors import Conflict
from ledger.domain.progress import _CLOSURE_LABELS, _PLAN_LABELS, Closure, Plan
from ledger.domain.progress import Stage as Stage
from ledger.domain.progress import State as State
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import LifecycleData
from ledger.domain.vocabulary import AnnouncementType, Method, Term


class Action(Term):
    """An action recorded on a procurement 采购行为; ``kind`` is the entry it records."""

    FILE_PLAN = "file_plan"
    APPROVE_PLAN = "approve_plan"
    REJECT_PLAN = "reject_plan"
    APPROVE_METHOD = "approve_method"
    DISCLOSE_INTENTION = "disclose_intention"
    ANNOUNCE_PREQUALIFICATION = "announce_prequalification"
    RECORD_PREQUALIFICATION = "record_prequalification"
    ANNOUNCE_TENDER = "announce_tender"
    CORRECT_ANNOUNCEMENT = "correct_announcement"
    OPEN_BIDS = "open_bids"
    COMPLETE_EVALUATION = "complete_evaluation"
    PUBLISH_CANDIDATES = "publish_candidates"
    DECIDE_AWARD = "decide_award"
    ANNOUNCE_RESULT = "announce_result"
    SIGN_CONTRACT = "sign_contract"
    ANNOUNCE_CONTRACT = "announce_contract"
    FILE_CONTRACT = "file_contract"
    FILE_TENDER_REPORT = "file_tender_report"
    SIGN_SUPPLEMENTARY_CONTRACT = "sign_supplementary_contract"
    SIGN_CALL_OFF = "sign_call_off"
    ANNOUNCE_CALL_OFF = "announce_call_off"
    REFUND_BID_DEPOSITS = "refund_bid_deposits"
    RECORD_ACCEPTANCE = "record_acceptance"
    ARCHIVE = "archive"
    DECLARE_FAILURE = "declare_failure"
    TERMINATE = "terminate"
    SUSPEND = "suspend"
    RESUME = "resume"

    @property
    def label(self) -> str:
        return RULES[self].label

    @property
    def kind(self) -> type[LifecycleData]:
        """The log entry this action records (``entries.PlanFiled``…)."""
        return RULES[self].kind

    @property
    def command(self) -> str:
        """The command type that records this action: ``file_plan`` → ``FilePlan``."""
        return "".join(part.capitalize() for part in self.value.split("_"))


@dataclass(frozen=True)
class Irregularity:
    """Something that did happen out of order: recorded, and turned into a finding."""

    rule: str
    description_zh: str
    citation: str = ""


@dataclass(frozen=True)
class Transition:
    """What recording an action does: the new state, its event, notice and irregularities."""

    state: State
    kind: type[LifecycleData]
    announcement: AnnouncementType | None
    irregularities: tuple[Irregularity, ...] = ()


# Irregularity rule ids.
PROCURE_FIRST_FILE_LATER: Final = "procure_first_file_later"  # 先采购后备案
ACTED_WHILE_SUSPENDED: Final = "acted_while_suspended"  # 暂停期间继续采购活动
CONTRACT_BEFORE_RESULT_ANNOUNCED: Final = "contract_before_result_announced"
SKIPPED_INTENTION: Final = "skipped_intention"  # 未公开采购意向
SUPPLEMENT_AFTER_ACCEPTANCE: Final = "supplement_after_acceptance"  # 验收后签订补充合同

#: What each fixed irregularity says, and its source where DOMAIN.md gives one.
_FIXED: Final[Mapping[str, Irregularity]] = MappingProxyType(
    {
        SKIPPED_INTENTION: Irregularity(
            SKIPPED_INTENTION, "未公开采购意向即发布采购公告", "财库〔2020〕10号"
        ),
        CONTRACT_BEFORE_RESULT_ANNOUNCED: Irregularity(
            CONTRACT_BEFORE_RESULT_ANNOUNCED, "中标（成交）结果未公告即签订合同"
        ),
        SUPPLEMENT_AFTER_ACCEPTANCE: Irregularity(
            SUPPLEMENT_AFTER_ACCEPTANCE,
            "履约验收后签订补充合同：追加采购的补充合同应在政府采购合同履行中签订",
            "政府采购法 第四十九条",
        ),
    }
)

PLANS: Final[tuple[Plan, ...]] = ("none", "filed", "approved", "rejected")
ANY_STAGE: Final = frozenset(Stage)
ANY_PLAN: Final[frozenset[Plan]] = frozenset(PLANS)


@dataclass(frozen=True)
class Rule:
    """One row of the table: what an action may follow and what it changes.

    A required value of ``None`` means "either"; a new value of ``None`` means "unchanged".
    """

    kind: type[LifecycleData]  # the entry it records
    label: str
    after: frozenset[Stage]  # progress stages it may follow
    then: Stage | None = None  # progress stage it leads to
    also_after: Mapping[Method, frozenset[Stage]] = field(default_factory=dict)  # by method
    plan: frozenset[Plan] = ANY_PLAN  # plan statuses it may follow
    plan_to: Plan | None = None
    method_approved: bool | None = None  # required method approval
    approves_method: bool = False
    suspended: bool | None = None  # required suspension
    suspends: bool | None = None  # new suspension
    closes: Closure | None = None
    after_closure: bool = False  # may follow a failure or a termination
    activity: bool = False  # a procurement activity: irregular while suspended
    needs_approval: bool = False  # irregular before plan and method are approved
    # methods for which the action lawfully comes before the method approval
    before_method_approval: frozenset[Method] = frozenset()
    irregular_after: Mapping[Stage, str] = field(default_factory=dict)  # stage -> rule id
    announcement: AnnouncementType | None = None
    announcement_by_method: Mapping[Method, AnnouncementType] = field(default_factory=dict)


_S = Stage
_A = AnnouncementType

#: The table. Stage order follows DOMAIN.md, "Lifecycle of one procurement".
# fmt: off
RULES: Final[Mapping[Action, Rule]] = MappingProxyType({
    # -- plan and method 采购计划与采购方式 (finance office) -------------------------------
    Action.FILE_PLAN: Rule(
        E.PlanFiled, "采购计划备案", after=frozenset({_S.NONE}), plan=frozenset({"none"}),
        plan_to="filed", suspended=False),
    # Approval may come after later stages: that is how "procure first, file later" reads.
    Action.APPROVE_PLAN: Rule(
        E.PlanApproved, "批复采购计划", after=ANY_STAGE, plan=frozenset({"filed"}),
        plan_to="approved"),
    Action.REJECT_PLAN: Rule(
        E.PlanRejected, "退回采购计划", after=ANY_STAGE, plan=frozenset({"filed"}),
        plan_to="rejected"),
    # Non-open methods need a rationale: the caller checks it (Method.needs_rationale).
    Action.APPROVE_METHOD: Rule(
        E.MethodApproved, "批准采购方式", after=ANY_STAGE, plan=frozenset({"approved"}),
        method_approved=False, approves_method=True),
    # -- progress 采购进度 ------------------------------------------------------------------
    # Intention disclosed ≥ 30 days before procurement starts (财库〔2020〕10号).
    Action.DISCLOSE_INTENTION: Rule(
        E.IntentionDisclosed, "公开采购意向", after=frozenset({_S.NONE}),
        then=_S.INTENTION_DISCLOSED, activity=True, announcement=_A.INTENTION),
    # 资格预审公告: an invited tender (财政部令第87号 第十四条) or a works tender (招标投标法实施
    # 条例 第十五条) may first call for suppliers' qualification applications; its 公告期限
    # is 5 working days (第十六条). No stage of its own: the tender follows.
    Action.ANNOUNCE_PREQUALIFICATION: Rule(
        E.PrequalificationAnnounced, "发布资格预审公告",
        after=frozenset({_S.NONE, _S.INTENTION_DISCLOSED}), activity=True, needs_approval=True,
        announcement=_A.PREQUALIFICATION),
    # 资格预审结果: the qualified and the refused, once, after the applications closed and
    # before the invitation to bid (the tender notice); the command checks the call came
    # first (``prequalification``). No notice: the invited bidders come from the qualified.
    Action.RECORD_PREQUALIFICATION: Rule(
        E.PrequalificationCompleted, "记录资格预审结果",
        after=frozenset({_S.NONE, _S.INTENTION_DISCLOSED}), activity=True, needs_approval=True),
    # Announcement period 5 working days (财政部令第87号 art. 16); single-source notice
    # ≥ 5 working days (政府采购法实施条例 art. 38).
    Action.ANNOUNCE_TENDER: Rule(
        E.TenderAnnounced, "发布采购公告", after=frozenset({_S.NONE, _S.INTENTION_DISCLOSED}),
        then=_S.ANNOUNCED, activity=True, needs_approval=True,
        irregular_after={_S.NONE: SKIPPED_INTENTION}, announcement=_A.TENDER,
        # The single-source 公示 comes BEFORE the request for approval (实施条例 第三十八条).
        before_method_approval=frozenset({Method.SINGLE_SOURCE}),
        announcement_by_method={Method.SINGLE_SOURCE: _A.SINGLE_SOURCE}),
    # Repeatable; a substantive change needs ≥ 15 days to the bid deadline (实施条例 art. 31).
    Action.CORRECT_ANNOUNCEMENT: Rule(
        E.AnnouncementCorrected, "发布更正公告", after=frozenset({_S.ANNOUNCED}),
        activity=True, needs_approval=True, announcement=_A.CORRECTION),
    Action.OPEN_BIDS: Rule(
        E.BidsOpened, "开标", after=frozenset({_S.ANNOUNCED}), then=_S.BIDS_OPENED,
        activity=True, needs_approval=True),
    Action.COMPLETE_EVALUATION: Rule(
        E.EvaluationCompleted, "完成评审", after=frozenset({_S.BIDS_OPENED}),
        then=_S.EVALUATED, activity=True, needs_approval=True),
    # Works tenders: the candidates 中标候选人 published ≥ 3 days before the award (招标投标法
    # 实施条例 第五十四条; ``works``); once, changing no stage. Only a works tender publishes
    # them (the command says so).
    Action.PUBLISH_CANDIDATES: Rule(
        E.CandidatesPublished, "公示中标候选人", after=frozenset({_S.EVALUATED}),
        activity=True, needs_approval=True, announcement=_A.CANDIDATES),
    # Single source awards without opening bids. A framework agreement's stage one opens
    # and evaluates its sealed responses like a tender, and its award admits several
    # suppliers 入围 (财政部令第110号; ``framework``).
    Action.DECIDE_AWARD: Rule(
        E.AwardDecided, "确定中标（成交）供应商", after=frozenset({_S.EVALUATED}),
        then=_S.AWARDED, activity=True, needs_approval=True,
        also_after={Method.SINGLE_SOURCE: frozenset({_S.ANNOUNCED})}),
    # Within 2 working days of the award (财政部令第87号 art. 69).
    Action.ANNOUNCE_RESULT: Rule(
        E.ResultAnnounced, "发布结果公告", after=frozenset({_S.AWARDED}),
        then=_S.RESULT_ANNOUNCED, activity=True, needs_approval=True, announcement=_A.RESULT),
    # Within 30 days of the award notice (政府采购法 art. 46).
    Action.SIGN_CONTRACT: Rule(
        E.ContractSigned, "签订合同", after=frozenset({_S.AWARDED, _S.RESULT_ANNOUNCED}),
        then=_S.CONTRACT_SIGNED, activity=True, needs_approval=True,
        irregular_after={_S.AWARDED: CONTRACT_BEFORE_RESULT_ANNOUNCED}),
    # Within 2 working days of signing (政府采购法实施条例 art. 50).
    Action.ANNOUNCE_CONTRACT: Rule(
        E.ContractAnnounced, "发布合同公告", after=frozenset({_S.CONTRACT_SIGNED}),
        then=_S.CONTRACT_ANNOUNCED, activity=True, needs_approval=True,
        announcement=_A.CONTRACT),
    # Filed with the finance office within 7 working days of signing (政府采购法 第四十七条):
    # measured, not ordered. It may come at any stage after signing, changes none, and is no
    # procurement activity (a suspension does not bar it); a second filing is refused by
    # the command (``procurement_commands``), a missing one found at the archive
    # (``contracts``).
    Action.FILE_CONTRACT: Rule(
        E.ContractFiled, "合同备案",
        after=frozenset({_S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED, _S.ACCEPTED})),
    # Works tenders: the written report 书面报告 to the 行政监督部门 within 15 days of the
    # winner (招标投标法 第四十七条): measured, not ordered, like the contract's filing; a
    # missing one is found at the archive (``works``).
    Action.FILE_TENDER_REPORT: Rule(
        E.TenderReportFiled, "提交招标投标情况书面报告",
        after=frozenset({_S.AWARDED, _S.RESULT_ANNOUNCED, _S.CONTRACT_SIGNED,
                         _S.CONTRACT_ANNOUNCED, _S.ACCEPTED})),
    # 追加: a supplementary contract 补充合同 while the contract is performed, all of them
    # together ≤ 10% of it (政府采购法 第四十九条; the sum is checked by ``amounts``).
    # Repeatable; after the acceptance the contract has been performed: irregular.
    Action.SIGN_SUPPLEMENTARY_CONTRACT: Rule(
        E.SupplementaryContractSigned, "签订补充合同",
        after=frozenset({_S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED, _S.ACCEPTED}),
        activity=True, needs_approval=True,
        irregular_after={_S.ACCEPTED: SUPPLEMENT_AFTER_ACCEPTANCE}, announcement=_A.SUPPLEMENT),
    # Stage two of a framework agreement (财政部令第110号): call-off contracts under the
    # agreement once it is signed, each with an admitted supplier, within its term, each
    # announced; repeatable, no change of stage. Framework agreements only, an admitted
    # supplier and the term are checked by the command (``framework``).
    Action.SIGN_CALL_OFF: Rule(
        E.CallOffSigned, "签订框架协议采购合同（第二阶段）",
        after=frozenset({_S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED}),
        activity=True, needs_approval=True),
    Action.ANNOUNCE_CALL_OFF: Rule(
        E.CallOffAnnounced, "发布框架协议采购成交结果公告",
        after=frozenset({_S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED, _S.ACCEPTED}),
        activity=True, needs_approval=True, announcement=_A.CALL_OFF),
    # Bid deposits refunded (or the winner's turned into its performance deposit) within 5
    # working days of the award notice, the winner's of the contract (财政部令第87号 第三十八条),
    # every bidder's of a failure or termination after the opening (第二十九条): measured, not
    # ordered (``deposits``); no procurement activity, no change of state.
    Action.REFUND_BID_DEPOSITS: Rule(
        E.BidDepositsRefunded, "退还投标保证金",
        after=frozenset({_S.BIDS_OPENED, _S.EVALUATED, _S.AWARDED, _S.RESULT_ANNOUNCED,
                         _S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED, _S.ACCEPTED}),
        after_closure=True),
    Action.RECORD_ACCEPTANCE: Rule(
        E.AcceptanceRecorded, "履约验收",
        after=frozenset({_S.CONTRACT_SIGNED, _S.CONTRACT_ANNOUNCED}), then=_S.ACCEPTED,
        activity=True, needs_approval=True, announcement=_A.ACCEPTANCE),
    # -- closing 结束 -----------------------------------------------------------------------
    # Files kept ≥ 15 years (政府采购法 art. 42).
    Action.ARCHIVE: Rule(
        E.Archived, "归档", after=frozenset({_S.ACCEPTED}), after_closure=True,
        suspended=False, closes="archived"),
    # Fewer than 3 valid bidders in open tender (政府采购法 art. 36).
    Action.DECLARE_FAILURE: Rule(
        E.ProcurementFailed, "废标",
        after=frozenset({_S.ANNOUNCED, _S.BIDS_OPENED, _S.EVALUATED}), suspends=False,
        closes="failed", announcement=_A.FAILURE),
    Action.TERMINATE: Rule(
        E.ProcurementTerminated, "终止", after=ANY_STAGE, suspends=False,
        closes="terminated", announcement=_A.TERMINATION),
    # -- suspension by the finance office handling a complaint 投诉处理期间暂停 --------------
    # At most 30 days (政府采购法 第五十七条; 财政部令第94号 第二十八条).
    Action.SUSPEND: Rule(
        E.ProcurementSuspended, "暂停采购活动", after=ANY_STAGE, suspended=False,
        suspends=True),
    Action.RESUME: Rule(
        E.ProcurementResumed, "恢复采购活动", after=ANY_STAGE, suspended=True,
        suspends=False),
})
# fmt: on


def decide(
    state: State,
    action: Action,
    method: Method,
    *,
    suspension_lapsed: bool = False,
    method_approval_required: bool = True,
) -> Transition:
    """What recording ``action`` on a procurement in ``state`` under ``method`` does.

    ``suspension_lapsed``: the action comes after the lawful end of the procurement's
    suspension (at most 30 days, 政府采购法 第五十七条; ``findings.suspension_lapsed``). The
    suspension has then ended by law: the action is not "acted while suspended", and the
    state it leads to is no longer suspended. Only the finance office's lifting (``Resume``)
    still finds it suspended, so that it can be recorded, late.

    ``method_approval_required``: the method needs approval (``methods``); when it does not
    (open tender, or below the open-tender threshold), acting without it is regular.

    Raises ``Conflict`` (code ``lifecycle``) when the action cannot follow ``state``. Pure:
    ``state`` is never changed.
    """
    if suspension_lapsed and state.suspended and action is not Action.RESUME:
        state = replace(state, suspended=False)
    rule = RULES[action]
    if state.closed == "archived":
        _refuse(action, state, "采购项目已归档，不能再记录任何行为")
    if state.closed is not None and not rule.after_closure:
        allowed = "或".join(r.label for r in RULES.values() if r.after_closure)
        _refuse(action, state, f"采购项目{_CLOSURE_LABELS[state.closed]}，只能{allowed}")
    if state.plan not in rule.plan:
        wanted = "或".join(_PLAN_LABELS[p] for p in PLANS if p in rule.plan)
        _refuse(action, state, f"须{wanted}")
    if rule.method_approved is not None and state.method_approved != rule.method_approved:
        done = "采购方式已批准，不能重复批准" if state.method_approved else "采购方式未批准"
        _refuse(action, state, done)
    if rule.suspended is not None and state.suspended != rule.suspended:
        _refuse(action, state, "采购活动未暂停" if rule.suspended else "采购活动暂停中，须先恢复")
    after = rule.after | rule.also_after.get(method, frozenset())
    if state.closed is None and state.progress not in after:
        wanted = "、".join(s.label for s in Stage if s in after)
        closure = "，或已废标、已终止" if rule.after_closure else ""
        _refuse(action, state, f"当前阶段须为：{wanted}{closure}")

    new = replace(
        state,
        plan=state.plan if rule.plan_to is None else rule.plan_to,
        method_approved=state.method_approved or rule.approves_method,
        progress=state.progress if rule.then is None else rule.then,
        closed=state.closed if rule.closes is None else rule.closes,
        suspended=state.suspended if rule.suspends is None else rule.suspends,
    )
    return Transition(
        state=new,
        kind=rule.kind,
        announcement=rule.announcement_by_method.get(method, rule.announcement),
        irregularities=_irregularities(
            state,
            action,
            rule,
            method_approval_required and method not in rule.before_method_approval,
        ),
    )


def allowed(state: State, method: Method, *, suspension_lapsed: bool = False) -> tuple[Action, ...]:
    """Every action that may be recorded next, in declaration order."""
    result = []
    for action in Action:
        try:
            decide(state, action, method, suspension_lapsed=suspension_lapsed)
        except Conflict:
            continue
        result.append(action)
    return tuple(result)


def _irregularities(
    state: State, action: Action, rule: Rule, method_approval_required: bool
) -> tuple[Irregularity, ...]:
    found: list[Irregularity] = []
    unapproved = method_approval_required and not state.method_approved
    if rule.needs_approval and (state.plan != "approved" or unapproved):
        missing = "采购计划未批复" if state.plan != "approved" else "采购方式未批准"
        found.append(
            Irregularity(PROCURE_FIRST_FILE_LATER, f"先采购后备案：{missing}即{action.label}")
        )
    if rule.activity and state.suspended:
        found.append(Irregularity(ACTED_WHILE_SUSPENDED, f"采购活动暂停期间{action.label}"))
    fixed = rule.irregular_after.get(state.progress)
    if fixed is not None:
        found.append(_FIXED[fixed])
    return tuple(found)


def _refuse(action: Action, state: State, reason: str) -> NoReturn:
    raise Conflict(
        f"rule lifecycle.{action.value}: {action.label}不可记录，{reason}（当前：{state.label}）",
        code="lifecycle",
    )
