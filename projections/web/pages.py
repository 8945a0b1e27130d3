"""The public pages 公告页面: home, announcement list and search, notices, procurements.

Path and query parameters are taken as plain strings and checked here, so that a bad value
answers a page in Chinese with a 4xx status rather than the API's JSON validation error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.calendar_files import load_time_limits
from ledger.commands import PROCUREMENT_PATTERN
from ledger.domain.committee import MEMBER_ROLES
from ledger.domain.context import CHINA
from ledger.domain.procurement_commands import BIDDING
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Opened
from ledger.domain.vocabulary import Method
from ledger.http import parse_position
from projections.deps import PageCacheDep, ReadDb
from projections.web import directory, queries
from projections.web.archive import archive
from projections.web.feeds import feeds
from projections.web.organisation_pages import directory_pages
from projections.web.page_cache import asked_address
from projections.web.queries import BadRequest, Filters
from projections.web.render import error_page, link, page, render, respond_rendered

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)

LIST_FILTERS: Final = (
    "type", "category", "method", "purchaser", "region", "date_from", "date_to", "q",
)  # fmt: skip



#: The 中标（成交）结果公告's 公告期限 as the shipped time-limit table states it.
RESULT_PERIOD: Final = load_time_limits()["result_announcement_period"]

@pages.get("/")
def home(request: Request, db: ReadDb) -> Response:
    return page(request, "home.html", latest=queries.latest_by_type(db))


@pages.get("/announcements")
def announcements(request: Request, db: ReadDb, cache: PageCacheDep) -> Response:
    state = cache.state(db)
    known = cache.derived("choices", state, lambda: queries.choices(db))
    try:
        filters = queries.parse_filters(db, request.query_params, LIST_FILTERS, known)
        number = queries.parse_page(request.query_params.get("page"))
    except BadRequest as bad:
        return error_page(request, bad.status, bad.message)
    params = filters.params()
    # keyed by the filters as understood, so that other parameters do not fill the memory
    address = link("/announcements", params, number)
    asked = asked_address(request.scope["path"], request.scope["query_string"])
    kept = cache.page(address, state, asked)
    if kept is not None:
        return respond_rendered(request, kept)
    # every page of the same filters shows the same count
    total, more = cache.derived(
        "count " + link("", params), state, lambda: queries.count_for_page(db, filters)
    )
    last = queries.last_page(total)
    if number > last:
        return error_page(request, 404, f"共{last}页，没有第{number}页。")
    purchasers, too_many = known.purchasers_in(filters.region, filters.purchaser)
    rendered = render(
        request,
        "announcements.html",
        filters=filters,
        notices=queries.search(db, filters, number),
        total=total,
        more=more,
        page_number=number,
        last_page=last,
        first_link=link("/announcements", params),
        prev_link=link("/announcements", params, number - 1) if number > 1 else None,
        next_link=link("/announcements", params, number + 1) if number < last else None,
        feed_link=feed_link(filters),
        purchasers=purchasers,
        too_many_purchasers=too_many,
        regions=known.regions,
    )
    cache.keep(address, state, rendered, asked)
    return respond_rendered(request, rendered)


def feed_link(filters: Filters) -> str:
    """The Atom feed of the same notices (feeds filter by the fixed-choice fields only)."""
    params = {k: v for k, v in filters.params().items() if k in queries.FEED_FILTERS}
    return link("/feeds/announcements.atom", params)


@pages.get("/announcements/{leaf_index}")
def announcement(
    request: Request, db: ReadDb, cache: PageCacheDep, leaf_index: str
) -> Response:
    index = parse_position(leaf_index)  # one address per notice: "7", never "07" or " 7"
    state = cache.state(db)
    address = f"/announcements/{index}"
    asked = asked_address(request.scope["path"], request.scope["query_string"])
    kept = None if index is None else cache.page(address, state, asked)
    if kept is not None:
        return respond_rendered(request, kept)
    found = None if index is None else queries.announcement(db, index)
    if found is None:
        return error_page(request, 404, f"没有编号为 {leaf_index} 的公告。")
    rendered = render(
        request, "announcement.html", **entry_context(found), **others_context(db, found)
    )
    cache.keep(address, state, rendered, asked)
    return respond_rendered(request, rendered)


def entry_context(found: queries.Announcement) -> dict[str, Any]:
    """What a notice page shows of its own entry: written by ``shown()`` in the template, so
    the 验证 button compares each with the verified leaf."""
    return {
        "notice": found,
        "d": found.data,
        "committee": committee_names(found.data.get("committee")),
        "leaf_index": found.leaf_index,
        "leaf_hash": found.leaf_hash,
    }


def others_context(db: ReadDb, found: queries.Announcement) -> dict[str, Any]:
    """What a notice page shows of other entries: the organisations' names, the other
    notices, the contract signed, the tender's contact, the deliveries."""
    data = found.data
    notices = queries.notices_of(db, found.procurement)
    steps = queries.timeline(db, found.procurement)
    before = [s for s in steps if s.leaf_index < found.leaf_index]
    # A framework agreement's call-offs 采购合同, all of them, whichever of its notices is shown.
    call_offs = [s.typed for s in steps if isinstance(s.typed, E.CallOffSigned)]
    codes = {data.get("purchaser"), data.get("agency"), data.get("supplier"),
             data.get("supervisor"), *(data.get("candidates") or ())}
    codes |= set(data.get("admitted") or ()) | {c.supplier for c in call_offs}
    orgs = directory.of(db, {c for c in codes if isinstance(c, str)})
    return {
        "names": {code: o.name for code, o in orgs.items()},
        "org_keys": {code: o.key for code, o in orgs.items()},
        # addresses, telephones and a supplier's declared 中小企业 status, as the registry has them
        "orgs": orgs,
        # a 单一来源公示 names the finance office that takes objections, with its telephone
        "finance_office": (directory.finance_office(db, str(data.get("region")))
                           if found.type == "single_source" else None),
        # a result repeats the 招标文件 its tender notice attached (87号令 第六十九条)
        "tender_documents": next(
            (s for s in reversed(before)
             if isinstance(s.typed, E.TenderAnnounced) and s.typed.documents),
            None,
        ) if found.type == "result" else None,
        "result_period": RESULT_PERIOD,
        "notices": notices,
        # What the notice refers to: the tender a correction amends, the contract signed.
        "original": next(
            (n for n in reversed(notices)
             if n.type in ("tender", "single_source") and n.leaf_index < found.leaf_index),
            None,
        ),
        "contract": next(
            (s.typed for s in reversed(before) if isinstance(s.typed, E.ContractSigned)), None
        ),
        # Later notices repeat the contact the tender gave (it is not in their own leaf).
        "tender_contact": next(
            (s.typed.contact for s in reversed(before) if isinstance(s.typed, E.TenderAnnounced)),
            None,
        ),
        "corrections": [
            n for n in notices if n.type == "correction" and n.leaf_index > found.leaf_index
        ],
        "deliveries": queries.deliveries_of(db, found.leaf_index),
        "call_offs": call_offs,
    }  # fmt: skip


