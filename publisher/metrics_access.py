"""Who may read ``GET /metrics`` on the API: holders of the operator's bearer token, or nobody.

Queue depths, failure counts and destination names are for the operator's monitoring, not
for the public. The API serves them only when a token file is configured
(``SUNSHINE_METRICS_TOKEN_FILE``) and the scrape sends ``Authorization: Bearer <token>``;
without a file the path answers 404, as if it did not exist. The publishing process serves
the same metrics on an address of its own instead (``sunshine publish --metrics-port``,
loopback by default).
"""

from __future__ import annotations

import hmac
import stat
from pathlib import Path
from typing import Final

from fastapi import Request

MIN_TOKEN_LENGTH: Final = 32


class MetricsTokenError(ValueError):
    """The token file cannot be used; the message says why (the service does not start)."""


def metrics_token(path: Path | None) -> str | None:
    """The token in ``path`` (one line), or None when no file is configured."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MetricsTokenError(f"cannot read the metrics token file {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MetricsTokenError(
            f"the metrics token file {path} is open to other users "
            f"(mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    token = text.strip()
    if len(token) < MIN_TOKEN_LENGTH or not token.isprintable() or " " in token:
        raise MetricsTokenError(
            f"the metrics token in {path} must be one word of at least {MIN_TOKEN_LENGTH} "
            "printable characters (e.g. `openssl rand -hex 32`)"
        )
    return token


def bearer_matches(request: Request, token: str) -> bool:
    """Whether the request says ``Authorization: Bearer <token>`` (in constant time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given_bytes = given.strip().encode("utf-8", "replace")
    return scheme.lower() == "bearer" and hmac.compare_digest(given_bytes, token.encode())
