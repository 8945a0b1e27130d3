"""The API's documentation: Swagger UI at ``/docs`` served from this origin, and an OpenAPI
document whose error answers are the ones the app gives.

Swagger UI's files come from the ``fastapi-offline`` package (MIT; it ships Swagger UI's
Apache-2.0 ``swagger-ui-bundle.js`` and ``swagger-ui.css``), mounted at ``/docs/assets``:
the page works offline and no third party's script runs on the origin where inspectors load
their signing key. Its start-up script is a static file too (``/static/api-docs.js``), so the
page keeps to the site's Content-Security-Policy. ReDoc is not served: its bundle writes
inline styles, and one reference page is enough.
"""

from __future__ import annotations

from html import escape
from typing import Any, Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ledger.command_schemas import add_to_openapi
from publisher.payload_schema import add_webhooks

ASSETS: Final = "/docs/assets"

ERROR_SCHEMA: Final = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "stable, machine-readable"},
        "message": {"type": "string"},
        "message_zh": {
            "type": "string",
            "description": "a refusal by the ledger, said in Chinese for the people who record",
        },
        "errors": {
            "type": "array",
            "description": (
                "code invalid_fields (422): every field of the command that is not of its "
                "schema, by its JSON path, with a Chinese message"
            ),
            "items": {"$ref": "#/components/schemas/FieldError"},
        },
    },
}
ERROR_BODY: Final = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
BAD_REQUEST: Final = {
    "description": "a parameter missing, not a canonical decimal number, or out of range"
}
#: What FastAPI documents for every operation with parameters; the app answers 400 instead
#: (``sunshine.app``'s validation handler), with the ``Error`` body.
_FASTAPI_VALIDATION: Final = "#/components/schemas/HTTPValidationError"


def serve_docs(app: FastAPI) -> None:
    """``/docs`` and its assets; the app must be made with ``docs_url=None``."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
    page = _docs_page(app.title, app.openapi_url or "/openapi.json").encode()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "public, max-age=300"})


def _docs_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · 接口文档</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="{ASSETS}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def document_errors_as_answered(app: FastAPI) -> None:
    """``/openapi.json`` with 400 where FastAPI would document its 422 validation error."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, cached: the edits below happen once
        add_to_openapi(schema)  # every command's payload, the body a union on its type
        _answered(schema)
        add_webhooks(schema)  # what the publisher sends websites
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point


def _answered(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            default = responses.get("422", {})
            ref = default.get("content", {}).get("application/json", {}).get("schema", {})
            if ref.get("$ref") == _FASTAPI_VALIDATION:
                del responses["422"]
                responses.setdefault("400", dict(BAD_REQUEST))
            for status, response in responses.items():
                if status[0] in "45":  # every refusal is the JSON error
                    response.setdefault("content", ERROR_BODY)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
