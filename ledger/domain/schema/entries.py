# Over 400 lines by design: a table: one small class per kind of log entry.
"""Every kind of log entry, as the typed value of its ``data``.

A class per kind; the class's name is the entry's ``type`` in the leaf (``AwardDecided``),
so no other module spells an entry type. What else is known of each kind (the command that
records it, its stream, who signs it, the notices it publishes) is in ``kinds``. The leaf
itself (``index``, ``stream``, ``command``, ``signature``…) is ``entry.Entry``.

Field names, types and which fields may be left out are exactly what the ledger has
written since its first entry: ``tests/unit/test_log_schema.py`` reads every leaf of the
demo year back through these classes and writes the same bytes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ledger.domain.progress import State
from ledger.domain.schema.values import (
    BASE64_32,
    Amount,
    Commitment,
    Day,
    Due,
    Finding,
    Opened,
    Value,
)
from ledger.domain.vocabulary import (
    AnnouncementType,
    CallOffSelection,
    Category,
    FundingSource,
    Level,
    Method,
    OrganisationForm,
    Outcome,
    Role,
    SmePolicy,
    SmeStatus,
    Subject,
)

Code = Annotated[str, Field(min_length=1, max_length=64)]
Minute = Annotated[str, Field(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$")]
Text = str
#: A 统一社会信用代码: 18 characters of GB 32100-2015's set (its check digit is the
#: command's to check, ``ledger.domain.identity``).
CreditCode = Annotated[str, Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
#: A telephone number as ``ledger.domain.identity.TELEPHONE`` accepts it.
Telephone = Annotated[str, Field(pattern=r"^[+0-9][0-9 -]{6,24}$")]
#: A code of the 政府采购品目分类目录 as ``ledger.domain.subject`` accepts it.
Catalogue = Annotated[str, Field(pattern=r"^[ABC][0-9]{2}(?:[0-9]{2}){0,4}$")]
#: A quantity: a positive number with up to three decimals, written as a string.
Quantity = Annotated[str, Field(pattern=r"^(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,3})?$")]

# -- the registry 登记: organisations, actors, keys ------------------------------------------


class OrganisationRegistered(Value):
    """An organisation 单位 is registered: its code, name, kind (its actors' role) and region.

    A finance office also states its level and the regions below it that it oversees: above
    the open-tender threshold only one at 设区的市级 or above, over the procurement's region,
    approves another method (政府采购法 第二十七条; 实施条例 第二十三条)."""

    code: Code
    name: Text
    kind: Role
    region: Text
    address: Text
    level: Level | None = None
    oversees: list[Text] | None = None
    #: Its identity (``ledger.domain.identity``): 统一社会信用代码 (GB 32100-2015), contact
    #: person and telephone, and a supplier's declared 中小企业 status (财库〔2020〕46号).
    credit_code: CreditCode | None = None
    contact: Text | None = None
    telephone: Telephone | None = None
    sme: SmeStatus | None = None


class OrganisationAmended(Value):
    """An organisation's details changed; only the changed ones are given."""

    code: Code
    name: Text | None = None
    region: Text | None = None
    address: Text | None = None
    credit_code: CreditCode | None = None
    contact: Text | None = None
    telephone: Telephone | None = None
    sme: SmeStatus | None = None


class SupplierDebarred(Value):
    """禁止参加政府采购活动: a finance office records that a supplier may take no part in
    government procurement from ``since`` to ``until`` (政府采购法 第二十二条第一款第（五）项、
    第七十七条; 实施条例 第十九条), under its decision ``document_number`` with ``reason``.
    Recorded, not enforced: a bid it makes in the period is a red flag (README)."""

    code: Code  # the supplier
    since: Day
    until: Day
    document_number: Text
    reason: Text


class ActorRegistered(Value):
    """A person or service that acts for an organisation, in the organisation's role."""

    code: Code
    organisation: Code
    role: Role
    name: Text


class KeyRegistered(Value):
    """An actor's Ed25519 public key: from this entry on, its signatures count."""

    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
    actor: Code
    organisation: Code
    role: Role


class KeyRevoked(Value):
    """A key is revoked: no command it signs from this entry on is accepted."""

    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    reason: Text


# -- one procurement 采购项目 ----------------------------------------------------------------


class Lifecycle(Value):
    """What every lifecycle entry records: the day it happened, the state it led to, the
    notice it publishes (``None`` when none) and the findings it raised."""

    procurement: Code
    date: Day
    state: State
    announcement: AnnouncementType | None
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


class Summary(Lifecycle):
    """A lifecycle entry that repeats the procurement's summary 项目概况 (every notice does)."""

    title: Text
    purchaser: Code
    agency: Code | None
    category: Category
    method: Method
    budget: Amount
    region: Text


class BudgetItem(Value):
    """预算项目: the item of the approved department budget a plan spends, by its code and
    name as the budget names it (``ledger.domain.budget`` checks both)."""

    code: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,39}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class PlanFiled(Summary):
    """采购计划备案: the purchaser files the plan, which opens the procurement; with its
    组织形式 where the plan states it (政府采购法 第七条、第十八条), and its 资金来源 and
    预算项目 where it names them (政府采购法 第六条; 实施条例 第二十九条)."""

    requirement: Text
    rationale: Text
    organisation_form: OrganisationForm | None = None
    funding_source: FundingSource | None = None
    budget_item: BudgetItem | None = None


