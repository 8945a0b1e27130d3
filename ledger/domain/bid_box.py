"""The sealed bid box 电子投标箱: what is committed, how a closed box is summed up, and
what an opening must show.

Before the deadline nobody but the ledger's bid-box service may learn who bids on a
procurement, or how many (财政部令第87号 第二十八条; 招标投标法 第二十二条). A supplier's
signed ``SubmitBid`` command (its *envelope*) is therefore never a public leaf: the box
commits to it with a fresh salt (``sealed.commitment_of``), keeps it in the sealed store,
and logs only the commitment, signed by the box, on a stream of its own.

At the deadline the box is *closed*: the commitments kept for the procurement, padded with
dummy commitments to a bucket of ``max(16, next power of two)``, sorted, and summed up by
their RFC 6962 Merkle root. A procurement with one bid and one with five close alike.
The *opening* discloses every member of that set (each envelope or dummy with its salt), so
anyone can check that nothing committed was dropped and nothing was added after closing.

Pure: no I/O besides the system's random source (a dummy's salt).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

from ledger.domain.errors import Conflict
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Opened
from ledger.domain.sealed import Disclosure, seal

#: Sixteen: a box holds a bidder's obtaining of the documents beside its bid, and a county's
#: tender rarely has more than eight bidders, so nearly every box closes alike.
MIN_BUCKET: Final = 16
#: The supplier's commands whose envelopes the box keeps.
SUBMIT_BID: Final = "SubmitBid"
OBTAIN_DOCUMENTS: Final = "ObtainDocuments"
#: What the box's signature on a supplier's receipt 签收回执 starts with.
RECEIPT_CONTEXT: Final = "sunshine-ledger bid receipt v1"
#: What a member of a closed box turned out to be at its opening.
Status = Literal["bid", "superseded", "withdrawn", "obtained", "dummy"]
#: What a dummy commits to (with its own fresh salt).
DUMMY: Final = None


@dataclass(frozen=True)
class BoxEntry:
    """One commitment kept in a procurement's box, as the box's private index knows it."""

    commitment: str
    supplier: str | None  # None: a dummy added at closing
    supersedes: str | None = None  # the supplier's earlier commitment this one replaces
    withdrawn: bool = False  # a withdrawal 撤回: the supplier takes its bid back
    obtained: bool = False  # the supplier obtained the documents 获取采购文件 (no bid)



@dataclass(frozen=True)
class SupplierEnvelope:
    """One of a supplier's envelopes, for its own list of receipts: in which procurement's
    box, and whether that box is closed."""

    procurement: str
    entry: BoxEntry
    closed: bool

def bucket_size(count: int) -> int:
    """How many members a closed box with ``count`` envelopes holds: the count hidden."""
    size = MIN_BUCKET
    while size < count:
        size *= 2
    return size


def dummies(count: int) -> list[tuple[str, Disclosure]]:
    """Fresh dummy commitments (to ``null``) padding ``count`` envelopes to the bucket."""
    made = []
    for _ in range(bucket_size(count) - count):
        commitment, disclosure = seal(DUMMY)
        made.append((commitment["commitment"], disclosure))
    return made


def box_root(commitments: Iterable[str]) -> str:
    """RFC 6962 Merkle tree hash over the sorted commitments' 32 bytes, in base64.

    The set's size is a power of two, so the tree is perfect and needs no split rule."""
    level = [
        hashlib.sha256(b"\x00" + base64.b64decode(c)).digest() for c in sorted(commitments)
    ]
    if not level or len(level) & (len(level) - 1):
        raise ValueError(f"a closed box holds a power of two of members, not {len(level)}")
    while len(level) > 1:
        level = [
            hashlib.sha256(b"\x01" + level[n] + level[n + 1]).digest()
            for n in range(0, len(level), 2)
        ]
    return base64.b64encode(level[0]).decode()


def statuses(entries: Sequence[BoxEntry]) -> dict[str, Status]:
    """Each commitment's status at the opening: a supplier's latest envelope is its bid
    unless it withdrew; every envelope it replaced is superseded; its obtaining of the
    documents is obtained; padding is a dummy."""
    replaced = {e.supersedes for e in entries if e.supersedes is not None}
    found: dict[str, Status] = {}
    for entry in entries:
        if entry.supplier is None:
            found[entry.commitment] = "dummy"
        elif entry.obtained:
            found[entry.commitment] = "obtained"
        elif entry.commitment in replaced:
            found[entry.commitment] = "superseded"
        elif entry.withdrawn:
            found[entry.commitment] = "withdrawn"
        else:
            found[entry.commitment] = "bid"
    return found


def with_standing(entries: Sequence[BoxEntry], documents: bool) -> set[str]:
    """The suppliers the box gives standing to challenge: those with a bid in it, and, for a
    challenge to the documents, every supplier that obtained them or sent an envelope
    (财政部令第94号 第十一条: 参与所质疑项目采购活动的供应商, 含已依法获取采购文件的潜在供应商)."""
    status = statuses(entries)
    return {
        e.supplier
        for e in entries
        if e.supplier is not None and (documents or status[e.commitment] == "bid")
    }


def live_envelope(entries: Sequence[BoxEntry], supplier: str) -> BoxEntry | None:
    """The supplier's envelope that nothing replaced yet (its bid or its withdrawal)."""
    replaced = {e.supersedes for e in entries if e.supersedes is not None}
    live = [
        e
        for e in entries
        if e.supplier == supplier and not e.obtained and e.commitment not in replaced
    ]
    return live[-1] if live else None


def envelope_command(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The supplier's signed command inside an envelope ``{command, signature}``."""
    command = orjson.loads(envelope["command"])
    if not isinstance(command, dict):
        raise ValueError("an envelope's command is a JSON object")
    return command


def opening(
    entries: Sequence[BoxEntry], disclosure: Callable[[str], Disclosure | None]
) -> tuple[list[E.OpenedBid], list[E.BoxMember]]:
    """What the opening of a closed box discloses: the effective bids, each price opened, in
    the order they came, and every member of the set (sorted by commitment) with its salt."""

    def disclosed(commitment: str, what: str) -> Disclosure:
        found = disclosure(commitment)
        if found is None:
            raise Conflict(
                f"the sealed value of {what} ({commitment}) is not in the sealed store; "
                "the operator must restore it before the bids can be opened",
                code="sealed_value_missing",
            )
        return found

    status = statuses(entries)
    members = []
    for entry in sorted(entries, key=lambda e: e.commitment):
        kept = disclosed(entry.commitment, "a member of the bid box")
        members.append(
            E.BoxMember(
                commitment=entry.commitment,
                salt=kept.salt_b64,
                status=status[entry.commitment],
                envelope=None if entry.supplier is None else kept.value,
            )
        )
    bids = []
    for entry in entries:
        if status[entry.commitment] != "bid":
            continue
        assert entry.supplier is not None  # a dummy is never a bid
        envelope = disclosed(entry.commitment, f"{entry.supplier}'s bid").value
        price = envelope_command(envelope)["payload"]["price"]["commitment"]
        opened = disclosed(price, f"{entry.supplier}'s price")
        bids.append(
            E.OpenedBid(
                supplier=entry.supplier,
                price=Opened(commitment=price, value=opened.value, salt=opened.salt_b64),
            )
        )
    return bids, members
