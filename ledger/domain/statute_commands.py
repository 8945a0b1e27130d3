"""Statute-book commands: a finance office adopts the working calendar (``AdoptCalendar``)
and the time-limit table (``AdoptTimeLimits``); see ``statute_book``.

Pure decisions, like the registry's: given the verified signer, the payload and a view of
the ledger, they return the aggregates whose new events record the adoption, or raise an
error naming the rule that refuses it. Adopting a year also re-evaluates every result
recorded provisionally because that year was not adopted yet, each in its own entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol, TypeVar, cast

from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from ledger.domain import fields
from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.errors import Invalid
from ledger.domain.events import Signed
from ledger.domain.registry import Role, Signer
from ledger.domain.registry_commands import Handler, RegistryView, require_role
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.schema.values import Value
from ledger.domain.statute_book import (
    CALENDAR_STREAM,
    TABLE_STREAM,
    CalendarBook,
    Provisional,
    Refused,
    TableBook,
    check_table,
    check_years,
    reevaluate,
)

RULE: Final = "statutes.adopt"
SOURCE_LIMIT: Final = 200


class StatuteView(RegistryView, Protocol):
    def calendar_book(self) -> CalendarBook | None: ...
    def table_book(self) -> TableBook | None: ...

    def statutes(self) -> Statutes:
        """What the ledger measures with now."""
        ...

    def unadopted_limits(self) -> Mapping[str, TimeLimit]:
        """The packaged table: the rules this ledger's version measures."""
        ...

    def provisional(self, years: frozenset[int]) -> list[Provisional]:
        """The results recorded provisionally that wait for one of ``years``, as they stand
        (their latest re-evaluation, if any)."""
        ...


V = TypeVar("V", bound=Value)


def _parse(model: type[V], payload: dict[str, Any]) -> V:
    try:
        return model.model_validate(payload)
    except ValidationError as e:
        problem = e.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise Invalid(f"payload.{where}: {problem['msg']}") from None


def _source(payload: dict[str, Any]) -> None:
    fields.text(payload, "source", limit=SOURCE_LIMIT)


def adopt_calendar(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    """AdoptCalendar: the working calendar of one or more years (holidays and 调休 days,
    with the State Council's notice of each year's arrangement)."""
    require_role(RULE, signer, Role.FINANCE_OFFICE)
    fields.only(payload, ("years", "source"))
    _source(payload)
    data = _parse(E.CalendarAdopted, payload)
    try:
        check_years(data.years)
    except Refused as e:
        raise Invalid(str(e), code="bad_calendar") from None
    view = cast(StatuteView, registry)
    book = view.calendar_book()
    if book is None:
        book = CalendarBook._create(CalendarBook.Adopted, id=CALENDAR_STREAM, **signed.fields(data))
    else:
        book.trigger_event(CalendarBook.Readopted, **signed.fields(data))
    years = frozenset(y.year for y in data.years)
    now = Statutes(calendar=book.calendar, limits=view.statutes().limits)
    for item in view.provisional(years):
        if item.waits_for(years):
            result = reevaluate(item, now)
            if result is not None:
                book.trigger_event(CalendarBook.Reevaluated, **signed.fields(result))
    return [book]


def adopt_time_limits(
    signer: Signer, payload: dict[str, Any], signed: Signed, registry: RegistryView
) -> list[Aggregate]:
    """AdoptTimeLimits: the time-limit table, whole, each rule with its citation."""
    require_role(RULE, signer, Role.FINANCE_OFFICE)
    fields.only(payload, ("limits", "source"))
    _source(payload)
    data = _parse(E.TimeLimitsAdopted, payload)
    view = cast(StatuteView, registry)
    try:
        check_table(data.limits, view.unadopted_limits())
    except Refused as e:
        raise Invalid(str(e), code="bad_time_limits") from None
    book = view.table_book()
    if book is None:
        book = TableBook._create(TableBook.Adopted, id=TABLE_STREAM, **signed.fields(data))
    else:
        book.trigger_event(TableBook.Readopted, **signed.fields(data))
    return [book]


HANDLERS: Final[Mapping[str, Handler]] = {
    BY_DATA[E.CalendarAdopted].command: adopt_calendar,
    BY_DATA[E.TimeLimitsAdopted].command: adopt_time_limits,
}
