"""Security headers on every response: pages, API, static files and errors.

The pages run only scripts and stylesheets served from this origin (``/static``, the API
docs' assets): no inline script, no inline ``<style>``, no event-handler attribute. So even
if a value a user wrote ever slipped past the templates' escaping, the browser would not
run it. Inspectors load their signing key into sign-in pages on this origin; no third
party's script ever runs beside it.

``export-site`` pages are served by another web server: ``NGINX_DIRECTIVES`` is the same
policy for its configuration.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # Swagger UI's stylesheet draws its icons from data: URIs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",  # the verify button and the sign-in fetch from this origin
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links within the site keep their referrer; other sites learn nothing of the page.
    "Referrer-Policy": "same-origin",
}

NGINX_DIRECTIVES: Final = "\n".join(
    f'add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items()
)

_ENCODED: Final = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in SECURITY_HEADERS.items()
]


class SecurityHeaders:
    """ASGI middleware: adds each header of ``SECURITY_HEADERS`` a response does not set
    itself (a page may choose a stricter Referrer-Policy, say)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _ENCODED if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
