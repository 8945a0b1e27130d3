"""Planning: a follower of the log makes one delivery job per (notice, destination).

The planner is a ``Consumer`` of ``ledger.log.follower``: the jobs a batch of leaves plans
are inserted in the same transaction as the planner's position, so a crash or restart
neither skips a notice nor plans one twice (the (notice, destination) key makes planning
idempotent besides). A NoticeDelivered leaf marks its job done, so the jobs can be rebuilt
from the log alone without sending a delivered notice again.

A destination added to the configuration later gets every earlier notice too (backfill),
planned under the planner's own lock so that no batch slips between.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.follower import Entry, _lock
from ledger.log.merkle import leaf_hash_b64
from ledger.log.reader import LogReader
from ledger.store.sql import Cursor, PostgresDatabase, SQLiteDatabase
from publisher.config import PublisherConfig
from publisher.schema import OCDS, SCHEMA, mark_done_by_receipt, notify, plan_job
from publisher.webhooks import webhook_id

BACKFILL_BATCH = 1000


def notice_of(entry: Entry) -> E.Summary | None:
    """The entry's notice: a lifecycle entry that publishes one, else None."""
    data = entry.data
    if isinstance(data, E.Summary) and data.announcement is not None:
        return data
    return None


def is_notice(entry: Entry) -> bool:
    return notice_of(entry) is not None


class Planner:
    """The Consumer that plans delivery jobs (its position is kept as ``publisher``)."""

    name = "publisher"
    # 2: each notice's OCDS release, made as it is planned (``OCDS``'s tables)
    version = 2

    def __init__(self, config: PublisherConfig, sqlite: bool, ocds: bool = True):
        self.config = config
        self.sqlite = sqlite
        self.ocds = ocds  # False: a backfill, which plans notices whose releases exist

    def create(self, sqlite: bool) -> Sequence[str]:
        return [*SCHEMA, *OCDS.schema()]

    def drop(self) -> Sequence[str]:
        # Jobs hold what was sent and what the ledger was told: a new planner version
        # replans from the log (idempotently) but never forgets them. The OCDS releases
        # are made again from the log.
        return OCDS.drop()

    def tables(self) -> Sequence[str]:
        return ("publisher_jobs",)

    def flush(self, cur: Cursor) -> None:
        """Nothing kept back: each leaf's rows are written as it is applied."""

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        if self.ocds:
            OCDS.apply(cur, index, entry, leaf)  # before its jobs: a job's release exists
        notice = notice_of(entry)
        if notice is not None:
            assert notice.announcement is not None
            announcement = notice.announcement.value
            now = time.time()
            planned = False
            for d in self.config.destinations:
                if d.wants(announcement, notice.region):
                    msg_id = webhook_id(index, leaf_hash_b64(leaf), d.name)
                    plan_job(cur, index, d.name, notice.procurement, announcement, msg_id, now)
                    planned = True
            if planned:
                notify(cur, self.sqlite)
        elif isinstance(entry.data, E.NoticeDelivered):
            mark_done_by_receipt(cur, entry.data.notice, entry.data.destination)


def backfill(db: SQLiteDatabase | PostgresDatabase, planner: Planner, names: Sequence[str]) -> int:
    """Plan the notices the planner passed before destinations ``names`` were configured.

    Runs under the planner's lock, so its position cannot move meanwhile. The leaves read."""
    wanted = tuple(d for d in planner.config.destinations if d.name in names)
    if not wanted:
        return 0
    only = Planner(replace(planner.config, destinations=wanted), planner.sqlite, ocds=False)
    with db.write(_lock(planner.name)) as cur:
        row = cur.execute(
            "SELECT position FROM projection_positions WHERE name = ?", (planner.name,)
        ).fetchone()
        position = 0 if row is None else int(row[0])
        for start in range(0, position, BACKFILL_BATCH):
            count = min(BACKFILL_BATCH, position - start)
            for offset, leaf in enumerate(LogReader.entries_in(cur, start, count)):
                only.apply(cur, start + offset, parse_entry(leaf), leaf)
    return position
