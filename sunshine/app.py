"""The FastAPI application factory: the routers over the services ``bootstrap`` builds,
JSON errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ledger.application import Ledger
from ledger.http import commands, log
from ledger.http_documents import documents
from ledger.http_tiles import tiles
from ledger.log.loop import FollowLoop
from projections.ocds.routes import ocds
from projections.supervision.flags_routes import flags_routes
from projections.supervision.routes import supervision
from projections.supervision.statistics_routes import statistics_routes
from projections.web.challenges import challenges
from projections.web.kept_pages import KeptPages
from projections.web.pages import pages
from projections.web.render import STATIC
from projections.workbench.forms import forms
from projections.workbench.preview import preview
from projections.workbench.receipts import receipts
from projections.workbench.routes import workbench
from projections.workbench.statutes import statutes
from publisher.admin import admin as publisher_admin
from sunshine.api_docs import document_errors_as_answered, serve_docs
from sunshine.bootstrap import Services, bootstrap
from sunshine.errors import answer_errors
from sunshine.head_requests import HeadAsGet
from sunshine.security_headers import SecurityHeaders
from sunshine.settings import Settings

logger = logging.getLogger("sunshine")

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def background_integrator(ledger: Ledger, idle_seconds: float = 0.02) -> FollowLoop:
    """PostgreSQL: several API processes write; each runs this loop and the integrator's
    advisory lock lets one integrate at a time."""
    size = [ledger.reader.size()]

    def integrate() -> bool:
        before, size[0] = size[0], ledger.integrator.integrate()
        return size[0] != before

    return FollowLoop("integrator", integrate, idle_seconds, logger)


def witness_loop(services: Services, idle_seconds: float = 0.05) -> FollowLoop | None:
    """With witnesses configured: each new checkpoint sent to them, in the background."""
    if services.cosigner is None:
        return None
    loop = FollowLoop("cosigner", services.cosigner.step, idle_seconds, logger)
    loop.start()
    return loop


def integrate_pending(ledger: Ledger) -> None:
    """Events committed before a process died between commit and integration get their
    leaves before the service answers, not at the next command (SQLite integrates after
    each commit, and nothing else would run it)."""
    try:
        size = ledger.integrator.integrate()
    except Exception:
        logger.exception("integrating the events pending at start failed; the next commit retries")
    else:
        logger.info("log size %d at start", size)


def _lifespan(settings: Settings | None, services: Services | None) -> Lifespan:
    """Start: the services (bootstrapped unless given), pending leaves integrated, the
    integrator loop (PostgreSQL) and the projector running. Stop: all of it, in reverse."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = services or bootstrap(settings or Settings())
        if services is None:
            running.provide(app)
        # Over a replica alone nothing is written here: the primary's integrator and
        # projector write the log and the tables, and streaming replication brings them.
        writes = not running.read_only
        if writes:
            await asyncio.to_thread(integrate_pending, running.ledger)
        background = None
        if writes and not running.ledger.inline_integration:
            background = background_integrator(running.ledger)
            background.start()
        if writes:
            running.projector.start()
        cosigning = witness_loop(running)
        try:
            yield
        finally:
            if cosigning is not None:
                cosigning.stop()
            if writes:
                running.projector.stop()
            if background is not None:
                background.stop()
            if services is None:
                running.close()

    return lifespan


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The service. Without ``services``, it bootstraps them from ``settings`` (default: the
    environment) when it starts, before it answers anything, and closes them when it stops.
    ``services`` built by the caller (``bootstrap``, or ``services_for`` a test's ledger)
    are given to the app at once, and left open; their settings were the caller's."""
    app = FastAPI(
        title="Sunshine Ledger 阳光采购账本",
        description="Signed procurement commands in, a verifiable Merkle log out.",
        version="0.1.0",
        lifespan=_lifespan(settings, services),
        docs_url=None,  # served by sunshine.api_docs from this origin
        redoc_url=None,
    )
    if services is not None:
        services.provide(app)
    app.include_router(commands)
    app.include_router(log)
    app.include_router(documents)
    app.include_router(tiles)
    app.include_router(pages)
    app.include_router(challenges)
    app.include_router(publisher_admin)
    app.include_router(supervision)
    app.include_router(statistics_routes)
    app.include_router(flags_routes)
    app.include_router(workbench)
    app.include_router(forms)
    app.include_router(preview)
    app.include_router(receipts)
    app.include_router(statutes)
    app.include_router(ocds)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    serve_docs(app)
    document_errors_as_answered(app)
    # Innermost: a kept page answered before routing, a HEAD being a GET by then, and the
    # security headers added around it as around every response.
    app.add_middleware(KeptPages)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    answer_errors(app)
    return app


@contextmanager
def bootstrapped_app(settings: Settings) -> Iterator[tuple[FastAPI, Services]]:
    """The service over services bootstrapped now, so that a file or table they cannot
    have refuses before anything serves; they are closed on leaving."""
    services = bootstrap(settings)
    try:
        yield create_app(settings, services), services
    finally:
        services.close()


def app_from_environment() -> FastAPI:
    """uvicorn --factory entry point used by `sunshine serve --workers N`."""
    return create_app(Settings())
