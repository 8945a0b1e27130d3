"""The demo year's deliberate departures from the honest course, and why each is there.

``TWISTS`` names, for a catalogue item, what happens to it besides an on-time procurement:
each finding kind and red flag of DOMAIN.md appears on exactly one procurement made to
raise it, so a reader of the demo (and its tests) can find every kind.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Twist(StrEnum):
    """What happens to a procurement besides the honest course (see TWISTS)."""

    FILE_LATER = "file_later"  # acts before its plan is approved 先采购后备案
    # contract signed while the finance office, handling a complaint, had it suspended
    SUSPENDED_CONTRACT = "suspended_contract"
    CONTRACT_BEFORE_RESULT = "contract_before_result"
    SKIP_INTENTION = "skip_intention"
    SHORT_INTENTION = "short_intention"  # intention < 30 days before the notice
    SHORT_TENDER = "short_tender"  # open tender: < 20 days to the bid deadline
    SHORT_NEGOTIATION = "short_negotiation"  # < 3 working days to the first response
    SHORT_CONSULTATION = "short_consultation"  # < 10 days to the first response
    SHORT_SINGLE_SOURCE = "short_single_source"  # approved < 5 working days into its 公示
    LATE_RESULT = "late_result"
    LATE_CONTRACT = "late_contract"
    LATE_CONTRACT_NOTICE = "late_contract_notice"
    LATE_CHALLENGE = "late_challenge"
    LATE_ANSWER = "late_answer"
    LATE_COMPLAINT = "late_complaint"
    LATE_DECISION = "late_decision"
    FEW_BIDDERS = "few_bidders"  # open tender awarded with two valid bidders
    OVER_BUDGET = "over_budget"  # every offer above the budget: awarded and signed anyway
    CONTRACT_DIFFERS = "contract_differs"  # contract signed for more than the award
    # below the open-tender threshold: the plan approved, the method never (none needed)
    NO_METHOD_APPROVAL = "no_method_approval"
    UNANSWERED = "unanswered"  # a challenge never answered: the supplier complains
    DESIGNATED_BRAND = "designated_brand"  # brand and model in the requirement, challenged
    SINGLE_BID = "single_bid"
    SPLIT = "split"  # one of three inquiries for the same goods within a quarter
    FAILED = "failed"  # a tender with two bids at the deadline: not opened, failed
    TERMINATED = "terminated"
    CORRECTED = "corrected"
    REJECTED = "rejected"
    UNBUDGETED = "unbudgeted"  # the plan names its 资金来源 but no 预算项目
    CHALLENGE = "challenge"  # answered in time; a challenge alone suspends nothing
    ANSWERED = "answered"  # partly upheld in time, no suspension
    WITHDRAWN = "withdrawn"
    # answered, complained, suspended by the finance office and lifted with its decision
    COMPLAINT = "complaint"
    # answered on the 1st working day; complained on the 14th after the answer period's end
    # (the 20th after the answer): in time, for the clock starts at the period's end
    EARLY_ANSWER = "early_answer"
    # suspended on a complaint and never lifted: the bids are opened after the suspension's
    # lawful end (30 days), which is not acting while suspended
    SUSPENSION_LAPSED = "suspension_lapsed"
    # the committee's first-ranked candidate declines; the purchaser awards the second in
    # order and records why (实施条例 第四十九条): lawful, no finding
    NEXT_RANKED = "next_ranked"
    # while the contract is performed, more of the same is bought with a supplementary
    # contract 补充合同, within 10% of the contract (政府采购法 第四十九条): lawful, no finding
    SUPPLEMENTED = "supplemented"
    # one supplier quotes about two thirds of the others and wins the inquiry on price:
    # recorded as lawful (the committee had it explain, 87号令 第六十条), flagged for a look
    LOW_BID = "low_bid"
    # bought again by competitive negotiation after its open tender failed: lawful with the
    # approval it has (政府采购法 第三十条第一项), flagged for a look at the failed round
    AFTER_FAILURE = "after_failure"
    # an invited tender first calls for qualification applications 资格预审公告 (财政部令第87号
    # 第十四条) for its 5 working days, records who qualified and who was refused, and
    # invites those who qualify: lawful, no finding
    PREQUALIFIED = "prequalified"
    # two experts chosen by the purchaser instead of drawn at random, no consent of its
    # 主管预算单位 recorded (实施条例 第三十九条; 87号令 第四十八条)
    EXPERTS_CHOSEN_UNAPPROVED = "experts_chosen_unapproved"
    # two experts chosen for a technically complex purchase with the 主管预算单位's consent
    # (87号令 第四十八条): lawful, no flag
    EXPERTS_CHOSEN = "experts_chosen"
    # a contract of 1000万元 or more accepted with no 检测机构 (财库〔2016〕205号); every other
    # contract of that size is accepted with one
    NO_TESTING_BODY = "no_testing_body"

    # -- the flag cases (demo.catalogue.FLAG_CASES), one red flag each -------------------
    # the committee reports five weeks after the opening: no statutory limit broken
    SLOW_AWARD = "slow_award"
    # the contract is performed but no 履约验收 is ever recorded (政府采购法 第四十一条)
    NO_ACCEPTANCE = "no_acceptance"
    # the second-ranked is awarded and no reason recorded (实施条例 第四十三条)
    OUT_OF_ORDER = "out_of_order"
    # an inquiry's committee of one expert and the purchaser's representative (74号令 第七条)
    SMALL_COMMITTEE = "small_committee"
    # a supplier the finance office debarred bids; the committee finds it ineligible
    DEBARRED_BIDDER = "debarred_bidder"
    # two of the bidders registered the same telephone (财政部令第87号 第三十七条)
    SHARED_TELEPHONE = "shared_telephone"
    # one supplier underbids and wins goods, works and services (three 品目 classes)
    ACROSS_CATEGORIES = "across_categories"
    # a non-open method approved on a rationale that says nothing (工作需要)
    NO_RATIONALE = "no_rationale"
    # a purchaser's second single source of five plans: over 30% of its year
    SOLE_SOURCE_SHARE = "sole_source_share"
    # every bid but the winner's found invalid: one valid supplier left (Cardinal R035)
    SOLE_VALID = "sole_valid"


T = Twist
#: Twists whose challenge is against the result notice.
RESULT_DISPUTES: Final = (
    T.CHALLENGE, T.ANSWERED, T.WITHDRAWN, T.COMPLAINT, T.LATE_CHALLENGE, T.LATE_ANSWER,
    T.LATE_COMPLAINT, T.LATE_DECISION, T.UNANSWERED, T.EARLY_ANSWER,
)  # fmt: skip

#: Twists whose complaint the finance office suspends the procurement for (94号令 第二十八条).
SUSPENDING: Final = (T.COMPLAINT, T.SUSPENSION_LAPSED)

#: The procurements that do not run the plain honest course: item, plan filed on, twists,
#: and why. Each irregular one raises the finding (or red flag) it is named after.
# fmt: off
TWISTS: Final[tuple[tuple[str, str, frozenset[Twist], str], ...]] = tuple(
    (key, day, frozenset(twists), why) for key, day, twists, why in (
    # -- irregular ---------------------------------------------------------------------
    ("cg-ld", "2026-03-02", {T.FILE_LATER}, "赶工期，计划未批复即采购，合同签订后补办审批"),
    ("rmyy-wy", "2026-02-02", {T.SUSPENDED_CONTRACT}, "投诉处理暂停期间仍签订物业合同"),
    ("zyy-wlm", "2026-03-09", {T.CONTRACT_BEFORE_RESULT}, "成交结果未公告即签订合同"),
    ("cdc-xs", "2026-04-13", {T.SKIP_INTENTION}, "汛期病媒防制应急采购，未公开采购意向"),
    ("ny-fl", "2026-07-06", {T.SHORT_INTENTION}, "赶秋播农时，意向公开不足30日即发公告"),
    ("zjj-ps", "2026-03-16", {T.SHORT_TENDER}, "汛前开工，招标文件发出至投标截止不足20日"),
    ("wjw-cws", "2026-04-07", {T.SHORT_NEGOTIATION}, "谈判文件发出次日即截止响应"),
    ("fy-bf", "2026-05-11", {T.SHORT_CONSULTATION}, "磋商文件发出至首次响应不足10日"),
    ("ga-bm", "2026-05-18", {T.SHORT_SINGLE_SOURCE}, "单一来源公示第2个工作日即批准采购方式"),
    ("jyj-kzy", "2026-03-03", {T.LATE_RESULT}, "确定中标人后第5个工作日才公告结果"),
    ("sl-qy", "2026-01-12", {T.LATE_CONTRACT}, "中标通知书发出42日后才签订合同"),
    ("ny-mz", "2026-05-06", {T.LATE_CONTRACT_NOTICE}, "合同签订后第6个工作日才公告"),
    ("jyj-ycs", "2026-02-24", {T.LATE_CHALLENGE}, "供应商在结果公告后第11个工作日才质疑"),
    ("cg-hw", "2026-01-19", {T.LATE_ANSWER}, "质疑第10个工作日才答复"),
    # Two works tenders (招标投标法实施条例 第六十、六十一条; the 行政监督部门 handles them).
    ("zjj-lj", "2026-01-26", {T.LATE_COMPLAINT},
     "异议答复后第19个工作日才向行政监督部门投诉，审查后不予受理"),
    ("jt-gd", "2026-01-07", {T.LATE_DECISION, T.NO_TESTING_BODY},
     "行政监督部门受理投诉后第35个工作日才作出处理决定；2000余万元的工程验收无检测机构参加"),
    ("rmyy-hc", "2026-02-09", {T.FEW_BIDDERS, T.EXPERTS_CHOSEN_UNAPPROVED},
     "公开招标有效投标人仅两家仍确定中标；两名评审专家由采购人自行选定，未经主管预算单位同意"),
    ("ny-dd", "2026-04-15", {T.OVER_BUDGET}, "种子涨价，询价报价均超预算，仍按最低报价成交签约"),
    ("zf-jj", "2026-04-20", {T.CONTRACT_DIFFERS}, "签约时增加配套家具，合同金额高于成交金额"),
    ("jyj-wj", "2026-03-16", {T.NO_METHOD_APPROVAL},
     "预算64万元，未达公开招标数额标准，询价方式无须审批"),
    ("yz-jxl", "2026-04-20", {T.UNANSWERED}, "质疑未答复，供应商转而投诉"),
    ("rmyy-shfx", "2026-03-23", {T.DESIGNATED_BRAND}, "需求写明西门子品牌及型号，质疑被驳回"),
    ("sl-fx", "2026-04-27", {T.SINGLE_BID}, "竞争性谈判只有一家供应商响应即成交"),
    ("yz-kt", "2026-05-11", {T.LOW_BID}, "询价中一家报价约为其他报价的三分之二，以最低价成交"),
    ("jyj-jsj1", "2026-04-01", {T.SPLIT}, "同类计算机一季度内分三次询价，合计超限额"),
    ("jyj-jsj2", "2026-04-22", {T.SPLIT}, "同上（第二批）"),
    ("jyj-jsj3", "2026-05-13", {T.SPLIT}, "同上（第三批）"),
    # -- honest but notable: the other notices and procedures of the year ---------------
    ("jt-fh", "2026-03-09", {T.FAILED}, "投标截止时投标人不足三家，不予开标，废标"),
    ("zj-qx", "2026-04-13", {T.FAILED, T.PREQUALIFIED},
     "邀请招标经资格预审邀请供应商，投标截止时仅两家投标，不予开标，废标"),
    ("jt-fh2", "2026-05-25", {T.AFTER_FAILURE}, "废标后改为竞争性谈判重新采购"),
    ("wg-js", "2026-06-08", {T.TERMINATED},
     "开标后专项资金调整，终止采购，5个工作日内退还全部投标保证金"),
    ("cg-bgl", "2026-04-14", {T.REJECTED, T.UNBUDGETED},
     "未列入预算：采购计划未载明预算项目，被退回"),
    ("ga-xl", "2026-03-04", {T.CORRECTED, T.SUPPLEMENTED},
     "更正公告延期开标；履约中追加同型号摄像机，补充合同金额未超过原合同的10%"),
    ("ny-gbz", "2026-02-10", {T.CORRECTED}, "更正公告延期开标"),
    ("zjj-gr", "2026-04-08", {T.CORRECTED}, "更正公告延期开标"),
    ("wjw-xz", "2026-03-18", {T.CHALLENGE}, "质疑按期答复，质疑本身不暂停采购"),
    ("cdc-jc", "2026-02-16", {T.COMPLAINT}, "质疑、投诉，财政部门暂停采购并按期驳回后恢复"),
    ("yj-gb", "2026-03-23", {T.SUSPENSION_LAPSED},
     "投诉处理期间财政部门暂停采购，暂停满30日后依法开标，不属暂停期间采购"),
    ("yj-pt", "2026-03-10", {T.EARLY_ANSWER}, "质疑次日即答复，投诉期自答复期满起算，按期投诉"),
    ("zr-dj", "2026-04-09", {T.ANSWERED}, "质疑部分成立，更正评分后结果不变"),
    ("ga-wy", "2026-05-06", {T.WITHDRAWN}, "供应商撤回质疑"),
    ("rmyy-dr", "2026-03-16", {T.NEXT_RANKED, T.EXPERTS_CHOSEN},
     "排名第一的中标候选人放弃中标，采购人按评审报告排序确定第二名并记录理由；"
     "DR设备技术复杂，经主管预算单位同意自行选定两名医学影像专家"),
    # -- the flag cases, after the catalogue: one red flag each ----------------------
    ("fy-tl", "2026-03-09", {T.SLOW_AWARD, T.ACROSS_CATEGORIES},
     "开启响应文件后五周才完成评审，定标迟缓；成交供应商同年跨货物、工程、服务三类成交"),
    ("sl-fs", "2026-03-02", {T.NO_ACCEPTANCE, T.ACROSS_CATEGORIES},
     "合同签订后逾180日仍未组织履约验收"),
    ("zr-da", "2026-03-16", {T.SMALL_COMMITTEE, T.ACROSS_CATEGORIES},
     "谈判小组仅由一名评审专家和采购人代表两人组成"),
    ("xx-gb", "2026-03-18", {T.OUT_OF_ORDER}, "未按评审报告排序确定成交供应商，且未记录理由"),
    ("cdc-ypg", "2026-03-23", {T.DEBARRED_BIDDER},
     "被禁止参加政府采购活动的供应商仍参加询价，被认定响应无效"),
    ("mz-kf", "2026-03-25", {T.SHARED_TELEPHONE}, "两家报价供应商登记的联系电话相同"),
    ("wg-zj", "2026-03-30", {T.NO_RATIONALE}, "询价方式的理由仅写“工作需要”，仍获批准"),
    ("rs-jb", "2026-04-07", {T.SOLE_SOURCE_SHARE}, "人社局全年五项采购中两项为单一来源"),
    ("rs-jc", "2026-04-14", {T.SOLE_SOURCE_SHARE}, "同上（第二项单一来源）"),
    ("sc-sj", "2026-04-20", {T.SOLE_VALID}, "询价中除成交供应商外的报价均被认定无效"),
))
# fmt: on
