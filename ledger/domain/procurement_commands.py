# Over 400 lines by design: a table: a short parser per lifecycle action, one handler for all.
"""Lifecycle commands: who may record which action on a procurement, and what it records.

One command type per lifecycle action (``FilePlan``, ``ApprovePlan`` … ``Resume``) plus a
supplier's ``SubmitBid``. Each handler, in order:

1. loads the procurement named by the command (``FilePlan`` creates it);
2. checks the signer may issue the action on it (``roles.authorise``);
3. reads the payload field by field, with errors naming the field;
4. asks ``lifecycle.decide`` whether the action may follow the current state: impossible
   actions are refused (code ``lifecycle``), irregular ones come back as irregularities;
5. measures the statutory limits the action is subject to (``findings``);
6. records one entry of the action's kind (``schema.entries``): the validated fields, the new
   state, the notice it publishes, if any, and every finding.

Every action carries the day it happened (``payload.date``): not after the day it was signed,
not before the procurement's last recorded action.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final, TypedDict, TypeVar

from eventsourcing.domain import Aggregate

from ledger.domain import fields, tender_terms, text
from ledger.domain.amounts import (
    award_irregularities,
    bid_deposit_irregularities,
    contract_irregularities,
    performance_deposit_irregularities,
    supplementary_irregularities,
)
from ledger.domain.bid_box import box_root, opening, statuses
from ledger.domain.budget import FIELDS as BUDGET_FIELDS
from ledger.domain.budget import stated as budget_stated
from ledger.domain.committee import (
    COMMITTEE_RULES,
    ExpertKey,
    check_signatures,
    committee_irregularities,
    parse_members,
    ranking_irregularities,
    report_message,
)
from ledger.domain.competition import bidder_findings
from ledger.domain.context import CHINA, Context, ContextHandler
from ledger.domain.contracts import missing_filing_findings
from ledger.domain.deposits import bidders, refund_findings, unrefunded_findings
from ledger.domain.documents import documents
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.findings import (
    irregularity_finding,
    recorded_passes,
    suspension_lapsed,
    timing_findings,
)
from ledger.domain.framework import (
    admission_irregularities,
    admission_refusal,
    call_off_notice_findings,
    call_off_refusal,
    term_findings,
    total_irregularities,
    unannounced_findings,
)
from ledger.domain.lifecycle import Action, Irregularity, State, decide
from ledger.domain.methods import at_threshold, may_approve_method, method_approval_required
from ledger.domain.money import Money, money
from ledger.domain.opening import moment, opening_irregularities
from ledger.domain.periods import announcement_findings, award_findings, correction_findings
from ledger.domain.prequalification import qualified_findings, result_refusal
from ledger.domain.procurement import EVENTS, Procurement, procurement_stream
from ledger.domain.record import ProcurementRecord
from ledger.domain.roles import Participants, authorise, may_decide_complaint
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Commitment, Finding, Opened
from ledger.domain.sealed import Disclosure, is_commitment
from ledger.domain.subject import RESULT_CITATION, awarded_items, ceiling_price, tender_items
from ledger.domain.vocabulary import (
    AnnouncementType,
    CallOffSelection,
    Category,
    Method,
    OrganisationForm,
    Role,
)
from ledger.domain.works import (
    award_findings as works_award_findings,
)
from ledger.domain.works import (
    candidates_findings,
    filed_report_findings,
    is_works_tender,
    missing_report_findings,
)

MINUTE: Final = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d\Z")
#: Methods whose suppliers answer with sealed bids: all but single source. A framework
#: agreement's responses 响应文件 are sealed too (``framework``).
BIDDING: Final = frozenset(Method) - {Method.SINGLE_SOURCE}

Deadlined = TypeVar("Deadlined", E.TenderAnnounced, E.AnnouncementCorrected)
Parser = Callable[[Context, ProcurementRecord, "Decided"], E.LifecycleData]


# -- common pieces ----------------------------------------------------------------------


def procurement_code(ctx: Context) -> str:
    if ctx.procurement is None:
        raise Invalid("command.procurement must name the procurement this command acts on")
    return ctx.procurement


def load(ctx: Context) -> Procurement:
    code = procurement_code(ctx)
    procurement = ctx.view.procurement(code)
    if procurement is None:
        raise Invalid(f"procurement {code} has no plan filed", code="unknown_procurement")
    return procurement


def participants(procurement: ProcurementRecord) -> Participants:
    return Participants(procurement.purchaser, procurement.agency, procurement.bidders)


def action_date(ctx: Context, procurement: ProcurementRecord | None) -> date:
    """``payload.date``: the day the action happened."""
    on = text.day(ctx.payload, "date")
    if on > ctx.today:
        raise Invalid(
            f"payload.date ({on.isoformat()}) is after the day the command was signed "
            f"({ctx.today.isoformat()}, China time)"
        )
    if procurement is not None and on < procurement.last_date:
        raise Invalid(
            f"payload.date ({on.isoformat()}) is before the last action recorded on "
            f"procurement {procurement.code} ({procurement.last_date.isoformat()})"
        )
    return on


def sealed_field(
    ctx: Context, name: str, check: Callable[[Any, str], None], *, required: bool = True
) -> Commitment | None:
    """``payload[name]``: a commitment whose value and salt were sent beside the command."""
    value = ctx.payload.get(name)
    if value is None and not required:
        return None
    if not is_commitment(value):
        raise Invalid(
            f'payload.{name} must be a sealed value {{"commitment": "<base64 of 32 bytes>"}}',
            code="bad_commitment",
        )
    assert isinstance(value, dict)
    disclosure = ctx.sealed.get(value["commitment"])
    if disclosure is None:
        raise Invalid(
            f"payload.{name}: its value and salt must be sent beside the command in "
            '"sealed", so the ledger can keep it and disclose it when the time comes',
            code="missing_sealed_value",
        )
    check(disclosure.value, f"sealed value of payload.{name}")
    return Commitment(commitment=value["commitment"])


def optional_money(ctx: Context, name: str) -> Money | None:
    """``payload[name]``, an amount that may be left out (a deposit not asked)."""
    return None if ctx.payload.get(name) is None else money(ctx.payload, name)


def price(value: Any, where: str) -> None:
    Money.parse(value, where)


def identity_number(value: Any, where: str) -> None:
    if not isinstance(value, str) or not 6 <= len(value) <= 32 or not value.isalnum():
        raise Invalid(f"{where} must be an identity number of 6–32 letters and digits")


def disclose(ctx: Context, commitment: str, what: str) -> Opened:
    """The disclosure of a sealed value from the sealed store, with its commitment."""
    found: Disclosure | None = ctx.view.disclosure(commitment)
    if found is None:
        raise Conflict(
            f"the sealed value of {what} ({commitment}) is not in the sealed store; "
            "the operator must restore it before this action can be recorded",
            code="sealed_value_missing",
        )
    return Opened(commitment=commitment, value=found.value, salt=found.salt_b64)


def supplier_field(ctx: Context, name: str) -> str:
    code = fields.code(ctx.payload, name)
    organisation = ctx.view.organisation(code)
    if organisation is None or organisation.kind is not Role.SUPPLIER:
        raise Invalid(f"payload.{name}: {code} is not a registered supplier")
    return code


def reason(ctx: Context, name: str = "reason") -> str:
    return text.requirement(ctx.payload, name)


# -- per-action entries ---------------------------------------------------------------------


class Decided(TypedDict):
    """What every lifecycle entry records besides its own fields (``entries.Lifecycle``)."""

    procurement: str
    date: date
    state: State
    announcement: AnnouncementType | None
    findings: list[Finding]


class Summary(Decided):
    """…and what every notice repeats about its procurement 项目概况 (``entries.Summary``)."""

    title: str
    purchaser: str
    agency: str | None
    category: Category
    method: Method
    budget: Money
    region: str


def _with(d: Decided, found: list[Finding]) -> Decided:
    """``d`` with the findings of the action's own fields added."""
    with_found = d.copy()
    with_found["findings"] = [*d["findings"], *found]
    return with_found


