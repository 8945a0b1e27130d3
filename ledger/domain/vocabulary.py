"""The procurement vocabulary: categories, methods and announcement types, with Chinese labels.

Values are the stable English codes written in events and commands; ``label`` is what a page
shows. Each enum parses a command field with ``parse(value, field)`` or
``from_payload(payload, name)``, refusing anything else with ``Invalid`` that lists the
allowed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from ledger.domain.fields import choice, member


class Term(StrEnum):
    """A term of the vocabulary (no members of its own): its label and its parsers."""

    @property
    def label(self) -> str:
        """The Chinese name shown on pages."""
        return _LABELS[type(self)][self.value]

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every value with its Chinese label, in declaration order."""
        return {term.value: term.label for term in cls}

    @classmethod
    def parse(cls, value: object, field: str) -> Self:
        """``value`` as a member; ``Invalid`` naming ``field`` and listing the allowed values."""
        return member(value, field, cls)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], name: str) -> Self:
        """``payload[name]`` as a member (see ``ledger.domain.fields.choice``)."""
        return choice(payload, name, cls)


class Category(Term):
    """The category of what is bought 采购项目类别; every statistic is split by it."""

    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"


class Method(Term):
    """A procurement method 采购方式."""

    OPEN_TENDER = "open_tender"
    INVITED_TENDER = "invited_tender"
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"
    COMPETITIVE_CONSULTATION = "competitive_consultation"
    INQUIRY = "inquiry"
    SINGLE_SOURCE = "single_source"
    FRAMEWORK_AGREEMENT = "framework_agreement"

    @property
    def needs_rationale(self) -> bool:
        """Every method but open tender needs a stated rationale to be approved."""
        return self is not Method.OPEN_TENDER


class AnnouncementType(Term):
    """The kind of public notice 公告类型 an event publishes."""

    INTENTION = "intention"
    TENDER = "tender"
    CORRECTION = "correction"
    RESULT = "result"
    CONTRACT = "contract"
    TERMINATION = "termination"
    FAILURE = "failure"
    SINGLE_SOURCE = "single_source"
    ACCEPTANCE = "acceptance"
    CANDIDATES = "candidates"  # 中标候选人公示 of a works tender
    CALL_OFF = "call_off"  # a framework agreement's call-off 第二阶段成交结果 (财政部令第110号)
    SUPPLEMENT = "supplement"  # 补充合同公告: a supplementary contract (政府采购法 第四十九条)
    PREQUALIFICATION = "prequalification"  # 资格预审公告 (财政部令第87号 第十四条)


class CallOffSelection(Term):
    """How stage two of a framework agreement chooses the admitted supplier 确定成交供应商的方式
    (财政部令第110号)."""

    DIRECT = "direct"  # 直接选定
    SECOND_BIDDING = "second_bidding"  # 二次竞价
    ROTATION = "rotation"  # 顺序轮候


class Role(StrEnum):
    """An actor's role; an organisation's kind uses the same names."""

    PURCHASER = "purchaser"  # 采购人
    AGENCY = "agency"  # 采购代理机构
    FINANCE_OFFICE = "finance_office"  # 财政部门（采购办）
    SUPPLIER = "supplier"  # 供应商
    INSPECTOR = "inspector"  # 纪检监察 / 审计 / 检察院
    PUBLISHER = "publisher"  # 发布服务
    BID_BOX = "bid_box"  # 投标箱服务: the ledger's sealed bid box
    # 评审专家: signs evaluation reports only; its organisation is the expert pool 评审专家库
    EVALUATION_EXPERT = "evaluation_expert"
    # 行政监督部门 of works tenders (e.g. 住房和城乡建设局): receives their complaints and
    # written reports (招标投标法 第七条、第四十七条; 实施条例 第六十条)
    SUPERVISION_DEPARTMENT = "supervision_department"
    IMPORTER = "importer"  # 数据导入服务: records other systems' OCDS releases as imported


class Level(Term):
    """The administrative level of a finance office 财政部门层级, lowest first."""

    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"
    CENTRAL = "central"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Subject(Term):
    """What a challenge objects to 质疑事项 (财政部令第94号 art. 10)."""

    DOCUMENTS = "documents"
    PROCESS = "process"
    RESULT = "result"


