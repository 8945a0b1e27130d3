"""Bids through the sealed box: a supplier's ``SubmitBid`` and ``ObtainDocuments``, and the
agency's ``CloseBidBox``.

``SubmitBid`` is decided like any command (the supplier's key, signature, nonce; the
procurement takes bids, before its deadline), but what it records is the box's: one
``BidCommitted`` leaf on a fresh random stream holding only the salted commitment to the
supplier's signed envelope (``bid_box``). A change or withdrawal before the deadline
(财政部令第87号 第三十四条) is a new envelope naming the commitment it ``supersedes``.

``CloseBidBox`` at the deadline records, on the procurement, the root over its box's
commitments padded with dummies, so the opening can be checked complete and the count stays
hidden until then (第二十八条).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import fields
from ledger.domain.bid_box import (
    OBTAIN_DOCUMENTS,
    SUBMIT_BID,
    box_root,
    dummies,
    live_envelope,
)
from ledger.domain.context import CHINA, Context, ContextHandler
from ledger.domain.errors import Conflict, Forbidden, Invalid
from ledger.domain.events import SignedCreated, ValueAggregate
from ledger.domain.lifecycle import Action, Stage
from ledger.domain.procurement import EVENTS
from ledger.domain.procurement_commands import (
    BIDDING,
    MINUTE,
    act_minute,
    action_date,
    identity_number,
    load,
    participants,
    price,
    sealed_field,
)
from ledger.domain.record import ProcurementRecord
from ledger.domain.roles import authorise
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA
from ledger.domain.vocabulary import Role

DIGEST: Final = re.compile(r"[0-9a-f]{64}\Z")


#: The namespace of the box's envelope streams (``envelope_stream``).
ENVELOPE_STREAMS: Final = UUID("94bdfe8c-1e5e-466c-aa23-24022cdb9b60")


def envelope_stream(commitment: str) -> UUID:
    """An envelope's stream, named by its commitment: public in its leaf and unique in the
    sealed store, and never derived from the procurement. A supplier's receipts find the
    box's leaf from the commitment alone, not by reading every envelope of the province."""
    return uuid5(ENVELOPE_STREAMS, commitment)


class SealedBid(ValueAggregate):
    """One envelope taken in by the box: a stream of its own, never derived from the
    procurement, so the public cannot tell which procurement it belongs to."""

    class Committed(SignedCreated):
        event_type = E.BidCommitted.__name__

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.commitment = E.BidCommitted.model_validate_json(data).commitment


def no_box() -> Conflict:
    return Conflict(
        "rule bid_box.registered: the ledger's bid box 投标箱服务 has no registered key, so "
        "no bid or challenge can be taken in sealed; the finance office registers it (an "
        "organisation of kind bid_box, its actor, and the key `sunshine bid-box key` prints)",
        code="no_bid_box",
    )


def _taking_bids(p: ProcurementRecord, what: str) -> None:
    if p.method not in BIDDING:
        raise Invalid(f"rule lifecycle.{what}: {p.method.label} takes no sealed bids",
                      code="lifecycle")  # fmt: skip
    if p.state.closed is not None or p.state.progress is not Stage.ANNOUNCED or p.box:
        raise Conflict(
            f"rule lifecycle.{what}: the bid box is open only between the procurement "
            f"announcement and the bid deadline (current: {p.state.label}"
            + (", 投标箱已封存)" if p.box else ")"),
            code="lifecycle",
        )


