"""A challenge filed in late December 2026 gets its answer deadline in 2027, a year the
chinese-calendar package does not know: provisional without an operator holiday file,
exact with one, never a crash. Pure: the handlers run on an in-memory view of records."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.domain import Aggregate

from ledger.calendar_files import build_calendar, load_time_limits
from ledger.domain import sealed as sealing
from ledger.domain.bid_box import BoxEntry
from ledger.domain.calendars import parse_holiday_file
from ledger.domain.challenges import CHALLENGE_HANDLERS, Challenge, Complaint
from ledger.domain.clock import WorkingCalendar
from ledger.domain.context import Context, Statutes
from ledger.domain.deliveries import Delivery, Notice
from ledger.domain.documents import HeldDocument
from ledger.domain.events import Signed
from ledger.domain.procurement import Procurement
from ledger.domain.procurement_commands import LIFECYCLE_HANDLERS
from ledger.domain.registry import Actor, Key, Organisation, Role, stream_id
from ledger.domain.registry_commands import Signer, new_organisation
from ledger.domain.schema import entries as E
from ledger.domain.sealed import Disclosure

HOLIDAYS_2027 = """
[2027]
holidays = ["2027-01-01", "2027-01-02", "2027-01-03"]
workdays = []
"""


class Memory:
    """The records a decision reads, kept in a dict: what the handlers returned so far."""

    def __init__(self) -> None:
        self.records: dict[UUID, Aggregate] = {}
        self.box: dict[str, list[BoxEntry]] = {}  # what the sealed bid box holds

    def keep(self, aggregates: list[Aggregate]) -> None:
        for aggregate in aggregates:
            aggregate.collect_events()
            self.records[aggregate.id] = aggregate

    def _get(self, kind: str, code: str, cls: type[Any]) -> Any:
        found = self.records.get(stream_id(kind, code))
        return found if isinstance(found, cls) else None

    def organisation(self, code: str) -> Organisation | None:
        return self._get("organisation", code, Organisation)  # type: ignore[no-any-return]

    def actor(self, code: str) -> Actor | None:
        return None

    def key(self, key_id: str) -> Key | None:
        return None

    def credit_code_holder(self, credit_code: str) -> str | None:
        return None  # no organisation here carries a 统一社会信用代码

    def administrator(self, organisation: str) -> str | None:
        return None  # no registry command is decided here

    def taken(self, kind: str, code: str) -> bool:
        return stream_id(kind, code) in self.records

    def procurement(self, code: str) -> Procurement | None:
        return self._get("procurement", code, Procurement)  # type: ignore[no-any-return]

    def challenge(self, number: str) -> Challenge | None:
        return self._get("challenge", number, Challenge)  # type: ignore[no-any-return]

    def complaint(self, number: str) -> Complaint | None:
        return self._get("complaint", number, Complaint)  # type: ignore[no-any-return]

    def disclosure(self, commitment: str) -> Disclosure | None:
        return None

    def notice(self, index: int) -> Notice | None:
        return None

    def delivery(self, notice: int, destination: str) -> Delivery | None:
        return None

    def document(self, sha256: str) -> HeldDocument | None:
        return None

    def bid_box(self, procurement: str, supplier: str | None = None) -> list[BoxEntry]:
        kept = self.box.get(procurement, [])
        return [e for e in kept if supplier is None or e.supplier == supplier]


SIGNED = Signed(actor="someone", key="0" * 16, command="{}", signature="")


class Box:
    """The box service's part in a challenge, in memory: the envelope sealed with the
    domain's own ``seal``, recorded as ``SIGNED`` (no key; nothing here is verified)."""

    def seal(
        self,
        procurement: str,
        supplier: str,
        supersedes: str | None,
        withdrawn: bool,
        obtained: bool = False,
    ) -> tuple[str, Signed]:
        raise AssertionError("no bid in these tests")

    def seal_for(
        self, kind: str, procurement: str, supplier: str, public: dict[str, Any]
    ) -> tuple[str, str, Signed]:
        sealed, disclosure = sealing.seal({"command": "{}", "signature": ""})
        return sealed["commitment"], disclosure.salt_b64, SIGNED

    def close(
        self, procurement: str, envelopes: int, dummies: list[tuple[str, Disclosure]]
    ) -> None:
        raise AssertionError("no closing in these tests")


def run(
    memory: Memory,
    calendar: WorkingCalendar,
    who: tuple[Role, str],
    kind: str,
    payload: dict[str, Any],
    today: date,
    sealed: dict[str, Disclosure] | None = None,
) -> dict[str, Any]:
    handler = {**LIFECYCLE_HANDLERS, **CHALLENGE_HANDLERS}[kind]
    context = Context(
        signer=Signer(f"{who[1]}-op", who[0], who[1], "0" * 16),
        payload=payload,
        signed=SIGNED,
        procurement="p1",
        today=today,
        sealed=sealed or {},
        view=memory,
        statutes=Statutes(calendar, load_time_limits()),
        box=Box(),
    )
    aggregates = handler(context)
    event = aggregates[0].pending_events[-1]
    memory.keep(aggregates)
    data: dict[str, Any] = orjson.loads(event.data)  # type: ignore[attr-defined]
    return data


def challenge_in_late_december(calendar: WorkingCalendar) -> dict[str, Any]:
    memory = Memory()
    for code, kind in (("rmyy", "purchaser"), ("kangtai", "supplier")):
        registered = E.OrganisationRegistered(
            code=code, name=code, kind=Role(kind), region="澄溪县", address=""
        )
        memory.keep([new_organisation(SIGNED, registered)])
    today = date(2026, 12, 28)
    purchaser, supplier = (Role.PURCHASER, "rmyy"), (Role.SUPPLIER, "kangtai")
    run(memory, calendar, purchaser, "FilePlan", {
        "title": "年末采购", "category": "goods", "method": "open_tender",
        "budget": "500000.00", "date": "2026-12-01"}, today)
    run(memory, calendar, purchaser, "AnnounceTender", {
        "date": "2026-12-02", "requirement": "见文件", "qualifications": "无", "contact": "王",
        "bid_deadline": "2026-12-31", "bid_deadline_time": "09:30", "place": "开标室"}, today)
    # The supplier's bid, taken in by the box on 2026-12-20: sealed, it gives standing.
    envelope, _ = sealing.seal({"command": "{}", "signature": ""})
    memory.box["p1"] = [BoxEntry(envelope["commitment"], "kangtai")]
    return run(memory, calendar, supplier, "FileChallenge", {
        "date": "2026-12-28", "subject": "documents",
        "grounds": "资格条件排斥潜在供应商"}, today)


def test_without_a_holiday_file_the_deadline_is_provisional() -> None:
    package = build_calendar()
    if 2027 in package.known_years:
        pytest.skip("the installed chinese-calendar already knows 2027")
    filed = challenge_in_late_december(package)
    due = filed["answer_due"]
    # 29, 30, 31 December, then 1, 4, 5, 6 January on weekends alone.
    assert due["date"] == "2027-01-06"
    assert due["provisional"] is True and "2027" in due["reason"]


def test_with_the_operators_holiday_file_the_deadline_is_exact(tmp_path: Any) -> None:
    package = build_calendar()
    calendar = package.overlay(parse_holiday_file(HOLIDAYS_2027, "holidays-2027.toml"))
    filed = challenge_in_late_december(calendar)
    # New Year's Day 2027 is a holiday: the seventh working day moves to 7 January.
    assert filed["answer_due"] == {"date": "2027-01-07", "provisional": False, "reason": ""}
