"""What a route may be given of the ledger, as ``Annotated`` FastAPI dependencies.

A route names the port it needs by its type (``log: LogDep``) and never reads
``app.state`` itself. The composition root (``sunshine.bootstrap``) builds the ports before
the application serves and puts them on it with ``provide``; nothing here creates anything.
An application that was not given them answers 500 to every route that needs one.

There is one such module per package that has routes (this one, ``projections.deps``,
``publisher.deps``), not one for all: the routers live in ``ledger``, ``projections`` and
``publisher``, which may not import the composition root nor (the last two) each other, so
each package's module hands out what that package owns, and the readers' modules pass on
these aliases besides their own. Each router imports its dependencies from its own
package's module only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette

from ledger.domain.context import Statutes
from ledger.lookup import LookupCodes
from ledger.ports import (
    CommandService,
    Database,
    LedgerPorts,
    LogView,
    RegistryView,
    SealedValues,
)
from ledger.signed_requests import SignedRequests
from ledger.store.documents import DocumentStore

__all__ = [
    "CommandsDep",
    "Db",
    "DocumentsDep",
    "LogDep",
    "LookupCodesDep",
    "RegistryDep",
    "SealedDep",
    "SignedRequestsDep",
    "StatutesDep",
    "provide",
]


def provide(app: Starlette, ports: LedgerPorts) -> None:
    """Give ``app`` the ledger's ports (the composition root, before the app serves)."""
    app.state.ledger_ports = ports


async def _ports(request: Request) -> LedgerPorts:
    ports = getattr(request.app.state, "ledger_ports", None)
    if not isinstance(ports, LedgerPorts):
        raise RuntimeError("the application was not given the ledger's ports (sunshine.bootstrap)")
    return ports


_Ports = Annotated[LedgerPorts, Depends(_ports)]


async def _commands(ports: _Ports) -> CommandService:
    return ports.commands


async def _log(ports: _Ports) -> LogView:
    return ports.log


async def _sealed(ports: _Ports) -> SealedValues:
    return ports.sealed


async def _registry(ports: _Ports) -> RegistryView:
    return ports.registry


async def _lookup_codes(ports: _Ports) -> LookupCodes:
    return ports.lookup_codes


async def _requests(ports: _Ports) -> SignedRequests:
    return ports.requests


async def _db(ports: _Ports) -> Database:
    return ports.db


def _statutes(ports: _Ports) -> Statutes:
    return ports.statutes()


async def _documents(ports: _Ports) -> DocumentStore:
    return ports.documents


CommandsDep = Annotated[CommandService, Depends(_commands)]
LogDep = Annotated[LogView, Depends(_log)]
SealedDep = Annotated[SealedValues, Depends(_sealed)]
RegistryDep = Annotated[RegistryView, Depends(_registry)]
LookupCodesDep = Annotated[LookupCodes, Depends(_lookup_codes)]
SignedRequestsDep = Annotated[SignedRequests, Depends(_requests)]
#: The database, where the projections' tables are (their SQL reads them).
Db = Annotated[Database, Depends(_db)]
StatutesDep = Annotated[Statutes, Depends(_statutes)]
DocumentsDep = Annotated[DocumentStore, Depends(_documents)]
