"""One HTTP attempt: POST the body with Standard Webhooks headers and judge the answer.

A 2xx within the timeout is success. Redirects are not followed (a moved endpoint is the
operator's to change, and following one could lead the request anywhere). What the site
answers is read only up to ``max_response_bytes``, raw (no decompression: a small gzip bomb
stays small), and its SHA-256 is the receipt's ``response_digest``. Nothing a site does (no
answer, garbage, a huge or endless body, a broken protocol) raises out of ``send``: it
becomes an ``Outcome``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher import retry, webhooks
from publisher.config import Destination
from publisher.guard import AddressRefused, HostGuard, guarded_transport

USER_AGENT: Final = "sunshine-ledger-publisher/0.1"
SNIPPET: Final = 200
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
)


@dataclass(frozen=True)
class Outcome:
    #: success | redirect | gone | throttled | http_error | timeout | network | refused
    reason: str
    status: int | None = None
    error: str = ""
    digest: str | None = None
    retry_after: float | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason == "success"

    @property
    def against_site(self) -> bool:
        """Whether it says the site is unwell (counts towards opening its circuit); a 4xx
        refusing one notice does not."""
        if self.reason in ("timeout", "network", "redirect", "throttled", "refused"):
            return True
        return self.status is not None and (self.status >= 500 or self.status == 408)


def clean(text: str, limit: int = SNIPPET) -> str:
    """One line of printable text for an error message (the ledger refuses control codes)."""
    return _UNPRINTABLE.sub(" ", text).strip()[:limit]


class Sender:
    def __init__(self, key: Ed25519PrivateKey, guard: HostGuard | None = None):
        self.key = key
        self.guard = guard or HostGuard()
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def _client(self, d: Destination) -> httpx.Client:
        with self._lock:
            client = self._clients.get(d.name)
            if client is None:
                limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
                client = self._clients[d.name] = httpx.Client(
                    follow_redirects=False,
                    timeout=httpx.Timeout(d.tuning.timeout),
                    limits=limits,
                    headers={"user-agent": USER_AGENT},
                    # Connections to public addresses only, checked as they are opened.
                    transport=None if d.allow_private else guarded_transport(limits),
                )
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def send(self, d: Destination, msg_id: str, body: bytes) -> Outcome:
        started = time.monotonic()
        try:
            outcome = self._send(d, msg_id, body, started)
        except httpx.TimeoutException:
            outcome = Outcome("timeout", error=f"no answer within {d.tuning.timeout:g} s")
        except AddressRefused as exc:
            outcome = Outcome("refused", error=clean(str(exc), 400))
        except Exception as exc:  # anything a broken site can provoke: never the worker's end
            outcome = Outcome("network", error=clean(f"{type(exc).__name__}: {exc}", 400))
        return Outcome(**{**outcome.__dict__, "seconds": time.monotonic() - started})

    def _send(self, d: Destination, msg_id: str, body: bytes, started: float) -> Outcome:
        if not d.allow_private:
            parts = urlsplit(d.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self.guard.check(parts.hostname or "", port)
        request_headers = webhooks.headers(msg_id, body, self.key, d.secret)
        request_headers["content-type"] = "application/json"
        deadline = started + d.tuning.timeout
        with self._client(d).stream(
            "POST", d.url, content=body, headers=request_headers
        ) as response:
            status = response.status_code
            digest, head = _read(response, deadline, d.tuning.max_response_bytes)
            if time.monotonic() > deadline and not 200 <= status < 300:
                late = f"answer not complete within {d.tuning.timeout:g} s"
                return Outcome("timeout", status, late)
            if 200 <= status < 300:
                return Outcome("success", status, digest=digest)
            text = clean(head.decode("utf-8", errors="replace"))
            if 300 <= status < 400:
                where = clean(response.headers.get("location", "?"))
                moved = f"HTTP {status} redirect to {where} not followed"
                return Outcome("redirect", status, moved)
            if status == 410:
                return Outcome("gone", status, f"HTTP 410 Gone: {text}".rstrip(": "))
            if status in (429, 503):
                pause = retry.retry_after(response.headers.get("retry-after"), d.tuning)
                return Outcome("throttled", status, f"HTTP {status}: {text}".rstrip(": "),
                               retry_after=pause)  # fmt: skip
            return Outcome("http_error", status, f"HTTP {status}: {text}".rstrip(": "))


def _read(response: httpx.Response, deadline: float, limit: int) -> tuple[str, bytes]:
    """The digest of at most ``limit`` raw bytes of the body, read until ``deadline``, and
    the first bytes for an error message. A body cut short or broken is digested as read."""
    hasher = hashlib.sha256()
    read = 0
    head = b""
    try:
        for chunk in response.iter_raw():
            part = chunk[: limit - read]
            hasher.update(part)
            if len(head) < SNIPPET:
                head += part[: SNIPPET - len(head)]
            read += len(part)
            if read >= limit or time.monotonic() > deadline:
                break
    except (httpx.HTTPError, OSError):
        pass  # the status line and headers came; what follows is the site's problem
    return base64.b64encode(hasher.digest()).decode(), head
