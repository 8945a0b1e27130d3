"""Reading a sealed value 查阅密封信息 is itself an act on the record.

Inspectors and the finance office read every sealed value before it is disclosed (a bid
price before the opening, the evaluation committee before the result, an identity number
ever); any other actor only the values its own organisation sealed, except a sealed
challenge 质疑, which the purchaser and agency that answer it read and its challenger does
not (it has its envelope; a recorded read would name it). Each read is a signed
``ReadSealed`` request that becomes a ``SealedValueRead`` event: who read which sealed value,
of which procurement, when. Its data names the commitment, never the value.

One stream per reader (``sealed_reads_stream``): a reader's reads are numbered in order on
it, which is what a supervisor asks for ("what did this inspector read?"), and reads of one
hot value by several readers at once never conflict with each other (a stream per commitment
would make them). The verifier (``ledger.verify_reads``) replays the same rule from the log.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.domain.errors import Forbidden, Invalid
from ledger.domain.events import Signed, SignedCreated, SignedEvent, ValueAggregate
from ledger.domain.registry import Role, stream_id
from ledger.domain.registry_commands import Signer
from ledger.domain.schema import entries as E
from ledger.domain.schema.kinds import BY_DATA

SEALED_VALUE_READ: Final = E.SealedValueRead.__name__
READ_SEALED: Final = BY_DATA[E.SealedValueRead].command
#: Who may read any sealed value before it is disclosed; others only what they sealed.
SUPERVISORS: Final = frozenset({Role.INSPECTOR, Role.FINANCE_OFFICE})


def sealed_reads_stream(actor: str) -> UUID:
    return stream_id("sealed-reads", actor)


class SealedReads(ValueAggregate):
    """The sealed values one actor has read, in order."""

    class FirstRead(SignedCreated):
        event_type = SEALED_VALUE_READ

    class Read(SignedEvent):
        event_type = SEALED_VALUE_READ

        def apply(self, aggregate: SealedReads) -> None:
            aggregate.reads += 1

    def __init__(self, actor: str, key: str, command: str, signature: str, data: str) -> None:
        self.reads = 1


def may_read(
    role: Role, organisation: str, owner: str, actor: str, answering: frozenset[str] | None = None
) -> None:
    """Refuse (Forbidden, ``rule sealed.read``) a reader not entitled to a value ``owner``
    sealed. ``answering``: for a sealed challenge, the procurement's purchaser and agency,
    who read it in place of its sealer (the challenger's own read would name it)."""
    if role in SUPERVISORS:
        return
    if answering is not None:
        if organisation not in answering or role not in (Role.PURCHASER, Role.AGENCY):
            raise Forbidden(
                "rule sealed.read_challenge: a sealed challenge is read by inspectors, the "
                "finance office, and the purchaser and agency that answer it; "
                f"{actor} is {role.value} of {organisation}"
            )
        return
    if organisation != owner:
        raise Forbidden(
            "rule sealed.read: a sealed value is read by inspectors, the finance office "
            f"and the organisation that sealed it ({owner}); {actor} is "
            f"{role.value} of {organisation}"
        )


def read_data(commitment: str, procurement: str, signer: Signer) -> E.SealedValueRead:
    """What a read records: the value's commitment and procurement, and who read it."""
    return E.SealedValueRead(
        commitment=commitment,
        procurement=procurement,
        reader=signer.actor,
        organisation=signer.organisation,
    )


def record_read(
    signer: Signer,
    signed: Signed,
    named: str | None,
    commitment: str,
    procurement: str,
    owner: str,
    reads: SealedReads | None,
    answering: frozenset[str] | None = None,
) -> list[Aggregate]:
    """A read of the value kept under ``commitment`` (for ``procurement``, sealed by
    ``owner``): the reader's next ``SealedValueRead``. ``named``: the procurement the request
    itself names, if any, which must be the value's; ``answering`` as for ``may_read``."""
    may_read(signer.role, signer.organisation, owner, signer.actor, answering)
    if named is not None and named != procurement:
        raise Invalid(
            f"command.procurement is {named}, but the sealed value belongs to {procurement}"
        )
    fields = signed.fields(read_data(commitment, procurement, signer))
    if reads is None:
        first = SealedReads._create(
            SealedReads.FirstRead, id=sealed_reads_stream(signer.actor), **fields
        )
        return [first]
    reads.trigger_event(SealedReads.Read, **fields)
    return [reads]
