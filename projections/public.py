"""The public projection: what the announcement pages, feeds and challenge lookup read.

Built from leaves alone. Everything a leaf holds is public already (sealed values appear in
leaves only as commitments until their disclosure event), so these tables hold nothing that
is not in the log; they arrange it for reading: organisations by code, procurements with
their current stage, announcements with search text, a public timeline per procurement,
challenges and complaints with their statutory due dates.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import Final, assert_never

import orjson
from pydantic import TypeAdapter

from ledger.domain.bid_box import envelope_command
from ledger.domain.money import Money
from ledger.domain.record import ProcurementRecord, fold
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Due, Value
from ledger.domain.vocabulary import Outcome
from ledger.log.follower import BATCH
from ledger.log.merkle import leaf_hash_b64
from ledger.store.sql import Cursor
from projections import search_text
from projections.projection import Entry

#: A procurement's record as its row keeps it, to fold the next entry onto.
RECORD: Final = TypeAdapter(ProcurementRecord)
#: Records remembered from one full batch to the next while catching up, with the JSON
#: they were read or written as (about 12 kB each, 50 MB in all): a procurement's leaves
#: are spread over the log, a few a batch, and parsing its record back cost more than the
#: rest of its leaf.
REMEMBERED: Final = 4096

TABLES: Final = (
    "pub_organisations",
    "pub_organisation_changes",
    "pub_debarments",
    "pub_procurements",
    "pub_announcements",
    "pub_timeline",
    "pub_challenges",
    "pub_complaints",
    "pub_deliveries",
)

_COMMON = [
    "CREATE TABLE IF NOT EXISTS pub_organisations (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, region TEXT NOT NULL, credit_code TEXT, address TEXT NOT NULL, "
    "contact TEXT, telephone TEXT, sme TEXT, registered_on TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_organisations_by_credit_code "
    "ON pub_organisations (credit_code)",
    # Each amendment of an organisation's details: what it changed, and when.
    "CREATE TABLE IF NOT EXISTS pub_organisation_changes (leaf_index BIGINT PRIMARY KEY, "
    "code TEXT NOT NULL, recorded_at TEXT NOT NULL, changes TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_organisation_changes_by_code "
    "ON pub_organisation_changes (code, leaf_index)",
    # A supplier's 禁止参加政府采购活动 periods, as the finance office recorded them.
    "CREATE TABLE IF NOT EXISTS pub_debarments (leaf_index BIGINT PRIMARY KEY, "
    "code TEXT NOT NULL, since TEXT NOT NULL, until TEXT NOT NULL, "
    "document_number TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_debarments_by_code ON pub_debarments (code, leaf_index)",
    "CREATE TABLE IF NOT EXISTS pub_procurements (code TEXT PRIMARY KEY, title TEXT NOT NULL, "
    "purchaser TEXT NOT NULL, agency TEXT, region TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, budget_fen BIGINT NOT NULL, stage TEXT NOT NULL, closed TEXT, "
    "suspended INTEGER NOT NULL, plan_date TEXT NOT NULL, last_date TEXT NOT NULL, "
    "winner TEXT, award_fen BIGINT, contract_fen BIGINT, plan_leaf BIGINT NOT NULL, "
    "record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pub_announcements (leaf_index BIGINT PRIMARY KEY, "
    "procurement TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL, "
    "purchaser TEXT NOT NULL, agency TEXT, region TEXT NOT NULL, category TEXT NOT NULL, "
    "method TEXT NOT NULL, published_on TEXT NOT NULL, budget_fen BIGINT NOT NULL, "
    "amount_fen BIGINT, supplier TEXT, leaf_hash TEXT NOT NULL, data TEXT NOT NULL, "
    "search TEXT NOT NULL, ordinal BIGINT NOT NULL, purchaser_name TEXT NOT NULL, "
    "supplier_name TEXT)",
    # The archived feed's pages: the n-th notice in log order, whatever its date.
    "CREATE UNIQUE INDEX IF NOT EXISTS pub_announcements_by_ordinal "
    "ON pub_announcements (ordinal)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_date "
    "ON pub_announcements (published_on DESC, leaf_index DESC)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_type "
    "ON pub_announcements (type, published_on DESC, leaf_index DESC)",
    # The list filtered by region or purchaser, newest first, and its count: an index range
    # rather than a walk of every date (a province has 120 regions, 2,880 purchasers).
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_region "
    "ON pub_announcements (region, published_on DESC, leaf_index DESC)",
    "CREATE INDEX IF NOT EXISTS pub_announcements_by_purchaser "
    "ON pub_announcements (purchaser, published_on DESC, leaf_index DESC)",
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
    "withdrawal_reason TEXT, filed_leaf BIGINT NOT NULL, closed_leaf BIGINT, "
    "document_number TEXT, basis TEXT, authority TEXT)",
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
    # Bigram full-text search (projections/search_text.py): the rowid is the sort key; a
    # prefix index on 3 and 5 characters answers 1-character queries (ASCII, Chinese).
    "CREATE VIRTUAL TABLE IF NOT EXISTS pub_search USING fts5(title, body, facets, "
    "tokenize='unicode61', prefix='3 5')",
]
#: PostgreSQL: a text's characters and pairs of characters (as ``search_text.pieces`` of its
#: fields, joined by spaces: the pairs that span two fields hold a space, which no word of a
#: query does; GIN keeps each piece once). Computed by the index from the text, so the table
#: holds no array and its rows stay narrow. Its cost (about 50 µs a notice) is declared, so
#: that the planner reads the index rather than compute it for each row it filters.
PIECES_FUNCTION: Final = (
    "CREATE OR REPLACE FUNCTION pub_pieces(t TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE "
    "STRICT PARALLEL SAFE COST 10000 AS $$ SELECT array_remove(string_to_array(t, NULL) "
    "|| ARRAY(SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) i), ' ') $$"
)
POSTGRES: Final = [
    *_COMMON,
    PIECES_FUNCTION,
    # The filters as elements of the same array (``search_text.terms``).
    "CREATE OR REPLACE FUNCTION pub_facets(type TEXT, category TEXT, method TEXT, "
    "purchaser TEXT, region TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT ARRAY['t:' || type, 'c:' || category, 'm:' || method, 'p:' || purchaser, "
    "'r:' || region] $$",
    # The search table: one narrow row per notice (about 350 bytes where the notice's row
    # holds its entry data, 1.9 kB), keyed by the sort key (``search_text.sort_key``), with
    # the filters, the title and the text lower-cased. A GIN index of the text's pieces and
    # the filters' terms, and one of the title's, intersect a query's words and filters
    # before a row is read; LIKE then checks the words as written.
    "CREATE TABLE IF NOT EXISTS pub_search (key BIGINT PRIMARY KEY, type TEXT NOT NULL, "
    "category TEXT NOT NULL, method TEXT NOT NULL, purchaser TEXT NOT NULL, "
    "region TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pub_search_pieces ON pub_search USING gin ((pub_pieces(body) "
    "|| pub_facets(type, category, method, purchaser, region)))",
    "CREATE INDEX IF NOT EXISTS pub_search_title_pieces ON pub_search USING gin "
    "((pub_pieces(title) || pub_facets(type, category, method, purchaser, region)))",
    # A common text under a filter: newest first along the filter's own index.
    "CREATE INDEX IF NOT EXISTS pub_search_by_type ON pub_search (type, key)",
    "CREATE INDEX IF NOT EXISTS pub_search_by_region ON pub_search (region, key)",
    "CREATE INDEX IF NOT EXISTS pub_search_by_purchaser ON pub_search (purchaser, key)",
]


def fen(amount: object) -> int | None:
    return Money.parse(amount, "amount").fen if isinstance(amount, str) else None


class PublicProjection:
    name = "public"
    # 2: withdrawal reasons, indexes for challenges and complaint decisions;
    # 3: delivery receipts (pub_deliveries); 4: each procurement's folded record;
    # 5: organisations' identities and their amendments (pub_organisation_changes);
    # 6: each notice's ordinal and the names it was published under (the archived feed);
    # 7: supplementary contracts are notices (补充合同公告); complaint decisions' 文号,
    # 处理依据 and 执法机关; 8: suppliers' debarments (pub_debarments); 9: the 资格预审
    # result on the timeline, and the record's qualified suppliers; 10: search by character
    # pairs on SQLite (title, text and filters), on PostgreSQL an array of characters and
    # pairs in place of the trigram index; 11: PostgreSQL's search in a narrow table of its
    # own (pub_search), its pieces computed by the index
    version = 11

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite  # SQLite keeps search text in an FTS5 table of its own
        self._batch: _Batch | None = None
        self._remembered: OrderedDict[str, tuple[str, ProcurementRecord]] = OrderedDict()

    def create(self, sqlite: bool) -> Sequence[str]:
        return SQLITE if sqlite else POSTGRES

    def drop(self) -> Sequence[str]:
        return [*(f"DROP TABLE IF EXISTS {t}" for t in TABLES), "DROP TABLE IF EXISTS pub_search"]

    def tables(self) -> Sequence[str]:
        # PostgreSQL's search table is a table like the others: granted to the application
        # role, and compared between a rebuild and the original (SQLite's is FTS5's own).
        return TABLES if self.sqlite else (*TABLES, "pub_search")

    def apply(self, cur: Cursor, index: int, entry: Entry, leaf: bytes) -> None:
        batch = self._batch_of(cur)
        batch.leaves += 1
        data = entry.data
        match data:
            case E.OrganisationRegistered() | E.OrganisationAmended():
                _organisation(cur, index, entry.recorded_at, data)
                batch.names.pop(data.code, None)
            case E.SupplierDebarred():
                cur.execute(
                    "INSERT INTO pub_debarments (leaf_index, code, since, until, "
                    "document_number, reason) VALUES (?, ?, ?, ?, ?, ?)",
                    (index, data.code, data.since.isoformat(), data.until.isoformat(),
                     data.document_number, data.reason),
                )  # fmt: skip
            case (
                E.ActorRegistered() | E.KeyRegistered() | E.KeyRevoked() | E.SealedValueRead()
                | E.BidCommitted()
            ):  # fmt: skip
                pass  # nothing a public page shows (a sealed bid names no procurement)
            case E.PlanFiled():
                self._record(cur, batch, index, None, data)
                _timeline(batch, index, entry, data, _json(data))
            case (
                E.PlanApproved() | E.PlanRejected() | E.MethodApproved() | E.IntentionDisclosed()
                | E.PrequalificationAnnounced() | E.PrequalificationCompleted()
                | E.TenderAnnounced() | E.AnnouncementCorrected() | E.BidBoxClosed()
                | E.BidsOpened() | E.EvaluationCompleted() | E.AwardDecided()
                | E.ResultAnnounced() | E.ContractSigned() | E.ContractAnnounced()
                | E.ContractFiled() | E.SupplementaryContractSigned() | E.BidDepositsRefunded()
                | E.AcceptanceRecorded() | E.CandidatesPublished() | E.TenderReportFiled()
                | E.CallOffSigned() | E.CallOffAnnounced() | E.AcceptanceRecorded()
                | E.Archived() | E.ProcurementFailed()
                | E.ProcurementTerminated() | E.ProcurementSuspended() | E.ProcurementResumed()
            ):  # fmt: skip
                self._record(cur, batch, index, self._before(cur, batch, data.procurement), data)
                dumped = _json(data)
                _timeline(batch, index, entry, data, dumped)
                if isinstance(data, E.Summary) and data.announcement is not None:
                    _announcement(cur, batch, index, data, leaf, dumped, self.sqlite)
            case (
                E.ChallengeFiled() | E.ChallengeAnswered() | E.ChallengeWithdrawn()
                | E.ComplaintFiled() | E.ComplaintScreened() | E.ComplaintDecided()
                | E.ComplaintWithdrawn()
            ):  # fmt: skip
                _stream(cur, index, data)
                _timeline(batch, index, entry, data, _json(data))
            case E.NoticeDelivered() | E.NoticeDeliveryFailed():
                _delivery(cur, index, entry, data)
            case E.TimingReevaluated():
                if data.procurement is not None:  # on the timeline of the entry's procurement
                    _reevaluated(batch, index, entry, data)
            case E.CalendarAdopted() | E.TimeLimitsAdopted():
                pass  # the statute book itself: each finding names the entries it used
            case E.ReleaseImported():
                pass  # another system's release: not a notice of ours, on no public page
            case _:
                assert_never(data)

    def _batch_of(self, cur: Cursor) -> _Batch:
        """What this transaction wrote so far. A follower applies a batch of leaves in one
        transaction through one cursor, holding the projection's lock (``consumer_lock``):
        while the cursor is the same, no one else wrote these rows. Another cursor (the
        next batch, or the same leaves again after a rollback) reads them afresh; holding
        the cursor keeps a later one from taking its identity."""
        if self._batch is None or self._batch.cursor is not cur:
            self._batch = _Batch(cur)
        return self._batch

    def _before(self, cur: Cursor, batch: _Batch, code: str) -> ProcurementRecord | None:
        """The procurement's record as folded so far: this batch's own, else its row's,
        parsed unless remembered with the very same JSON (another process may have moved
        it on since)."""
        if code in batch.records:
            return batch.records[code]
        row = cur.execute("SELECT record FROM pub_procurements WHERE code = ?", (code,)).fetchone()
        if row is None:
            return None
        text = str(row[0])
        known = self._remembered.get(code)
        if known is not None and known[0] == text:
            self._remembered.move_to_end(code)
            return known[1]
        record = RECORD.validate_json(text)
        self._remember(text, record)
        return record

    def _remember(self, text: str, record: ProcurementRecord) -> None:
        self._remembered[record.code] = (text, record)
        self._remembered.move_to_end(record.code)
        if len(self._remembered) > REMEMBERED:
            self._remembered.popitem(last=False)

    def _record(
        self,
        cur: Cursor,
        batch: _Batch,
        index: int,
        before: ProcurementRecord | None,
        data: E.ProcurementData,
    ) -> None:
        """The procurement's row after one more entry of its own stream, from ``record.fold``."""
        p = fold(before, data)
        batch.records[p.code] = p
        if before is not None:
            batch.pending[p.code] = p  # its row is written once, at the batch's end
            return
        state = p.state
        record = RECORD.dump_json(p).decode()
        cur.execute(
            "INSERT INTO pub_procurements (code, title, purchaser, agency, region, "
            "category, method, budget_fen, stage, closed, suspended, plan_date, last_date, "
            "plan_leaf, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                p.code, p.title, p.purchaser, p.agency, p.region, p.category.value,
                p.method.value, p.budget.fen, state.progress.value, state.closed,
                1 if state.suspended else 0, p.last_date.isoformat(),
                p.last_date.isoformat(), index, record,
            ),
        )  # fmt: skip
        self._remember(record, p)

    def flush(self, cur: Cursor) -> None:
        """Each procurement's row as its last leaf of the batch left it, and the batch's
        notices, their search rows and timeline rows, each table's in one statement."""
        batch = self._batch_of(cur)
        for statement, kept in (
            (_ANNOUNCEMENT, batch.announcements),
            (SEARCH_ROW[self.sqlite], batch.search),
            (_TIMELINE, batch.timeline),
        ):
            if kept:
                cur.executemany(statement, kept)
                kept.clear()
        rows = []
        for p in batch.pending.values():
            record = RECORD.dump_json(p).decode()
            rows.append((
                p.state.progress.value, p.state.closed, 1 if p.state.suspended else 0,
                p.last_date.isoformat(), p.winner, _fen(p.award_amount),
                _fen(p.contract_amount), record, p.code,
            ))  # fmt: skip
            self._remember(record, p)
        if rows:
            cur.executemany(
                "UPDATE pub_procurements SET stage = ?, closed = ?, suspended = ?, "
                "last_date = ?, winner = ?, award_fen = ?, contract_fen = ?, record = ? "
                "WHERE code = ?",
                rows,
            )
        batch.pending.clear()
        if batch.leaves < BATCH:
            # Caught up: leaves come a few at a time now, and a record would wait long in
            # memory for its procurement's next one.
            self._remembered.clear()


