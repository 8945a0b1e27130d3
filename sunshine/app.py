"""The FastAPI application factory: one Ledger, its routers, JSON errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.application import Ledger
from ledger.domain.errors import LedgerError
from ledger.http import commands, log
from ledger.log.loop import FollowLoop
from projections.flags import FlagsProjection, load_flag_config
from projections.public import PublicProjection
from projections.runner import Projector
from projections.statistics import StatisticsProjection
from projections.supervision import supervision
from projections.supervision.flags_routes import flags_routes
from projections.supervision.statistics_routes import statistics_routes
from projections.web.challenges import challenges
from projections.web.pages import pages
from projections.web.render import STATIC, routing_error_page, wants_html
from publisher.admin import admin as publisher_admin
from publisher.metrics_access import metrics_token
from sunshine.api_docs import document_errors_as_answered, serve_docs
from sunshine.head_requests import HeadAsGet, allow_with_head
from sunshine.security_headers import SECURITY_HEADERS, SecurityHeaders
from sunshine.settings import Settings

logger = logging.getLogger("sunshine")


def background_integrator(ledger: Ledger, idle_seconds: float = 0.02) -> FollowLoop:
    """PostgreSQL: several API processes write; each runs this loop and the integrator's
    advisory lock lets one integrate at a time."""
    size = [ledger.reader.size()]

    def integrate() -> bool:
        before, size[0] = size[0], ledger.integrator.integrate()
        return size[0] != before

    return FollowLoop("integrator", integrate, idle_seconds, logger)


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


def projector_for(ledger: Ledger) -> Projector:
    """Every projection the service reads, following the ledger's log."""
    return Projector(
        ledger.db,
        [
            PublicProjection(ledger.config.database.is_sqlite),
            StatisticsProjection(),
            FlagsProjection(ledger.statutes, load_flag_config(Settings().flags)),
        ],
    )


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    settings = settings or Settings()
    owned = ledger is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_ledger = ledger or Ledger(settings.ledger_config())
        app.state.ledger = the_ledger
        await asyncio.to_thread(integrate_pending, the_ledger)
        background = None
        if not the_ledger.inline_integration:
            background = background_integrator(the_ledger)
            background.start()
        projector = projector_for(the_ledger)
        projector.setup(create=the_ledger.config.create_tables)
        projector.start()
        app.state.projector = projector
        try:
            yield
        finally:
            projector.stop()
            if background is not None:
                background.stop()
            if owned:
                the_ledger.close()

    app = FastAPI(
        title="Sunshine Ledger 阳光采购账本",
        description="Signed procurement commands in, a verifiable Merkle log out.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by sunshine.api_docs from this origin
        redoc_url=None,
    )
    app.state.metrics_token = metrics_token(settings.metrics_token_file)
    app.include_router(commands)
    app.include_router(log)
    app.include_router(pages)
    app.include_router(challenges)
    app.include_router(publisher_admin)
    app.include_router(supervision)
    app.include_router(statistics_routes)
    app.include_router(flags_routes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    serve_docs(app)
    document_errors_as_answered(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LedgerError)
    async def ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse(exc.as_json(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}"
        return JSONResponse({"code": "bad_request", "message": message}, status_code=400)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        # Still JSON for the client; the traceback goes to the log, not the response.
        logger.error("unexpected error", exc_info=exc)
        return JSONResponse(
            {"code": "internal", "message": "an unexpected error; the server log has the details"},
            status_code=500,
            # Answered outside the middleware (Starlette's outermost error handler).
            headers=SECURITY_HEADERS,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if "Allow" in headers:
            headers["Allow"] = allow_with_head(headers["Allow"])
        page = routing_error_page(request, exc.status_code) if wants_html(request) else None
        if page is not None:  # a browser: a page in Chinese rather than JSON
            page.headers.update(headers)
            return page
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"code": code, "message": str(exc.detail)}, status_code=exc.status_code, headers=headers
        )

    return app


def app_from_environment() -> FastAPI:
    """uvicorn --factory entry point used by `sunshine serve --workers N`."""
    return create_app(Settings())
