"""The lookup form's guard against cross-site posts 跨站请求防护: a signed double-submit token.

Without it any web page could make its visitors' browsers post lookups: their addresses would
guess codes for someone else, and a supplier's office could be refused for failures it never
made. The form page sets a cookie (HttpOnly, ``SameSite=Strict``) holding a token
``v1.<expiry>.<nonce>.<MAC>`` and puts the same token in a hidden field; a post is accepted
only when both are there, equal, MAC'd with the server's key and unexpired. A foreign page can
neither read the cookie nor make the browser send it. The MAC key is derived from the ledger's
lookup key, so every process sharing the data directory accepts every other's tokens, and
nothing is stored per token. Over HTTPS the cookie is ``__Host-`` prefixed: Secure, for this
host only, and not one a sibling subdomain could plant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Final

from fastapi import Request
from fastapi.responses import Response

TOKEN_SECONDS: Final = 4 * 3600
FIELD: Final = "form_token"
COOKIE: Final = "sunshine_lookup_form"
FORM_PATH: Final = "/challenges/lookup"
_TOKEN: Final = re.compile(r"v1\.([0-9]{10})\.[A-Za-z0-9_-]{22}\.([A-Za-z0-9_-]{43})\Z")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FormTokens:
    def __init__(self, key: bytes, clock: Callable[[], float] = time.time):
        if len(key) < 32:
            raise ValueError("a form token key needs at least 32 bytes")
        self._key = key
        self.clock = clock

    def _mac(self, body: str) -> str:
        return _b64url(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self) -> str:
        body = f"v1.{int(self.clock()) + TOKEN_SECONDS:010d}.{_b64url(secrets.token_bytes(16))}"
        return f"{body}.{self._mac(body)}"

    def expiry(self, token: object) -> int | None:
        """The expiry (Unix seconds) of a token of ours that has not expired; else None."""
        match = _TOKEN.match(token) if isinstance(token, str) else None
        if match is None:
            return None
        body = match.group(0).rpartition(".")[0]
        if not hmac.compare_digest(match.group(2), self._mac(body)):
            return None
        expires = int(match.group(1))
        return expires if self.clock() <= expires else None

    def for_page(self, cookie: str | None) -> str:
        """The token to put in a form: the cookie's while it has half its life left, so that
        forms open in several tabs stay valid; else a new one."""
        expires = self.expiry(cookie)
        if cookie and expires is not None and expires - self.clock() > TOKEN_SECONDS / 2:
            return cookie
        return self.issue()

    def check(self, cookie: str | None, field: str | None) -> bool:
        """Whether a post carries our unexpired token in both its cookie and its form."""
        if not cookie or not field or self.expiry(cookie) is None:
            return False
        return hmac.compare_digest(cookie.encode(), field.encode())


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return f"__Host-{COOKIE}" if _https(request) else COOKIE


def cookie_of(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request))


def set_cookie(response: Response, request: Request, token: str) -> None:
    https = _https(request)
    response.set_cookie(
        cookie_name(request),
        token,
        max_age=TOKEN_SECONDS,
        path="/" if https else FORM_PATH,  # a __Host- cookie must be for the whole host
        secure=https,
        httponly=True,
        samesite="strict",
    )
