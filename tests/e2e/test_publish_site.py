"""A real local "procurement website" for the publisher's tests, and tests of it.

``FakeSite`` is a threaded HTTP server on a free loopback port. It verifies every request's
Standard Webhooks signatures (v1a with the publisher's Ed25519 public key, v1 with the
standardwebhooks package when it has a secret), counts notices by webhook-id (a repeated id
is answered 200 but not processed again: the site's idempotency), and answers as the test
scripts it: a status, a delay, Retry-After, a redirect, a huge or endless body, garbage
that is not HTTP at all, or a connection dropped.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from standardwebhooks import Webhook, WebhookVerificationError

from publisher import webhooks

SECRET = "whsec_" + base64.b64encode(b"a site's shared secret, 32 byte").decode()


@dataclass
class Answer:
    """How the site answers one request."""

    status: int = 200
    body: bytes = b'{"received": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line
    huge: int = 0  # then this many more bytes of body (Content-Length says so)
    garbage: bytes | None = None  # instead of HTTP: these bytes, then close
    drop: bool = False  # close the connection without a word
    block: threading.Event | None = None  # wait for this before answering
    process: bool = True  # a 2xx that counts the notice as processed


@dataclass
class Seen:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    v1a: bool
    v1: bool | None
    at: float  # time.monotonic() when the request arrived
    path: str

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


Script = Callable[[int, str], Answer]


class FakeSite:
    def __init__(
        self,
        public_key: Ed25519PublicKey,
        secret: str | None = None,
        script: Script | None = None,
        port: int = 0,
    ) -> None:
        self.public_key = public_key
        self.secret = secret
        self.script: Script = script or (lambda n, msg_id: Answer())
        self.seen: list[Seen] = []
        self.processed: dict[str, int] = {}
        self.arrived = threading.Condition()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle's algorithm
                # and delayed ACKs add 40 ms to every answer, as on any real server.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                answer = site._record(dict(self.headers.items()), body, self.path)
                site._answer(self, answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/notices"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what arrives ---------------------------------------------------------------------

    def _record(self, headers: dict[str, str], body: bytes, path: str) -> Answer:
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id", "")
        seen = Seen(
            msg_id,
            lower.get("webhook-timestamp", ""),
            lower.get("webhook-signature", ""),
            body,
            self._v1a(lower, body),
            self._v1(lower, body),
            time.monotonic(),
            path,
        )
        with self._lock:
            self.seen.append(seen)
            answer = self.script(len(self.seen), msg_id)
            if 200 <= answer.status < 300 and answer.process and not answer.garbage:
                # A repeated id is acknowledged but not processed again.
                self.processed[msg_id] = self.processed.get(msg_id, 0) or 1
        with self.arrived:
            self.arrived.notify_all()
        return answer

    def _v1a(self, headers: dict[str, str], body: bytes) -> bool:
        content = webhooks.signed_content(
            headers.get("webhook-id", ""), int(headers.get("webhook-timestamp", "0") or 0), body
        )
        for part in headers.get("webhook-signature", "").split():
            version, _, signature = part.partition(",")
            if version == "v1a":
                try:
                    self.public_key.verify(base64.b64decode(signature), content)
                    return True
                except (InvalidSignature, ValueError):
                    return False
        return False

    def _v1(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    def _answer(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.block is not None:
            # Held until the test lets go (tests do, when they finish); the bound only frees
            # the thread of a test that failed to, long after any test's normal time.
            answer.block.wait(600)
        if answer.delay:
            time.sleep(answer.delay)
        try:
            if answer.drop or answer.garbage is not None:
                if answer.garbage:
                    handler.wfile.write(answer.garbage)
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(answer.body) + answer.huge))
            handler.end_headers()
            handler.wfile.write(answer.body)
            chunk = b"x" * 65536
            left = answer.huge
            while left > 0:
                handler.wfile.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        except OSError:
            handler.close_connection = True  # the publisher stopped reading: as it should

    # -- for the tests ----------------------------------------------------------------------

    def ids(self) -> list[str]:
        with self._lock:
            return [s.webhook_id for s in self.seen]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the site waited {timeout} s in vain; saw {self.ids()}")
                self.arrived.wait(min(left, 0.1))


# -- a county with notices, a publisher service, a destinations file --------------------------

#: Short timeouts and schedules: each test takes seconds.
FAST = {
    "timeout": "2s",
    "retry_base": "50ms",
    "retry_cap": "200ms",
    "give_up_after": "30s",
    "circuit_failures": 5,
    "circuit_cooldown": "300ms",
}
FAST_PUBLISHER = {"poll_interval": "100ms", "lease_margin": "1s", "receipt_retry": "200ms"}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return orjson.dumps(value).decode()  # a JSON string is a TOML basic string
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def destinations_toml(
    *destinations: dict[str, Any],
    defaults: dict[str, Any] | None = None,
    publisher: dict[str, Any] | None = None,
) -> str:
    lines = ["[publisher]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in {**FAST_PUBLISHER, **(publisher or {})}.items()]
    lines += ["", "[defaults]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in {**FAST, **(defaults or {})}.items()]
    for d in destinations:
        lines += ["", "[[destination]]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in {"allow_private": True, **d}.items()]
    return "\n".join(lines) + "\n"


def config(*destinations: dict[str, Any], **kw: Any) -> Any:
    from publisher.config import parse_destinations

    return parse_destinations(destinations_toml(*destinations, **kw))


def notices_of(world: Any) -> list[int]:
    """Every notice leaf's index."""
    from ledger.domain.schema.entry import parse_entry
    from publisher.planner import is_notice

    reader = world.ledger.reader
    return [i for i in range(reader.size()) if is_notice(parse_entry(reader.entry(i)))]