def _summary(d: Decided, p: ProcurementRecord) -> Summary:
    return Summary(
        **d,
        title=p.title,
        purchaser=p.purchaser,
        agency=p.agency,
        category=p.category,
        method=p.method,
        budget=p.budget,
        region=p.region,
    )


def _approve_plan(ctx: Context, p: ProcurementRecord, d: Decided) -> E.PlanApproved:
    fields.only(ctx.payload, ("date", "note"))
    return E.PlanApproved(**d, note=text.requirement(ctx.payload, "note", required=False))


def _reject_plan(ctx: Context, p: ProcurementRecord, d: Decided) -> E.PlanRejected:
    fields.only(ctx.payload, ("date", "reason"))
    return E.PlanRejected(**d, reason=reason(ctx))


def _approve_method(ctx: Context, p: ProcurementRecord, d: Decided) -> E.MethodApproved:
    fields.only(ctx.payload, ("date", "rationale"))
    office = ctx.view.organisation(ctx.signer.organisation)
    if office is not None:  # the signer's key is valid: its organisation is registered
        required = method_approval_required(p.method, p.category, p.budget, ctx.statutes.limits)
        may_approve_method(office.code, office.jurisdiction, p.region, required)
    rationale = text.requirement(ctx.payload, "rationale", required=False) or p.rationale
    if p.method.needs_rationale and not rationale.strip():
        raise Invalid(
            f"rule lifecycle.method_rationale: {p.method.label} is not open tender and needs "
            "a stated rationale (payload.rationale or the plan's rationale)",
            code="rationale_required",
        )
    return E.MethodApproved(**d, method=p.method, rationale=rationale)


def _disclose_intention(ctx: Context, p: ProcurementRecord, d: Decided) -> E.IntentionDisclosed:
    fields.only(ctx.payload, ("date", "expected_start", "summary"))
    expected = text.day(ctx.payload, "expected_start")
    text.ensure_order(text.day(ctx.payload, "date"), expected, ("payload.date", "expected_start"))
    stated: dict[str, Any] = {}
    if summary := text.requirement(ctx.payload, "summary", required=False):  # 采购需求概况
        stated["summary"] = summary
    return E.IntentionDisclosed(**_summary(d, p), expected_start=expected, **stated)


def _announce_prequalification(
    ctx: Context, p: ProcurementRecord, d: Decided
) -> E.PrequalificationAnnounced:
    """资格预审公告: an invited tender's (财政部令第87号 第十四条) or a works tender's (招标投标法
    实施条例 第十五条) call for qualification applications; a 公告期限 it states shorter than
    the 5 working days of 第十六条 is recorded with its finding."""
    works = is_works_tender(p.category, p.method)
    if p.method is not Method.INVITED_TENDER and not works:
        raise Invalid(
            f"rule lifecycle.announce_prequalification: a {p.method.label} procurement has no "
            "资格预审公告; an invited tender (财政部令第87号 第十四条) or a works tender "
            "(招标投标法实施条例 第十五条) may call for qualification applications",
            code="lifecycle",
        )
    fields.only(
        ctx.payload,
        ("date", "requirement", "qualifications", "contact", "application_deadline",
         "application_deadline_time", "period_end", "obtaining"),
    )  # fmt: skip
    on = text.day(ctx.payload, "date")
    deadline = text.day(ctx.payload, "application_deadline")
    text.ensure_order(on, deadline, ("payload.date", "payload.application_deadline"))
    stated: dict[str, Any] = {}
    minute = ctx.payload.get("application_deadline_time")
    if minute is not None:
        if not (isinstance(minute, str) and MINUTE.match(minute)):
            raise Invalid("payload.application_deadline_time must be HH:MM, Beijing time")
        stated["application_deadline_time"] = minute
    if ctx.payload.get("period_end") is not None:
        stated["period_end"] = text.day(ctx.payload, "period_end")
        text.ensure_order(on, stated["period_end"], ("payload.date", "payload.period_end"))
    if (obtaining := tender_terms.obtaining(ctx.payload)) is not None:
        stated["obtaining"] = obtaining
    statutes = ctx.statutes
    # the tender's own 公告期限 rule (5 working days for invited tenders, 87号令 第十六条)
    found = announcement_findings(
        Method.INVITED_TENDER, on, stated.get("period_end"), None,
        statutes.calendar, statutes.limits,
    )  # fmt: skip
    return E.PrequalificationAnnounced(
        **_summary(_with(d, found), p),
        requirement=text.requirement(ctx.payload, "requirement"),
        qualifications=text.requirement(ctx.payload, "qualifications"),
        contact=fields.text(ctx.payload, "contact", limit=100),
        application_deadline=deadline,
        **stated,
    )


def _record_prequalification(
    ctx: Context, p: ProcurementRecord, d: Decided
) -> E.PrequalificationCompleted:
    """资格预审结果 (``prequalification``): the applicants qualified and those refused, each
    refusal with its reason; once, after the applications closed. Fewer than three qualified
    is recorded with its finding."""
    fields.only(ctx.payload, ("date", "qualified", "refused"))
    refusal = result_refusal(p, d["date"])
    if refusal is not None:
        raise Conflict(refusal, code="lifecycle")
    qualified_rows = ctx.payload.get("qualified", [])
    refused_rows = ctx.payload.get("refused", [])
    if not isinstance(qualified_rows, list) or not isinstance(refused_rows, list):
        raise Invalid("payload.qualified must list supplier codes and payload.refused "
                      'objects {"supplier", "reason"}')  # fmt: skip
    if not qualified_rows and not refused_rows:
        raise Invalid("payload.qualified and payload.refused name no applicant: a 资格预审 "
                      "result lists every supplier that applied")  # fmt: skip
    named: set[str] = set()

    def applicant(value: Any, where: str) -> str:
        code = fields.code({where: value}, where)
        organisation = ctx.view.organisation(code)
        if organisation is None or organisation.kind is not Role.SUPPLIER:
            raise Invalid(f"payload.{where}: {code} is not a registered supplier")
        if code in named:
            raise Invalid(f"payload.{where}: {code} is named twice; each applicant is either "
                          "qualified or refused, once")  # fmt: skip
        named.add(code)
        return code

    qualified = [applicant(v, f"qualified[{n}]") for n, v in enumerate(qualified_rows)]
    refused = []
    for n, row in enumerate(refused_rows):
        where = f"refused[{n}]"
        if not isinstance(row, dict):
            raise Invalid(f'payload.{where} must be an object {{"supplier", "reason"}}')
        fields.only(row, ("supplier", "reason"), f"payload.{where}")
        refused.append(E.Refusal(
            supplier=applicant(row.get("supplier"), f"{where}.supplier"),
            reason=text.parse_requirement(row.get("reason"), f"payload.{where}.reason"),
        ))  # fmt: skip
    found = qualified_findings(
        is_works_tender(p.category, p.method), len(qualified), ctx.statutes.limits
    )
    return E.PrequalificationCompleted(**_with(d, found), qualified=qualified, refused=refused)