class PlanApproved(Lifecycle):
    """批复采购计划 by the finance office."""

    note: Text


class PlanRejected(Lifecycle):
    """退回采购计划 by the finance office, with its reason."""

    reason: Text


class MethodApproved(Lifecycle):
    """批准采购方式 by the finance office; a method other than open tender states why."""

    method: Method
    rationale: Text


class IntentionDisclosed(Summary):
    """公开采购意向: the intention notice, with the expected start and, where given, the
    采购需求概况 (财库〔2020〕10号)."""

    expected_start: Day
    summary: Text | None = None


class Item(Value):
    """采购标的: one thing a tender notice asks for, with its 品目 (政府采购品目分类目录)."""

    name: Text
    catalogue: Catalogue
    quantity: Quantity
    unit: Text


#: A document's media type: those ``ledger.domain.documents.MEDIA_TYPES`` allows.
MediaType = Literal[
    "application/pdf",
    "application/ofd",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
    "text/plain",
]


class Document(Value):
    """An attached document 附件 (招标文件, 合同文本): its name, type, size and SHA-256 (base64);
    the bytes are in the document store, served at ``/documents/<hex of sha256>``."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    media_type: MediaType
    sha256: Annotated[str, Field(pattern=BASE64_32)]
    size: Annotated[int, Field(ge=1)]


class AwardedItem(Value):
    """主要标的 of a result notice: name, 规格型号, quantity, unit price and 服务要求
    (财政部令第87号 第六十九条)."""

    name: Text
    specification: Text
    quantity: Quantity
    unit: Text
    unit_price: Amount
    service: Text | None = None


class Policies(Value):
    """落实政府采购政策 a tender states (``ledger.domain.tender_terms``): the 中小企业 policy
    and its 价格扣除 (a whole percentage), imported products, consortia."""

    sme: SmePolicy
    price_deduction: int | None = None
    imports: bool
    consortium: bool


class Obtaining(Value):
    """获取采购文件: where, how and at what price (财政部令第87号 第十三条)."""

    place: Text
    method: Text
    price: Amount


class Expert(Value):
    """A 专业人员 of a 单一来源公示: name, 工作单位, 职称 and 论证意见 (实施条例 第三十八条)."""

    name: Text
    unit: Text
    title: Text
    opinion: Text


class PrequalificationAnnounced(Summary):
    """发布资格预审公告 (财政部令第87号 第十四条; 招标投标法实施条例 第十五条): the call for
    qualification applications before an invited or works tender: the qualifications asked,
    where and how the prequalification documents are obtained, the last day (and minute) to
    apply, the end of its 公告期限, the contact."""

    requirement: Text  # 采购需求概况
    qualifications: Text
    contact: Text
    application_deadline: Day
    application_deadline_time: Minute | None = None
    period_end: Day | None = None
    obtaining: Obtaining | None = None


class Refusal(Value):
    """An applicant the 资格预审 found not qualified, and why (the standard it failed)."""

    supplier: Code
    reason: Text


class PrequalificationCompleted(Lifecycle):
    """记录资格预审结果 (财政部令第87号 第十四条、第二十一条; 政府采购法实施条例 第二十一条;
    招标投标法实施条例 第十八、十九条): the applicants found qualified, from whom the invited
    bidders are drawn, and those refused, each with its reason. No notice: the public page
    shows it only once the bids are opened (README, the open point of its naming bidders)."""

    qualified: list[Code]
    refused: list[Refusal]


class TenderAnnounced(Summary):
    """发布采购公告 (or 单一来源公示): a single source names its supplier and reason; the
    other methods the bid deadline and the place of opening, and may state the end of the
    notice's period 公告期限 and of the documents' sale 获取采购文件期限 (``periods``)."""

    requirement: Text
    qualifications: Text
    contact: Text
    supplier: Code | None = None
    reason: Text | None = None
    bid_deadline: Day | None = None
    bid_deadline_time: Minute | None = None  # HH:MM China time; None: the end of the day
    place: Text | None = None
    period_end: Day | None = None  # the last day of its 公告期限
    documents_until: Day | None = None  # the last day its documents are on sale
    bid_deposit: Amount | None = None  # 投标（响应）保证金 asked, if any (≤ 2% of the budget)
    # A works tender's 行政监督部门 (ledger.domain.works): it takes the complaints and the report
    supervisor: Code | None = None
    # What it buys (ledger.domain.subject): the items, the 最高限价 within the budget, and the
    # minute the notice was published 发布时间 (HH:MM China time)
    items: list[Item] | None = None
    ceiling_price: Amount | None = None
    published_time: Minute | None = None
    # What else it states (ledger.domain.tender_terms): the policies it applies and how its
    # documents are obtained; a single source's experts and their 论证意见
    policies: Policies | None = None
    obtaining: Obtaining | None = None
    experts: list[Expert] | None = None
    documents: list[Document] | None = None  # 采购文件（招标文件）, by their SHA-256


class AnnouncementCorrected(Summary):
    """发布更正公告: what changes, and a new bid deadline if it moves; ``affects_preparation``
    when the change may affect the preparation of bids or responses
    (可能影响投标（响应）文件编制), which binds it to come long enough before the deadline."""

    changes: Text
    bid_deadline: Day | None = None
    bid_deadline_time: Minute | None = None
    affects_preparation: bool | None = None


class BidCommitted(Value):
    """投标箱收件: the bid box took in one sealed envelope (a bid, a change or a withdrawal).

    Its own stream, signed by the bid-box service: it names neither the supplier nor the
    procurement, only the salted commitment to the supplier's signed envelope."""

    commitment: Annotated[str, Field(pattern=BASE64_32)]


