"""Red-flag kinds 预警类型: what each flag is called and what raises it, and severities."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal, get_args

#: How loud a flag is on the pages.
Severity = Literal["high", "medium", "low"]
SEVERITIES: Final[tuple[str, ...]] = get_args(Severity)


class FlagKind(StrEnum):
    """A red flag 预警: what inspectors look for (DOMAIN.md) and the Cardinal indicators."""

    SPLITTING = "splitting"
    PROCURE_FIRST_FILE_LATER = "procure_first_file_later"
    DESIGNATED_BRAND = "designated_brand"
    SINGLE_BIDDER = "single_bidder"
    FEWER_THAN_THREE_BIDDERS = "fewer_than_three_bidders"
    REPEATED_WINNER = "repeated_winner"
    NON_OPEN_WITHOUT_RATIONALE = "non_open_without_rationale"
    SINGLE_SOURCE_OVERUSE = "single_source_overuse"
    LATE_OR_MISSING_NOTICE = "late_or_missing_notice"
    CHALLENGE_UNANSWERED_IN_TIME = "challenge_unanswered_in_time"
    COMPLAINT_OVERDUE = "complaint_overdue"
    SHORT_SUBMISSION_PERIOD = "short_submission_period"
    SINGLE_BID = "single_bid"
    AWARD_CLOSE_TO_BUDGET = "award_close_to_budget"
    IDENTICAL_BID_PRICES = "identical_bid_prices"
    ALL_BUT_WINNER_DISQUALIFIED = "all_but_winner_disqualified"
    LOWEST_BID_DISQUALIFIED = "lowest_bid_disqualified"
    ABNORMALLY_LOW_WINNER = "abnormally_low_winner"
    IRREGULAR_PROCEDURE = "irregular_procedure"
    SHARED_CONTACT = "shared_contact"
    AWARD_NOT_TOP_RANKED = "award_not_top_ranked"
    RUNNER_UP_CLOSE = "runner_up_close"
    DEEP_DISCOUNT = "deep_discount"
    MANY_DISQUALIFIED = "many_disqualified"
    WINNER_ACROSS_CATEGORIES = "winner_across_categories"
    FAILED_THEN_NON_COMPETITIVE = "failed_then_non_competitive"
    SLOW_AWARD = "slow_award"
    DISCRIMINATORY_QUALIFICATION = "discriminatory_qualification"
    NO_ACCEPTANCE = "no_acceptance"
    LATE_BID_WON = "late_bid_won"
    UNDERSIZED_COMMITTEE = "undersized_committee"
    RECURRING_EXPERT = "recurring_expert"
    OUTSIDE_FRAMEWORK = "outside_framework"
    DEBARRED_SUPPLIER = "debarred_supplier"
    UNQUALIFIED_BIDDER = "unqualified_bidder"
    UNBUDGETED = "unbudgeted"
    EXPERT_NOT_DRAWN = "expert_not_drawn"
    NO_TESTING_BODY = "no_testing_body"

    @property
    def label(self) -> str:
        return LABELS[self][0]

    @property
    def rule_zh(self) -> str:
        """What raises it, in a sentence for the page."""
        return LABELS[self][1]


K = FlagKind
LABELS: Final[dict[FlagKind, tuple[str, str]]] = {
    K.SPLITTING: (
        "化整为零",
        "同一采购人同一期间内分次采购同一品目，每次低于公开招标数额标准，合计达到标准",
    ),
    K.PROCURE_FIRST_FILE_LATER: (
        "先采购后备案",
        "采购计划或采购方式批准前即开展采购活动、签订合同或验收",
    ),
    K.DESIGNATED_BRAND: ("指定品牌", "采购需求、采购公告或更正公告中写明品牌、型号或指定厂家"),
    K.SINGLE_BIDDER: ("仅一家有效供应商", "竞争性采购经评审只剩一家有效供应商仍确定成交"),
    K.FEWER_THAN_THREE_BIDDERS: ("有效投标人不足三家", "招标项目有效投标人不足三家仍确定中标"),
    K.REPEATED_WINNER: (
        "同一供应商反复中标",
        "同一供应商在同一采购人一个期间的项目中多次中标，占比过高",
    ),
    K.NON_OPEN_WITHOUT_RATIONALE: (
        "非公开招标方式未经批准或无理由",
        "非公开招标方式未经财政部门批准即确定成交，或批准理由空泛",
    ),
    K.SINGLE_SOURCE_OVERUSE: (
        "单一来源采购比例过高",
        "采购人一个期间内单一来源采购项目占比超过阈值",
    ),
    K.LATE_OR_MISSING_NOTICE: (
        "公告或期限逾期、缺失",
        "法定期限未遵守、结果或合同未按期公告、公告未送达指定媒体",
    ),
    K.CHALLENGE_UNANSWERED_IN_TIME: ("质疑未按期答复", "质疑超过7个工作日仍未答复，或逾期答复"),
    K.COMPLAINT_OVERDUE: ("投诉逾期未处理", "投诉超过30个工作日仍未作出处理决定，或逾期决定"),
    K.SHORT_SUBMISSION_PERIOD: (
        "投标（响应）期限过短",
        "采购公告至投标（响应）截止的期限短于阈值或法定最短期限",
    ),
    K.SINGLE_BID: ("仅收到一份投标", "竞争性采购只收到一份投标（响应）文件即确定成交"),
    K.AWARD_CLOSE_TO_BUDGET: ("成交金额接近预算", "中标（成交）金额与预算之比达到阈值"),
    K.IDENTICAL_BID_PRICES: ("投标报价相同", "两家以上供应商的投标报价完全相同"),
    K.ALL_BUT_WINNER_DISQUALIFIED: (
        "除中标人外均被认定无效",
        "多家投标，除中标人外其余投标均被认定无效",
    ),
    K.LOWEST_BID_DISQUALIFIED: ("最低报价被认定无效", "报价最低的投标被评审认定无效"),
    K.ABNORMALLY_LOW_WINNER: (
        "异常低价中标",
        "中标（成交）报价明显低于其他有效投标报价的中位数（财政部令第87号 第六十条）",
    ),
    K.SHARED_CONTACT: (
        "投标人联系方式相同",
        "同一次开标的投标人在登记信息中联系电话或地址相同（财政部令第87号 第三十七条）",
    ),
    K.AWARD_NOT_TOP_RANKED: (
        "未按评审排序确定中标",
        "评审排序第一的候选人未被确定中标（成交），且未记录理由（政府采购法实施条例 第四十三条）",
    ),
    K.RUNNER_UP_CLOSE: (
        "第二名报价与中标报价过近",
        "第二名的有效报价与中标（成交）报价之差不超过阈值（报价相同者另列）",
    ),
    K.DEEP_DISCOUNT: (
        "中标价大幅低于最高限价",
        "中标（成交）金额与最高限价（未设时为预算）之比不超过阈值",
    ),
    K.MANY_DISQUALIFIED: ("无效投标比例过高", "被认定为无效的投标占全部投标的比例达到阈值"),
    K.WINNER_ACROSS_CATEGORIES: (
        "跨品目类别中标",
        "同一供应商一个期间内在多个互不相关的品目类别中标（成交）",
    ),
    K.FAILED_THEN_NON_COMPETITIVE: (
        "废标后改用非竞争性方式",
        "同一采购人同一项目废标后改用单一来源或竞争性谈判等非竞争性方式采购",
    ),
    K.SLOW_AWARD: ("定标迟缓", "开标至发布中标（成交）结果公告超过阈值天数"),
    K.IRREGULAR_PROCEDURE: (
        "程序违规",
        "采购活动暂停期间继续采购、超预算中标或签约、合同金额与中标金额不一致等账本记录的程序违规",
    ),
    K.DISCRIMINATORY_QUALIFICATION: (
        "歧视性资格条件",
        "采购需求、资格要求或更正公告以注册资本等规模条件、本地注册或分支机构、特定区域业绩、"
        "非进口货物的生产厂家授权限制供应商（财政部令第87号 第十七条；实施条例 第二十条）",
    ),
    K.NO_ACCEPTANCE: (
        "未履约验收",
        "合同签订后超过设定期限仍无履约验收记录，或验收逾期（政府采购法 第四十一条）",
    ),
    K.LATE_BID_WON: (
        "最后递交的投标中标",
        "中标（成交）供应商的投标是投标截止前最后递交的一份（Cardinal R030，按开标公开的递交顺序）",
    ),
    K.UNDERSIZED_COMMITTEE: (
        "评审委员会组成不合法",
        "评审委员会（小组）少于法定人数或非单数，或评审专家少于成员总数的三分之二"
        "（政府采购法实施条例 第三十九条；财政部令第87号 第四十七条）",
    ),
    K.RECURRING_EXPERT: (
        "评审专家与中标人反复同现",
        "同一评审专家一个期间内参加多个评审委员会，其项目均确定同一供应商中标（成交）",
    ),
    K.DEBARRED_SUPPLIER: (
        "被禁止参加政府采购活动的供应商投标",
        "供应商在财政部门记录的禁止参加政府采购活动期间投标（政府采购法 第二十二条、第七十七条；"
        "实施条例 第十九条）",
    ),
    K.UNQUALIFIED_BIDDER: (
        "未通过资格预审的供应商投标",
        "经资格预审的采购项目，开标时有不在资格预审合格供应商名单中的供应商投标（政府采购法 "
        "第三十四条；财政部令第87号 第十四条；招标投标法实施条例 第十九条）",
    ),
    K.UNBUDGETED: (
        "未列入预算的采购",
        "采购计划未载明资金来源或预算项目（政府采购法 第六条；实施条例 第二十九条）",
    ),
    K.EXPERT_NOT_DRAWN: (
        "评审专家未随机抽取",
        "评审专家自行选定而未记录主管预算单位同意，或所用采购方式不允许自行选定"
        "（政府采购法实施条例 第三十九条；财政部令第87号 第四十八条）",
    ),
    K.NO_TESTING_BODY: (
        "大型项目验收无检测机构",
        "合同金额达到设定数额的项目履约验收未记录检测机构"
        "（政府采购法 第四十一条；财库〔2016〕205号）",
    ),
    K.OUTSIDE_FRAMEWORK: (
        "框架协议外采购",
        "框架协议有效期内，同一区域的采购人以其他方式采购该协议覆盖的品目（财政部令第110号）",
    ),
}