def _announce_tender(ctx: Context, p: ProcurementRecord, d: Decided) -> E.TenderAnnounced:
    on = text.day(ctx.payload, "date")
    requirement = text.requirement(ctx.payload, "requirement")
    qualifications = text.requirement(ctx.payload, "qualifications")
    contact = fields.text(ctx.payload, "contact", limit=100)
    subject = _subject(ctx)
    if p.method is Method.SINGLE_SOURCE:
        fields.only(
            ctx.payload,
            ("date", "requirement", "qualifications", "contact", "supplier", "reason", "items",
             "published_time", "experts", "period_end", "documents"),
        )  # fmt: skip
        stated: dict[str, Any] = {}
        if (experts := tender_terms.experts(ctx.payload)) is not None:
            stated["experts"] = experts
        if ctx.payload.get("period_end") is not None:  # the 公示's last day
            stated["period_end"] = text.day(ctx.payload, "period_end")
            text.ensure_order(on, stated["period_end"], ("payload.date", "payload.period_end"))
        return E.TenderAnnounced(
            **_summary(d, p),
            requirement=requirement,
            qualifications=qualifications,
            contact=contact,
            supplier=supplier_field(ctx, "supplier"),
            reason=reason(ctx),
            **stated,
            **subject,
        )
    fields.only(
        ctx.payload,
        ("date", "requirement", "qualifications", "contact", "bid_deadline",
         "bid_deadline_time", "place", "period_end", "documents_until", "bid_deposit",
         "supervisor", "items", "ceiling_price", "published_time", "policies", "obtaining",
         "documents"),
    )  # fmt: skip
    ceiling = ceiling_price(ctx.payload, p.budget)
    if ceiling is not None:
        subject["ceiling_price"] = ceiling
    deadline = text.day(ctx.payload, "bid_deadline")
    text.ensure_order(on, deadline, ("payload.date", "payload.bid_deadline"))
    periods = _periods(ctx, on, deadline)
    statutes = ctx.statutes
    works = is_works_tender(p.category, p.method)
    found = announcement_findings(
        p.method, on, periods.get("period_end"), periods.get("documents_until"),
        statutes.calendar, statutes.limits, works=works,
    )  # fmt: skip
    # The bid deposit 投标（响应）保证金 asked, if any: at most 2% of the budget (amounts).
    deposit = optional_money(ctx, "bid_deposit")
    found += [irregularity_finding(i) for i in bid_deposit_irregularities(deposit, p.budget)]
    asked: dict[str, Any] = {} if deposit is None else {"bid_deposit": deposit}
    if works:
        asked["supervisor"] = _supervisor(ctx)
    elif ctx.payload.get("supervisor") is not None:
        raise Invalid(
            "payload.supervisor: only a works tender 工程招标 names a 行政监督部门 (招标投标法 "
            "第七条); this procurement follows the government-procurement rules"
        )
    if (policies := tender_terms.policies(ctx.payload)) is not None:
        asked["policies"] = policies
    if (obtaining := tender_terms.obtaining(ctx.payload)) is not None:
        asked["obtaining"] = obtaining
    announced = E.TenderAnnounced(
        **_summary(_with(d, found), p),
        requirement=requirement,
        qualifications=qualifications,
        contact=contact,
        bid_deadline=deadline,
        place=fields.text(ctx.payload, "place", limit=200),
        **periods,
        **asked,
        **subject,
    )
    return _with_minute(ctx, announced)


def _subject(ctx: Context) -> dict[str, Any]:
    """What a tender notice says it buys (``payload.items``) and the minute it was published
    (``payload.published_time``), those given."""
    given: dict[str, Any] = {}
    items = tender_items(ctx.payload)
    if items is not None:
        given["items"] = items
    attached = documents(ctx.payload, ctx.view)
    if attached is not None:
        given["documents"] = attached
    published = ctx.payload.get("published_time")
    if published is not None:
        if not (isinstance(published, str) and MINUTE.match(published)):
            raise Invalid("payload.published_time must be the minute of publication, HH:MM")
        given["published_time"] = published
    return given


def _supervisor(ctx: Context) -> str:
    """``payload.supervisor``: the registered 行政监督部门 a works tender answers to."""
    if ctx.payload.get("supervisor") is None:
        raise Invalid(
            "payload.supervisor is required: a works tender 工程招标 names its 行政监督部门 "
            "(e.g. 住房和城乡建设局), which takes its complaints and written report (招标投标法 "
            "第七条、第四十七条；实施条例 第六十条)"
        )
    code = fields.code(ctx.payload, "supervisor")
    organisation = ctx.view.organisation(code)
    if organisation is None or organisation.kind is not Role.SUPERVISION_DEPARTMENT:
        raise Invalid(f"payload.supervisor: {code} is not a registered 行政监督部门")
    return code


def _periods(ctx: Context, on: date, deadline: date) -> dict[str, Any]:
    """The notice's stated ``period_end`` (公告期限届满日) and ``documents_until`` (获取采购
    文件截止日), those given: neither before the notice, the documents not after the deadline."""
    given: dict[str, Any] = {}
    for name in ("period_end", "documents_until"):
        if ctx.payload.get(name) is not None:
            given[name] = text.day(ctx.payload, name)
            text.ensure_order(on, given[name], ("payload.date", f"payload.{name}"))
    if "documents_until" in given:
        names = ("payload.documents_until", "payload.bid_deadline")
        text.ensure_order(given["documents_until"], deadline, names)
    return given


def _with_minute(ctx: Context, data: Deadlined) -> Deadlined:
    """``data`` with the deadline's minute (HH:MM, Beijing time): a deadline is a moment, a
    bid at 09:31 against 09:30 is late, and the opening is held at that same minute."""
    minute = ctx.payload.get("bid_deadline_time")
    if minute is None:
        raise Invalid(
            "payload.bid_deadline_time (HH:MM, Beijing time) is required with the deadline: "
            "bids are taken to the minute and opened at it (财政部令第87号 第三十九条)"
        )
    if not (isinstance(minute, str) and MINUTE.match(minute)):
        raise Invalid("payload.bid_deadline_time must be the minute of the deadline, HH:MM")
    return type(data).model_validate({**data.dump(), "bid_deadline_time": minute})