def _before_deadline(ctx: Context, p: ProcurementRecord, on: Any, set_at: str | None) -> None:
    """By the deadline day, and, on the deadline day itself, by its minute: the signing
    time for an envelope sent today (the ledger accepts it only fresh), the ``time`` it
    states for one recorded later (HH:MM, Beijing time), which the day of the deadline needs.
    A bid at 09:31 against a 09:30 deadline is late (财政部令第87号 第三十三条).

    ``set_at``, when the notice setting the deadline was signed, tells a live box from a
    transcription: a deadline recorded before it passed makes the box the way bids came in,
    so an envelope signed after it is late whatever ``date`` and ``time`` it states; a
    deadline already past when it was recorded is a paper tender recorded after the fact,
    whose bids are transcribed with the day and minute their paper receipts show."""
    deadline = p.bid_deadline
    stated = ctx.payload.get("time")
    if stated is not None and not (isinstance(stated, str) and MINUTE.match(stated)):
        raise Invalid("payload.time must be the minute the envelope was sent, HH:MM")
    if deadline is None:
        return
    at = f"{deadline} {p.bid_deadline_time or '23:59'}"
    if ctx.issued_at is not None and signed_late(at, set_at, ctx.issued_at.isoformat()):
        raise Conflict(
            f"rule bid_box.signed_by_deadline: 投标截止时间为{at}（北京时间），此投标文件签名于"
            f"{china_minute(ctx)}，已逾期，电子投标箱不予接收（财政部令第87号 第三十三条）; "
            "an envelope signed after the deadline is late whatever date it states",
            code="lifecycle",
        )
    late = on > deadline
    if not late and on == deadline and p.bid_deadline_time is not None:
        if on == ctx.today:
            minute = china_minute(ctx)[11:]
        elif stated is None:
            raise Invalid(
                f"payload.time (HH:MM, Beijing time) is required for an envelope dated on "
                f"the deadline day {deadline}: the deadline is {p.bid_deadline_time}"
            )
        else:
            minute = stated
        late = minute > p.bid_deadline_time
    if late:
        at = f"{deadline} {p.bid_deadline_time or ''}".strip()
        raise Conflict(f"rule lifecycle.bid_deadline: the bid deadline was {at}",
                       code="lifecycle")  # fmt: skip


def china_minute_of(moment: str) -> str:
    """An RFC 3339 moment (a command's ``issued_at``) in China time: ``YYYY-MM-DD HH:MM``."""
    at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def signed_late(deadline_at: str, deadline_signed_at: str | None, signed_at: str) -> bool:
    """An envelope signed (``signed_at``, RFC 3339) after the deadline ``deadline_at``
    (``YYYY-MM-DD HH:MM``, China time) of a live box: one whose notice setting that deadline
    was signed (``deadline_signed_at``) before it passed (财政部令第87号 第三十三条). A deadline
    recorded after it passed is a paper tender transcribed, whose stated times count."""
    if deadline_signed_at is None:
        return False
    return china_minute_of(deadline_signed_at) <= deadline_at < china_minute_of(signed_at)


def china_minute(ctx: Context) -> str:
    """When the command was signed, in China time to the minute: ``YYYY-MM-DD HH:MM``."""
    issued = ctx.issued_at or datetime.combine(ctx.today, datetime.min.time(), CHINA)
    return issued.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _supplier(ctx: Context, rule: str, what: str) -> str:
    """The signer's organisation, refusing (``rule roles.<rule>``) a signer not a supplier."""
    if ctx.signer.role is not Role.SUPPLIER:
        raise Forbidden(
            f"rule roles.{rule}: only a supplier 供应商 {what}; "
            f"{ctx.signer.actor} acts as {ctx.signer.role.value}"
        )
    return ctx.signer.organisation


def _sealed(
    ctx: Context, code: str, supplier: str, supersedes: str | None = None,
    withdrawn: bool = False, obtained: bool = False,
) -> list[Aggregate]:  # fmt: skip
    """The command's envelope taken into the box: the box's ``BidCommitted`` on a stream
    of its own (``envelope_stream``)."""
    if ctx.box is None:
        raise no_box()
    commitment, signed = ctx.box.seal(code, supplier, supersedes, withdrawn, obtained)
    data = E.BidCommitted(commitment=commitment)
    return [SealedBid._create(
        SealedBid.Committed, id=envelope_stream(commitment), **signed.fields(data)
    )]


