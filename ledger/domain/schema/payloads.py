# Over 400 lines by design: a table: one small class per command type, a line per field.
"""Every command's payload, field by field: what ``POST /commands`` checks before the domain
runs, and what the OpenAPI document and ``docs/schema/commands.schema.json`` publish.

One class per command type (``<Type>Payload``), one line per field, with its Chinese name
(``title``) and what it means (``description``). Adding a field to a command is one line
here beside the line of its handler that reads it; ``tests/unit/test_command_payloads.py``
fails while the two disagree.

A field the domain needs only in some cases (a single source's ``supplier``, a framework
agreement's ``admitted``) is optional here and its description says when it is needed: the
handler, which knows the procurement, refuses what is missing.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import Field

from ledger.domain.documents import MAX_DOCUMENTS, MEDIA_TYPES
from ledger.domain.schema.entries import AdoptedYear, TimeLimitRow
from ledger.domain.schema.payload_types import (
    Amount,
    Base64Digest,
    Catalogue,
    Code,
    CreditCode,
    Day,
    HexDigest,
    KeyId,
    MaybeText,
    Minute,
    Moment,
    Payload,
    PublicKey,
    Quantity,
    Score,
    Telephone,
    Text,
    YesNo,
    choice,
    choice_of,
    count,
    formatted,
    line,
    raw,
)
from ledger.domain.subject import MAX_ITEMS
from ledger.domain.tender_terms import MAX_DEDUCTION, MAX_EXPERTS
from ledger.domain.vocabulary import (
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

F = Field  # every line below is a field: keep them short
DATE: Final = "行为发生之日（中国时间），不晚于签名之日，不早于本项目上一次记录的行为"
# fmt: off


# -- values inside payloads -----------------------------------------------------------------


class Sealed(Payload):
    """密封信息：只写承诺值；值和盐随命令放在 ``sealed`` 中送达。"""

    commitment: Base64Digest = F(title="承诺值", description="SHA-256(盐‖JCS(值))，base64")


class TenderItem(Payload):
    """采购公告的采购标的。"""

    name: Annotated[str, line(100)] = F(title="标的名称")
    catalogue: Catalogue = F(title="品目编码", description="政府采购品目分类目录的编码")
    quantity: Quantity = F(title="数量")
    unit: Annotated[str, line(10)] = F(title="单位")


class AwardedItem(Payload):
    """结果公告、合同公告的主要标的（财政部令第87号 第六十九条）。"""

    name: Annotated[str, line(100)] = F(title="标的名称")
    specification: Annotated[str, line(200)] = F(title="规格型号")
    quantity: Quantity = F(title="数量")
    unit: Annotated[str, line(10)] = F(title="单位")
    unit_price: Amount = F(title="单价（元）")
    service: Annotated[str, line(200, blank=True)] | None = F(None, title="服务要求")


class Policies(Payload):
    """落实政府采购政策（财库〔2020〕46号 第八条、第九条；政府采购法 第二十四条）。"""

    sme: Annotated[str, choice(SmePolicy)] = F(title="中小企业政策")
    price_deduction: Annotated[int, count(1, MAX_DEDUCTION, "整数百分比")] | None = F(
        None, title="价格扣除（%）", description="仅当中小企业政策为价格扣除时填写")
    imports: YesNo = F(title="是否接受进口产品")
    consortium: YesNo = F(title="是否接受联合体投标")


class Obtaining(Payload):
    """获取采购文件（财政部令第87号 第十三条）。"""

    place: Annotated[str, line(200)] = F(title="获取地点")
    method: Annotated[str, line(100)] = F(title="获取方式")
    price: Amount = F(title="售价（元）", description='免费为"0.00"')


class Expert(Payload):
    """单一来源的专业人员及其论证意见（政府采购法实施条例 第三十八条）。"""

    name: Annotated[str, line(50)] = F(title="姓名")
    unit: Annotated[str, line(100)] = F(title="工作单位")
    title: Annotated[str, line(50)] = F(title="职称")
    opinion: Text = F(title="论证意见")


class DocumentRef(Payload):
    """附件：先上传（POST /documents），以SHA-256摘要指明。"""

    name: Annotated[str, line(200)] = F(title="文件名")
    media_type: Annotated[str, choice_of(MEDIA_TYPES)] = F(title="文件类型")
    sha256: Base64Digest = F(title="SHA-256", description="文件的SHA-256，base64")
    size: Annotated[int, count(1, 2**53, "字节数")] = F(title="大小（字节）")


class BudgetItem(Payload):
    """预算项目（政府采购法实施条例 第二十九条）。"""

    code: Annotated[str, formatted(
        r"[0-9A-Za-z][0-9A-Za-z._/-]{0,39}", "应为预算项目编码：1—40位字母、数字或“. _ / -”",
        example="2130599")] = F(title="预算项目编码")
    name: Annotated[str, line(100)] = F(title="预算项目名称")


class TestingBody(Payload):
    """参与验收的检测机构及其检测报告（政府采购法 第四十一条）。"""

    name: Annotated[str, line(100)] = F(title="检测机构名称")
    report_number: Annotated[str, line(64)] | None = F(None, title="检测报告编号")


class Refused(Payload):
    """资格预审未通过的申请人及其理由。"""

    supplier: Code = F(title="供应商")
    reason: Text = F(title="未通过的理由")


class Evaluation(Payload):
    """一个投标人的评审结果。"""

    supplier: Code = F(title="供应商")
    valid: YesNo = F(title="是否有效投标")
    score: Score | None = F(None, title="得分")
    reason: MaybeText | None = F(None, title="无效理由", description="无效投标必填")
    rank: Annotated[int, count(1, 1000)] | None = F(
        None, title="排序", description="有效投标的推荐顺序，1为第一")


Items = Annotated[list[TenderItem], F(min_length=1, max_length=MAX_ITEMS)]
Awarded = Annotated[list[AwardedItem], F(min_length=1, max_length=MAX_ITEMS)]
Documents = Annotated[list[DocumentRef], F(min_length=1, max_length=MAX_DOCUMENTS)]
Number = Annotated[str, line(100)]  # a challenge's or complaint's number, e.g. qhx-2026-150-ZY1


# -- the registry 登记 -----------------------------------------------------------------------


class RegisterOrganisationPayload(Payload):
    """登记单位（财政部门）。"""

    code: Code = F(title="单位代码")
    name: Annotated[str, line(200)] = F(title="单位名称")
    kind: Annotated[str, choice(Role)] = F(title="单位类别")
    region: Annotated[str, line(100)] = F(title="所在地区")
    address: Annotated[str, line(200, blank=True)] | None = F(None, title="地址")
    level: Annotated[str, choice(Level)] | None = F(
        None, title="财政部门层级", description="仅财政部门")
    oversees: Annotated[list[Annotated[str, line(100)]], F(max_length=200)] | None = F(
        None, title="监管地区", description="仅财政部门")
    credit_code: CreditCode | None = F(None, title="统一社会信用代码")
    contact: Annotated[str, line(50)] | None = F(None, title="联系人")
    telephone: Telephone | None = F(None, title="联系电话")
    sme: Annotated[str, choice(SmeStatus)] | None = F(
        None, title="中小企业声明", description="仅供应商")


class AmendOrganisationPayload(Payload):
    """变更单位信息（财政部门或本单位）。"""

    code: Code = F(title="单位代码")
    name: Annotated[str, line(200)] | None = F(None, title="单位名称")
    region: Annotated[str, line(100)] | None = F(None, title="所在地区")
    address: Annotated[str, line(200, blank=True)] | None = F(None, title="地址")
    credit_code: CreditCode | None = F(None, title="统一社会信用代码")
    contact: Annotated[str, line(50)] | None = F(None, title="联系人")
    telephone: Telephone | None = F(None, title="联系电话")
    sme: Annotated[str, choice(SmeStatus)] | None = F(
        None, title="中小企业声明", description="仅供应商")


class RecordDebarmentPayload(Payload):
    """记录禁止参加政府采购活动（政府采购法 第二十二条、第七十七条）。"""

    code: Code = F(title="供应商")
    since: Day = F(title="起始日")
    until: Day = F(title="截止日")
    document_number: Annotated[str, line(60)] = F(title="处罚决定文号")
    reason: Text = F(title="处罚事由")


class RegisterActorPayload(Payload):
    """登记人员（财政部门或本单位管理员）。"""

    code: Code = F(title="人员代码")
    organisation: Code = F(title="所属单位")
    role: Annotated[str, choice(Role)] = F(title="角色", description="与所属单位的类别相同")
    name: Annotated[str, line(100)] = F(title="姓名")


class RegisterKeyPayload(Payload):
    """登记签名密钥（财政部门或本单位管理员）。"""

    actor: Code = F(title="人员代码")
    public_key: PublicKey = F(title="公钥")


class RevokeKeyPayload(Payload):
    """作废签名密钥（财政部门、本单位管理员或密钥持有人本人）。"""

    key_id: KeyId = F(title="密钥编号")
    reason: Annotated[str, line(500)] = F(title="作废原因")


class AdoptCalendarPayload(Payload):
    """采纳工作日历（财政部门）：各年的节假日和调休工作日。"""

    years: list[AdoptedYear] = F(title="年度安排")
    source: Annotated[str, line(200)] = F(title="依据")


class AdoptTimeLimitsPayload(Payload):
    """采纳法定时限表（财政部门）：整张表。"""

    limits: list[TimeLimitRow] = F(title="时限规则")
    source: Annotated[str, line(200)] = F(title="依据")


class ImportReleasePayload(Payload):
    """导入OCDS发布（数据导入服务）。"""

    source: Annotated[str, raw(2000)] = F(title="来源", description="文件或网址")
    sha256: HexDigest = F(title="来源文件SHA-256")
    ocid: Annotated[str, raw(300)] = F(title="OCDS项目编号 ocid")
    id: Annotated[str, raw(256)] = F(title="发布编号")
    date: Annotated[str, raw(64)] = F(title="发布时间", description="RFC 3339，带时区")
    release: Annotated[str, raw(64 * 1024)] = F(title="发布内容", description="JSON文本")


# -- a procurement's lifecycle 采购流程 -------------------------------------------------------


class FilePlanPayload(Payload):
    """采购计划备案（采购人）：新建采购项目，项目编号由采购人编定。"""

    date: Day = F(title="日期", description=DATE)
    title: Annotated[str, line(200)] = F(title="项目名称")
    category: Annotated[str, choice(Category)] = F(title="采购项目类别")
    method: Annotated[str, choice(Method)] = F(title="采购方式")
    budget: Amount = F(title="预算金额（元）")
    agency: Code | None = F(None, title="采购代理机构")
    requirement: MaybeText | None = F(None, title="采购需求")
    rationale: MaybeText | None = F(
        None, title="采用该采购方式的理由", description="公开招标以外的方式需要")
    organisation_form: Annotated[str, choice(OrganisationForm)] | None = F(
        None, title="组织形式", description="集中采购须委托采购代理机构（政府采购法 第十八条）")
    funding_source: Annotated[str, choice(FundingSource)] | None = F(None, title="资金来源")
    budget_item: BudgetItem | None = F(None, title="预算项目")


class ApprovePlanPayload(Payload):
    """采购计划审核通过（财政部门）。"""

    date: Day = F(title="日期", description=DATE)
    note: MaybeText | None = F(None, title="审核意见")


class RejectPlanPayload(Payload):
    """退回采购计划（财政部门）。"""

    date: Day = F(title="日期", description=DATE)
    reason: Text = F(title="退回理由")


class ApproveMethodPayload(Payload):
    """批准采购方式（财政部门）。"""

    date: Day = F(title="日期", description=DATE)
    rationale: MaybeText | None = F(
        None, title="理由", description="公开招标以外的方式须有理由（本项或计划中的理由）")


class DiscloseIntentionPayload(Payload):
    """采购意向公开（采购人；财库〔2020〕10号）。"""

    date: Day = F(title="公开日期", description=DATE)
    expected_start: Day = F(title="预计采购时间")
    summary: MaybeText | None = F(None, title="采购需求概况")


class AnnouncePrequalificationPayload(Payload):
    """资格预审公告（邀请招标或工程招标）。"""

    date: Day = F(title="公告日期", description=DATE)
    requirement: Text = F(title="采购需求")
    qualifications: Text = F(title="供应商资格要求")
    contact: Annotated[str, line(100)] = F(title="联系方式")
    application_deadline: Day = F(title="提交资格申请文件截止日")
    application_deadline_time: Minute | None = F(None, title="截止时间（北京时间）")
    period_end: Day | None = F(
        None, title="公告期限届满日", description="5个工作日（财政部令第87号 第十六条）")
    obtaining: Obtaining | None = F(None, title="获取资格预审文件")


class RecordPrequalificationPayload(Payload):
    """资格预审结果（采购人或采购代理机构）：通过与未通过的申请人。"""

    date: Day = F(title="日期", description=DATE)
    qualified: list[Code] | None = F(None, title="通过资格预审的供应商")
    refused: list[Refused] | None = F(None, title="未通过资格预审的供应商")


class AnnounceTenderPayload(Payload):
    """采购公告 / 单一来源公示（采购人或采购代理机构）。"""

    date: Day = F(title="公告日期", description=DATE)
    requirement: Text = F(title="采购需求")
    qualifications: Text = F(title="供应商资格要求")
    contact: Annotated[str, line(100)] = F(title="联系方式")
    bid_deadline: Day | None = F(None, title="投标截止日", description="单一来源以外必填")
    bid_deadline_time: Minute | None = F(
        None, title="投标截止时间（北京时间）", description="与截止日同填")
    place: Annotated[str, line(200)] | None = F(
        None, title="开标地点", description="单一来源以外必填")
    period_end: Day | None = F(None, title="公告（公示）期限届满日")
    documents_until: Day | None = F(
        None, title="获取采购文件截止日", description="不晚于投标截止日")
    bid_deposit: Amount | None = F(None, title="投标保证金（元）", description="不超过预算的2%")
    supervisor: Code | None = F(None, title="行政监督部门", description="仅工程招标，且必填")
    items: Items | None = F(None, title="采购标的")
    ceiling_price: Amount | None = F(
        None, title="最高限价（元）", description="不超过预算（财政部令第87号 第十二条）")
    published_time: Minute | None = F(None, title="发布时间（北京时间）")
    policies: Policies | None = F(None, title="落实政府采购政策")
    obtaining: Obtaining | None = F(None, title="获取采购文件")
    documents: Documents | None = F(None, title="采购文件")
    supplier: Code | None = F(None, title="拟定供应商", description="单一来源必填")
    reason: Text | None = F(None, title="采用单一来源的理由", description="单一来源必填")
    experts: Annotated[list[Expert], F(min_length=1, max_length=MAX_EXPERTS)] | None = F(
        None, title="专业人员论证意见", description="仅单一来源")


class CorrectAnnouncementPayload(Payload):
    """更正公告（采购人或采购代理机构）。"""

    date: Day = F(title="更正日期", description=DATE)
    changes: Text = F(title="更正内容")
    bid_deadline: Day | None = F(None, title="新的投标截止日")
    bid_deadline_time: Minute | None = F(
        None, title="新的投标截止时间（北京时间）", description="与新的截止日同填")
    affects_preparation: YesNo | None = F(None, title="是否可能影响投标文件编制")


class ObtainDocumentsPayload(Payload):
    """获取采购文件（供应商；密封投入电子投标箱）。"""

    date: Day = F(title="获取日期", description=DATE)
    time: Minute | None = F(
        None, title="时间（北京时间）", description="补记截止日当天的获取时必填")


class SubmitBidPayload(Payload):
    """投标（响应）及其修改、撤回（供应商；密封投入电子投标箱）。"""

    date: Day = F(title="投标日期", description=DATE)
    time: Minute | None = F(
        None, title="时间（北京时间）", description="补记截止日当天的投标时必填")
    price: Sealed | None = F(
        None, title="投标报价（密封）", description="撤回以外必填；值为金额字符串")
    representative_id: Sealed | None = F(None, title="授权代表身份证号（密封）")
    documents: HexDigest | None = F(None, title="投标文件SHA-256（十六进制）")
    supersedes: Base64Digest | None = F(None, title="取代的投标", description="此前回执中的承诺值")
    withdraw: YesNo | None = F(None, title="撤回投标")


class CloseBidBoxPayload(Payload):
    """投标截止，投标箱封存（采购人或采购代理机构）。"""

    date: Day = F(title="日期", description=DATE)
    time: Minute | None = F(None, title="封存时间（北京时间）", description="补记以往的封存时必填")


class OpenBidsPayload(Payload):
    """开标（采购人或采购代理机构）。"""

    date: Day = F(title="开标日期", description=DATE)
    time: Minute | None = F(None, title="开标时间（北京时间）", description="补记以往的开标时必填")


class CompleteEvaluationPayload(Payload):
    """评审完成（采购人或采购代理机构）。"""

    date: Day = F(title="评审日期", description=DATE)
    committee: Sealed = F(
        title="评审委员会（密封）", description="成员名单，评审专家各自签署评审报告")
    results: Annotated[list[Evaluation], F(min_length=1)] = F(
        title="评审结果", description="每个投标人一项")


class PublishCandidatesPayload(Payload):
    """中标候选人公示（工程招标）。"""

    date: Day = F(title="公示日期", description=DATE)
    period_end: Day = F(title="公示期限届满日")


class DecideAwardPayload(Payload):
    """确定中标（成交）供应商（采购人）。"""

    date: Day = F(title="确定日期", description=DATE)
    supplier: Code | None = F(None, title="中标（成交）供应商", description="框架协议以外必填")
    admitted: Annotated[list[Code], F(min_length=1)] | None = F(
        None, title="入围供应商", description="仅框架协议，按评审排序，至少2家")
    amount: Amount = F(title="中标（成交）金额（元）", description="框架协议为预估总额")
    reason: Text | None = F(None, title="未选排名第一者的理由")
    report_received: Day | None = F(None, title="收到评审报告之日")


class AnnounceResultPayload(Payload):
    """中标（成交）结果公告（采购人或采购代理机构）。"""

    date: Day = F(title="公告日期", description=DATE)
    items: Awarded | None = F(None, title="主要标的")
    agency_fee: Amount | None = F(None, title="代理服务费（元）", description="仅由代理机构组织时")


class SignContractPayload(Payload):
    """签订合同（采购人）。"""

    date: Day = F(title="签订日期", description=DATE)
    contract_number: Annotated[str, line(64)] = F(title="合同编号")
    amount: Amount = F(title="合同金额（元）")
    performance_deposit: Amount | None = F(None, title="履约保证金（元）")
    term_ends: Day | None = F(None, title="协议有效期届满日", description="仅框架协议，且必填")
    documents: Documents | None = F(None, title="合同文本")


class AnnounceContractPayload(Payload):
    """合同公告（采购人或采购代理机构）。"""

    date: Day = F(title="公告日期", description=DATE)
    items: Awarded | None = F(None, title="主要标的")
    place: Annotated[str, line(200)] | None = F(None, title="履约地点")
    term: Annotated[str, line(200)] | None = F(None, title="履约期限")


class FileContractPayload(Payload):
    """合同备案（采购人）。"""

    date: Day = F(title="备案日期", description=DATE)


class FileTenderReportPayload(Payload):
    """招标投标情况书面报告（工程招标）。"""

    date: Day = F(title="报告日期", description=DATE)


class RefundBidDepositsPayload(Payload):
    """退还投标保证金（采购人或采购代理机构）。"""

    date: Day = F(title="退还日期", description=DATE)
    suppliers: Annotated[list[Code], F(min_length=1)] = F(title="已退还保证金的投标人")


class SignSupplementaryContractPayload(Payload):
    """补充合同（采购人；政府采购法 第四十九条）。"""

    date: Day = F(title="签订日期", description=DATE)
    contract_number: Annotated[str, line(64)] = F(title="补充合同编号")
    content: Text = F(title="补充内容")
    amount: Amount = F(title="补充金额（元）")


class SignCallOffPayload(Payload):
    """框架协议采购合同（采购人；财政部令第110号）。"""

    date: Day = F(title="签订日期", description=DATE)
    contract_number: Annotated[str, line(64)] = F(title="合同编号")
    supplier: Code = F(title="成交供应商", description="入围供应商之一")
    selection: Annotated[str, choice(CallOffSelection)] = F(title="确定成交供应商的方式")
    amount: Amount = F(title="合同金额（元）")


class AnnounceCallOffPayload(Payload):
    """框架协议采购成交结果公告（采购人或采购代理机构）。"""

    date: Day = F(title="公告日期", description=DATE)
    contract_number: Annotated[str, line(64)] = F(
        title="合同编号", description="尚未公告的框架协议采购合同")


class RecordAcceptancePayload(Payload):
    """验收（采购人）。"""

    date: Day = F(title="验收日期", description=DATE)
    passed: YesNo = F(title="是否验收合格")
    report: Text = F(title="验收报告")
    testing_body: TestingBody | None = F(
        None, title="检测机构", description="大型或者复杂的项目应邀请国家认可的质量检测机构参加")


class ArchivePayload(Payload):
    """归档（采购人）。"""

    date: Day = F(title="归档日期", description=DATE)


class DeclareFailurePayload(Payload):
    """废标（采购人或采购代理机构）。"""

    date: Day = F(title="日期", description=DATE)
    reason: Text = F(title="废标理由")


class TerminatePayload(Payload):
    """终止采购（采购人）。"""

    date: Day = F(title="日期", description=DATE)
    reason: Text = F(title="终止理由")


class SuspendPayload(Payload):
    """暂停采购活动（处理投诉的部门）。"""

    date: Day = F(title="日期", description=DATE)
    reason: Text = F(title="暂停理由")
    cause: Number = F(title="所处理的投诉编号")


class ResumePayload(Payload):
    """恢复采购活动（处理投诉的部门）。"""

    date: Day = F(title="日期", description=DATE)
    reason: Text = F(title="恢复理由")


# -- challenges 质疑 and complaints 投诉 --------------------------------------------------------


class FileChallengePayload(Payload):
    """提出质疑（参与采购活动的供应商；密封投入电子投标箱）。"""

    date: Day = F(title="质疑日期", description=DATE)
    subject: Annotated[str, choice(Subject)] = F(title="质疑事项")
    grounds: Text = F(title="质疑事项和理由")
    known_on: Day | None = F(
        None, title="知道或应知其权益受损之日", description="仅对采购过程质疑时必填")


class AnswerChallengePayload(Payload):
    """质疑答复（采购人或采购代理机构）。"""

    challenge: Number = F(title="质疑编号")
    date: Day = F(title="答复日期", description=DATE)
    outcome: Annotated[str, choice(Outcome)] = F(
        title="答复结论", description="成立、部分成立或不成立")
    answer: Text = F(title="答复内容")


class WithdrawChallengePayload(Payload):
    """撤回质疑（提出者本人）。"""

    challenge: Number = F(title="质疑编号")
    date: Day = F(title="撤回日期", description=DATE)
    reason: Text = F(title="撤回理由")


class FileComplaintPayload(Payload):
    """提起投诉（提出质疑的供应商）。"""

    challenge: Number = F(title="所依据的质疑编号")
    date: Day = F(title="投诉日期", description=DATE)
    grounds: Text = F(title="投诉事项和理由")


class ScreenComplaintPayload(Payload):
    """投诉审查（财政部门或行政监督部门）。"""

    complaint: Number = F(title="投诉编号")
    date: Day = F(title="审查日期", description=DATE)
    accepted: YesNo = F(title="是否受理")
    reason: Text | None = F(None, title="不予受理的理由", description="不予受理时必填")


class DecideComplaintPayload(Payload):
    """投诉处理决定（财政部门或行政监督部门）。"""

    complaint: Number = F(title="投诉编号")
    date: Day = F(title="决定日期", description=DATE)
    outcome: Annotated[str, choice(Outcome)] = F(title="处理结论")
    decision: Text = F(title="处理决定")
    document_number: Annotated[str, line(60)] | None = F(None, title="决定书文号")
    basis: Text | None = F(None, title="处理依据")


class WithdrawComplaintPayload(Payload):
    """撤回投诉（提出者本人）。"""

    complaint: Number = F(title="投诉编号")
    date: Day = F(title="撤回日期", description=DATE)
    reason: Text = F(title="撤回理由")


# -- delivery receipts 送达回执 -----------------------------------------------------------------


class RecordDeliveryPayload(Payload):
    """公告已送达发布网站（公告发布服务）。"""

    notice: Annotated[int, count(0, 2**53, "日志序号")] = F(title="公告的日志序号")
    destination: Code = F(title="发布网站代码")
    site: Annotated[str, line(60, blank=True)] | None = F(None, title="网站名称")
    required: YesNo = F(title="是否法定发布媒体")
    attempts: Annotated[int, count(1, 100_000)] = F(title="尝试次数")
    status: Annotated[int, count(200, 299)] = F(title="HTTP状态码")
    response_digest: Base64Digest = F(title="响应内容SHA-256")
    delivered_at: Moment = F(title="送达时间")


class RecordDeliveryFailurePayload(Payload):
    """公告未能送达发布网站（公告发布服务）。"""

    notice: Annotated[int, count(0, 2**53, "日志序号")] = F(title="公告的日志序号")
    destination: Code = F(title="发布网站代码")
    site: Annotated[str, line(60, blank=True)] | None = F(None, title="网站名称")
    required: YesNo = F(title="是否法定发布媒体")
    attempts: Annotated[int, count(0, 100_000)] = F(title="尝试次数")
    last_status: Annotated[int, count(100, 599)] | None = F(None, title="最后一次HTTP状态码")
    last_error: MaybeText | None = F(None, title="最后一次错误")
    failed_at: Moment = F(title="放弃时间")


# fmt: on
#: Each command type's payload, by the command's ``type``.
PAYLOADS: Final[Mapping[str, type[Payload]]] = MappingProxyType(
    {
        cls.__name__.removesuffix("Payload"): cls
        for cls in Payload.__subclasses__()
        if cls.__name__.endswith("Payload")
    }
)