class BidBoxClosed(Value):
    """投标截止: the box of a procurement closed at its deadline, summed up by the Merkle
    root over its commitments padded with dummies to ``size`` (a power of two, at least 16),
    so the number of bids stays hidden until the opening."""

    procurement: Code
    date: Day
    closed_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")]  # China time
    root: Annotated[str, Field(pattern=BASE64_32)]
    size: Annotated[int, Field(ge=16)]


class BoxMember(Value):
    """One member of a closed box as the opening discloses it: the supplier's signed
    envelope ``{command, signature}`` (``None`` for a dummy) and the salt of its commitment."""

    commitment: Annotated[str, Field(pattern=BASE64_32)]
    salt: Annotated[str, Field(pattern=BASE64_32)]
    status: Literal["bid", "superseded", "withdrawn", "obtained", "dummy"]
    envelope: dict[str, str] | None = None


class OpenedBid(Value):
    """One bid as the opening discloses it."""

    supplier: Code
    price: Opened


class BidsOpened(Lifecycle):
    """开标: every member of the closed box disclosed; ``bids`` are the effective bids, each
    supplier's price opened, in the order the bids came; ``opened_at`` the minute, Beijing
    time (YYYY-MM-DD HH:MM)."""

    bids: list[OpenedBid]
    box: list[BoxMember] | None = None  # None: a method without a box (none today)
    opened_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")] | None = None


class Evaluation(Value):
    """One bidder's evaluation: valid or not (and why not), its score if scored, and, if
    valid, its place in the committee's ranking of candidates 中标（成交）候选人排序 (1 first)."""

    supplier: Code
    valid: bool
    score: str | None = None
    reason: Text | None = None
    rank: Annotated[int, Field(ge=1, le=1000)] | None = None


class EvaluationCompleted(Lifecycle):
    """完成评审: each bidder evaluated; the committee sealed until the result notice."""

    committee: Commitment
    results: list[Evaluation]


class CandidatesPublished(Summary):
    """公示中标候选人 of a works tender (招标投标法实施条例 第五十四条): the committee's ranked
    candidates, published until ``period_end``, at least 3 days; the award comes after it."""

    candidates: Annotated[list[Code], Field(min_length=1, max_length=3)]
    period_end: Day


