"""What a projection is: a consumer of the log (``ledger.log.follower.Consumer``) owning
tables of its own, built from the log's leaves in index order.

A projection never reads another component's tables: it reads leaves through the ledger's
``LogReader`` and writes only the tables it declares.
"""

from __future__ import annotations

from ledger.log.follower import Consumer, Entry

Projection = Consumer

__all__ = ["Entry", "Projection"]