def submit_bid(ctx: Context) -> list[Aggregate]:
    """SubmitBid: a supplier's bid 投标（响应）文件, a change to it or its withdrawal."""
    procurement = load(ctx)
    p = procurement.record
    supplier = _supplier(ctx, "submit_bid", "submits a bid")
    fields.only(
        ctx.payload,
        ("date", "time", "price", "representative_id", "documents", "supersedes", "withdraw"),
    )
    on = action_date(ctx, p)
    _taking_bids(p, "submit_bid")
    _before_deadline(ctx, p, on, procurement.deadline_signed_at)
    withdraw = ctx.payload.get("withdraw", False)
    if not isinstance(withdraw, bool):
        raise Invalid("payload.withdraw must be true or false")
    supersedes = ctx.payload.get("supersedes")
    live = live_envelope(ctx.view.bid_box(p.code, supplier), supplier)
    if supersedes is not None:
        if live is None or supersedes != live.commitment:
            raise Conflict(
                "rule bid_box.supersedes: payload.supersedes must be the commitment of your "
                "latest envelope on this procurement (from its receipt)",
                code="not_superseded",
            )
    elif live is not None:
        raise Conflict(
            f"{supplier} has already submitted a bid on {p.code}; a change, a withdrawal or "
            "a new bid after a withdrawal names the latest commitment in payload.supersedes "
            "(87号令 第三十四条)",
            code="exists",
        )
    if withdraw:
        if supersedes is None:
            raise Invalid("a withdrawal names the bid it takes back in payload.supersedes")
        if any(ctx.payload.get(f) is not None for f in ("price", "representative_id")):
            raise Invalid("a withdrawal carries no price and no representative")
    else:
        sealed_field(ctx, "price", price)
        sealed_field(ctx, "representative_id", identity_number, required=False)
    documents = ctx.payload.get("documents")
    if documents is not None and not (isinstance(documents, str) and DIGEST.match(documents)):
        raise Invalid("payload.documents must be the SHA-256 of the bid documents, in hex")
    return _sealed(ctx, p.code, supplier, supersedes, withdraw)


def obtain_documents(ctx: Context) -> list[Aggregate]:
    """ObtainDocuments: a supplier obtained the procurement documents 获取采购文件.

    Who obtained them is as secret as who bids (财政部令第87号 第二十八条): the envelope goes
    into the box like a bid, and the opening discloses it as ``obtained``. It gives the
    supplier standing to challenge the documents (财政部令第94号 第十一条)."""
    procurement = load(ctx)
    p = procurement.record
    supplier = _supplier(ctx, "obtain_documents", "obtains the documents")
    fields.only(ctx.payload, ("date", "time"))
    on = action_date(ctx, p)
    _taking_bids(p, "obtain_documents")
    _before_deadline(ctx, p, on, procurement.deadline_signed_at)
    if any(e.obtained for e in ctx.view.bid_box(p.code, supplier)):
        raise Conflict(f"{supplier} has already obtained the documents of {p.code}",
                       code="exists")  # fmt: skip
    return _sealed(ctx, p.code, supplier, obtained=True)


def close_bid_box(ctx: Context) -> list[Aggregate]:
    """CloseBidBox: at the deadline, the box's commitments summed up, padded and closed."""
    procurement = load(ctx)
    p = procurement.record
    authorise(ctx.signer, Action.OPEN_BIDS, participants(p))
    fields.only(ctx.payload, ("date", "time"))
    on = action_date(ctx, p)
    # Closing before the deadline is recorded, not refused: the opening that follows is
    # measured against the deadline and raises its finding, as an early opening always has.
    _taking_bids(p, "close_bid_box")
    closed_at = act_minute(ctx, on, "the closing")
    if ctx.box is None:
        raise no_box()
    envelopes = [e.commitment for e in ctx.view.bid_box(p.code) if e.supplier is not None]
    padding = dummies(len(envelopes))
    ctx.box.close(p.code, len(envelopes), padding)
    members = [*envelopes, *(commitment for commitment, _ in padding)]
    data = E.BidBoxClosed(
        procurement=p.code,
        date=on,
        closed_at=closed_at,
        root=box_root(members),
        size=len(members),
    )
    procurement.trigger_event(EVENTS[E.BidBoxClosed], **ctx.signed.fields(data))
    return [procurement]


BID_HANDLERS: Final[dict[str, ContextHandler]] = {
    SUBMIT_BID: submit_bid,
    OBTAIN_DOCUMENTS: obtain_documents,
    BY_DATA[E.BidBoxClosed].command: close_bid_box,
}