class AwardDecided(Lifecycle):
    """确定中标（成交）供应商 by the purchaser; ``reason`` why, when not the committee's
    first-ranked candidate (政府采购法实施条例 第四十三条、第四十九条); ``report_received``
    the day it received the evaluation report, from which the award is measured."""

    supplier: Code
    amount: Amount
    reason: Text | None = None
    report_received: Day | None = None  # when the purchaser received the evaluation report
    # A framework agreement's stage one: every supplier admitted 入围, in the committee's
    # order (``supplier`` is the first); ``amount`` the agreement's estimated total.
    admitted: list[Code] | None = None


class ResultAnnounced(Summary):
    """发布中标（成交）结果公告, disclosing the evaluation committee where there was one."""

    supplier: Code
    amount: Amount
    committee: Opened | None = None
    admitted: list[Code] | None = None  # a framework agreement's 入围结果公告 names them all
    items: list[AwardedItem] | None = None  # 主要标的
    agency_fee: Amount | None = None  # 代理服务费 charged, where an agency ran it


class ContractSigned(Lifecycle):
    """签订合同, with the performance deposit 履约保证金 it asks, if any (≤ 10% of the
    amount, 实施条例 第四十八条)."""

    contract_number: Text
    supplier: Code
    amount: Amount
    performance_deposit: Amount | None = None
    # A framework agreement 框架协议: the last day of its term 有效期 (财政部令第110号).
    term_ends: Day | None = None
    documents: list[Document] | None = None  # 合同文本, by their SHA-256


class ContractAnnounced(Summary):
    """发布合同公告 (实施条例 第五十条): the contract's signing date and, where given, its
    主要标的 and the place and term of performance 履约地点、履约期限; and the contract text
    the signing attached."""

    supplier: Code
    amount: Amount
    contract_number: Text
    signed_on: Day | None = None
    items: list[AwardedItem] | None = None
    place: Text | None = None
    term: Text | None = None
    documents: list[Document] | None = None


class ContractFiled(Lifecycle):
    """合同备案: the purchaser files a copy of the contract with the finance office
    (政府采购法 第四十七条); ``contract_number`` repeats the contract's."""

    contract_number: Text


class TenderReportFiled(Lifecycle):
    """提交招标投标情况书面报告: the purchaser (or its agency) reports on a works tender to
    its 行政监督部门 ``supervisor`` within 15 days of the winner (招标投标法 第四十七条)."""

    supervisor: Code
    supplier: Code  # the winner it reports


class SupplementaryContractSigned(Summary):
    """签订补充合同: 追加 of goods, works or services like the contract's, with the winner
    (政府采购法 第四十九条): its own number, what it adds, its amount, and ``total``, all the
    procurement's supplementary contracts together so far (≤ 10% of the contract). Published
    as signed, 补充合同公告, as a contract is (实施条例 第五十条)."""

    contract_number: Text
    supplier: Code
    content: Text
    amount: Amount
    total: Amount


class CallOffSigned(Lifecycle):
    """Stage two of a framework agreement: a call-off contract 采购合同 with one admitted
    supplier, chosen as ``selection`` says, within the agreement's term (财政部令第110号);
    ``total`` is every call-off of the agreement together so far."""

    contract_number: Text
    supplier: Code
    selection: CallOffSelection
    amount: Amount
    total: Amount


class CallOffAnnounced(Summary):
    """A call-off's 成交结果公告 (财政部令第110号), naming its contract."""

    contract_number: Text
    supplier: Code
    selection: CallOffSelection
    amount: Amount


class BidDepositsRefunded(Lifecycle):
    """退还投标保证金: the bidders whose bid deposits were refunded that day, the winner's
    refunded or turned into its performance deposit (财政部令第87号 第三十八条)."""

    suppliers: list[Code]


class TestingBody(Value):
    """The 检测机构 that tested the delivery for the acceptance, and its report's number."""

    name: Text
    report_number: Text | None = None


class AcceptanceRecorded(Summary):
    """履约验收, passed or not, with the acceptance report and the 检测机构 that took part,
    if one did (政府采购法 第四十一条)."""

    supplier: Code
    passed: bool
    report: Text
    testing_body: TestingBody | None = None


class Archived(Lifecycle):
    """归档: the procurement's files are closed."""


class ProcurementFailed(Summary):
    """废标, with the reason."""

    reason: Text


class ProcurementTerminated(Summary):
    """终止, with the reason."""

    reason: Text


class ProcurementSuspended(Lifecycle):
    """暂停采购活动, caused by a challenge or complaint."""

    cause: Code
    reason: Text