class _Batch:
    """What one transaction's leaves read again: each procurement's record as folded so
    far, the next notice's ordinal, organisations' names; and what waits for ``flush``,
    written once a batch rather than at each leaf: the procurements' rows, and the rows of
    notices, search and timeline that nothing reads before the batch ends."""

    def __init__(self, cursor: Cursor):
        self.cursor = cursor
        self.leaves = 0
        self.records: dict[str, ProcurementRecord] = {}
        self.pending: dict[str, ProcurementRecord] = {}
        self.ordinal: int | None = None
        self.names: dict[str, str] = {}
        self.announcements: list[tuple[object, ...]] = []
        self.search: list[tuple[object, ...]] = []
        self.timeline: list[tuple[object, ...]] = []

    def next_ordinal(self, cur: Cursor) -> int:
        """The archived feed's next ordinal: one more than the last notice's."""
        if self.ordinal is None:
            ((ordinal,),) = cur.execute(
                "SELECT COALESCE(MAX(ordinal) + 1, 0) FROM pub_announcements"
            ).fetchall()
            self.ordinal = int(ordinal)
        self.ordinal += 1
        return self.ordinal - 1

    def name_now(self, cur: Cursor, code: str) -> str:
        """An organisation's name as registered at this point of the log: the archived feed
        shows a notice under the names it was published under, so a later rename never
        changes an archive page."""
        if code not in self.names:
            row = cur.execute(
                "SELECT name FROM pub_organisations WHERE code = ?", (code,)
            ).fetchone()
            self.names[code] = code if row is None else str(row[0])
        return self.names[code]


