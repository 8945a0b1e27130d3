"""What a route of the read side may be given, as ``Annotated`` FastAPI dependencies.

The ledger's ports (``ledger.deps``), passed on, and what the read side owns itself: the
inspectors' sessions, the challenge lookup's failure counts and its form tokens. The
composition root (``sunshine.bootstrap``) builds all of them before the application serves,
tables included, and puts them on it with ``provide``; no route creates one. Every router
of ``projections`` takes its dependencies from this module alone (why one module per package:
``ledger.deps``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette

from ledger.deps import (
    CommandsDep,
    Db,
    DocumentsDep,
    LogDep,
    LookupCodesDep,
    RegistryDep,
    SealedDep,
    SignedRequestsDep,
    StatutesDep,
)
from ledger.ocds.release import DEFAULT_OCID_PREFIX
from ledger.ports import Database, LogView
from projections.flags.config import FlagConfig, load_flag_config
from projections.supervision.auth import Inspector, Sessions, require_inspector
from projections.web.form_tokens import FormTokens
from projections.web.freshness import Freshness
from projections.web.lookup_failures import LookupFailures
from projections.web.page_cache import PageCache

__all__ = [
    "CommandsDep",
    "Db",
    "DocumentsDep",
    "FlagConfigDep",
    "FormTokensDep",
    "InspectorDep",
    "LogDep",
    "LookupCodesDep",
    "LookupFailuresDep",
    "OcidPrefixDep",
    "PageCacheDep",
    "ReadDb",
    "ReadLogDep",
    "ReadSideResources",
    "RegistryDep",
    "SealedDep",
    "SessionsDep",
    "SignedRequestsDep",
    "StatutesDep",
    "WorkbenchSessionsDep",
    "provide",
]


@dataclass(frozen=True)
class ReadSideResources:
    """What the read side's routes keep besides the ledger's ports."""

    sessions: Sessions  # inspectors' challenges and session tokens
    lookup_failures: LookupFailures  # the challenge lookup's failed attempts
    form_tokens: FormTokens  # the challenge lookup form's tokens against cross-site posts
    workbench: Sessions | None = None  # officials' sessions on the workbench (a working day)
    banner: str = ""  # shown atop every page when set: the demo's 演示数据，纯属虚构
    ocid_prefix: str = DEFAULT_OCID_PREFIX  # OCDS: ocid = "<prefix>-<procurement>"
    flags: FlagConfig | None = None  # the red flags' thresholds (default: the packaged ones)
    # A streaming replica the public pages, search, the directory, statistics, flags and
    # supervision read (default: the ledger's own database and log), and how fresh it is.
    read_db: Database | None = None
    read_log: LogView | None = None
    freshness: Callable[[], Freshness | None] | None = None
    pages: PageCache = field(default_factory=PageCache)  # public pages rendered at a position


def provide(app: Starlette, resources: ReadSideResources) -> None:
    """Give ``app`` the read side's resources (the composition root, before the app serves)."""
    app.state.read_side = resources


async def _resources(request: Request) -> ReadSideResources:
    resources = getattr(request.app.state, "read_side", None)
    if not isinstance(resources, ReadSideResources):
        raise RuntimeError(
            "the application was not given the read side's resources (sunshine.bootstrap)"
        )
    return resources


_Resources = Annotated[ReadSideResources, Depends(_resources)]


async def _sessions(resources: _Resources) -> Sessions:
    return resources.sessions


async def _workbench_sessions(resources: _Resources) -> Sessions:
    if resources.workbench is None:
        raise RuntimeError("the application was not given the workbench's sessions")
    return resources.workbench


async def _lookup_failures(resources: _Resources) -> LookupFailures:
    return resources.lookup_failures


async def _form_tokens(resources: _Resources) -> FormTokens:
    return resources.form_tokens


async def _ocid_prefix(resources: _Resources) -> str:
    return resources.ocid_prefix


async def _page_cache(resources: _Resources) -> PageCache:
    return resources.pages


def _flag_config(resources: _Resources) -> FlagConfig:
    return resources.flags or load_flag_config()


async def _read_db(resources: _Resources, db: Db) -> Database:
    return resources.read_db or db


async def _read_log(resources: _Resources, log: LogDep) -> LogView:
    return resources.read_log or log


#: Where the pages read the projections' tables: the replica when there is one. Commands,
#: the workbench and anything that writes take ``Db`` (the primary) instead.
ReadDb = Annotated[Database, Depends(_read_db)]
#: The log as the pages read it: the replica's copy when there is one.
ReadLogDep = Annotated[LogView, Depends(_read_log)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
WorkbenchSessionsDep = Annotated[Sessions, Depends(_workbench_sessions)]
OcidPrefixDep = Annotated[str, Depends(_ocid_prefix)]
PageCacheDep = Annotated[PageCache, Depends(_page_cache)]
#: The thresholds the red-flag projection raises flags with (the operator's file over ours).
FlagConfigDep = Annotated[FlagConfig, Depends(_flag_config)]
LookupFailuresDep = Annotated[LookupFailures, Depends(_lookup_failures)]
FormTokensDep = Annotated[FormTokens, Depends(_form_tokens)]


def _inspector(request: Request, sessions: SessionsDep, registry: RegistryDep) -> Inspector:
    return require_inspector(request, sessions, registry)


#: The signed-in inspector, or a refusal (401 without a valid session, 403 for anyone else).
InspectorDep = Annotated[Inspector, Depends(_inspector)]
