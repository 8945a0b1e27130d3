"""The composition root: the one place that builds the service's parts and wires them.

``bootstrap(settings)`` opens the ledger the settings name and builds, at once, everything
the routes and the background threads use: the ledger's ports, the read side's resources
(inspectors' sessions, the challenge lookup's failure counts and form tokens), the
publisher's (its job store and metrics), and the projector with the operator's red-flag
thresholds, every table made (or, ``create_tables`` off, checked) on the way. Nothing is made
on a first request: a secret file or a table that cannot be had stops the service at its
start. ``create_app`` puts the parts on the application (``Services.provide``); routes take
them through their package's ``deps`` module. The command line opens its ledgers here too
(``open_ledger``).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from ledger import deps as ledger_deps
from ledger.application import Ledger
from ledger.log.cosigner import Cosigner
from ledger.log.reader import LogReader
from ledger.log.witness_config import Witnesses, load_witnesses
from ledger.ocds.release import DEFAULT_OCID_PREFIX
from ledger.ports import CommandService, Database, LedgerPorts, LogView
from ledger.read_only import ReadOnlyCommands
from ledger.store.secret_file import read_or_create
from ledger.store.sql import PostgresDatabase, open_database
from ledger.store.url import DatabaseURL, parse_database_url
from projections import deps as read_side_deps
from projections.deps import ReadSideResources
from projections.flags import FlagConfig, FlagsProjection, load_flag_config
from projections.ocds.projection import OcdsProjection
from projections.public import PublicProjection
from projections.runner import Projector
from projections.statistics import StatisticsProjection
from projections.supervision.auth import KEY_BYTES, Sessions
from projections.supervision.spent import SpentInDatabase
from projections.web.form_tokens import FormTokens
from projections.web.freshness import FRESHNESS_PERIOD, ReplicaFreshness
from projections.web.lookup_failures import LookupFailures
from projections.web.page_cache import MAX_BYTES, PageCache
from projections.workbench.auth import WORKBENCH
from publisher import deps as publisher_deps
from publisher.deps import PublisherResources
from publisher.metrics import registry_for
from publisher.metrics_access import metrics_token
from publisher.store import JobStore
from sunshine.settings import Settings

__all__ = [
    "Services",
    "bootstrap",
    "open_ledger",
    "projector_for",
    "read_operator_files",
    "services_for",
]


@dataclass(frozen=True)
class Services:
    """The service's parts, built and wired; ``provide`` gives them to an application."""

    ledger: Ledger  # the write side itself: for the integrator and the CLI, never a route
    ports: LedgerPorts
    read_side: ReadSideResources
    publisher: PublisherResources
    projector: Projector  # set up, not started: the application's lifespan runs it
    owns_ledger: bool  # close() closes the ledger (bootstrap opened it)
    cosigner: Cosigner | None = None  # with witnesses: the lifespan runs its loop
    # Over a streaming replica alone: no integrator, projector nor cosigner runs (the
    # primary's write the tables the replica replays), and every command is refused.
    read_only: bool = False
    read_db: Database | None = None  # a replica the pages read, besides the ledger's own

    def provide(self, app: Starlette) -> None:
        ledger_deps.provide(app, self.ports)
        read_side_deps.provide(app, self.read_side)
        publisher_deps.provide(app, self.publisher)

    def close(self) -> None:
        if self.cosigner is not None:
            self.cosigner.close()
        if self.owns_ledger:
            self.ledger.close()
            if self.read_db is not None:
                self.read_db.close()


def open_ledger(settings: Settings, **overrides: Any) -> Ledger:
    """The ledger the settings name (``overrides``: fields of its ``LedgerConfig``)."""
    return Ledger(dataclasses.replace(settings.ledger_config(), **overrides))


def read_operator_files(settings: Settings) -> tuple[str | None, FlagConfig]:
    """The operator's metrics token and red-flag thresholds, read and checked: a bad file
    raises (a ``ValueError`` naming it and, for a TOML file, the line)."""
    return metrics_token(settings.metrics_token_file), load_flag_config(settings.flags)


def bootstrap(settings: Settings) -> Services:
    """Everything the service runs on, from ``settings`` alone (never the environment)."""
    # The operator's files first: a bad one refuses before anything is opened or made.
    token, flags = read_operator_files(settings)
    witnesses = (
        load_witnesses(settings.witnesses, settings.witness_policy) if settings.witnesses else None
    )
    replica = _replica_url(settings)
    if settings.read_only:
        settings.check_secret_files()  # the primary's keys, never ones made here
        # The ledger opened on the replica: its event store, log and keys read, nothing made.
        ledger = open_ledger(
            settings, database=replica, create_tables=False, inline_integration=False
        )
    else:
        ledger = open_ledger(settings)
    read_db = open_database(replica) if replica and not settings.read_only else None
    try:
        return services_for(
            ledger,
            read_db=read_db,
            read_only=settings.read_only,
            flags=flags,
            metrics_token=token,
            owns=True,
            banner=settings.banner,
            ocid_prefix=settings.ocid_prefix,
            witnesses=witnesses,
        )
    except BaseException:
        ledger.close()
        if read_db is not None:
            read_db.close()
        raise