def _correct(ctx: Context, p: ProcurementRecord, d: Decided) -> E.AnnouncementCorrected:
    fields.only(
        ctx.payload,
        ("date", "changes", "bid_deadline", "bid_deadline_time", "affects_preparation"),
    )
    changes = text.requirement(ctx.payload, "changes")
    on = text.day(ctx.payload, "date")
    extra: dict[str, Any] = {}
    affects = ctx.payload.get("affects_preparation")
    if affects is not None:
        if not isinstance(affects, bool):
            raise Invalid(
                "payload.affects_preparation must be true or false: whether the correction "
                "may affect the preparation of bids or responses (可能影响投标（响应）文件编制)"
            )
        extra["affects_preparation"] = affects
    deadline = p.bid_deadline
    if ctx.payload.get("bid_deadline") is None:
        if ctx.payload.get("bid_deadline_time") is not None:
            raise Invalid("payload.bid_deadline_time moves only with payload.bid_deadline")
    else:
        deadline = text.day(ctx.payload, "bid_deadline")
        text.ensure_order(on, deadline, ("payload.date", "payload.bid_deadline"))
        extra["bid_deadline"] = deadline
    # Measured against the deadline in force after the correction (periods).
    statutes = ctx.statutes
    found = correction_findings(
        p.method, affects is True, on, deadline, statutes.calendar, statutes.limits
    )
    corrected = E.AnnouncementCorrected(**_summary(_with(d, found), p), changes=changes, **extra)
    return corrected if "bid_deadline" not in extra else _with_minute(ctx, corrected)


def _open_bids(ctx: Context, p: ProcurementRecord, d: Decided) -> E.BidsOpened:
    """Every member of the closed box disclosed; the effective bids' prices opened, at the
    minute the payload states (HH:MM, Beijing time), or, opened today, the signing minute."""
    fields.only(ctx.payload, ("date", "time"))
    opened_at = act_minute(ctx, d["date"], "the opening")
    if p.method not in BIDDING:
        raise Invalid(
            f"rule lifecycle.open_bids: {p.method.label} has no sealed bids to open",
            code="lifecycle",
        )
    if p.box is None:
        raise Conflict(
            "rule lifecycle.open_bids: the bid box must be closed at the deadline before the "
            "opening (CloseBidBox), so the set opened is the set that closed",
            code="box_not_closed",
        )
    bids, members = opening(ctx.view.bid_box(p.code), ctx.view.disclosure)
    if len(members) != p.box.size or box_root(m.commitment for m in members) != p.box.root:
        raise Conflict(
            f"the bid box of {p.code} no longer holds the set it closed with; the operator "
            "must restore the sealed store before the bids can be opened",
            code="box_damaged",
        )
    found = opening_irregularities(p.method, opened_at, p.bid_deadline, p.bid_deadline_time)
    return E.BidsOpened(
        **_with(d, [irregularity_finding(i) for i in found]),
        bids=bids,
        box=members,
        opened_at=opened_at,
    )


def act_minute(ctx: Context, on: date, what: str) -> str:
    """``YYYY-MM-DD HH:MM`` (Beijing time) of an act on ``on``: the payload's ``time``, which
    an act recorded after its day needs, else the minute the command was signed."""
    stated = ctx.payload.get("time")
    if stated is None:
        if on != ctx.today:
            raise Invalid(f"payload.time (HH:MM, Beijing time) of {what} is required for a "
                          "past day")  # fmt: skip
        issued = ctx.issued_at or datetime.combine(ctx.today, datetime.min.time(), CHINA)
        return issued.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if not (isinstance(stated, str) and MINUTE.match(stated)):
        raise Invalid(f"payload.time must be the minute of {what}, HH:MM in Beijing time")
    return moment(on, stated)


def _complete_evaluation(ctx: Context, p: ProcurementRecord, d: Decided) -> E.EvaluationCompleted:
    fields.only(ctx.payload, ("date", "committee", "results"))
    results = ctx.payload.get("results")
    bidders = sorted(bid.supplier for bid in p.bids)
    if not isinstance(results, list) or not results:
        raise Invalid("payload.results must list every bidder's evaluation")
    parsed = [_evaluation(row, f"payload.results[{n}]") for n, row in enumerate(results)]
    named = sorted(entry.supplier for entry in parsed)
    if named != bidders:
        raise Invalid(
            "payload.results must evaluate each bidder exactly once; bidders: "
            + (", ".join(bidders) or "none")
        )
    _ranked(parsed, ranks_required=p.method in COMMITTEE_RULES)
    report = report_message(p.code, str(ctx.payload["date"]), results)

    def signed(value: Any, where: str) -> None:
        check_signatures(parse_members(value, where), report, _expert_key(ctx))

    committee = sealed_field(ctx, "committee", signed)
    assert committee is not None  # required
    return E.EvaluationCompleted(**d, committee=committee, results=parsed)


def _evaluation(row: Any, where: str) -> E.Evaluation:
    if not isinstance(row, dict):
        raise Invalid(f"{where} must be an object")
    fields.only(row, ("supplier", "valid", "score", "reason", "rank"), where)
    if not isinstance(row.get("valid"), bool):
        raise Invalid(f"{where}.valid must be true or false")
    supplier = fields.code(row, "supplier")
    extra: dict[str, Any] = {}
    if row.get("score") is not None:
        extra["score"] = _score(row["score"], f"{where}.score")
    if not row["valid"]:
        extra["reason"] = text.requirement(row, "reason")
    rank = row.get("rank")
    if rank is not None:
        if not row["valid"]:
            raise Invalid(f"{where}.rank: an invalid bid is not ranked")
        if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= 1000:
            raise Invalid(f"{where}.rank must be the candidate's place, 1 for the first")
        extra["rank"] = rank
    return E.Evaluation(supplier=supplier, valid=row["valid"], **extra)


def _ranked(results: list[E.Evaluation], *, ranks_required: bool) -> None:
    """The valid bidders' ranks are 1, 2, … in some order (实施条例 第四十三条: the report
    recommends the candidates in order); required where a committee evaluates."""
    ranks = sorted(r.rank for r in results if r.rank is not None)
    valid = sum(1 for r in results if r.valid)
    if not ranks and not ranks_required:
        return
    if ranks != list(range(1, valid + 1)):
        raise Invalid(
            "payload.results: rank each valid bidder 1, 2, … in the committee's recommended "
            f"order (中标（成交）候选人排序); {valid} valid, ranks given: "
            + (", ".join(map(str, ranks)) or "none")
        )


def _expert_key(ctx: Context) -> ExpertKey:
    def found(actor: str, key_id: str) -> bytes | None:
        expert = ctx.view.actor(actor)
        key = ctx.view.key(key_id)
        if expert is None or expert.role is not Role.EVALUATION_EXPERT:
            return None
        if key is None or key.owner != actor or key.revoked:
            return None
        return base64.b64decode(key.public_key)

    return found