class ProcurementResumed(Lifecycle):
    """恢复采购活动."""

    cause: Code | None
    reason: Text


# -- challenges 质疑 and complaints 投诉, each its own stream ---------------------------------


class ChallengeFiled(Value):
    """A supplier's challenge 质疑, numbered ``<procurement>-ZY<n>`` by the ledger.

    Recorded by the ledger's box service: who challenged and on what grounds are sealed in
    ``envelope`` (the supplier's signed ``FileChallenge``), read by the purchaser, its
    agency, the finance office and inspectors; the number, dates, subject, deadline and
    outcome are public."""

    number: Code
    procurement: Code
    date: Day
    known_on: Day
    subject: Subject
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)
    answer_due: Due | None
    envelope: Commitment


class ChallengeAnswered(Value):
    """The purchaser's or agency's answer 质疑答复."""

    number: Code
    procurement: Code
    date: Day
    outcome: Outcome
    answer: Text
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


class ChallengeWithdrawn(Value):
    """The supplier withdraws its challenge: recorded by the box service, the supplier's
    signed ``WithdrawChallenge`` (and its reason) sealed in ``envelope``."""

    number: Code
    procurement: Code
    date: Day
    envelope: Commitment


class ComplaintFiled(Value):
    """A supplier's complaint 投诉 to the finance office, numbered ``<procurement>-TS<n>``."""

    number: Code
    procurement: Code
    challenge: Code
    supplier: Code
    date: Day
    grounds: Text
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)
    decision_due: Due | None
    # The challenge's envelope disclosed: a complaint is public (94号令 第三十七条), and this
    # is how anyone sees that the complainant is the supplier that challenged.
    challenger: Opened


class ComplaintScreened(Value):
    """The finance office's screening 投诉审查: the complaint accepted 受理, or not accepted
    不予受理 with the reason, which ends it (财政部令第94号 第二十一条)."""

    number: Code
    procurement: Code
    date: Day
    accepted: bool
    reason: Text | None = None
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


class ComplaintDecided(Value):
    """The finance office's decision 投诉处理决定, published with its 文号, its legal basis
    处理依据 and the body that made it 执法机关 (财政部令第94号 第三十七条), those given."""

    number: Code
    procurement: Code
    date: Day
    outcome: Outcome
    decision: Text
    document_number: Text | None = None  # 文号, e.g. 澄财采决〔2026〕3号
    basis: Text | None = None  # 处理依据: the articles the decision rests on
    authority: Code | None = None  # the organisation that decided: the signer's
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


class ComplaintWithdrawn(Value):
    """The supplier withdraws its complaint."""

    number: Code
    procurement: Code
    date: Day
    reason: Text


# -- the publisher's receipts 发布记录 -------------------------------------------------------


class NoticeDelivered(Value):
    """A procurement website accepted a notice (HTTP 2xx)."""

    notice: Annotated[int, Field(ge=0)]  # the notice's leaf index
    procurement: Code
    announcement: AnnouncementType
    destination: Code
    site: Text | None = None  # the website's display name, when the publisher gave one
    required: bool
    attempts: Annotated[int, Field(ge=1)]
    status: Annotated[int, Field(ge=200, le=299)]
    response_digest: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
    delivered_at: str  # RFC 3339, as the publisher saw it
    date: Day
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


class NoticeDeliveryFailed(Value):
    """The publisher gave up on a website after its retries (or its site was disabled)."""

    notice: Annotated[int, Field(ge=0)]
    procurement: Code
    announcement: AnnouncementType
    destination: Code
    site: Text | None = None  # the website's display name, when the publisher gave one
    required: bool
    attempts: Annotated[int, Field(ge=0)]  # 0: never sent
    last_status: Annotated[int, Field(ge=100, le=599)] | None
    last_error: Text
    failed_at: str  # RFC 3339
    date: Day
    findings: list[Finding]
    # limits kept on a provisional deadline (left out when none)
    provisional_passes: list[Finding] = Field(default_factory=list)


# -- reads of sealed values 查阅密封信息 ------------------------------------------------------


class SealedValueRead(Value):
    """Someone read a sealed value before its disclosure: which commitment, of which
    procurement, who and of which organisation (never the value)."""

    commitment: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
    procurement: Code
    reader: Code
    organisation: Code


# -- the statute book 法定时限依据: the working calendar and the time-limit table ----------


