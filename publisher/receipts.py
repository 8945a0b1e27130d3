"""Receipts: each delivery, or each giving up, becomes an event signed by the publisher service.

Submitted in-process through ``Ledger.submit``, signed with the publisher service's key
(registered in the log for an actor of role publisher), so a receipt is checked like any
other command. Receipts are recorded exactly once although a worker may die between the
ledger's append and marking its job: the ledger refuses a second NoticeDelivered for the
same (notice, destination) (code ``exists``), and a failure receipt is only sent when the
ledger holds fewer failures for that delivery than the job has recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger
from ledger.domain.errors import Conflict, LedgerError
from ledger.domain.registry import Role
from publisher.config import Destination
from publisher.schema import Job
from publisher.sending import clean

MAX_ERROR = 500


def _site(d: Destination) -> dict[str, str]:
    """The website's display name for the receipt, when the destinations file gives one."""
    return {"site": d.title} if d.title else {}


class PublisherKeyError(ValueError):
    """The key given to the publisher cannot sign receipts."""


@dataclass(frozen=True)
class FailureReceipt:
    delivered: bool  # the ledger says the notice was delivered after all
    failures: int  # failure receipts the ledger now holds for this delivery
    new: bool  # this call appended one


class ReceiptWriter:
    def __init__(self, ledger: Ledger, key: Ed25519PrivateKey):
        self.ledger = ledger
        self.key = key
        key_id = signing.key_id(key)
        registered = ledger.registry.current_key(key_id)
        if registered is None:
            raise PublisherKeyError(
                f"the publisher key {key_id} is not registered in this ledger: register it "
                "(RegisterKey) for the publishing service's actor"
            )
        if registered.revoked:
            raise PublisherKeyError(
                f"the publisher key {key_id} was revoked: {registered.revocation_reason}"
            )
        if registered.role is not Role.PUBLISHER:
            raise PublisherKeyError(
                f"key {key_id} belongs to {registered.owner}, of role {registered.role.value}; "
                "receipts are signed by an actor of role publisher (发布服务)"
            )
        self.actor = registered.owner

    def _body(self, kind: str, payload: dict[str, Any], procurement: str) -> bytes:
        command = signing.new_command(
            kind, payload, actor=self.actor, key=self.key, procurement=procurement
        )
        return json.dumps(signing.sign(command, self.key), ensure_ascii=False).encode()

    def _submit(self, kind: str, payload: dict[str, Any], procurement: str) -> None:
        self.ledger.submit(self._body(kind, payload, procurement))

    def delivered(self, job: Job, d: Destination) -> bool:
        """Append NoticeDelivered; False when the ledger holds it already."""
        outcome = self.delivered_all([job], d)[0]
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome

    def delivered_all(self, jobs: Sequence[Job], d: Destination) -> list[bool | LedgerError]:
        """NoticeDelivered for each job, stored together: per job True (appended), False (the
        ledger holds it already) or why the ledger did not take it."""
        bodies = []
        for job in jobs:
            assert job.status is not None and job.response_digest and job.delivered_at
            payload = {
                "notice": job.notice,
                "destination": job.destination,
                **_site(d),
                "required": d.tuning.required,
                "attempts": max(1, job.attempts),
                "status": job.status,
                "response_digest": job.response_digest,
                "delivered_at": job.delivered_at,
            }
            bodies.append(self._body("RecordDelivery", payload, job.procurement))
        outcomes: list[bool | LedgerError] = []
        for outcome in self.ledger.submit_many(bodies):
            if isinstance(outcome, Conflict) and outcome.code == "exists":
                outcomes.append(False)
            elif isinstance(outcome, LedgerError):
                outcomes.append(outcome)
            else:
                outcomes.append(True)
        return outcomes

    def failed(self, job: Job, d: Destination) -> FailureReceipt:
        """Append NoticeDeliveryFailed unless the ledger holds it already."""
        known = self.ledger.registry.delivery(job.notice, job.destination)
        if known is not None and known.delivered:
            return FailureReceipt(delivered=True, failures=known.failures, new=False)
        if known is not None and known.failures > job.failures_recorded:
            return FailureReceipt(delivered=False, failures=known.failures, new=False)
        status = job.last_status if job.last_status and 100 <= job.last_status <= 599 else None
        payload = {
            "notice": job.notice,
            "destination": job.destination,
            **_site(d),
            "required": d.tuning.required,
            "attempts": job.attempts,
            "last_status": status,
            "last_error": clean(job.last_error or "no answer", MAX_ERROR) or "no answer",
            "failed_at": job.failed_at,
        }
        self._submit("RecordDeliveryFailure", payload, job.procurement)
        return FailureReceipt(delivered=False, failures=job.failures_recorded + 1, new=True)
