"""Signing in to the supervisory views as a registered actor, for tests over real HTTP.

``sign_in(base_url, actor)`` answers an ``httpx.Client`` carrying the session cookie, so
``client.get("/supervision/…")`` is the signed-in inspector. ``session(base_url, actor)``
answers the raw sign-in response (the token for ``Authorization: Bearer``, or a refusal).
``sign_in_in_browser(page, base_url, actor, key_file)`` signs in a real browser's page on the
sign-in page, with the key file, as an inspector does; ``read_refusal`` reads what a refused
sealed read says on a procurement's history page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def sign_in_in_browser(page: Any, base_url: str, actor: str, key_file: Path) -> None:
    """Sign in on ``/supervision/sign-in`` with ``key_file`` (a playwright page); returns on
    the supervisory home page."""
    page.goto(base_url + "/supervision/sign-in")
    page.fill("#actor", actor)
    page.set_input_files("#key-file", str(key_file))
    page.press("#actor", "Enter")
    page.wait_for_url(base_url + "/supervision")


def read_refusal(page: Any, box: str) -> str:
    """The Chinese sentence a refused sealed read shows beside the value ``box`` selects on
    a procurement's history page, cleared afterwards so the next one is awaited afresh."""
    found = page.wait_for_selector(f"{box} [data-read-refused]")
    text: str = found.inner_text()
    page.evaluate("b => document.querySelector(b + ' [data-read-result]').replaceChildren()", box)
    return text
