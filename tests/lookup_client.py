"""The challenge lookup form over real HTTP, submitted as a browser submits it: the form page
first (its token comes in a cookie and in a hidden field), then the post with both."""

from __future__ import annotations

import re

import httpx

TIMEOUT = 30.0
FIELD = "form_token"
_HIDDEN = re.compile(r'<input type="hidden" name="form_token" value="([^"]+)">')


def form_token(page: httpx.Response) -> str:
    """The token in a lookup form page's hidden field."""
    found = _HIDDEN.search(page.text)
    if found is None:
        raise AssertionError(f"no form token on the page: {page.status_code} {page.text[:300]}")
    return found.group(1)


def look_up(
    base_url: str,
    number: str,
    code: str,
    client: httpx.Client | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Open the lookup form and submit ``number`` and ``code`` with it. ``client`` keeps the
    cookies (and may have its own local address); ``headers`` go with both requests."""
    own = client if client is not None else httpx.Client(timeout=TIMEOUT)
    try:
        page = own.get(base_url + "/challenges/lookup", headers=headers, timeout=TIMEOUT)
        form = {"number": number, "code": code, FIELD: form_token(page)}
        return own.post(
            base_url + "/challenges/lookup", data=form, headers=headers, timeout=TIMEOUT
        )
    finally:
        if client is None:
            own.close()
