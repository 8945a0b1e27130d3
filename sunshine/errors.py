"""How the service answers what went wrong: JSON ``{"code", "message"}`` for the API, a
page in Chinese for a browser that asked for a path that is not there."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg.errors import ReadOnlySqlTransaction
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.domain.errors import LedgerError
from ledger.read_only import ReadOnlyServer
from projections.web.render import routing_error_page, wants_html
from sunshine.head_requests import allow_with_head
from sunshine.security_headers import SECURITY_HEADERS

logger = logging.getLogger("sunshine")


def answer_errors(app: FastAPI) -> None:
    """The app's exception handlers: a refusal as its JSON, a bad request as 400, the
    unexpected as a 500 that says nothing of it (the log has the traceback)."""

    @app.exception_handler(LedgerError)
    async def ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse(exc.as_json(), status_code=exc.status)

    @app.exception_handler(ReadOnlySqlTransaction)
    async def read_only(_: Request, exc: ReadOnlySqlTransaction) -> JSONResponse:
        # A server over a replica: a write besides a command (a sign-in's spent challenge,
        # a lookup's failure count) is refused as the commands are, not as a 500.
        refusal = ReadOnlyServer()
        return JSONResponse(refusal.as_json(), status_code=refusal.status)

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
