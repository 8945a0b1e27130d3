"""The records a decision reads, as the application keeps them: the domain's ``LedgerView``.

Registry records come from the event store's cache (their deciding facts never change);
procurements, challenges, complaints and deliveries are read current; sealed values come
from the sealed store and notices from the log.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar, cast
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from ledger.domain.bid_box import BoxEntry, SupplierEnvelope
from ledger.domain.bid_commands import envelope_stream
from ledger.domain.challenges import Challenge, Complaint, challenger
from ledger.domain.clock import TimeLimit
from ledger.domain.context import Statutes
from ledger.domain.deliveries import Delivery, Notice, delivery_stream
from ledger.domain.documents import HeldDocument, digest_bytes
from ledger.domain.errors import NotFound
from ledger.domain.procurement import Procurement
from ledger.domain.registry import Actor, Colleague, Key, Organisation, Role, stream_id
from ledger.domain.schema.kinds import NOTICE_KINDS
from ledger.domain.sealed import Disclosure
from ledger.domain.sealed_reads import SealedReads, sealed_reads_stream
from ledger.domain.statute_book import CalendarBook, Provisional, TableBook
from ledger.log.reader import LogReader
from ledger.statute_reads import StatuteCache, provisional_results
from ledger.store.bid_box_store import BidBoxIndex
from ledger.store.documents import DocumentStore
from ledger.store.recorders import CREDIT_CODES, PEOPLE
from ledger.store.sealed_store import SealedStore
from ledger.store.sql import Cursor

A = TypeVar("A", bound=Aggregate)
NOTICES_KEPT = 4096  # notices remembered (a receipt names one: the publisher's, in a row)


class NoticeCache:
    """Notices read from the log, the latest few thousand: a leaf never changes."""

    def __init__(self, size: int = NOTICES_KEPT):
        self.size = size
        self._kept: collections.OrderedDict[int, Notice | None] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, index: int) -> tuple[bool, Notice | None]:
        with self._lock:
            if index not in self._kept:
                return False, None
            self._kept.move_to_end(index)
            return True, self._kept[index]

    def put(self, index: int, notice: Notice | None) -> None:
        with self._lock:
            self._kept[index] = notice
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)



class RepositoryRegistry:
    """The registry as the domain sees it: cached records, checked when stored.

    Optimistic concurrency: a command is decided on the cached copy of the record it
    changes, and storing its event at the next version fails if anyone appended to
    that record meanwhile (the event table's primary key), so a stale decision is
    never stored: the record is re-read and the command decided again. Registry
    commands read other records only for facts that never change (an
    organisation's kind, an actor's role), so those reads may be cached too.
    """

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        sealed: SealedStore,
        reader: LogReader,
        box_index: BidBoxIndex,
        statute_cache: StatuteCache,
        optimistic: bool = False,
        notices: NoticeCache | None = None,
        documents: DocumentStore | None = None,
    ):
        self.app = app
        self.documents = documents
        self.statute_cache = statute_cache
        self.sealed = sealed
        self.reader = reader
        self.box_index = box_index
        self.cache = app.repository.cache
        self.optimistic = optimistic
        self.notices = notices if notices is not None else NoticeCache()

    def with_optimism(self, optimistic: bool) -> RepositoryRegistry:
        return RepositoryRegistry(
            self.app,
            self.sealed,
            self.reader,
            self.box_index,
            self.statute_cache,
            optimistic,
            self.notices,
            self.documents,
        )

    def taken(self, kind: str, code: str) -> bool:
        aggregate_id = stream_id(kind, code)
        if self.cache is not None:
            with contextlib.suppress(KeyError):
                if self.cache.get(aggregate_id) is not None:
                    return True
        if self.optimistic:
            return False  # a duplicate conflicts on insert: see StaleRecord
        try:
            self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def _get(self, kind: str, code: str, cls: type[A]) -> A | None:
        aggregate_id = stream_id(kind, code)
        aggregate: Aggregate | None = None
        if self.cache is not None:
            with contextlib.suppress(KeyError):
                aggregate = cast(Aggregate, copy.deepcopy(self.cache.get(aggregate_id)))
        if aggregate is None:
            try:
                aggregate = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return aggregate if isinstance(aggregate, cls) else None

    def remember(self, aggregates: list[Aggregate]) -> None:
        if self.cache is not None:
            for aggregate in aggregates:
                self.cache.put(aggregate.id, aggregate)

    def forget(self, *ids: UUID) -> None:
        if self.cache is not None:
            for aggregate_id in ids:
                with contextlib.suppress(KeyError):
                    self.cache.get(aggregate_id, evict=True)

    def organisation(self, code: str) -> Organisation | None:
        return self._get("organisation", code, Organisation)

    def actor(self, code: str) -> Actor | None:
        return self._get("actor", code, Actor)

    def credit_code_holder(self, credit_code: str) -> str | None:
        """The organisation the registry gave this 统一社会信用代码, by registration or
        amendment (a code is its holder's for life): one row of the store's table of codes
        (``recorders.CREDIT_CODES``), written with the command's events, whose key keeps
        each code's holder unique: two registrations of one code decided at the same
        instant on this read cannot both be stored, and the second is decided again, and
        refused. (It read every organisation event once: at a province's two million
        events, seconds for each registration.)"""
        with self.reader.db.read() as cur:
            row = cur.execute(
                f"SELECT organisation FROM {CREDIT_CODES} WHERE credit_code = ?",  # noqa: S608
                (credit_code,),
            ).fetchone()
        return None if row is None else str(row[0])

    def claim_recorded_codes(self) -> int:
        """A ledger recorded before the table of codes existed: each code its organisation
        events gave, claimed once (the earliest holder, as the log has it); the number
        claimed. Nothing to do, and no read of the events, once the table holds a code."""
        with self.reader.db.read() as cur:
            if cur.execute(f"SELECT 1 FROM {CREDIT_CODES} LIMIT 1").fetchone():  # noqa: S608
                return 0
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        order = "rowid" if self.reader.db.url.is_sqlite else "notification_id"
        holders: dict[str, str] = {}
        with self.reader.db.read() as cur:
            rows = cur.execute(
                f"SELECT state FROM {table} WHERE topic LIKE ? ORDER BY {order}",  # noqa: S608
                ("%:Organisation.%",),
            ).fetchall()
        for (state,) in rows:
            data = orjson.loads(orjson.loads(bytes(state))["data"])
            if "credit_code" in data:
                holders.setdefault(data["credit_code"], data["code"])
        if holders:
            with self.reader.db.write() as cur:
                cur.executemany(
                    f"INSERT INTO {CREDIT_CODES} (credit_code, organisation) VALUES (?, ?) "  # noqa: S608
                    "ON CONFLICT DO NOTHING",
                    list(holders.items()),
                )
        return len(holders)

    def _people(self) -> list[tuple[str, dict[str, Any]]]:
        """Every actor and key registration and key revocation, in the log's order (the
        event store's): the kind (``Actor.Registered`` …) and its data. They are few."""
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        order = "rowid" if self.reader.db.url.is_sqlite else "notification_id"
        with self.reader.db.read() as cur:  # their own rows, by a partial index
            rows = cur.execute(
                f"SELECT topic, state FROM {table} WHERE {PEOPLE} ORDER BY {order}"  # noqa: S608
            ).fetchall()
        return [
            (str(topic).rpartition(":")[2], orjson.loads(orjson.loads(bytes(state))["data"]))
            for topic, state in rows
        ]

    def administrator(self, organisation: str) -> str | None:
        """The organisation's first registered actor (``roles.ADMINISTRATION``)."""
        for kind, data in self._people():
            if kind == "Actor.Registered" and data["organisation"] == organisation:
                return str(data["code"])
        return None

    def staff(self, organisation: str) -> list[Colleague]:
        """The organisation's actors with their keys, administrator first."""
        people: dict[str, Colleague] = {}
        owners: dict[str, str] = {}  # key id → actor
        for kind, data in self._people():
            if kind == "Actor.Registered" and data["organisation"] == organisation:
                people[data["code"]] = Colleague(data["code"], data["name"], Role(data["role"]))
            elif kind == "Key.Registered" and data["actor"] in people:
                owners[data["key_id"]] = data["actor"]
                held = people[data["actor"]]
                people[held.code] = replace(held, keys=(*held.keys, (data["key_id"], False)))
            elif kind == "Key.Revoked" and data["key_id"] in owners:
                held = people[owners[data["key_id"]]]
                keys = tuple((k, r or k == data["key_id"]) for k, r in held.keys)
                people[held.code] = replace(held, keys=keys)
        return list(people.values())

    def imported(self, streams: Sequence[UUID], chunk: int = 500) -> dict[UUID, str]:
        """The digest of each imported release already recorded on one of ``streams``: one
        query per ``chunk`` streams, not a read per release."""
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        sqlite = self.reader.db.url.is_sqlite
        found: dict[UUID, str] = {}
        with self.reader.db.read() as cur:
            for start in range(0, len(streams), chunk):
                part = streams[start : start + chunk]
                marks = ", ".join("?" * len(part))
                rows = cur.execute(
                    f"SELECT originator_id, state FROM {table} "  # noqa: S608
                    f"WHERE originator_id IN ({marks}) AND originator_version = 1",
                    [s.hex if sqlite else s for s in part],
                ).fetchall()
                for stream, state in rows:
                    data = orjson.loads(orjson.loads(bytes(state))["data"])
                    found[UUID(str(stream))] = data["digest"]
        return found

    def key(self, key_id: str) -> Key | None:
        return self._get("key", key_id, Key)

    # Procurements, challenges and complaints change as the lifecycle moves on, and a
    # decision may read one it does not change (a complaint reads its challenge's answer):
    # these reads are always current (the cached copy is fast-forwarded from the store).

    def _current(self, kind: str, code: str, cls: type[A]) -> A | None:
        try:
            aggregate: Aggregate = self.app.repository.get(stream_id(kind, code))
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def current_key(self, key_id: str) -> Key | None:
        return self._current("key", key_id, Key)

    def procurement(self, code: str) -> Procurement | None:
        return self._current("procurement", code, Procurement)

    def challenge(self, number: str) -> Challenge | None:
        return self._current("challenge", number, Challenge)

    def challenger(self, number: str) -> str | None:
        found = self.challenge(number)
        return None if found is None else challenger(self, found)

    def complaint(self, number: str) -> Complaint | None:
        return self._current("complaint", number, Complaint)

    def disclosure(self, commitment: str) -> Disclosure | None:
        return self.sealed.get(commitment)

    def bid_box(self, procurement: str, supplier: str | None = None) -> list[BoxEntry]:
        return self.box_index.entries(procurement, supplier)

    def envelopes_of(self, supplier: str) -> list[SupplierEnvelope]:
        return self.box_index.of_supplier(supplier)

    def committed_leaves(self, commitments: set[str]) -> dict[str, int]:
        """The log index of the box's ``BidCommitted`` leaf for each of ``commitments``:
        each envelope's stream is named by its commitment (``envelope_stream``), one
        indexed read for them all. An envelope taken in before streams were so named is
        found by reading the box's envelopes."""
        if not commitments:
            return {}
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        sqlite = self.reader.db.url.is_sqlite
        order = "rowid" if sqlite else "notification_id"
        streams = {envelope_stream(c): c for c in commitments}
        found: dict[int, str] = {}
        with self.reader.db.read() as cur:
            marks = ",".join("?" for _ in streams)
            for notification, stream in cur.execute(
                f"SELECT {order}, originator_id FROM {table} "  # noqa: S608
                f"WHERE originator_id IN ({marks}) AND originator_version = 1",
                [s.hex if sqlite else s for s in streams],
            ).fetchall():
                found[int(notification)] = streams[UUID(str(stream))]
            if len(found) < len(commitments):
                found |= self._committed_by_reading(cur, commitments - set(found.values()))
        ids = list(found)
        if not ids:
            return {}
        indices = self.reader.leaf_indices(ids)
        if len(indices) == len(ids):
            return {found[n]: i for n, i in zip(ids, indices, strict=True)}
        # Some not in the log yet (integrated a moment later): those found, one by one.
        return {found[n]: i for n in ids for i in self.reader.leaf_indices([n])}

    def _committed_by_reading(self, cur: Cursor, commitments: set[str]) -> dict[int, str]:
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        order = "rowid" if self.reader.db.url.is_sqlite else "notification_id"
        rows = cur.execute(
            f"SELECT {order}, state FROM {table} WHERE topic LIKE ?",  # noqa: S608
            ("%:SealedBid.Committed",),
        ).fetchall()
        found: dict[int, str] = {}
        for notification, state in rows:
            commitment = orjson.loads(orjson.loads(bytes(state))["data"]).get("commitment")
            if commitment in commitments:
                found[int(notification)] = commitment
        return found

    def document(self, sha256: str) -> HeldDocument | None:
        digest = digest_bytes(sha256)
        if self.documents is None or digest is None:
            return None
        return self.documents.held(digest)

    def notice(self, index: int) -> Notice | None:
        known, notice = self.notices.get(index)
        if known:
            return notice
        try:
            leaf = self.reader.entry(index)
        except NotFound:
            return None  # not remembered: the log may grow to it
        return self.learn_notice(index, orjson.loads(leaf))

    def learn_notice(self, index: int, entry: dict[str, Any]) -> Notice | None:
        """Remember what the log entry at ``index`` (parsed) says as a notice, for the
        decisions that name it (a caller that read the leaf anyway saves them the read)."""
        data = entry.get("data", {})
        notice = None
        if entry.get("type") in NOTICE_KINDS and data.get("announcement"):
            notice = Notice(
                index, data["procurement"], data["announcement"], date.fromisoformat(data["date"])
            )
        self.notices.put(index, notice)
        return notice

    def delivery(self, notice: int, destination: str) -> Delivery | None:
        return self._appended(delivery_stream(notice, destination), Delivery)

    # The statute book: read current (one small read when nothing was adopted since).

    def calendar_book(self) -> CalendarBook | None:
        return self._current("statutes", "calendar", CalendarBook)

    def table_book(self) -> TableBook | None:
        return self._current("statutes", "time-limits", TableBook)

    def statutes(self) -> Statutes:
        return self.statute_cache.statutes(self.calendar_book(), self.table_book())

    def unadopted_limits(self) -> Mapping[str, TimeLimit]:
        return self.statute_cache.unadopted

    def provisional(self, years: frozenset[int]) -> list[Provisional]:
        return provisional_results(self.reader, years)

    def sealed_reads(self, actor: str) -> SealedReads | None:
        return self._appended(sealed_reads_stream(actor), SealedReads)

    def _appended(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        """A stream only ever appended to by the commands that read it (a delivery's
        receipts, a reader's reads): read current, or, when optimistic, taken from the cache
        and, if this process has not seen it, decided as new. If it is not new after all,
        or moved on, the insert conflicts and the command is decided again on a fresh read
        (StaleRecord), as for a registry record."""
        if self.optimistic:
            cached = None
            if self.cache is not None:
                with contextlib.suppress(KeyError):
                    cached = self.cache.get(aggregate_id)
            if cached is None:
                return None
        try:
            aggregate: Aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None
