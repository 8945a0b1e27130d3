# Over 60 lines by design: one mapping: a notice and its procurement's story to an OCDS release.
"""An OCDS 1.1 release for each notice of the log, the one mapping every OCDS output uses.

The API's and the export's release packages (``projections.ocds``) and the publisher's
pushes (``publisher.payloads``) all call ``release``: the same notice gives the same release
wherever it is read.

What a reader can count on:

* the release ``id`` is ``<procurement>-<leaf index>``, and its ``date`` the notice's day
  (00:00 China time, or the minute a tender notice gives as published): when the notice was
  published, not when the ledger recorded it;
* ``awards`` appear only in the result release, dated the result notice's day; ``contracts``
  only in the releases that speak of the contract (contract and acceptance notices), keyed by
  the contract number, with the day it was signed;
* ``bids`` (the bids extension) and ``tender.numberOfTenderers`` appear once the bids were
  opened, from the opening's entry;
* every release's ``links`` names its log entry: ``{"rel": "log-entry", "href":
  "/log/entries/<i>", "index": i, "leafHash": <base64 SHA-256 leaf hash>}``, and the entry's
  proof bundle (``rel`` ``log-proof``); ``sunshine verify --bundle`` checks the latter.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import AnnouncementType, CallOffSelection, Method, SmeStatus
from ledger.ocds.story import Organisation, Story

OCDS_VERSION: Final = "1.1"
#: The bids extension, at the version whose schema the releases follow.
BIDS_EXTENSION: Final = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
_EXTENSIONS_HOME: Final = "https://raw.githubusercontent.com/open-contracting-extensions"
#: The party scale extension (``parties[].details.scale``: a supplier's declared 中小企业
#: status) and the techniques extension (``tender.techniques``: a framework agreement), at
#: the commits whose schemas the releases follow (neither has a release tag).
SCALE_EXTENSION: Final = (
    f"{_EXTENSIONS_HOME}/ocds_partyDetails_scale_extension/"
    "152cd9fb74e021e537b17d84420615acf7dec032/extension.json"
)
TECHNIQUES_EXTENSION: Final = (
    f"{_EXTENSIONS_HOME}/ocds_techniques_extension/"
    "5568b00a8dd694a3d34441bdd9ef2bd3f9d44b11/extension.json"
)
EXTENSIONS: Final = (BIDS_EXTENSION, SCALE_EXTENSION, TECHNIQUES_EXTENSION)
#: The itemClassificationScheme of a 品目 code: the 政府采购品目分类目录 (财库〔2022〕31号), not
#: in OCDS's open codelist (README "Open data").
CATALOGUE_SCHEME: Final = "CN-ZFCGPMML"
#: The org-id.guide scheme a 统一社会信用代码 is given under (待核: see README "Open data").
CREDIT_CODE_SCHEME: Final = "CN-SAIC"
#: partyScale of each declared 中小企业 status (财库〔2020〕46号).
SCALES: Final = {
    SmeStatus.MICRO: "micro",
    SmeStatus.SMALL: "small",
    SmeStatus.MEDIUM: "medium",
    SmeStatus.NOT_SME: "large",
}
#: frameworkAgreementMethod of the ways call-offs chose their supplier (财政部令第110号):
#: 二次竞价 reopens competition, 直接选定 and 顺序轮候 do not.
REOPENS: Final = {
    CallOffSelection.SECOND_BIDDING: True,
    CallOffSelection.DIRECT: False,
    CallOffSelection.ROTATION: False,
}
#: A registered OCDS prefix: ``ocds-`` and six letters or digits (lower case).
OCID_PREFIX: Final = r"^ocds-[a-z0-9]{6}$"
#: Until the operator registers one with the Open Contracting Partnership.
DEFAULT_OCID_PREFIX: Final = "ocds-000000"
CHINA_OFFSET: Final = "+08:00"
A = AnnouncementType

#: The release tag of each notice (OCDS 1.1 releaseTag codelist).
TAGS: Final = {
    A.INTENTION: "planning",
    A.TENDER: "tender",
    A.SINGLE_SOURCE: "tender",
    A.CORRECTION: "tenderAmendment",
    A.RESULT: "award",
    A.CONTRACT: "contract",
    A.ACCEPTANCE: "implementation",
    A.TERMINATION: "tenderCancellation",
    A.FAILURE: "tenderUpdate",
    A.CANDIDATES: "tenderUpdate",  # 中标候选人公示: the tender is evaluated, not yet awarded
    # 框架协议采购成交结果公告: a call-off under the agreement the award and contract told
    A.CALL_OFF: "contractUpdate",
    A.SUPPLEMENT: "contractAmendment",  # 补充合同公告: the contract amended by a supplement
    A.PREQUALIFICATION: "tender",  # 资格预审公告: the tender's first stage, qualification
}
#: OCDS procurementMethod of each method; its Chinese name goes in procurementMethodDetails.
METHODS: Final = {
    Method.OPEN_TENDER: "open",
    Method.FRAMEWORK_AGREEMENT: "open",
    Method.INVITED_TENDER: "selective",
    Method.COMPETITIVE_NEGOTIATION: "limited",
    Method.COMPETITIVE_CONSULTATION: "limited",
    Method.INQUIRY: "limited",
    Method.SINGLE_SOURCE: "direct",
}
#: tender.status after each notice (OCDS 1.1 tenderStatus codelist).
TENDER_STATUS: Final = {
    A.INTENTION: "planned",
    A.TENDER: "active",
    A.SINGLE_SOURCE: "active",
    A.CORRECTION: "active",
    A.RESULT: "complete",
    A.CONTRACT: "complete",
    A.ACCEPTANCE: "complete",
    A.TERMINATION: "cancelled",
    A.FAILURE: "unsuccessful",
    A.CANDIDATES: "active",
    A.CALL_OFF: "complete",
    A.SUPPLEMENT: "complete",
    A.PREQUALIFICATION: "planning",  # suppliers qualify; the invitation to bid comes later
}


def ocid(prefix: str, procurement: str) -> str:
    return f"{prefix}-{procurement}"


def release_id(procurement: str, index: int) -> str:
    return f"{procurement}-{index}"


def award_id(procurement: str) -> str:
    return f"{procurement}-award"


def release(
    story: Story,
    index: int,
    notice: E.Summary,
    leaf_hash: str,
    organisations: Mapping[str, Organisation],
    prefix: str,
) -> dict[str, Any]:
    """The release of notice ``index`` (``story``: its procurement after the notice)."""
    kind = notice.announcement
    assert kind is not None, "a release is made of a notice"
    code = story.code
    out: dict[str, Any] = {
        "ocid": ocid(prefix, code),
        "id": release_id(code, index),
        "date": _published(notice),
        "tag": [TAGS[kind]],
        "initiationType": "tender",
        "language": "zh",
        "parties": _parties(story, kind, organisations),
        "buyer": _ref(story.purchaser, organisations),
        "tender": _tender(story, index, notice, organisations),
    }
    if story.opened:
        out["bids"] = {"details": [_bid(story, n, organisations) for n in range(len(story.bids))]}
    out["planning"] = {"budget": _budget(story)}  # every notice states it
    if kind is A.RESULT and story.winner is not None and story.award_amount is not None:
        out["awards"] = [{
            "id": award_id(code), "status": "active", "date": _at(notice.date),
            "value": _value(story.award_amount),
            "suppliers": [_ref(story.winner, organisations)],
        }]  # fmt: skip
        if story.awarded_items:
            out["awards"][0]["items"] = [
                _awarded_item(code, n, item) for n, item in enumerate(story.awarded_items)
            ]
    if kind in (A.CONTRACT, A.ACCEPTANCE, A.SUPPLEMENT) and story.contract_number is not None:
        out["contracts"] = [_contract(story, notice, kind)]
    out["links"] = [
        {"rel": "log-entry", "href": f"/log/entries/{index}", "index": index,
         "leafHash": leaf_hash},
        {"rel": "log-proof", "href": f"/log/bundle/{index}", "index": index},
    ]  # fmt: skip
    return out


def _budget(story: Story) -> dict[str, Any]:
    """planning.budget: the amount, and where the plan names them its 资金来源 (the budget's
    ``description``, in the vocabulary's words) and its 预算项目 (``project``, ``projectID``)."""
    budget: dict[str, Any] = {"amount": _value(story.budget)}
    if story.funding_source is not None:
        budget["description"] = story.funding_source.label
    if story.budget_item is not None:
        budget |= {"project": story.budget_item.name, "projectID": story.budget_item.code}
    return budget


def _tender(
    story: Story, index: int, notice: E.Summary, organisations: Mapping[str, Organisation]
) -> dict[str, Any]:
    kind = notice.announcement
    assert kind is not None
    tender: dict[str, Any] = {
        "id": story.code,
        "title": story.title,
        "status": TENDER_STATUS[kind],
        "procuringEntity": _ref(story.agency or story.purchaser, organisations),
        # the most a bid may ask: the 最高限价 where the notice set one, else the budget
        "value": _value(story.ceiling or story.budget),
        "procurementMethod": METHODS[story.method],
        "procurementMethodDetails": story.method.label,
        "mainProcurementCategory": story.category.value,
    }
    if story.requirement:
        tender["description"] = story.requirement
    if story.rationale and story.method is not Method.OPEN_TENDER:
        tender["procurementMethodRationale"] = story.rationale
    if story.qualifications:
        tender["eligibilityCriteria"] = story.qualifications
    period: dict[str, str] = {}
    if isinstance(notice, E.IntentionDisclosed):
        period["startDate"] = _at(notice.expected_start)  # the expected start, planned
    elif story.tender_start is not None:
        period["startDate"] = _at(story.tender_start, minute=story.published_time)
    if story.bid_deadline is not None:
        period["endDate"] = _at(story.bid_deadline, end=True, minute=story.bid_deadline_time)
    if period:
        tender["tenderPeriod"] = period
    if story.items:
        tender["items"] = [_item(story.code, n, item) for n, item in enumerate(story.items)]
    if story.tender_documents:
        published = _at(story.tender_start) if story.tender_start else None
        tender["documents"] = [
            _document(d, "biddingDocuments", published) for d in story.tender_documents
        ]
    if story.method is Method.FRAMEWORK_AGREEMENT:
        tender["techniques"] = _techniques(story.selections)
    if story.opened:
        tender["numberOfTenderers"] = len(story.bids)
        tender["tenderers"] = [_ref(b.supplier, organisations) for b in story.bids]
    amendment = _amendment(story.code, index, notice)
    if amendment is not None:
        tender["amendments"] = [amendment]
    return tender


def _item(code: str, n: int, item: E.Item) -> dict[str, Any]:
    """A tender's 采购标的 with its 品目."""
    return {
        "id": f"{code}-item-{n + 1}",
        "description": item.name,
        "classification": {"scheme": CATALOGUE_SCHEME, "id": item.catalogue},
        "quantity": _number(item.quantity),
        "unit": {"name": item.unit},
    }


def _awarded_item(code: str, n: int, item: E.AwardedItem) -> dict[str, Any]:
    """A result's 主要标的: name and 规格型号, quantity, unit and unit price."""
    return {
        "id": f"{code}-awarded-{n + 1}",
        "description": f"{item.name}（{item.specification}）",
        "quantity": _number(item.quantity),
        "unit": {"name": item.unit, "value": _value(str(item.unit_price))},
    }


def _document(document: E.Document, kind: str, published: str | None) -> dict[str, Any]:
    """An attached document. Core OCDS has no field for its hash: our extension's
    ``sha256`` holds it (``log_extension``), the ``id`` names it and the description repeats
    it. Its ``address`` is below the ledger's root, like a log link's; core ``url`` must be
    absolute, and a release does not know the address it will be read at."""
    hex_digest = base64.b64decode(document.sha256).hex()
    out: dict[str, Any] = {
        "id": f"sha-256-{hex_digest}",
        "documentType": kind,
        "title": document.name,
        "description": f"SHA-256（base64）：{document.sha256}；{document.size} 字节",
        "format": document.media_type,
        "language": "zh",
        "sha256": document.sha256,
        "address": f"/documents/{hex_digest}",
    }
    if published is not None:
        out["datePublished"] = published
    return out


def _techniques(selections: tuple[CallOffSelection, ...]) -> dict[str, Any]:
    """A framework agreement, and once call-offs were made, whether they reopened
    competition."""
    techniques: dict[str, Any] = {"hasFrameworkAgreement": True}
    reopened = {REOPENS[s] for s in selections}
    if reopened:
        method = ("withAndWithoutReopeningCompetition" if len(reopened) == 2
                  else "withReopeningCompetition" if True in reopened
                  else "withoutReopeningCompetition")  # fmt: skip
        techniques["frameworkAgreement"] = {"method": method}
    return techniques


def _amendment(code: str, index: int, notice: E.Summary) -> dict[str, Any] | None:
    """A correction's changes, or why the procurement was terminated or failed."""
    if isinstance(notice, E.AnnouncementCorrected):
        why = notice.changes
    elif isinstance(notice, E.ProcurementTerminated | E.ProcurementFailed):
        why = notice.reason
    else:
        return None
    assert notice.announcement is not None
    return {"id": release_id(code, index), "date": _at(notice.date), "rationale": why,
            "description": notice.announcement.label}  # fmt: skip


def _bid(story: Story, n: int, organisations: Mapping[str, Organisation]) -> dict[str, Any]:
    bid = story.bids[n]
    assert story.opened_on is not None
    status = "pending" if bid.valid is None else "valid" if bid.valid else "disqualified"
    return {
        "id": f"{story.code}-bid-{n + 1}",
        "date": _at(story.opened_on),  # as the opening disclosed it
        "status": status,
        "tenderers": [_ref(bid.supplier, organisations)],
        "value": _value(bid.price),
    }


def _contract(story: Story, notice: E.Summary, kind: AnnouncementType) -> dict[str, Any]:
    assert story.contract_number is not None
    contract: dict[str, Any] = {"id": story.contract_number, "awardID": award_id(story.code),
                                "status": "active"}  # fmt: skip
    if story.contract_amount is not None:
        contract["value"] = _value(story.contract_amount)
    if story.signed_on is not None:
        contract["dateSigned"] = _at(story.signed_on)
    if story.supplements:  # 补充合同 (政府采购法 第四十九条), each an amendment of the contract
        contract["amendments"] = [
            {"id": s.number, "date": _at(s.date),
             "description": f"补充合同 {s.number}：{s.content}（金额 {s.amount} 元）",
             "rationale": "追加与合同标的相同的货物、工程或者服务（政府采购法第四十九条）"}
            for s in story.supplements
        ]  # fmt: skip
    if story.awarded_items:  # the 主要标的 the contract buys (实施条例 第五十条)
        contract["items"] = [
            _awarded_item(story.code, n, item) for n, item in enumerate(story.awarded_items)
        ]
    if story.contract_documents:
        signed = _at(story.signed_on) if story.signed_on else None
        contract["documents"] = [
            _document(d, "contractSigned", signed) for d in story.contract_documents
        ]
    if isinstance(notice, E.AcceptanceRecorded) and kind is A.ACCEPTANCE:
        milestone: dict[str, Any] = {
            "id": f"{story.contract_number}-acceptance", "title": "履约验收",
            "type": "delivery", "status": "met" if notice.passed else "notMet",
            "description": notice.report,
        }  # fmt: skip
        if notice.passed:
            milestone["dateMet"] = _at(notice.date)
        contract["implementation"] = {"milestones": [milestone]}
    return contract


def _parties(
    story: Story, kind: AnnouncementType, organisations: Mapping[str, Organisation]
) -> list[dict[str, Any]]:
    """Everyone the release names, each once, with every role known by then."""
    roles: dict[str, list[str]] = {story.purchaser: ["buyer"]}

    def add(code: str | None, role: str) -> None:
        if code is not None and role not in roles.setdefault(code, []):
            roles[code].append(role)

    add(story.agency or story.purchaser, "procuringEntity")
    contact = _contact(story.contact)
    for bid in story.bids:
        add(bid.supplier, "tenderer")
    if story.proposed_supplier is not None and not story.opened:
        add(story.proposed_supplier, "interestedParty")  # a single source's, before it bids
    if story.result_on is not None:
        add(story.winner, "supplier")
    parties = [_party(code, r, organisations) for code, r in roles.items()]
    if contact:
        entity = story.agency or story.purchaser
        for party in parties:
            if party["id"] == entity:
                party["contactPoint"] = contact
    return parties


def _contact(text: str | None) -> dict[str, str]:
    """The tender notice's contact (``袁玉兰 0319-8580689``) as an OCDS ContactPoint."""
    if not text:
        return {}
    name, _, rest = text.strip().partition(" ")
    if rest and all(c.isdigit() or c in "-+() " for c in rest):
        return {"name": name, "telephone": rest.strip()}
    return {"name": text.strip()}


def _party(
    code: str, roles: list[str], organisations: Mapping[str, Organisation]
) -> dict[str, Any]:
    party: dict[str, Any] = _ref(code, organisations)
    found = organisations.get(code)
    if found is not None:
        if found.credit_code:
            party["identifier"] = {"scheme": CREDIT_CODE_SCHEME, "id": found.credit_code,
                                   "legalName": found.name}  # fmt: skip
        address = {"streetAddress": found.address, "region": found.region}
        party["address"] = {**{k: v for k, v in address.items() if v}, "countryName": "中国"}
        contact = {"name": found.contact, "telephone": found.telephone}
        if any(contact.values()):
            party["contactPoint"] = {k: v for k, v in contact.items() if v}
        if found.sme is not None and {"tenderer", "supplier"} & set(roles):
            party["details"] = {"scale": SCALES[found.sme]}  # as the supplier declared it
    party["roles"] = roles
    return party


def _ref(code: str, organisations: Mapping[str, Organisation]) -> dict[str, Any]:
    """An OrganizationReference: the code, and the registry's name when known."""
    found = organisations.get(code)
    return {"id": code, "name": found.name} if found is not None else {"id": code}


def _value(amount: str) -> dict[str, Any]:
    """An OCDS Value. The schema wants a JSON number: yuan with two decimals stay below
    10^13, so a float's shortest representation gives back the exact decimal."""
    return {"amount": _number(amount), "currency": "CNY"}


def _number(text: str) -> int | float:
    """A decimal string as the JSON number OCDS wants, exact for our few decimals."""
    exact = Decimal(text)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def _published(notice: E.Summary) -> str:
    """A release's date: the notice's day, at the minute it was published where it says."""
    minute = notice.published_time if isinstance(notice, E.TenderAnnounced) else None
    return _at(notice.date, minute=minute)


def _at(day: date, end: bool = False, minute: str | None = None) -> str:
    """A day in China as an OCDS date-time: its start, or with ``end`` its last second, or
    the ``minute`` (HH:MM) the notice gives."""
    clock = f"{minute}:00" if minute else "23:59:59" if end else "00:00:00"
    return f"{day.isoformat()}T{clock}{CHINA_OFFSET}"
