"""The service's projections, followed in one background thread (see ``ledger.log.follower``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from ledger.log.follower import Follower
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
        self.idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="projector", daemon=True)

    def setup(self, create: bool = True) -> None:
        """Create (or, ``create=False``, check) every projection's tables."""
        for follower in self.followers:
            follower.setup(create)

    def catch_up(self) -> None:
        for follower in self.followers:
            follower.catch_up()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:
                logger.exception("projection failed; retrying")
                self._stop.wait(1.0)
            self._stop.wait(self.idle_seconds)
