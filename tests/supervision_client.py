"""Signing in to the supervisory views as a registered actor, for tests over real HTTP.

``sign_in(base_url, actor)`` answers an ``httpx.Client`` carrying the session cookie, so
``client.get("/supervision/…")`` is the signed-in inspector. ``session(base_url, actor)``
answers the raw sign-in response (the token for ``Authorization: Bearer``, or a refusal).
"""

from __future__ import annotations

import httpx
from conftest import Actor

TIMEOUT = 30.0
COOKIE = "sunshine_supervision"


def signed_request(client: httpx.Client, actor: Actor) -> bytes:
    """A ``SignIn`` request for a fresh challenge, signed with the actor's key."""
    got = client.get("/supervision/challenge")
    got.raise_for_status()
    return actor.body("SignIn", {"challenge": got.json()["challenge"]})


def session(base_url: str, actor: Actor) -> httpx.Response:
    """``POST /supervision/session`` for ``actor``: 200 with a token, or a 4xx refusal."""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        return client.post("/supervision/session", content=signed_request(client, actor))


def sign_in(base_url: str, actor: Actor) -> httpx.Client:
    """A client signed in as ``actor`` (an inspector) through its session cookie.

    Raises ``AssertionError`` with the server's answer when the sign-in is refused. The
    client is not opened yet, so use it as ``with sign_in(url, inspector) as client: …``
    (or close it yourself)."""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as signing:
        answer = signing.post("/supervision/session", content=signed_request(signing, actor))
        if answer.status_code != 200:
            raise AssertionError(f"sign-in refused: {answer.status_code} {answer.text}")
        cookies = httpx.Cookies(signing.cookies)
    assert cookies.get(COOKIE), "no session cookie was set"
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, cookies=cookies)