def _replica_url(settings: Settings) -> DatabaseURL | None:
    """The streaming replica the settings name (``read_database_url``), or None."""
    if not settings.read_database_url:
        return None
    url = parse_database_url(settings.read_database_url)
    if url.is_sqlite:
        raise ValueError(
            "SUNSHINE_READ_DATABASE_URL (--read-url) names a PostgreSQL streaming replica, "
            f"not SQLite: {settings.read_database_url}"
        )
    return url


def services_for(
    ledger: Ledger,
    flags: FlagConfig | None = None,
    metrics_token: str | None = None,
    owns: bool = False,
    banner: str = "",
    ocid_prefix: str = DEFAULT_OCID_PREFIX,
    witnesses: Witnesses | None = None,
    read_db: Database | None = None,
    read_only: bool = False,
) -> Services:
    """The service's parts around a ledger opened already (by ``bootstrap``, or by a test),
    with the operator's red-flag thresholds (default: the packaged ones) and metrics token;
    tables made as the ledger's configuration says (``create_tables``). ``read_db``: a
    streaming replica the pages read; ``read_only``: the ledger itself is opened on a
    replica, and the service records nothing."""
    config = ledger.config
    create = config.create_tables and not read_only
    db, codes = ledger.db, ledger.lookup_codes

    def log_over(reader: LogReader) -> LogView:
        return LogView(
            reader=reader,
            origin=config.origin,
            verifier_key=ledger.signer.verifier_key,
            verifier=ledger.signer.verifier,
            witness_policy=witnesses.policy.text if witnesses else None,
        )

    commands: CommandService = ReadOnlyCommands(ledger) if read_only else ledger
    replica = db if read_only else read_db
    ports = LedgerPorts(
        commands=commands,
        log=log_over(ledger.reader),
        sealed=ledger.sealed,
        registry=ledger.registry,
        lookup_codes=codes,
        requests=ledger.requests,
        db=db,
        statutes=ledger.registry.statutes,
        documents=ledger.documents,
    )
    secret = read_or_create(config.data_dir / "session-key", lambda: secrets.token_bytes(KEY_BYTES))
    spent = SpentInDatabase(db, time.time)
    # Keyed from the lookup key, so every process sharing the data directory agrees.
    failures = LookupFailures(db, codes.derived_key("lookup failures: client v1"))
    jobs = JobStore(db)
    if create:
        spent.create()
        failures.create()
        jobs.create()
    flags = flags or load_flag_config()
    projector = _projector(ledger, flags)
    projector.setup(create=create)
    return Services(
        ledger=ledger,
        ports=ports,
        read_side=ReadSideResources(
            sessions=Sessions(secret, spent=spent),
            workbench=Sessions(secret, spent=spent, purpose=WORKBENCH),
            lookup_failures=failures,
            form_tokens=FormTokens(codes.derived_key("lookup form token v1")),
            banner=banner,
            ocid_prefix=ocid_prefix,
            flags=flags,
            read_db=read_db,
            read_log=log_over(LogReader(read_db)) if read_db is not None else None,
            freshness=(
                ReplicaFreshness(replica) if isinstance(replica, PostgresDatabase) else None
            ),
            # a replica's pages say how fresh they are: kept as long as that freshness is
            pages=PageCache(
                MAX_BYTES,
                max_age=FRESHNESS_PERIOD if isinstance(replica, PostgresDatabase) else None,
            ),
        ),
        publisher=PublisherResources(
            jobs=jobs, metrics=registry_for(jobs), metrics_token=metrics_token
        ),
        projector=projector,
        owns_ledger=owns,
        cosigner=(
            Cosigner(db, ledger.reader, witnesses.endpoints)
            if witnesses and not read_only
            else None
        ),
        read_only=read_only,
        read_db=read_db,
    )


def projector_for(ledger: Ledger, flags: Path | None = None) -> Projector:
    """Every projection the service reads, following the ledger's log; the red flags
    under the packaged thresholds with the operator's file ``flags`` laid over them."""
    return _projector(ledger, load_flag_config(flags))


def _projector(ledger: Ledger, flags: FlagConfig) -> Projector:
    return Projector(
        ledger.db,
        [
            PublicProjection(ledger.config.database.is_sqlite),
            OcdsProjection(),
            StatisticsProjection(),
            FlagsProjection(flags),
        ],
    )