def _fen(amount: Money | None) -> int | None:
    return None if amount is None else amount.fen


def _delivery(cur: Cursor, index: int, entry: Entry, data: E.DeliveryData) -> None:
    delivered = isinstance(data, E.NoticeDelivered)
    status = data.status if isinstance(data, E.NoticeDelivered) else data.last_status
    at = data.delivered_at if isinstance(data, E.NoticeDelivered) else data.failed_at
    cur.execute(
        "INSERT INTO pub_deliveries (leaf_index, notice, destination, delivered, required, "
        "status, attempts, at, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index, data.notice, data.destination, 1 if delivered else 0,
            1 if data.required else 0, status, data.attempts, at, entry.actor, _json(data),
        ),
    )  # fmt: skip


#: The details an amendment may change, as pub_organisations' columns.
_AMENDABLE: Final = ("name", "region", "address", "credit_code", "contact", "telephone", "sme")


def _organisation(
    cur: Cursor, index: int, at: str, data: E.OrganisationRegistered | E.OrganisationAmended
) -> None:
    if isinstance(data, E.OrganisationRegistered):
        cur.execute(
            "INSERT INTO pub_organisations (code, name, kind, region, credit_code, address, "
            "contact, telephone, sme, registered_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data.code, data.name, data.kind.value, data.region, data.credit_code,
                data.address, data.contact, data.telephone,
                None if data.sme is None else data.sme.value, at,
            ),
        )  # fmt: skip
        return
    changed = {c: getattr(data, c) for c in _AMENDABLE if getattr(data, c) is not None}
    for column, value in changed.items():
        cur.execute(
            f"UPDATE pub_organisations SET {column} = ? WHERE code = ?",  # noqa: S608
            (str(value), data.code),
        )
    cur.execute(
        "INSERT INTO pub_organisation_changes (leaf_index, code, recorded_at, changes) "
        "VALUES (?, ?, ?, ?)",
        (index, data.code, at, orjson.dumps({k: str(v) for k, v in changed.items()}).decode()),
    )


