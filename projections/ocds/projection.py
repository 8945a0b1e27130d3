"""The OCDS projection: one release per notice, built as the log arrives.

Beside each notice's release it keeps what the next releases need: each procurement's
``Story`` (``ledger.ocds.story``) and the registry's organisations, for the parties' names.
A release is stored without its ``ocid``, which the configured prefix gives when it is read
(``queries``), so changing the prefix needs no rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, assert_never

import orjson

from ledger.domain.schema import entries as E
from ledger.log.merkle import leaf_hash_b64
from ledger.ocds.release import release
from ledger.ocds.story import Organisation, Story, registered, told
from ledger.store.sql import Cursor
from projections.projection import Entry

TABLES: Final = ("ocds_organisations", "ocds_stories", "ocds_releases")
SCHEMA: Final = [
    "CREATE TABLE IF NOT EXISTS ocds_organisations (code TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ocds_stories (code TEXT PRIMARY KEY, story TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ocds_releases (leaf_index BIGINT PRIMARY KEY, "
    "procurement TEXT NOT NULL, year INTEGER NOT NULL, date TEXT NOT NULL, "
    "release TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ocds_releases_by_procurement ON ocds_releases "
    "(procurement, leaf_index)",
    "CREATE INDEX IF NOT EXISTS ocds_releases_by_year ON ocds_releases (year, leaf_index)",
]
#: Stands for the configured prefix in a stored release (whose ocid is dropped).
_NO_PREFIX: Final = "ocds-000000"


class OcdsProjection:
    name = "ocds"
    version = 1

    def create(self, sqlite: bool) -> Sequence[str]:
        return SCHEMA

    def drop(self) -> Sequence[str]:
        return [f"DROP TABLE IF EXISTS {t}" for t in TABLES]

    def tables(self) -> Sequence[str]:
        return TABLES

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        data = entry.data
        match data:
            case E.OrganisationRegistered() | E.OrganisationAmended():
                before = organisation(cur, data.code)
                after = registered(before, data)
                if after is not None:
                    _save_organisation(cur, after, insert=before is None)
            case (
                E.PlanFiled() | E.PlanApproved() | E.PlanRejected() | E.MethodApproved()
                | E.IntentionDisclosed() | E.TenderAnnounced() | E.AnnouncementCorrected()
                | E.BidSubmitted() | E.BidsOpened() | E.EvaluationCompleted()
                | E.AwardDecided() | E.ResultAnnounced() | E.ContractSigned()
                | E.ContractAnnounced() | E.AcceptanceRecorded() | E.Archived()
                | E.ProcurementFailed() | E.ProcurementTerminated()
                | E.ProcurementSuspended() | E.ProcurementResumed()
            ):  # fmt: skip
                self._told(cur, index, data, leaf)
            case (
                E.ActorRegistered() | E.KeyRegistered() | E.KeyRevoked() | E.SealedValueRead()
                | E.ChallengeFiled() | E.ChallengeAnswered() | E.ChallengeWithdrawn()
                | E.ComplaintFiled() | E.ComplaintDecided() | E.ComplaintWithdrawn()
                | E.NoticeDelivered() | E.NoticeDeliveryFailed()
            ):  # fmt: skip
                pass  # nothing OCDS 1.1 core tells
            case _:
                assert_never(data)

    def _told(self, cur: Cursor, index: int, data: E.ProcurementData, leaf: bytes) -> None:
        before = story(cur, data.procurement)
        after = told(before, index, data)
        if after is None:
            return  # an act before its plan: no procurement to tell of yet
        if before is None:
            cur.execute("INSERT INTO ocds_stories (code, story) VALUES (?, ?)",
                        (after.code, after.model_dump_json()))  # fmt: skip
        else:
            cur.execute("UPDATE ocds_stories SET story = ? WHERE code = ?",
                        (after.model_dump_json(), after.code))  # fmt: skip
        if isinstance(data, E.Summary) and data.announcement is not None:
            names = organisations(cur, _named(after))
            made = release(after, index, data, leaf_hash_b64(leaf), names, _NO_PREFIX)
            del made["ocid"]
            cur.execute(
                "INSERT INTO ocds_releases (leaf_index, procurement, year, date, release) "
                "VALUES (?, ?, ?, ?, ?)",
                (index, after.code, data.date.year, made["date"], orjson.dumps(made).decode()),
            )


def _named(s: Story) -> set[str]:
    """Every organisation a release of ``s`` may name."""
    codes = {s.purchaser, *(b.supplier for b in s.bids)}
    codes |= {c for c in (s.agency, s.winner, s.proposed_supplier) if c is not None}
    return codes


def story(cur: Cursor, code: str) -> Story | None:
    row = cur.execute("SELECT story FROM ocds_stories WHERE code = ?", (code,)).fetchone()
    return None if row is None else Story.model_validate_json(row[0])


def organisation(cur: Cursor, code: str) -> Organisation | None:
    row = cur.execute("SELECT data FROM ocds_organisations WHERE code = ?", (code,)).fetchone()
    return None if row is None else Organisation.model_validate_json(row[0])


def organisations(cur: Cursor, codes: set[str]) -> dict[str, Organisation]:
    found = (organisation(cur, code) for code in sorted(codes))
    return {o.code: o for o in found if o is not None}


def _save_organisation(cur: Cursor, found: Organisation, insert: bool) -> None:
    if insert:
        cur.execute("INSERT INTO ocds_organisations (code, data) VALUES (?, ?)",
                    (found.code, found.model_dump_json()))  # fmt: skip
    else:
        cur.execute("UPDATE ocds_organisations SET data = ? WHERE code = ?",
                    (found.model_dump_json(), found.code))  # fmt: skip