def committee_names(value: object) -> list[str] | None:
    """The names of the evaluation committee once disclosed, each member an object
    ``{"name", "role", …}`` (a ledger before the expert role listed bare names); a bare
    commitment shows nothing."""
    if isinstance(value, Opened):
        value = value.value
    elif isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, list):
        return None
    names = [m.get("name") if isinstance(m, dict) else m for m in value]
    if not all(isinstance(n, str) for n in names):
        return None
    return [str(n) for n in names]


def committee_by_role(value: object) -> list[tuple[str, list[str]]]:
    """The disclosed committee's names under 评审专家 and 采购人代表 (a ledger before the
    expert role listed bare names, all under 评审专家); nothing while it is sealed."""
    if isinstance(value, Opened):
        value = value.value
    elif isinstance(value, dict):
        value = value.get("value")
    names = committee_names({"value": value})
    if names is None or not isinstance(value, list):
        return []
    roles = [m.get("role") if isinstance(m, dict) else "expert" for m in value]
    grouped = []
    for role, label in MEMBER_ROLES.items():
        held = [name for name, r in zip(names, roles, strict=False) if r == role]
        if held:
            grouped.append((label, held))
    return grouped


@pages.get("/procurements/{code}")
def procurement(request: Request, db: ReadDb, code: str) -> Response:
    found = queries.procurement(db, code) if PROCUREMENT_PATTERN.match(code) else None
    if found is None:
        return error_page(request, 404, f"没有项目编号为“{code}”的采购项目。")
    steps = queries.timeline(db, code)
    codes = {found.purchaser, found.agency, found.winner}
    for step in steps:
        codes.update(suppliers_named(step.typed))
    return page(
        request,
        "procurement.html",
        p=found,
        steps=steps,
        opened=any(isinstance(step.typed, E.BidsOpened) for step in steps),
        box=bid_box_state(steps) if Method(found.method) in BIDDING else None,
        notices=queries.notices_of(db, code),
        names=queries.names(db, {c for c in codes if isinstance(c, str)}),
        org_keys=directory.keys(db, {c for c in codes if isinstance(c, str)}),
        committee_names=committee_names,
        committee_by_role=committee_by_role,
    )


def bid_box_state(steps: list[Any]) -> dict[str, str] | None:
    """What the public may know of the bid box before the opening (87号令 第二十八条): whether
    it takes bids, is sealed or was opened, and the deadline; never who bid or how many.
    None for a procurement that announced no bid deadline."""
    deadline: tuple[str, str] | None = None
    state = "open"
    for step in steps:
        data = step.typed
        if isinstance(data, E.TenderAnnounced | E.AnnouncementCorrected) and data.bid_deadline:
            deadline = (data.bid_deadline.isoformat(), data.bid_deadline_time or "")
        elif isinstance(data, E.BidBoxClosed):
            state = "closed"
        elif isinstance(data, E.BidsOpened):
            state = "opened"
    if deadline is None:
        return None
    now = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M")
    if state == "open" and now > f"{deadline[0]} {deadline[1] or '23:59'}":
        state = "due"  # the ledger takes no more bids; the closing is not recorded yet
    return {"state": state, "deadline": deadline[0], "time": deadline[1]}


def suppliers_named(data: E.ProcurementData | E.StreamData | E.TimingReevaluated) -> set[str]:
    """The organisations an entry names: its supplier, its bids' and its evaluations', a
    works tender's candidates and 行政监督部门, a 资格预审's applicants."""
    named = {getattr(data, "supplier", None), getattr(data, "supervisor", None)}
    if isinstance(data, E.CandidatesPublished):
        named.update(data.candidates)
    if isinstance(data, E.BidsOpened):
        named.update(bid.supplier for bid in data.bids)
    if isinstance(data, E.EvaluationCompleted):
        named.update(result.supplier for result in data.results)
    if isinstance(data, E.PrequalificationCompleted):
        named.update((*data.qualified, *(r.supplier for r in data.refused)))
    return {code for code in named if isinstance(code, str)}


pages.include_router(feeds)  # the Atom feeds are served with the pages
pages.include_router(archive)  # and the archived feed (RFC 5005 §4)
pages.include_router(directory_pages)  # the organisation directory 单位名录