class AdoptedYear(Value):
    """One year's working calendar: its non-working weekdays (``holidays``; weekend days of
    a holiday span may be listed too) and the weekend days worked (``workdays``, 调休), as
    the State Council's notice of that year's arrangement (``notice``) sets them."""

    year: Annotated[int, Field(ge=1900, le=9999)]
    holidays: list[Day]
    workdays: list[Day]
    notice: Text


class CalendarAdopted(Value):
    """A finance office adopts the working calendar of one or more years: every deadline
    counted through those years from now on counts on it, and names this entry. ``source``
    says where the arrangement was taken from (a package and its version, an operator's
    file)."""

    years: list[AdoptedYear]
    source: Text


class TimeLimitRow(Value):
    """One statutory time limit (or count, or amount) with its legal source."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")]
    description_zh: Text
    limit: Annotated[int, Field(ge=1, le=36600)]
    unit: Literal["working_days", "days", "years", "bidders", "wan_yuan"]
    direction: Literal["at_most", "at_least"]
    citation: Text


class TimeLimitsAdopted(Value):
    """A finance office adopts the time-limit table, whole: every finding from now on is
    measured by it, and names this entry."""

    limits: list[TimeLimitRow]
    source: Text


class TimingReevaluated(Value):
    """A provisional result re-evaluated when a year's calendar is adopted: the finding or
    provisional pass ``before`` recorded by the entry at log index ``entry`` (a ``kind``),
    recomputed as ``after`` on the calendar the same command adopted. ``change``: a finding
    ``added`` (the limit was in fact broken), ``withdrawn`` (it was in fact kept), or the
    result ``confirmed`` (the same outcome, its deadline now exact or still provisional for
    another year). Appended, never edited: the entry keeps what it recorded."""

    entry: Annotated[int, Field(ge=0)]
    kind: Text
    procurement: Code | None  # the procurement the entry is of, if any
    change: Literal["added", "withdrawn", "confirmed"]
    kept: bool  # whether, recomputed, the limit was kept (``after`` is then a pass)
    before: Finding
    after: Finding


# -- imported open data 导入的公开数据 --------------------------------------------------------


class ReleaseImported(Value):
    """An OCDS release of another system, recorded as imported by an importing service.

    Not a notice of ours: the release rides as the JSON text it had in the source (OCDS
    keys are camelCase, its numbers decimals, its nesting deep: none of which the command's
    canonical JSON takes), beside where it came from and that file's SHA-256. ``digest`` is
    the SHA-256 of ``release``; one release (``ocid``, ``id``) is recorded once."""

    source: Annotated[str, Field(min_length=1, max_length=2000)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    ocid: Annotated[str, Field(pattern=r"^ocds-[a-z0-9]{6}-.+$", max_length=256)]
    id: Annotated[str, Field(min_length=1, max_length=256)]
    date: Annotated[str, Field(min_length=1, max_length=64)]
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    release: Text


StatuteData = CalendarAdopted | TimeLimitsAdopted | TimingReevaluated

RegistryData = (
    OrganisationRegistered | OrganisationAmended | SupplierDebarred | ActorRegistered
    | KeyRegistered | KeyRevoked
)
LifecycleData = (
    PlanFiled
    | PlanApproved
    | PlanRejected
    | MethodApproved
    | IntentionDisclosed
    | PrequalificationAnnounced
    | PrequalificationCompleted
    | TenderAnnounced
    | AnnouncementCorrected
    | BidsOpened
    | EvaluationCompleted
    | CandidatesPublished
    | AwardDecided
    | ResultAnnounced
    | ContractSigned
    | ContractAnnounced
    | ContractFiled
    | TenderReportFiled
    | CallOffSigned
    | CallOffAnnounced
    | SupplementaryContractSigned
    | BidDepositsRefunded
    | AcceptanceRecorded
    | Archived
    | ProcurementFailed
    | ProcurementTerminated
    | ProcurementSuspended
    | ProcurementResumed
)
ProcurementData = LifecycleData | BidBoxClosed
StreamData = (
    ChallengeFiled
    | ChallengeAnswered
    | ChallengeWithdrawn
    | ComplaintFiled
    | ComplaintScreened
    | ComplaintDecided
    | ComplaintWithdrawn
)
DeliveryData = NoticeDelivered | NoticeDeliveryFailed
BoxData = BidCommitted
#: The data of any entry of the log.
EntryData = (
    RegistryData
    | ProcurementData
    | StreamData
    | DeliveryData
    | BoxData
    | SealedValueRead
    | StatuteData
    | ReleaseImported
)

