"""The service's projections, followed in one background thread (see ``ledger.log.follower``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ledger.log.follower import Follower
from ledger.log.loop import FollowLoop
from ledger.store.sql import PostgresDatabase, SQLiteDatabase
from projections.projection import Projection

__all__ = ["Follower", "Projector"]

logger = logging.getLogger("sunshine.projections")


class Projector:
    """Every projection of the service, followed in one background thread."""

    def __init__(
        self,
        db: SQLiteDatabase | PostgresDatabase,
        projections: Sequence[Projection],
        idle_seconds: float = 0.2,
    ):
        self.followers = [Follower(db, p) for p in projections]
        self._loop = FollowLoop("projector", self.catch_up, idle_seconds, logger)

    def setup(self, create: bool = True) -> None:
        """Create (or, ``create=False``, check) every projection's tables."""
        for follower in self.followers:
            follower.setup(create)

    def catch_up(self) -> bool:
        """Every projection brought up to the log; whether any moved on."""
        before = [follower.position() for follower in self.followers]
        return [follower.catch_up() for follower in self.followers] != before

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