def _score(value: Any, where: str) -> str:
    ok = isinstance(value, str) and value.replace(".", "", 1).isdigit() and len(value) <= 8
    if not ok:
        raise Invalid(f'{where} must be a score written as a string, like "92.50"')
    return str(value)


def _works_only(p: ProcurementRecord, action: Action) -> None:
    if not is_works_tender(p.category, p.method):
        raise Invalid(
            f"rule works.{action.value}: {action.label} belongs to a works tender 工程招标 "
            f"(招标投标法); {p.code} is {p.category.label}{p.method.label}",
            code="not_works_tender",
        )


def _publish_candidates(
    ctx: Context, p: ProcurementRecord, d: Decided
) -> E.CandidatesPublished:
    """中标候选人公示 (实施条例 第五十四条): the committee's first-ranked candidates, at most
    three, in its order, until ``period_end``; once."""
    _works_only(p, Action.PUBLISH_CANDIDATES)
    fields.only(ctx.payload, ("date", "period_end"))
    if Action.PUBLISH_CANDIDATES in p.dates:
        raise Conflict(
            f"rule lifecycle.publish_candidates: the candidates of {p.code} were already "
            f"published on {p.dates[Action.PUBLISH_CANDIDATES].isoformat()}",
            code="lifecycle",
        )
    ranked = [s for s in p.ranking if s in (p.valid_bidders or ())][:3]
    if not ranked:
        raise Invalid(
            "rule works.publish_candidates: the evaluation ranked no valid bidder, so there "
            "is no candidate 中标候选人 to publish"
        )
    until = text.day(ctx.payload, "period_end")
    text.ensure_order(d["date"], until, ("payload.date", "payload.period_end"))
    statutes = ctx.statutes
    evaluated = p.dates.get(Action.COMPLETE_EVALUATION)
    found = candidates_findings(evaluated, d["date"], until, statutes.calendar, statutes.limits)
    return E.CandidatesPublished(
        **_summary(_with(d, found), p), candidates=ranked, period_end=until
    )


def _file_tender_report(ctx: Context, p: ProcurementRecord, d: Decided) -> E.TenderReportFiled:
    """书面报告 to the tender's 行政监督部门 (招标投标法 第四十七条): once; a late one carries
    its finding (``works``)."""
    _works_only(p, Action.FILE_TENDER_REPORT)
    fields.only(ctx.payload, ("date",))
    if Action.FILE_TENDER_REPORT in p.dates:
        raise Conflict(
            f"rule lifecycle.file_tender_report: the written report on {p.code} was already "
            f"filed on {p.dates[Action.FILE_TENDER_REPORT].isoformat()}",
            code="lifecycle",
        )
    assert p.supervisor is not None  # a works tender's notice names it
    statutes = ctx.statutes
    awarded = p.dates.get(Action.DECIDE_AWARD)
    found = filed_report_findings(awarded, d["date"], statutes.calendar, statutes.limits)
    return E.TenderReportFiled(
        **_with(d, found), supervisor=p.supervisor, supplier=_awarded(p)[0]
    )


def _decide_award(ctx: Context, p: ProcurementRecord, d: Decided) -> E.AwardDecided:
    if p.method is Method.FRAMEWORK_AGREEMENT:
        return _admit(ctx, p, d)
    fields.only(ctx.payload, ("date", "supplier", "amount", "reason", "report_received"))
    supplier = supplier_field(ctx, "supplier")
    amount = money(ctx.payload, "amount")
    reason = text.requirement(ctx.payload, "reason") if "reason" in ctx.payload else None
    if p.method is Method.SINGLE_SOURCE and supplier != p.proposed_supplier:
        raise Invalid(
            f"rule lifecycle.single_source_supplier: the award must go to the supplier named "
            f"in the single-source notice ({p.proposed_supplier})"
        )
    if p.method in BIDDING and supplier not in (p.valid_bidders or ()):
        raise Invalid(
            f"rule lifecycle.award_to_valid_bidder: {supplier} is not a valid bidder "
            f"of this procurement ({', '.join(p.valid_bidders or ()) or 'none'})"
        )
    irregular = (
        *award_irregularities(amount, p.budget, p.ceiling),
        *ranking_irregularities(supplier, p.ranking, reason),
    )
    found, extra = _award_timing(ctx, p, d, irregular, reason)
    return E.AwardDecided(**_with(d, found), supplier=supplier, amount=amount, **extra)


def _award_timing(
    ctx: Context, p: ProcurementRecord, d: Decided, irregular: Iterable[Irregularity],
    reason: str | None,
) -> tuple[list[Finding], dict[str, Any]]:  # fmt: skip
    """An award's findings (its irregularities, the report's and the award's clocks, a works
    tender's 公示) and the optional fields it records (its reason, the report's receipt)."""
    found = [irregularity_finding(i) for i in irregular]
    extra: dict[str, Any] = {} if reason is None else {"reason": reason}
    evaluated = p.dates.get(Action.COMPLETE_EVALUATION)
    received = _report_received(ctx, evaluated, d["date"])
    if received is not None:
        extra["report_received"] = received
    statutes = ctx.statutes
    works = is_works_tender(p.category, p.method)
    if not works:  # 87号令 第六十八条 binds government procurement, not works tenders
        found += award_findings(
            evaluated, received, d["date"], statutes.calendar, statutes.limits
        )
    found += works_award_findings(works, p.candidates_until, d["date"])
    return found, extra


def _admit(ctx: Context, p: ProcurementRecord, d: Decided) -> E.AwardDecided:
    """Stage one's 入围 decision (财政部令第110号): the admitted suppliers in the committee's
    order, the first of them the award's ``supplier``; ``amount`` the agreement's estimated
    total. Fewer than the minimum is refused; too few eliminated is recorded, found."""
    fields.only(ctx.payload, ("date", "admitted", "amount", "reason", "report_received"))
    rows = ctx.payload.get("admitted")
    if not isinstance(rows, list) or not rows:
        raise Invalid(
            "payload.admitted must list the suppliers admitted to the framework agreement "
            "(入围供应商), in the committee's order"
        )
    admitted = [fields.code({"supplier": row}, "supplier") for row in rows]
    valid = p.valid_bidders or ()
    refusal = admission_refusal(admitted, valid, ctx.statutes.limits)
    if refusal is not None:
        raise Invalid(refusal)
    amount = money(ctx.payload, "amount")
    reason = text.requirement(ctx.payload, "reason") if "reason" in ctx.payload else None
    irregular = (
        *award_irregularities(amount, p.budget, p.ceiling),
        *ranking_irregularities(admitted[0], p.ranking, reason),
        *admission_irregularities(len(admitted), len(valid)),
    )
    found, extra = _award_timing(ctx, p, d, irregular, reason)
    return E.AwardDecided(
        **_with(d, found), supplier=admitted[0], amount=amount, admitted=admitted, **extra
    )


