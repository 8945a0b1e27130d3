"""Keeping OCDS releases up with the log, in tables of the caller's own.

The OCDS projection (``projections.ocds``) and the publisher's planner both follow the log
and need each notice's release; each owns its tables (a component never reads another's),
so each has a ``Teller`` over its own table prefix, and both make releases with the same
fold (``story.told``) and the same mapping (``release.release``).

A release is stored without its ``ocid``: the configured prefix gives it when read, so a
changed prefix needs no rebuild. Applying a leaf twice changes nothing (a replayed leaf is
skipped by the story, a release is keyed by its leaf).
"""

from __future__ import annotations

from typing import Any, assert_never

import orjson

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import Entry
from ledger.log.merkle import leaf_hash_b64
from ledger.ocds.release import DEFAULT_OCID_PREFIX, ocid, release
from ledger.ocds.story import Organisation, Story, registered, told
from ledger.store.sql import Cursor


class Teller:
    """Releases, stories and organisations in the tables ``<prefix>_releases``, …"""

    def __init__(self, prefix: str):
        self.releases = f"{prefix}_releases"
        self.stories = f"{prefix}_stories"
        self.organisations = f"{prefix}_organisations"

    def tables(self) -> tuple[str, ...]:
        return (self.organisations, self.stories, self.releases)

    def schema(self) -> list[str]:
        r = self.releases
        return [
            f"CREATE TABLE IF NOT EXISTS {self.organisations} (code TEXT PRIMARY KEY, "
            "data TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.stories} (code TEXT PRIMARY KEY, "
            "story TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {r} (leaf_index BIGINT PRIMARY KEY, "
            "procurement TEXT NOT NULL, year INTEGER NOT NULL, date TEXT NOT NULL, "
            "release TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {r}_by_procurement ON {r} (procurement, leaf_index)",
            f"CREATE INDEX IF NOT EXISTS {r}_by_year ON {r} (year, leaf_index)",
        ]

    def drop(self) -> list[str]:
        return [f"DROP TABLE IF EXISTS {t}" for t in self.tables()]

    def apply(self, cur: Cursor, index: int, entry: Entry[E.EntryData], leaf: bytes) -> None:
        data = entry.data
        match data:
            case E.OrganisationRegistered() | E.OrganisationAmended():
                before = self._organisation(cur, data.code)
                after = registered(before, data)
                if after is not None:
                    self._save(cur, self.organisations, "data", after.code,
                               after.model_dump_json(), insert=before is None)  # fmt: skip
            case (
                E.PlanFiled() | E.PlanApproved() | E.PlanRejected() | E.MethodApproved()
                | E.IntentionDisclosed() | E.TenderAnnounced() | E.AnnouncementCorrected()
                | E.PrequalificationAnnounced() | E.PrequalificationCompleted()
                | E.BidBoxClosed() | E.BidsOpened() | E.EvaluationCompleted()
                | E.AwardDecided() | E.ResultAnnounced() | E.ContractSigned()
                | E.ContractAnnounced() | E.ContractFiled() | E.SupplementaryContractSigned()
                | E.CandidatesPublished() | E.TenderReportFiled()
                | E.BidDepositsRefunded() | E.CallOffSigned() | E.CallOffAnnounced()
                | E.AcceptanceRecorded() | E.Archived()
                | E.ProcurementFailed() | E.ProcurementTerminated()
                | E.ProcurementSuspended() | E.ProcurementResumed()
            ):  # fmt: skip
                self._told(cur, index, data, leaf)
            case (
                E.ActorRegistered() | E.KeyRegistered() | E.KeyRevoked() | E.SealedValueRead()
                | E.SupplierDebarred()
                | E.ChallengeFiled() | E.ChallengeAnswered() | E.ChallengeWithdrawn()
                | E.ComplaintFiled() | E.ComplaintScreened() | E.ComplaintDecided()
                | E.ComplaintWithdrawn()
                | E.NoticeDelivered() | E.NoticeDeliveryFailed() | E.BidCommitted()
                | E.CalendarAdopted() | E.TimeLimitsAdopted() | E.TimingReevaluated()
            ):  # fmt: skip
                pass  # nothing an OCDS 1.1 release tells
            case E.ReleaseImported():
                pass  # another system's release, not a notice of ours: not republished
            case _:
                assert_never(data)

    def release_at(self, cur: Cursor, index: int, prefix: str) -> dict[str, Any] | None:
        """The release of notice ``index``, with the ocid of ``prefix``."""
        row = cur.execute(
            f"SELECT procurement, release FROM {self.releases} WHERE leaf_index = ?",  # noqa: S608
            (index,),
        ).fetchone()
        return None if row is None else with_ocid(prefix, str(row[0]), row[1])

    def _told(self, cur: Cursor, index: int, data: E.ProcurementData, leaf: bytes) -> None:
        row = cur.execute(
            f"SELECT story FROM {self.stories} WHERE code = ?",  # noqa: S608
            (data.procurement,),
        ).fetchone()
        before = None if row is None else Story.model_validate_json(row[0])
        after = told(before, index, data)
        if after is None or after is before:
            return  # an act before its plan, or a leaf told already
        self._save(cur, self.stories, "story", after.code, after.model_dump_json(),
                   insert=before is None)  # fmt: skip
        if isinstance(data, E.Summary) and data.announcement is not None:
            names = {c: o for c in sorted(_named(after))
                     if (o := self._organisation(cur, c)) is not None}  # fmt: skip
            made = release(after, index, data, leaf_hash_b64(leaf), names, DEFAULT_OCID_PREFIX)
            del made["ocid"]
            cur.execute(
                f"INSERT INTO {self.releases} (leaf_index, procurement, year, date, release) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?)",
                (index, after.code, data.date.year, made["date"], orjson.dumps(made).decode()),
            )

    def _organisation(self, cur: Cursor, code: str) -> Organisation | None:
        row = cur.execute(
            f"SELECT data FROM {self.organisations} WHERE code = ?",  # noqa: S608
            (code,),
        ).fetchone()
        return None if row is None else Organisation.model_validate_json(row[0])

    @staticmethod
    def _save(cur: Cursor, table: str, column: str, code: str, value: str, insert: bool) -> None:
        if insert:
            cur.execute(f"INSERT INTO {table} (code, {column}) VALUES (?, ?)", (code, value))  # noqa: S608
        else:
            cur.execute(f"UPDATE {table} SET {column} = ? WHERE code = ?", (value, code))  # noqa: S608


def with_ocid(prefix: str, procurement: str, stored: str | bytes) -> dict[str, Any]:
    """A stored release with the ocid of ``prefix`` first, as OCDS lists it."""
    return {"ocid": ocid(prefix, procurement), **orjson.loads(stored)}


def _named(s: Story) -> set[str]:
    """Every organisation a release of ``s`` may name."""
    codes = {s.purchaser, *(b.supplier for b in s.bids)}
    codes |= {c for c in (s.agency, s.winner, s.proposed_supplier) if c is not None}
    return codes
