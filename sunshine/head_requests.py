"""HEAD on every GET route (RFC 9110 §9.3.2): the GET's status and headers, no body.

FastAPI's API routes answer only the methods they declare, so a HEAD to ``/log/checkpoint``
or to a notice page was a 405. Rather than declare HEAD beside GET on every route (which
would also double every operation in the OpenAPI document), the request is answered as the
GET it stands for and the body is dropped on the way out. ``Content-Length`` stays the
GET's, as the RFC asks. A path without GET still answers 405, with ``Allow``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server keeps its own scope, where the method is still HEAD.
        await self.app({**scope, "method": "GET"}, receive, without_body)


def allow_with_head(allow: str) -> str:
    """An ``Allow`` header's methods, with HEAD wherever GET is (``HeadAsGet`` answers it)."""
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)