def receipts_of(world: Any, kind: str = "NoticeDelivered") -> list[dict[str, Any]]:
    """The data of every receipt leaf of ``kind`` (integrating what is pending first)."""
    ledger = world.ledger
    ledger.integrator.integrate()
    found = []
    for i in range(ledger.reader.size()):
        entry = orjson.loads(ledger.reader.entry(i))
        if entry["type"] == kind:
            found.append(entry["data"])
    return found


def county_with_notices(world: Any, procurements: int = 2) -> tuple[Any, Any, list[int]]:
    """A county (procurement_world) whose procurements p1… are announced (an intention and a
    tender notice each), and the publishing service's actor."""
    from procurement_world import County

    county = County(world)
    publisher = world.add("fbfw", "publisher", "fbfw-svc", "澄溪县政府采购信息发布服务")
    for n in range(1, procurements + 1):
        county.to_announced(f"p{n}")
    return county, publisher, notices_of(world)


@pytest.fixture
def site_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def site(site_key: Ed25519PrivateKey) -> Iterator[FakeSite]:
    fake = FakeSite(site_key.public_key(), SECRET)
    try:
        yield fake
    finally:
        fake.close()


def post(
    site: FakeSite,
    key: Ed25519PrivateKey,
    body: bytes,
    secret: str | None = SECRET,
    msg_id: str = "msg_1_00_site",
) -> int:
    import httpx

    headers = webhooks.headers(msg_id, body, key, secret)
    return httpx.post(site.url, content=body, headers=headers, timeout=5).status_code


def test_the_site_accepts_what_the_publisher_signs(
    site: FakeSite, site_key: Ed25519PrivateKey
) -> None:
    assert post(site, site_key, b'{"n": 1}') == 200
    (seen,) = site.seen
    assert (seen.v1a, seen.v1) == (True, True)
    assert seen.signature.startswith("v1a,") and " v1," in seen.signature
    assert site.processed == {"msg_1_00_site": 1}


def test_the_site_refuses_other_keys_and_secrets(site: FakeSite) -> None:
    other = Ed25519PrivateKey.generate()
    wrong = "whsec_" + base64.b64encode(b"another secret of thirty-two by").decode()
    post(site, other, b'{"n": 1}', secret=wrong)
    (seen,) = site.seen
    assert (seen.v1a, seen.v1) == (False, False)


def test_a_repeated_webhook_id_is_processed_once(
    site: FakeSite, site_key: Ed25519PrivateKey
) -> None:
    for _ in range(3):
        assert post(site, site_key, b"{}") == 200
    assert len(site.seen) == 3 and site.processed == {"msg_1_00_site": 1}
