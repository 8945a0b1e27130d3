"""Delivery receipts 发布回执: the publisher service records each notice it pushed to a website.

One stream per (notice, destination). ``RecordDelivery`` appends NoticeDelivered: the
website answered 2xx, after so many attempts, with a response whose digest is kept.
``RecordDeliveryFailure`` appends NoticeDeliveryFailed when the publisher gave up (an
operator may requeue the job; a later success is still recorded, once). Only the publisher
service records these, and only for a leaf that is a notice.

For a destination the law requires (``required``), a notice must be on the website within
the cited limit of the time-limit table (``notice_published_on_website``), counted in
working days from the notice's own date: a late delivery or a failure carries a finding.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import orjson
from eventsourcing.domain import Aggregate

from ledger.domain import fields, text
from ledger.domain.context import Context, ContextHandler, Statutes, china_day
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.findings import basis_value, limit_finding, recorded_passes
from ledger.domain.registry import Role, stream_id
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import AnnouncementType

RULE: Final = "notice_published_on_website"
MAX_ATTEMPTS: Final = 100_000
MAX_SITE: Final = 60


@dataclass(frozen=True)
class Notice:
    """What the ledger knows of a notice leaf: its procurement, type and date."""

    index: int
    procurement: str
    announcement: str
    date: date


def delivery_stream(notice: int, destination: str) -> Any:
    return stream_id("delivery", f"{notice}:{destination}")


class Delivery(ValueAggregate):
    """The deliveries of one notice to one website: failures, then at most one success."""

    class DeliveredFirst(SignedCreated):
        event_type = E.NoticeDelivered.__name__

    class FailedFirst(SignedCreated):
        event_type = E.NoticeDeliveryFailed.__name__

    class Delivered(SignedEvent):
        event_type = E.NoticeDelivered.__name__

        def apply(self, aggregate: Delivery) -> None:
            aggregate.delivered = True

    class Failed(SignedEvent):
        event_type = E.NoticeDeliveryFailed.__name__

        def apply(self, aggregate: Delivery) -> None:
            aggregate.failures += 1

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        # The first event is a success or a failure; only a success has a status.
        values = orjson.loads(data)
        kind = E.NoticeDelivered if "status" in values else E.NoticeDeliveryFailed
        self.delivered = isinstance(kind.model_validate(values), E.NoticeDelivered)
        self.failures = 0 if self.delivered else 1


def _publisher(ctx: Context, what: str) -> None:
    if ctx.signer.role is not Role.PUBLISHER:
        raise Forbidden(
            f"rule roles.{what}: delivery receipts are recorded only by the publisher service "
            f"发布服务; {ctx.signer.actor} acts as {ctx.signer.role.value}"
        )


def _notice(ctx: Context) -> Notice:
    index = ctx.payload.get("notice")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise Invalid("payload.notice must be the log index of a notice")
    notice = ctx.view.notice(index)
    if notice is None:
        raise Invalid(f"log entry {index} is not a notice", code="not_a_notice")
    if ctx.procurement != notice.procurement:
        raise Invalid(
            f"command.procurement must be {notice.procurement}, the procurement of notice {index}"
        )
    return notice


def _moment(ctx: Context, name: str) -> datetime:
    value = ctx.payload.get(name)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if not isinstance(value, str) or moment is None or moment.tzinfo is None:
        raise Invalid(f"payload.{name} must be an RFC 3339 time with its offset")
    if china_day(moment) > ctx.today:
        raise Invalid(f"payload.{name} is after the day the receipt was signed")
    return moment


def _count(ctx: Context, name: str, low: int, high: int, required: bool = True) -> int | None:
    value = ctx.payload.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"payload.{name} must be an integer from {low} to {high}")
    return value


def _optional(ctx: Context) -> dict[str, Any]:
    """The fields a receipt has only when given: the website's display name (网站名称, the
    destinations file's ``title``; pages show it rather than the configured code), and the
    limits kept on a provisional deadline."""
    site = fields.text(ctx.payload, "site", limit=MAX_SITE, required=False)
    return {**({"site": site} if site else {}), **recorded_passes(ctx.statutes.calendar)}


def _required(ctx: Context) -> bool:
    value = ctx.payload.get("required")
    if not isinstance(value, bool):
        raise Invalid("payload.required must be true or false (a website the law requires)")
    return value


def website_findings(
    statutes: Statutes, published: date, on: date, required: bool, delivered: bool
) -> list[Finding]:
    """The finding of a notice on a required website: delivered ``on`` after the limit
    (late), or given up (missing: not there at all, whatever the day)."""
    if not required:
        return []
    if delivered:
        late = limit_finding(RULE, published, on, statutes.calendar, statutes.limits)
        return [] if late is None else [late]
    limit = statutes.limits.get(RULE)
    if limit is None:
        return []
    due = statutes.calendar.deadline_for(limit, published)
    missing = Finding(
        rule=limit.id,
        citation=limit.citation,
        description_zh=f"{limit.description_zh}（发布服务重试后仍未送达）",
        deadline=due.due,
        actual=None,
        provisional=due.provisional,
        reason=due.reason,
        start=published,
        basis=basis_value(statutes.calendar.basis(limit, due)),
    )
    return [missing]


def _findings(
    ctx: Context, notice: Notice, on: date, required: bool, delivered: bool
) -> list[Finding]:
    return website_findings(ctx.statutes, notice.date, on, required, delivered)


def _load(ctx: Context, notice: Notice, destination: str) -> Delivery | None:
    return ctx.view.delivery(notice.index, destination)


def _append(
    ctx: Context,
    delivery: Delivery | None,
    notice: Notice,
    destination: str,
    data: E.DeliveryData,
    delivered: bool,
) -> list[Aggregate]:
    """The event on the (notice, destination) stream: its first, or one more."""
    if delivery is None:
        first = Delivery.DeliveredFirst if delivered else Delivery.FailedFirst
        created = Delivery._create(
            first, id=delivery_stream(notice.index, destination), **ctx.signed.fields(data)
        )
        return [created]
    delivery.trigger_event(
        Delivery.Delivered if delivered else Delivery.Failed, **ctx.signed.fields(data)
    )
    return [delivery]


def record_delivery(ctx: Context) -> list[Aggregate]:
    """RecordDelivery: a website accepted the notice (2xx)."""
    _publisher(ctx, "record_delivery")
    fields.only(
        ctx.payload,
        ("notice", "destination", "site", "required", "attempts", "status",
         "response_digest", "delivered_at"),
    )  # fmt: skip
    notice = _notice(ctx)
    destination = fields.code(ctx.payload, "destination")
    attempts = _count(ctx, "attempts", 1, MAX_ATTEMPTS)
    status = _count(ctx, "status", 200, 299)
    digest = ctx.payload.get("response_digest")
    if not _is_digest(digest):
        raise Invalid("payload.response_digest must be the base64 SHA-256 of the response body")
    moment = _moment(ctx, "delivered_at")
    required = _required(ctx)
    on = china_day(moment)
    assert attempts is not None and status is not None and isinstance(digest, str)  # required
    data = E.NoticeDelivered(
        notice=notice.index,
        procurement=notice.procurement,
        announcement=AnnouncementType(notice.announcement),
        destination=destination,
        required=required,
        attempts=attempts,
        status=status,
        response_digest=digest,
        delivered_at=ctx.payload["delivered_at"],
        date=on,
        findings=_findings(ctx, notice, on, required, delivered=True),
        **_optional(ctx),
    )
    delivery = _load(ctx, notice, destination)
    if delivery is not None and delivery.delivered:
        raise Conflict(
            f"notice {notice.index} was already recorded as delivered to {destination}",
            code="exists",
        )
    return _append(ctx, delivery, notice, destination, data, delivered=True)


def record_delivery_failure(ctx: Context) -> list[Aggregate]:
    """RecordDeliveryFailure: the publisher gave up on a website after its retries."""
    _publisher(ctx, "record_delivery_failure")
    fields.only(
        ctx.payload,
        ("notice", "destination", "site", "required", "attempts", "last_status",
         "last_error", "failed_at"),
    )  # fmt: skip
    notice = _notice(ctx)
    destination = fields.code(ctx.payload, "destination")
    moment = _moment(ctx, "failed_at")
    required = _required(ctx)
    on = china_day(moment)
    attempts = _count(ctx, "attempts", 0, MAX_ATTEMPTS)
    assert attempts is not None  # required
    data = E.NoticeDeliveryFailed(
        notice=notice.index,
        procurement=notice.procurement,
        announcement=AnnouncementType(notice.announcement),
        destination=destination,
        required=required,
        attempts=attempts,  # 0: never sent (its site was disabled until the notice's time ran out)
        last_status=_count(ctx, "last_status", 100, 599, required=False),
        last_error=text.requirement(ctx.payload, "last_error", required=False)[:500],
        failed_at=ctx.payload["failed_at"],
        date=on,
        findings=_findings(ctx, notice, on, required, delivered=False),
        **_optional(ctx),
    )
    delivery = _load(ctx, notice, destination)
    if delivery is not None and delivery.delivered:
        raise Conflict(f"notice {notice.index} was already delivered to {destination}")
    return _append(ctx, delivery, notice, destination, data, delivered=False)


def _is_digest(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32 and base64.b64encode(raw).decode() == value


DELIVERY_HANDLERS: Final[dict[str, ContextHandler]] = {
    BY_DATA[E.NoticeDelivered].command: record_delivery,
    BY_DATA[E.NoticeDeliveryFailed].command: record_delivery_failure,
}