def _json(data: Value) -> str:
    """The entry's data as the log holds it."""
    return orjson.dumps(data.dump()).decode()


def _announcement(
    cur: Cursor,
    batch: _Batch,
    index: int,
    data: E.Summary,
    leaf: bytes,
    dumped: str,
    sqlite: bool,
) -> None:
    assert data.announcement is not None
    said = [getattr(data, k, None) for k in ("requirement", "qualifications", "changes", "reason")]
    fields = [t for t in [data.procurement, data.title, *said] if isinstance(t, str)]
    search = " ".join(fields)
    amount = getattr(data, "amount", None)
    supplier = getattr(data, "supplier", None)
    batch.announcements.append(
        (
            index, data.procurement, data.announcement.value, data.title, data.purchaser,
            data.agency, data.region, data.category.value, data.method.value,
            data.date.isoformat(), data.budget.fen, _fen(amount), supplier,
            leaf_hash_b64(leaf), dumped, search, batch.next_ordinal(cur),
            batch.name_now(cur, data.purchaser),
            None if supplier is None else batch.name_now(cur, supplier),
        ),
    )  # fmt: skip
    values = {"type": data.announcement.value, "category": data.category.value,
              "method": data.method.value, "purchaser": data.purchaser,
              "region": data.region}  # fmt: skip
    batch.search.append(search_row(index, data.date, data.title, fields, values, sqlite))