def _report_received(ctx: Context, evaluated: date | None, on: date) -> date | None:
    """``payload.report_received``: the day the purchaser received the evaluation report,
    after the evaluation and no later than the award."""
    if ctx.payload.get("report_received") is None:
        return None
    if evaluated is None:
        raise Invalid(
            "payload.report_received: this procurement was not evaluated, so there is no "
            "evaluation report 评审报告 to have received"
        )
    received = text.day(ctx.payload, "report_received")
    text.ensure_order(evaluated, received, ("the evaluation", "payload.report_received"))
    text.ensure_order(received, on, ("payload.report_received", "payload.date"))
    return received


def _awarded(p: ProcurementRecord) -> tuple[str, Money]:
    """The winner and the award amount, known once the award was decided."""
    assert p.winner is not None and p.award_amount is not None  # the lifecycle says so
    return p.winner, p.award_amount


def _announce_result(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ResultAnnounced:
    fields.only(ctx.payload, ("date", "items", "agency_fee"))
    winner, amount = _awarded(p)
    admitted: dict[str, Any] = {"admitted": list(p.admitted)} if p.admitted else {}
    items = awarded_items(ctx.payload)
    if items is not None:
        admitted["items"] = items
    fee = optional_money(ctx, "agency_fee")
    if fee is not None:
        if p.agency is None:
            raise Invalid(
                "payload.agency_fee: no agency ran this procurement, so no 代理服务费 is "
                f"charged ({RESULT_CITATION})"
            )
        admitted["agency_fee"] = fee
    if p.committee is None:
        return E.ResultAnnounced(**_summary(d, p), supplier=winner, amount=amount, **admitted)
    committee = disclose(ctx, p.committee, "the evaluation committee")
    members = parse_members(committee.value, "the disclosed committee")
    found = [irregularity_finding(i) for i in committee_irregularities(p.method, p.budget, members)]
    return E.ResultAnnounced(
        **_summary(_with(d, found), p),
        supplier=winner,
        amount=amount,
        committee=committee,
        **admitted,
    )


def _sign_contract(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ContractSigned:
    fields.only(
        ctx.payload,
        ("date", "contract_number", "amount", "performance_deposit", "term_ends", "documents"),
    )
    amount = money(ctx.payload, "amount")
    deposit = optional_money(ctx, "performance_deposit")
    irregular = (
        *contract_irregularities(amount, p.budget, p.award_amount),
        *performance_deposit_irregularities(deposit, amount),
    )
    found = [irregularity_finding(i) for i in irregular]
    extra: dict[str, Any] = {} if deposit is None else {"performance_deposit": deposit}
    if p.method is Method.FRAMEWORK_AGREEMENT:
        ends = text.day(ctx.payload, "term_ends")
        text.ensure_order(d["date"], ends, ("payload.date", "payload.term_ends"))
        statutes = ctx.statutes
        found += term_findings(d["date"], ends, statutes.calendar, statutes.limits)
        extra["term_ends"] = ends
    elif "term_ends" in ctx.payload:
        raise Invalid("payload.term_ends: only a framework agreement 框架协议 has a term")
    text_of = documents(ctx.payload, ctx.view)  # 合同文本
    if text_of is not None:
        extra["documents"] = text_of
    return E.ContractSigned(
        **_with(d, found),
        contract_number=fields.text(ctx.payload, "contract_number", limit=64),
        supplier=_awarded(p)[0],
        amount=amount,
        **extra,
    )


def _sign_supplementary(
    ctx: Context, p: ProcurementRecord, d: Decided
) -> E.SupplementaryContractSigned:
    """追加: a supplementary contract with the winner (政府采购法 第四十九条), under a number
    of its own; all of them together above 10% of the contract is recorded with its finding."""
    fields.only(ctx.payload, ("date", "contract_number", "content", "amount"))
    assert p.contract_amount is not None  # signed: the lifecycle says so
    number = fields.text(ctx.payload, "contract_number", limit=64)
    if number == p.contract_number or number in p.supplements:
        raise Invalid(
            f"payload.contract_number: {number} is already the number of this procurement's "
            "contract or of one of its supplementary contracts; a supplementary contract "
            "补充合同 has a number of its own"
        )
    amount = money(ctx.payload, "amount")
    if amount.fen == 0:
        raise Invalid("payload.amount must be more than zero: what the supplement adds")
    total = p.supplementary_total + amount
    irregular = supplementary_irregularities(total, p.contract_amount)
    return E.SupplementaryContractSigned(
        **_summary(_with(d, [irregularity_finding(i) for i in irregular]), p),
        contract_number=number,
        supplier=_awarded(p)[0],
        content=text.requirement(ctx.payload, "content"),
        amount=amount,
        total=total,
    )


def _sign_call_off(ctx: Context, p: ProcurementRecord, d: Decided) -> E.CallOffSigned:
    """Stage two (财政部令第110号): a call-off contract with an admitted supplier, within the
    agreement's term, under a number of its own; the call-offs together above the
    agreement's amount are recorded with their finding."""
    fields.only(ctx.payload, ("date", "contract_number", "supplier", "selection", "amount"))
    supplier = supplier_field(ctx, "supplier")
    refusal = call_off_refusal(p, supplier, d["date"])
    if refusal is not None:
        raise Conflict(refusal, code="lifecycle")
    number = fields.text(ctx.payload, "contract_number", limit=64)
    if number == p.contract_number or number in p.call_offs:
        raise Invalid(
            f"payload.contract_number: {number} is already the number of this framework "
            "agreement or of one of its call-off contracts; a call-off has a number of its own"
        )
    amount = money(ctx.payload, "amount")
    if amount.fen == 0:
        raise Invalid("payload.amount must be more than zero")
    total = p.call_off_total + amount
    irregular = total_irregularities(total, p.contract_amount)
    return E.CallOffSigned(
        **_with(d, [irregularity_finding(i) for i in irregular]),
        contract_number=number,
        supplier=supplier,
        selection=CallOffSelection.from_payload(ctx.payload, "selection"),
        amount=amount,
        total=total,
    )


def _announce_call_off(ctx: Context, p: ProcurementRecord, d: Decided) -> E.CallOffAnnounced:
    """A call-off's 成交结果公告, once, measured from its signing."""
    fields.only(ctx.payload, ("date", "contract_number"))
    number = fields.text(ctx.payload, "contract_number", limit=64)
    call_off = p.call_offs.get(number)
    if call_off is None:
        raise Invalid(
            f"payload.contract_number: {number} is no call-off contract of procurement {p.code}"
        )
    if call_off.announced_on is not None:
        raise Conflict(
            f"rule lifecycle.announce_call_off: call-off {number} was already announced on "
            f"{call_off.announced_on.isoformat()}",
            code="lifecycle",
        )
    statutes = ctx.statutes
    late = call_off_notice_findings(
        call_off.signed_on, d["date"], statutes.calendar, statutes.limits
    )
    return E.CallOffAnnounced(
        **_summary(_with(d, late), p),
        contract_number=number,
        supplier=call_off.supplier,
        selection=call_off.selection,
        amount=call_off.amount,
    )


def _announce_contract(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ContractAnnounced:
    fields.only(ctx.payload, ("date", "items", "place", "term"))
    assert p.contract_amount is not None and p.contract_number is not None  # signed
    stated: dict[str, Any] = {}
    if (signed := p.dates.get(Action.SIGN_CONTRACT)) is not None:
        stated["signed_on"] = signed
    if (items := awarded_items(ctx.payload)) is not None:  # 主要标的, as a result lists them
        stated["items"] = items
    for name in ("place", "term"):  # 履约地点, 履约期限
        if ctx.payload.get(name) is not None:
            stated[name] = fields.text(ctx.payload, name, limit=200)
    # The contract notice publishes the contract text the signing attached (实施条例 第五十条).
    if p.contract_documents:
        stated["documents"] = list(p.contract_documents)
    return E.ContractAnnounced(
        **_summary(d, p),
        supplier=_awarded(p)[0],
        amount=p.contract_amount,
        contract_number=p.contract_number,
        **stated,
    )


def _file_contract(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ContractFiled:
    """The contract's copy filed with the finance office (政府采购法 第四十七条): once; a
    late filing carries its finding (``findings.TIMED_STEPS``)."""
    fields.only(ctx.payload, ("date",))
    assert p.contract_number is not None  # signed: the lifecycle says so
    if Action.FILE_CONTRACT in p.dates:
        raise Conflict(
            f"rule lifecycle.file_contract: the contract {p.contract_number} of procurement "
            f"{p.code} was already filed (合同已备案) on "
            f"{p.dates[Action.FILE_CONTRACT].isoformat()}",
            code="lifecycle",
        )
    return E.ContractFiled(**d, contract_number=p.contract_number)


def _refund_bid_deposits(
    ctx: Context, p: ProcurementRecord, d: Decided
) -> E.BidDepositsRefunded:
    """Bidders' deposits refunded (87号令 第三十八条): each a bidder of a notice that asked a
    deposit, refunded once; a late refund carries its finding (``deposits``)."""
    fields.only(ctx.payload, ("date", "suppliers"))
    owed = bidders(p)
    if not owed:
        raise Invalid(
            "payload.suppliers: this procurement's notice asked no bid deposit 投标保证金, "
            "or nobody bid, so there is none to refund"
        )
    named = ctx.payload.get("suppliers")
    if not isinstance(named, list) or not named:
        raise Invalid("payload.suppliers must list the bidders whose deposits were refunded")
    listed = {f"suppliers[{n}]": s for n, s in enumerate(named)}
    suppliers = [fields.code(listed, where) for where in listed]
    for n, supplier in enumerate(suppliers):
        where = f"payload.suppliers[{n}]"
        if supplier not in owed:
            raise Invalid(f"{where}: {supplier} did not bid on this procurement; bidders: "
                          + ", ".join(owed))  # fmt: skip
        if supplier in p.refunded or supplier in suppliers[:n]:
            raise Invalid(f"{where}: the deposit of {supplier} is already refunded")
    statutes = ctx.statutes
    found = refund_findings(suppliers, d["date"], p, statutes.calendar, statutes.limits)
    return E.BidDepositsRefunded(**_with(d, found), suppliers=suppliers)


def _record_acceptance(ctx: Context, p: ProcurementRecord, d: Decided) -> E.AcceptanceRecorded:
    fields.only(ctx.payload, ("date", "passed", "report", "testing_body"))
    passed = ctx.payload.get("passed")
    if not isinstance(passed, bool):
        raise Invalid("payload.passed must be true or false")
    tested: dict[str, Any] = {}
    if (body := _testing_body(ctx.payload.get("testing_body"))) is not None:
        tested["testing_body"] = body  # left out when none, as before it was asked
    return E.AcceptanceRecorded(
        **_summary(d, p),
        supplier=_awarded(p)[0],
        passed=passed,
        report=text.requirement(ctx.payload, "report"),
        **tested,
    )


def _testing_body(value: Any) -> E.TestingBody | None:
    """The 检测机构 of an acceptance, ``{"name", "report_number"?}`` (政府采购法 第四十一条;
    财库〔2016〕205号 asks one for large or complex projects); absent: none took part."""
    if value is None:
        return None
    where = "payload.testing_body"
    if not isinstance(value, dict) or "name" not in value or not set(value) <= {
        "name", "report_number"
    }:  # fmt: skip
        raise Invalid(f'{where} must be {{"name", "report_number"?}}: the 检测机构 and its report')
    for field, most in (("name", 100), ("report_number", 64)):
        held = value.get(field)
        if field in value and not (isinstance(held, str) and 0 < len(held.strip()) <= most):
            raise Invalid(f"{where}.{field} must be 1–{most} characters")
    return E.TestingBody(**value)  # exactly the fields given: none is written as null


def _archive(ctx: Context, p: ProcurementRecord, d: Decided) -> E.Archived:
    fields.only(ctx.payload, ("date",))
    return E.Archived(**d)


def _fail(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ProcurementFailed:
    fields.only(ctx.payload, ("date", "reason"))
    return E.ProcurementFailed(**_summary(d, p), reason=reason(ctx))


def _terminate(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ProcurementTerminated:
    fields.only(ctx.payload, ("date", "reason"))
    return E.ProcurementTerminated(**_summary(d, p), reason=reason(ctx))


def complaint_handler(p: ProcurementRecord) -> str | None:
    """Who handles ``p``'s complaints, and so suspends it: a works tender's 行政监督部门
    (招标投标法实施条例 第六十、六十二条); None: the finance office (财政部令第94号 第二十八条)."""
    return p.supervisor if is_works_tender(p.category, p.method) else None


def _suspend(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ProcurementSuspended:
    """Only while handling a complaint does its handler suspend (财政部令第94号 第二十八条;
    招标投标法实施条例 第六十二条): a challenge alone suspends nothing."""
    may_decide_complaint(ctx.signer, complaint_handler(p))
    fields.only(ctx.payload, ("date", "reason", "cause"))
    cause = ctx.payload.get("cause")
    complaint = ctx.view.complaint(cause) if isinstance(cause, str) else None
    if complaint is None or complaint.procurement != p.code:
        raise Invalid(
            "rule lifecycle.suspend_for_complaint: payload.cause must be the number of a "
            "complaint on this procurement; only the finance office handling a complaint "
            "suspends a procurement (财政部令第94号 第二十八条)",
            code="unknown_complaint",
        )
    if complaint.status != "open":
        raise Conflict(
            f"rule lifecycle.suspend_for_complaint: complaint {complaint.number} is already "
            f"{complaint.status}; a procurement is suspended only while a complaint is handled",
            code="lifecycle",
        )
    return E.ProcurementSuspended(**d, cause=complaint.number, reason=reason(ctx))


def _resume(ctx: Context, p: ProcurementRecord, d: Decided) -> E.ProcurementResumed:
    may_decide_complaint(ctx.signer, complaint_handler(p))
    fields.only(ctx.payload, ("date", "reason"))
    return E.ProcurementResumed(**d, cause=p.suspended_by, reason=reason(ctx))


#: The entry each action records, from its payload, on the procurement as it stands.
PARSERS: Final[Mapping[Action, Parser]] = {
    Action.APPROVE_PLAN: _approve_plan,
    Action.REJECT_PLAN: _reject_plan,
    Action.APPROVE_METHOD: _approve_method,
    Action.DISCLOSE_INTENTION: _disclose_intention,
    Action.ANNOUNCE_PREQUALIFICATION: _announce_prequalification,
    Action.RECORD_PREQUALIFICATION: _record_prequalification,
    Action.ANNOUNCE_TENDER: _announce_tender,
    Action.CORRECT_ANNOUNCEMENT: _correct,
    Action.OPEN_BIDS: _open_bids,
    Action.COMPLETE_EVALUATION: _complete_evaluation,
    Action.PUBLISH_CANDIDATES: _publish_candidates,
    Action.DECIDE_AWARD: _decide_award,
    Action.ANNOUNCE_RESULT: _announce_result,
    Action.SIGN_CONTRACT: _sign_contract,
    Action.ANNOUNCE_CONTRACT: _announce_contract,
    Action.FILE_CONTRACT: _file_contract,
    Action.FILE_TENDER_REPORT: _file_tender_report,
    Action.SIGN_SUPPLEMENTARY_CONTRACT: _sign_supplementary,
    Action.SIGN_CALL_OFF: _sign_call_off,
    Action.ANNOUNCE_CALL_OFF: _announce_call_off,
    Action.REFUND_BID_DEPOSITS: _refund_bid_deposits,
    Action.RECORD_ACCEPTANCE: _record_acceptance,
    Action.ARCHIVE: _archive,
    Action.DECLARE_FAILURE: _fail,
    Action.TERMINATE: _terminate,
    Action.SUSPEND: _suspend,
    Action.RESUME: _resume,
}


# -- handlers -------------------------------------------------------------------------


def file_plan(ctx: Context) -> list[Aggregate]:
    """FilePlan: a purchaser files the plan 采购计划备案, which creates the procurement."""
    code = procurement_code(ctx)
    if ctx.signer.role is not Role.PURCHASER:
        raise Forbidden(
            "rule roles.file_plan: file_plan (采购计划备案) may be issued only by a purchaser "
            f"采购人 for itself; {ctx.signer.actor} acts as {ctx.signer.role.value}"
        )
    fields.only(
        ctx.payload,
        ("title", "category", "method", "budget", "agency", "requirement", "rationale", "date",
         "organisation_form", *BUDGET_FIELDS),
    )  # fmt: skip
    on = action_date(ctx, None)
    agency = ctx.payload.get("agency")
    if agency is not None:
        agency = fields.code(ctx.payload, "agency")
        organisation = ctx.view.organisation(agency)
        if organisation is None or organisation.kind is not Role.AGENCY:
            raise Invalid(f"payload.agency: {agency} is not a registered procurement agency")
    purchaser = ctx.view.organisation(ctx.signer.organisation)
    assert purchaser is not None  # the signer's key names a registered organisation
    budget = money(ctx.payload, "budget")
    if budget.fen == 0:
        raise Invalid("payload.budget must be more than zero")
    method = Method.from_payload(ctx.payload, "method")
    form = _organisation_form(ctx.payload, agency)
    stated: dict[str, Any] = {} if form is None else {"organisation_form": form}
    stated |= budget_stated(ctx.payload)
    if ctx.view.taken("procurement", code):
        raise Conflict(f"procurement {code} already has a plan filed", code="exists")
    data = E.PlanFiled(
        procurement=code,
        date=on,
        purchaser=purchaser.code,
        agency=agency,
        region=purchaser.region,
        title=text.title(ctx.payload, "title"),
        category=Category.from_payload(ctx.payload, "category"),
        method=method,
        budget=budget,
        requirement=text.requirement(ctx.payload, "requirement", required=False),
        rationale=text.requirement(ctx.payload, "rationale", required=False),
        state=decide(State.initial(), Action.FILE_PLAN, method).state,
        announcement=None,
        findings=[],
        **stated,
    )
    return [
        Procurement._create(
            Procurement.PlanFiled, id=procurement_stream(code), **ctx.signed.fields(data)
        )
    ]


def _organisation_form(payload: Mapping[str, Any], agency: str | None) -> OrganisationForm | None:
    """The plan's 组织形式, when given. 集中采购 is entrusted to the 集中采购机构 (政府采购法
    第十八条), so it names an agency; the registry does not say which agency is one."""
    if "organisation_form" not in payload:
        return None
    form = OrganisationForm.from_payload(payload, "organisation_form")
    if form is OrganisationForm.CENTRALISED and agency is None:
        raise Invalid(
            "payload.organisation_form: 集中采购须委托集中采购机构代理（政府采购法 第十八条）; "
            "a centralised procurement names its agency"
        )
    return form


def lifecycle_handler(action: Action) -> ContextHandler:
    """The handler of the command that records ``action`` on an existing procurement."""
    parse = PARSERS[action]

    def handle(ctx: Context) -> list[Aggregate]:
        procurement = load(ctx)
        p = procurement.record
        authorise(ctx.signer, action, participants(p))
        on = action_date(ctx, p)
        lapsed = suspension_lapsed(
            p.state.suspended, on, p.dates, ctx.statutes.calendar, ctx.statutes.limits
        )
        required = method_approval_required(p.method, p.category, p.budget, ctx.statutes.limits)
        transition = decide(
            p.state,
            action,
            p.method,
            suspension_lapsed=lapsed,
            method_approval_required=required,
        )
        found = [irregularity_finding(i) for i in transition.irregularities]
        limits = ctx.statutes.limits
        above = at_threshold(p.category, p.budget, limits)
        found += timing_findings(
            action, on, p.dates, p.method, ctx.statutes.calendar, limits, above
        )
        found += missing_filing_findings(action, p.dates, ctx.statutes.calendar, limits)
        found += unrefunded_findings(action, p, ctx.statutes.calendar, limits)
        works = is_works_tender(p.category, p.method)
        found += missing_report_findings(works, action, p.dates, ctx.statutes.calendar, limits)
        found += unannounced_findings(action, p, ctx.statutes.calendar, limits)
        found += bidder_findings(
            action, p.method, _bids(ctx, p, action), len(p.valid_bidders or ()), limits
        )
        decided = Decided(
            procurement=p.code,
            date=on,
            state=transition.state,
            announcement=transition.announcement,
            findings=found,
        )
        data = parse(ctx, p, decided)
        passes = recorded_passes(ctx.statutes.calendar)
        if passes:
            data = data.model_copy(update=passes)
        assert type(data) is transition.kind
        procurement.trigger_event(EVENTS[transition.kind], **ctx.signed.fields(data))
        return [procurement]

    return handle


def _bids(ctx: Context, p: ProcurementRecord, action: Action) -> int:
    """How many bids the procurement has: at the opening, the effective bids in its box."""
    if action is not Action.OPEN_BIDS or p.method not in BIDDING:
        return len(p.bids)
    return sum(1 for s in statuses(ctx.view.bid_box(p.code)).values() if s == "bid")


LIFECYCLE_HANDLERS: Final[Mapping[str, ContextHandler]] = {
    Action.FILE_PLAN.command: file_plan,
    **{action.command: lifecycle_handler(action) for action in PARSERS},
}
