"""The public projection: what the announcement pages, feeds and challenge lookup read.

Built from leaves alone. Everything a leaf holds is public already (sealed values appear in
leaves only as commitments until their disclosure event), so these tables hold nothing that
is not in the log; they arrange it for reading: organisations by code, procurements with
their current stage, announcements with search text, a public timeline per procurement,
challenges and complaints with their statutory due dates.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Final

import orjson

from ledger.domain.lifecycle import Stage
from ledger.domain.money import Money
from ledger.store.sql import Cursor
from projections.projection import Entry

TABLES: Final = (
    "pub_organisations",
    "pub_procurements",
    "pub_announcements",
    "pub_timeline",
    "pub_challenges",
    "pub_complaints",
    "pub_deliveries",
)

_COMMON = [
    "CREATE TABLE IF NOT EXISTS pub_organisations (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, region TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pub_procurements (code TEXT PRIMARY KEY, title TEXT NOT NULL, "
    "purchaser TEXT NOT NULL, agency TEXT, region TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, budget_fen BIGINT NOT NULL, stage TEXT NOT NULL, closed TEXT, "
    "suspended INTEGER NOT NULL, plan_date TEXT NOT NULL, last_date TEXT NOT NULL, "
    "winner TEXT, award_fen BIGINT, contract_fen BIGINT, plan_leaf BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pub_announcements (leaf_index BIGINT PRIMARY KEY, "
    "procurement TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL, "
    "purchaser TEXT NOT NULL, agency TEXT, region TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, published_on TEXT NOT NULL, budget_fen BIGINT NOT NULL, "
    "amount_fen BIGINT, supplier TEXT, leaf_hash TEXT NOT NULL, data TEXT NOT NULL, "
    "search TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_date "
    "ON pub_announcements (published_on DESC, leaf_index DESC)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_type "
    "ON pub_announcements (type, published_on DESC, leaf_index DESC)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_procurement "
    "ON pub_announcements (procurement, leaf_index)",
    "CREATE TABLE IF NOT EXISTS pub_timeline (leaf_index BIGINT PRIMARY KEY, "
    "procurement TEXT NOT NULL, event TEXT NOT NULL, date TEXT NOT NULL, actor TEXT NOT NULL, "
    "data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_timeline_by_procurement ON pub_timeline "
    "(procurement, leaf_index)",
    "CREATE TABLE IF NOT EXISTS pub_challenges (number TEXT PRIMARY KEY, "
    "procurement TEXT NOT NULL, supplier TEXT NOT NULL, subject TEXT NOT NULL, "
    "filed_on TEXT NOT NULL, known_on TEXT NOT NULL, grounds TEXT NOT NULL, "
    "answer_due TEXT, answer_due_provisional INTEGER NOT NULL, answer_due_reason TEXT NOT NULL, "
    "status TEXT NOT NULL, outcome TEXT, closed_on TEXT, answer TEXT, "
    "withdrawal_reason TEXT, filed_leaf BIGINT NOT NULL, closed_leaf BIGINT)",
    "CREATE INDEX IF NOT EXISTS pub_challenges_by_procurement ON pub_challenges "
    "(procurement, filed_leaf)",
    "CREATE TABLE IF NOT EXISTS pub_complaints (number TEXT PRIMARY KEY, "
    "challenge TEXT NOT NULL, procurement TEXT NOT NULL, supplier TEXT NOT NULL, "
    "filed_on TEXT NOT NULL, grounds TEXT NOT NULL, decision_due TEXT, "
    "decision_due_provisional INTEGER NOT NULL, decision_due_reason TEXT NOT NULL, "
    "status TEXT NOT NULL, outcome TEXT, closed_on TEXT, decision TEXT, "
    "withdrawal_reason TEXT, filed_leaf BIGINT NOT NULL, closed_leaf BIGINT)",
    # The public list of decisions, newest first, and a challenge's complaints.
    "CREATE INDEX IF NOT EXISTS pub_complaints_by_decision ON pub_complaints "
    "(status, closed_on, closed_leaf)",
    "CREATE INDEX IF NOT EXISTS pub_complaints_by_challenge ON pub_complaints (challenge)",
    # The publisher's receipts: where and when each notice went out, or that it did not.
    "CREATE TABLE IF NOT EXISTS pub_deliveries (leaf_index BIGINT PRIMARY KEY, "
    "notice BIGINT NOT NULL, destination TEXT NOT NULL, delivered INTEGER NOT NULL, "
    "required INTEGER NOT NULL, status INTEGER, attempts INTEGER NOT NULL, at TEXT NOT NULL, "
    "actor TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_deliveries_by_notice ON pub_deliveries (notice, leaf_index)",
]

SQLITE: Final = [
    *_COMMON,
    # Trigram full-text search: any three characters of Chinese or Latin text match.
    "CREATE VIRTUAL TABLE IF NOT EXISTS pub_search USING fts5(body, tokenize='trigram')",
]
POSTGRES: Final = [
    *_COMMON,
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS pub_announcements_search ON pub_announcements "
    "USING gin (search gin_trgm_ops)",
]

#: Procurement events whose leaf publishes no notice but belongs on the public timeline.
PROCUREMENT_EVENTS: Final = frozenset(
    {
        "PlanFiled", "PlanApproved", "PlanRejected", "MethodApproved", "IntentionDisclosed",
        "TenderAnnounced", "AnnouncementCorrected", "BidSubmitted", "BidsOpened",
        "EvaluationCompleted", "AwardDecided", "ResultAnnounced", "ContractSigned",
        "ContractAnnounced", "AcceptanceRecorded", "Archived", "ProcurementFailed",
        "ProcurementTerminated", "ProcurementSuspended", "ProcurementResumed",
    }
)  # fmt: skip
DELIVERY_EVENTS: Final = frozenset({"NoticeDelivered", "NoticeDeliveryFailed"})
STREAM_EVENTS: Final = frozenset(
    {
        "ChallengeFiled", "ChallengeAnswered", "ChallengeWithdrawn",
        "ComplaintFiled", "ComplaintDecided", "ComplaintWithdrawn",
    }
)  # fmt: skip


def fen(amount: object) -> int | None:
    return Money.parse(amount, "amount").fen if isinstance(amount, str) else None


def leaf_hash_b64(leaf: bytes) -> str:
    return base64.b64encode(hashlib.sha256(b"\x00" + leaf).digest()).decode()


class PublicProjection:
    name = "public"
    # 2: withdrawal reasons, indexes for challenges and complaint decisions;
    # 3: delivery receipts (pub_deliveries)
    version = 3

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite  # SQLite keeps search text in an FTS5 table of its own

    def create(self, sqlite: bool) -> Sequence[str]:
        return SQLITE if sqlite else POSTGRES

    def drop(self) -> Sequence[str]:
        return [*(f"DROP TABLE IF EXISTS {t}" for t in TABLES), "DROP TABLE IF EXISTS pub_search"]

    def tables(self) -> Sequence[str]:
        return TABLES

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        kind, data = entry["type"], entry["data"]
        if kind in ("OrganisationRegistered", "OrganisationAmended"):
            _organisation(cur, kind, data)
        elif kind in PROCUREMENT_EVENTS:
            _procurement(cur, index, entry)
            _timeline(cur, index, entry)
            if data.get("announcement"):
                _announcement(cur, index, entry, leaf, self.sqlite)
        elif kind in STREAM_EVENTS:
            _HANDLERS[kind](cur, index, data)
            _timeline(cur, index, entry)
        elif kind in DELIVERY_EVENTS:
            _delivery(cur, index, entry)


def _delivery(cur: Cursor, index: int, entry: Entry) -> None:
    data = entry["data"]
    delivered = entry["type"] == "NoticeDelivered"
    cur.execute(
        "INSERT INTO pub_deliveries (leaf_index, notice, destination, delivered, required, "
        "status, attempts, at, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index, data["notice"], data["destination"], 1 if delivered else 0,
            1 if data.get("required") else 0,
            data.get("status") if delivered else data.get("last_status"), data["attempts"],
            data["delivered_at"] if delivered else data["failed_at"], entry["actor"],
            orjson.dumps(data).decode(),
        ),
    )  # fmt: skip


def _organisation(cur: Cursor, kind: str, data: dict[str, Any]) -> None:
    if kind == "OrganisationRegistered":
        cur.execute(
            "INSERT INTO pub_organisations (code, name, kind, region) VALUES (?, ?, ?, ?)",
            (data["code"], data["name"], data["kind"], data["region"]),
        )
        return
    for column in ("name", "region"):
        if column in data:
            cur.execute(
                f"UPDATE pub_organisations SET {column} = ? WHERE code = ?",  # noqa: S608
                (data[column], data["code"]),
            )


def _procurement(cur: Cursor, index: int, entry: Entry) -> None:
    data = entry["data"]
    state = data.get("state")
    if entry["type"] == "PlanFiled":
        cur.execute(
            "INSERT INTO pub_procurements (code, title, purchaser, agency, region, category, "
            "method, budget_fen, stage, closed, suspended, plan_date, last_date, plan_leaf) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?)",
            (
                data["procurement"], data["title"], data["purchaser"], data["agency"],
                data["region"], data["category"], data["method"], fen(data["budget"]),
                Stage.NONE.value, data["date"], data["date"], index,
            ),
        )  # fmt: skip
        return
    code = data["procurement"]
    cur.execute(
        "UPDATE pub_procurements SET last_date = ? WHERE code = ? AND last_date < ?",
        (data["date"], code, data["date"]),
    )
    if state is not None:
        cur.execute(
            "UPDATE pub_procurements SET stage = ?, closed = ?, suspended = ? WHERE code = ?",
            (state["progress"], state["closed"], 1 if state["suspended"] else 0, code),
        )
    if entry["type"] == "AwardDecided":
        cur.execute(
            "UPDATE pub_procurements SET winner = ?, award_fen = ? WHERE code = ?",
            (data["supplier"], fen(data["amount"]), code),
        )
    elif entry["type"] == "ContractSigned":
        cur.execute(
            "UPDATE pub_procurements SET contract_fen = ? WHERE code = ?",
            (fen(data["amount"]), code),
        )


def _announcement(cur: Cursor, index: int, entry: Entry, leaf: bytes, sqlite: bool) -> None:
    data = entry["data"]
    text = [data.get(k) for k in ("title", "requirement", "qualifications", "changes", "reason")]
    search = " ".join(t for t in [data["procurement"], *text] if isinstance(t, str))
    cur.execute(
        "INSERT INTO pub_announcements (leaf_index, procurement, type, title, purchaser, agency, "
        "region, category, method, published_on, budget_fen, amount_fen, supplier, leaf_hash, "
        "data, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index, data["procurement"], data["announcement"], data["title"], data["purchaser"],
            data["agency"], data["region"], data["category"], data["method"], data["date"],
            fen(data["budget"]), fen(data.get("amount")), data.get("supplier"),
            leaf_hash_b64(leaf), orjson.dumps(data).decode(), search,
        ),
    )  # fmt: skip
    if sqlite:
        cur.execute("INSERT INTO pub_search (rowid, body) VALUES (?, ?)", (index, search))


def _timeline(cur: Cursor, index: int, entry: Entry) -> None:
    data = entry["data"]
    cur.execute(
        "INSERT INTO pub_timeline (leaf_index, procurement, event, date, actor, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (index, data["procurement"], entry["type"], data["date"], entry["actor"],
         orjson.dumps(data).decode()),
    )  # fmt: skip


def _due(data: dict[str, Any], name: str) -> tuple[str | None, int, str]:
    due = data.get(name) or {}
    return due.get("date"), 1 if due.get("provisional") else 0, due.get("reason", "")


def _challenge_filed(cur: Cursor, index: int, data: dict[str, Any]) -> None:
    cur.execute(
        "INSERT INTO pub_challenges (number, procurement, supplier, subject, filed_on, known_on, "
        "grounds, answer_due, answer_due_provisional, answer_due_reason, status, filed_leaf) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        (data["number"], data["procurement"], data["supplier"], data["subject"], data["date"],
         data["known_on"], data["grounds"], *_due(data, "answer_due"), index),
    )  # fmt: skip


def _closed(table: str, status: str, text_column: str | None) -> Callable[..., None]:
    def close(cur: Cursor, index: int, data: dict[str, Any]) -> None:
        text = data.get("answer", data.get("decision", data.get("reason")))
        cur.execute(
            f"UPDATE {table} SET status = ?, outcome = ?, closed_on = ?, closed_leaf = ?"  # noqa: S608
            + (f", {text_column} = ?" if text_column else "")
            + " WHERE number = ?",
            (status, data.get("outcome"), data["date"], index,
             *([text] if text_column else []), data["number"]),
        )  # fmt: skip

    return close


def _complaint_filed(cur: Cursor, index: int, data: dict[str, Any]) -> None:
    cur.execute(
        "INSERT INTO pub_complaints (number, challenge, procurement, supplier, filed_on, grounds, "
        "decision_due, decision_due_provisional, decision_due_reason, status, filed_leaf) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        (data["number"], data["challenge"], data["procurement"], data["supplier"], data["date"],
         data["grounds"], *_due(data, "decision_due"), index),
    )  # fmt: skip


_HANDLERS: Final[dict[str, Callable[[Cursor, int, dict[str, Any]], None]]] = {
    "ChallengeFiled": _challenge_filed,
    "ChallengeAnswered": _closed("pub_challenges", "answered", "answer"),
    "ChallengeWithdrawn": _closed("pub_challenges", "withdrawn", "withdrawal_reason"),
    "ComplaintFiled": _complaint_filed,
    "ComplaintDecided": _closed("pub_complaints", "decided", "decision"),
    "ComplaintWithdrawn": _closed("pub_complaints", "withdrawn", "withdrawal_reason"),
}