_ANNOUNCEMENT: Final = (
    "INSERT INTO pub_announcements (leaf_index, procurement, type, title, purchaser, agency, "
    "region, category, method, published_on, budget_fen, amount_fen, supplier, leaf_hash, "
    "data, search, ordinal, purchaser_name, supplier_name) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: One notice's row of the search index, by database (SQLite's or not).
SEARCH_ROW: Final = {
    True: "INSERT INTO pub_search (rowid, title, body, facets) VALUES (?, ?, ?, ?)",
    False: "INSERT INTO pub_search (key, type, category, method, purchaser, region, title, "
    "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
}
_TIMELINE: Final = (
    "INSERT INTO pub_timeline (leaf_index, procurement, event, date, actor, data) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def index_notice(
    cur: Cursor,
    index: int,
    day: date,
    title: str,
    fields: list[str],
    values: dict[str, str],
    sqlite: bool,
) -> None:
    """One notice's row of the search index: SQLite's FTS5 table of pairs
    (``search_text``), or PostgreSQL's narrow table (its pieces indexed from the text)."""
    cur.execute(SEARCH_ROW[sqlite], search_row(index, day, title, fields, values, sqlite))


def search_row(
    index: int, day: date, title: str, fields: list[str], values: dict[str, str], sqlite: bool
) -> tuple[object, ...]:
    """The values of ``SEARCH_ROW[sqlite]`` for one notice."""
    key = search_text.sort_key(day, index)
    if sqlite:
        return (key, search_text.tokens([title]), search_text.tokens(fields),
                search_text.facets(values))  # fmt: skip
    return (key, *(values[n] for n in search_text.FACETS), title.lower(),
            search_text.text(fields))  # fmt: skip


def _timeline(
    batch: _Batch, index: int, entry: Entry, data: E.ProcurementData | E.StreamData, dumped: str
) -> None:
    batch.timeline.append(
        (index, data.procurement, entry.type, data.date.isoformat(), entry.actor, dumped)
    )


def _reevaluated(batch: _Batch, index: int, entry: Entry, data: E.TimingReevaluated) -> None:
    """A provisional result re-evaluated, dated by the act it measured (or its deadline)."""
    day = data.before.actual or data.after.deadline
    assert day is not None  # a time limit's result has a deadline
    batch.timeline.append(
        (index, data.procurement, entry.type, day.isoformat(), entry.actor, _json(data))
    )


def _due(due: Due | None) -> tuple[str | None, int, str]:
    if due is None:
        return None, 0, ""
    return due.date.isoformat(), 1 if due.provisional else 0, due.reason


def _stream(cur: Cursor, index: int, data: E.StreamData) -> None:
    """A challenge or complaint filed, answered, decided or withdrawn."""
    match data:
        case E.ChallengeFiled():
            cur.execute(
                "INSERT INTO pub_challenges (number, procurement, supplier, subject, filed_on, "
                "known_on, grounds, answer_due, answer_due_provisional, answer_due_reason, "
                "status, filed_leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                # Sealed: who challenged and why are not public until a complaint shows them.
                (data.number, data.procurement, "", data.subject.value,
                 data.date.isoformat(), data.known_on.isoformat(), "",
                 *_due(data.answer_due), index),
            )  # fmt: skip
        case E.ComplaintFiled():
            cur.execute(
                "INSERT INTO pub_complaints (number, challenge, procurement, supplier, filed_on, "
                "grounds, decision_due, decision_due_provisional, decision_due_reason, status, "
                "filed_leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                (data.number, data.challenge, data.procurement, data.supplier,
                 data.date.isoformat(), data.grounds, *_due(data.decision_due), index),
            )  # fmt: skip
            # A complaint is public, and discloses the challenge it follows.
            value = data.challenger.value
            assert isinstance(value, dict)  # verified: the complainant's signed FileChallenge
            filed = envelope_command(value)
            cur.execute(
                "UPDATE pub_challenges SET supplier = ?, grounds = ? WHERE number = ?",
                (data.supplier, str(filed["payload"]["grounds"]), data.challenge),
            )
        case E.ChallengeAnswered():
            _closed(cur, index, "pub_challenges", "answered", data, data.outcome, data.answer)
        case E.ChallengeWithdrawn():
            _closed(cur, index, "pub_challenges", "withdrawn", data, None, "")  # reason sealed
        case E.ComplaintScreened():
            if not data.accepted:  # 不予受理: it ends, dismissed, with the reason
                dismissed = Outcome.DISMISSED
                _closed(cur, index, "pub_complaints", "decided", data, dismissed, data.reason or "")
        case E.ComplaintDecided():
            _closed(cur, index, "pub_complaints", "decided", data, data.outcome, data.decision)
            cur.execute(  # as published: 文号, 处理依据, 执法机关 (财政部令第94号 第三十七条)
                "UPDATE pub_complaints SET document_number = ?, basis = ?, authority = ? "
                "WHERE number = ?",
                (data.document_number, data.basis, data.authority, data.number),
            )
        case E.ComplaintWithdrawn():
            _closed(cur, index, "pub_complaints", "withdrawn", data, None, data.reason)
        case _:
            assert_never(data)


_TEXT_COLUMN: Final = {
    "answered": "answer",
    "decided": "decision",
    "withdrawn": "withdrawal_reason",
}


def _closed(
    cur: Cursor,
    index: int,
    table: str,
    status: str,
    data: E.StreamData,
    outcome: Outcome | None,
    text: str,
) -> None:
    cur.execute(
        f"UPDATE {table} SET status = ?, outcome = ?, closed_on = ?, closed_leaf = ?, "  # noqa: S608
        f"{_TEXT_COLUMN[status]} = ? WHERE number = ?",
        (status, None if outcome is None else outcome.value, data.date.isoformat(), index,
         text, data.number),
    )  # fmt: skip