class Outcome(Term):
    """How a challenge was answered or a complaint decided."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    REJECTED = "rejected"
    DISMISSED = "dismissed"


class OrganisationForm(Term):
    """A procurement's 组织形式 (政府采购法 第七条、第十八条; ``identity.FORM_CITATION``):
    集中采购 by the 集中采购机构, 部门集中采购 by a department for its system, or 分散采购."""

    CENTRALISED = "centralised"
    DEPARTMENTAL = "departmental"
    DECENTRALISED = "decentralised"


class FundingSource(Term):
    """A plan's 资金来源: the budget its money is in (three of 预算法 第五条's budgets, money the
    finance office keeps in a 财政专户, or other money); ``budget.FUNDING_CITATION``."""

    GENERAL_BUDGET = "general_budget"
    GOVERNMENT_FUND = "government_fund"
    STATE_CAPITAL = "state_capital"
    SPECIAL_ACCOUNT = "special_account"
    OTHER = "other"


class SmeStatus(Term):
    """A supplier's 中小企业 status as it declares it (财库〔2020〕46号 第四条, by the 划型标准
    of 工信部联企业〔2011〕300号); ``identity.SME_CITATION`` cites it."""

    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"
    NOT_SME = "not_sme"


class SmePolicy(Term):
    """How a tender applies the 中小企业 policy (财库〔2020〕46号 第八条、第九条): reserved for
    中小企业, a 价格扣除 for small and micro enterprises, or neither (stated why in the
    documents, e.g. no 中小企业 can supply it)."""

    RESERVED = "reserved"
    PRICE_DEDUCTION = "price_deduction"
    NONE = "none"


# Keyed by enum, then by value: members of different enums may share a value
# ("single_source"), and StrEnum members compare and hash as their value.
_LABELS: dict[type[Term], dict[str, str]] = {
    Category: {
        Category.GOODS: "货物",
        Category.WORKS: "工程",
        Category.SERVICES: "服务",
    },
    Method: {
        Method.OPEN_TENDER: "公开招标",
        Method.INVITED_TENDER: "邀请招标",
        Method.COMPETITIVE_NEGOTIATION: "竞争性谈判",
        Method.COMPETITIVE_CONSULTATION: "竞争性磋商",
        Method.INQUIRY: "询价",
        Method.SINGLE_SOURCE: "单一来源",
        Method.FRAMEWORK_AGREEMENT: "框架协议",
    },
    AnnouncementType: {
        AnnouncementType.INTENTION: "采购意向公开",
        AnnouncementType.TENDER: "采购公告",
        AnnouncementType.CORRECTION: "更正公告",
        AnnouncementType.RESULT: "中标（成交）结果公告",
        AnnouncementType.CONTRACT: "合同公告",
        AnnouncementType.TERMINATION: "终止公告",
        AnnouncementType.FAILURE: "废标公告",
        AnnouncementType.SINGLE_SOURCE: "单一来源公示",
        AnnouncementType.ACCEPTANCE: "验收结果公告",
        AnnouncementType.CANDIDATES: "中标候选人公示",
        AnnouncementType.CALL_OFF: "框架协议采购成交结果公告",
        AnnouncementType.SUPPLEMENT: "补充合同公告",
        AnnouncementType.PREQUALIFICATION: "资格预审公告",
    },
    CallOffSelection: {
        CallOffSelection.DIRECT: "直接选定",
        CallOffSelection.SECOND_BIDDING: "二次竞价",
        CallOffSelection.ROTATION: "顺序轮候",
    },
    Level: {
        Level.COUNTY: "县级",
        Level.CITY: "设区的市级",
        Level.PROVINCE: "省级",
        Level.CENTRAL: "中央",
    },
    Subject: {
        Subject.DOCUMENTS: "采购文件",
        Subject.PROCESS: "采购过程",
        Subject.RESULT: "中标（成交）结果",
    },
    OrganisationForm: {
        OrganisationForm.CENTRALISED: "集中采购",
        OrganisationForm.DEPARTMENTAL: "部门集中采购",
        OrganisationForm.DECENTRALISED: "分散采购",
    },
    SmePolicy: {
        SmePolicy.RESERVED: "专门面向中小企业采购",
        SmePolicy.PRICE_DEDUCTION: "对小微企业报价给予价格扣除",
        SmePolicy.NONE: "不专门面向中小企业",
    },
    FundingSource: {
        FundingSource.GENERAL_BUDGET: "一般公共预算资金",
        FundingSource.GOVERNMENT_FUND: "政府性基金预算资金",
        FundingSource.STATE_CAPITAL: "国有资本经营预算资金",
        FundingSource.SPECIAL_ACCOUNT: "财政专户管理资金",
        FundingSource.OTHER: "其他资金",
    },
    SmeStatus: {
        SmeStatus.MEDIUM: "中型企业",
        SmeStatus.SMALL: "小型企业",
        SmeStatus.MICRO: "微型企业",
        SmeStatus.NOT_SME: "非中小企业",
    },
    Outcome: {
        Outcome.UPHELD: "成立",
        Outcome.PARTLY_UPHELD: "部分成立",
        Outcome.REJECTED: "不成立",
        Outcome.DISMISSED: "驳回（不予受理）",
    },
}
