"""What a lifecycle command is decided with: the signer, the payload, the records it reads.

Registry commands (``registry_commands``) need only the registry; lifecycle, challenge and
complaint commands also read the procurement they act on, its challenges and complaints,
sealed values sent beside the command or kept in the sealed store, the statutory clock, and
the day the command was signed. ``Context`` carries all of it, so every handler stays a pure
decision: ``Context`` in, aggregates with new events out, or an error naming the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, Protocol

from eventsourcing.domain import Aggregate

from ledger.domain.bid_box import BoxEntry
from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.documents import HeldDocument
from ledger.domain.events import Signed
from ledger.domain.registry_commands import RegistryView, Signer
from ledger.domain.sealed import Disclosure

if TYPE_CHECKING:
    from ledger.domain.challenges import Challenge, Complaint
    from ledger.domain.deliveries import Delivery, Notice
    from ledger.domain.procurement import Procurement

#: China Standard Time has had no daylight saving since 1991: a fixed offset is exact.
CHINA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_day(moment: datetime) -> date:
    """The calendar day in China at ``moment``: the day statutory limits count in."""
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True)
class Statutes:
    """The working calendar and the time-limit table findings are measured with."""

    calendar: WorkingCalendar
    limits: Mapping[str, TimeLimit]


class LedgerView(RegistryView, Protocol):
    """The records a lifecycle decision reads. Each answer is current when it is given."""

    def procurement(self, code: str) -> Procurement | None: ...
    def challenge(self, number: str) -> Challenge | None: ...
    def complaint(self, number: str) -> Complaint | None: ...

    def disclosure(self, commitment: str) -> Disclosure | None:
        """The value and salt of a sealed value kept in the sealed store, if any."""
        ...

    def notice(self, index: int) -> Notice | None:
        """The notice at log index ``index``; None when that leaf is no notice."""
        ...

    def delivery(self, notice: int, destination: str) -> Delivery | None: ...

    def document(self, sha256: str) -> HeldDocument | None:
        """The attached document the document store holds under ``sha256`` (base64)."""
        ...

    def bid_box(self, procurement: str, supplier: str | None = None) -> list[BoxEntry]:
        """The commitments the bid box keeps for ``procurement`` (only ``supplier``'s, if
        given), in the order they came."""
        ...


class BidBox(Protocol):
    """The ledger's bid-box service 投标箱服务, for the one command being decided: it seals
    bids, and the challenger and grounds of a challenge 质疑."""

    def seal(
        self,
        procurement: str,
        supplier: str,
        supersedes: str | None,
        withdrawn: bool,
        obtained: bool = False,
    ) -> tuple[str, Signed]:
        """Commit to the command's envelope (a bid, or ``obtained``, an obtaining of the
        documents) with a fresh salt and keep it sealed in the box; the commitment, and the
        box's signed ``CommitBid`` that records it."""
        ...

    def seal_for(
        self, kind: str, procurement: str, supplier: str, public: dict[str, Any]
    ) -> tuple[str, str, Signed]:
        """Seal the command's envelope (a challenge, its withdrawal) with a fresh salt; the
        commitment, its salt, and the box's signed ``kind`` command recording ``public``
        with the commitment as ``payload.envelope``."""
        ...

    def close(
        self, procurement: str, envelopes: int, dummies: list[tuple[str, Disclosure]]
    ) -> None:
        """Keep the closing's dummies, and refuse the closing if the box then holds another
        number of envelopes than ``envelopes``."""
        ...


@dataclass(frozen=True)
class Context:
    """One signed command, verified, with everything its decision may read."""

    signer: Signer
    payload: dict[str, Any]
    signed: Signed
    procurement: str | None  # the command's "procurement" field
    today: date  # the day in China when the command was signed
    sealed: Mapping[str, Disclosure]  # commitment → value and salt sent beside the command
    view: LedgerView
    statutes: Statutes
    box: BidBox | None = None  # None: no bid box is registered
    issued_at: datetime | None = None  # when the command was signed (``today`` is its day)


ContextHandler = Callable[[Context], list[Aggregate]]
