# Over 400 lines by design: a whole stand-in procurement website (the receiving end of a push) kept
# apart from the service.
"""A local "procurement website" that receives the notices `sunshine publish` pushes.

The demo's stand-in for 云岭省政府采购网, and a reference for what a real site does with a
delivery: it checks the Standard Webhooks signatures before believing anything in the body.

- ``POST /notices``: the publisher's request. ``v1a`` (Ed25519 over
  ``<webhook-id>.<webhook-timestamp>.<body>``, publisher.webhooks.signed_content) must verify
  with the publishing service's public key, and, when the site has a shared secret, ``v1``
  (HMAC-SHA256, checked by the ``standardwebhooks`` package) as well: otherwise 401. So
  must the timestamp be within 5 minutes of the site's clock (a replay of an old capture is
  refused). A body over ``max_body`` bytes (1 MiB) is 413: it is read and dropped, not
  parsed (past 16 MiB not even read: the connection is closed). One that is not a JSON
  object is 400, one without a Content-Length 411. A webhook-id seen before is answered
  200 and not stored again: the publisher sends a retry under the same id. Success is 200
  ``{"received": true}``.
- ``GET /``: the received notices, newest first, as a page in Chinese (at most ``MAX_ROWS``
  rows). Everything in a body is untrusted and escaped by Jinja2's autoescape.
- ``GET /notices.json``: a summary (count, by announcement type, duplicates, refusals by
  reason, first and last arrival); ``GET /arrivals.json``: one line per stored notice
  (webhook-id, notice index, announcement, procurement, recorded_at, arrival time), which
  the publisher's benchmark reads.

What arrived is kept in memory only. ``DemoSite`` starts listening in its constructor (its
server thread runs until ``close``)::

    with DemoSite(demo_key("qhx-fbfw-svc").public_key()) as site:
        ...  # destinations.toml: url = site.url, allow_private = true

From the command line, in the foreground until SIGTERM or Ctrl-C::

    python -m demo.site --public-key-file data/demo/demo-keys/qhx-fbfw-svc.pem \\
        --port 9000 [--secret whsec_…] [--host 127.0.0.1]

The key file may hold the publishing service's public key (PEM, or the base64 of its 32
raw bytes as `sunshine keys new` prints it) or its private key (PEM: the demo writes those;
only the public half is used).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import json
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jinja2 import Environment
from standardwebhooks import Webhook, WebhookVerificationError

from ledger import signing
from ledger.domain.context import CHINA
from ledger.domain.vocabulary import AnnouncementType
from publisher.webhooks import signed_content

TITLE: Final = "澄溪县政府采购网（演示接收站）"
MAX_BODY: Final = 1024 * 1024  # bytes of a request body; more is 413
MAX_ROWS: Final = 200  # notices shown on the page
TOLERANCE: Final = 300.0  # seconds a webhook-timestamp may be from the site's clock
DRAIN_LIMIT: Final = 16 * MAX_BODY  # an oversize body up to this is read and dropped
MAX_ID: Final = 256  # characters of a webhook-id
READ_TIMEOUT: Final = 30.0  # seconds a connection may sit idle mid-request
_LABELS: Final = {a.value: a.label for a in AnnouncementType}

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>{{ title }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; }
th { background: #f4f4f4; }
.ok { color: #0a7d2c; } .bad { color: #b00020; }
small { color: #666; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>本站接收“阳光采购账本”发布服务推送的公告，逐条核验签名后登载。</p>
<p>已接收公告 <strong id="count">{{ count }}</strong> 条{% if count > rows|length %}，显示最新
{{ rows|length }} 条{% endif %}。重复推送 {{ duplicates }} 次（按 webhook-id 只登载一次）；
拒收请求 {{ refused }} 次{% if reasons %}（{% for reason, n in reasons %}{{ reason }} {{ n
}}{% if not loop.last %}，{% endif %}{% endfor %}）{% endif %}。</p>
{% if rows %}
<table>
<thead><tr><th>公告类型</th><th>采购项目编号</th><th>日志序号</th><th>记账时间</th>
<th>到达时间</th><th>签名</th></tr></thead>
<tbody>
{% for row in rows %}
<tr>
<td>{{ row.announcement_zh }}{% if row.marker %}
<strong class="bad">（{{ row.marker }}）</strong>{% endif %}</td>
<td>{{ row.procurement }}</td>
<td>{{ row.notice }}</td>
<td>{{ row.recorded_at }}</td>
<td>{{ row.arrived }}</td>
<td>{% if row.verified %}<span class="ok">签名已验证</span>
<small>（{{ row.verified }}）</small>{% else %}<span class="bad">签名未验证</span>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>尚未收到公告。</p>
{% endif %}
<p><small>接收地址 POST {{ url }} · <a href="/notices.json">notices.json</a></small></p>
</body>
</html>
""")

#: What a refusal is called on the page.
REASONS: Final = {
    "signature": "签名无效",
    "stale": "时间戳过期",
    "headers": "缺少签名头",
    "too_large": "正文过大",
    "malformed": "正文格式错误",
}


@dataclass(frozen=True)
class Received:
    """One stored notice: what arrived, when, and which signatures verified."""

    webhook_id: str
    arrived: float  # time.time() when the whole request had been read
    body: dict[str, Any]  # the parsed body (untrusted: escape it before showing it)
    verified: tuple[str, ...]  # the signatures that verified: ("v1a",) or ("v1a", "v1")

    def _data(self) -> dict[str, Any]:
        data = self.body.get("data")
        return data if isinstance(data, dict) else {}

    def _text(self, key: str) -> str | None:
        value = self._data().get(key)
        return value if isinstance(value, str) else None

    @property
    def notice(self) -> int | None:
        value = self._data().get("notice")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def announcement(self) -> str | None:
        return self._text("announcement")

    @property
    def announcement_zh(self) -> str | None:
        return self._text("announcement_zh") or _LABELS.get(self.announcement or "")

    @property
    def procurement(self) -> str | None:
        return self._text("procurement")

    @property
    def marker(self) -> str | None:
        """What the publisher says of every notice it pushes, e.g. 演示数据，纯属虚构."""
        return self._text("marker")

    @property
    def recorded_at(self) -> str | None:
        return self._text("recorded_at")

    def line(self) -> dict[str, Any]:
        """What /arrivals.json says of it."""
        return {
            "webhook_id": self.webhook_id,
            "notice": self.notice,
            "announcement": self.announcement,
            "procurement": self.procurement,
            "marker": self.marker,
            "recorded_at": self.recorded_at,
            "arrived": self.arrived,
            "verified": list(self.verified),
        }


class Refused(Exception):
    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def read_public_key(path: Path) -> Ed25519PublicKey:
    """The publishing service's public key from a PEM private or public key file, or from
    the base64 (or the bytes) of its 32 raw bytes. ValueError when it is none of these."""
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        try:
            if b"PRIVATE KEY" in data:
                return signing.read_key(path).public_key()  # as `sunshine publish` reads it
            key = serialization.load_pem_public_key(data)
        except (TypeError, ValueError) as exc:  # TypeError: a key behind a password
            raise ValueError(f"{path}: not an Ed25519 key file ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path}: not an Ed25519 key file")
        return key
    raw = data
    if len(data) != 32:
        try:
            raw = base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != 32:
        raise ValueError(
            f"{path}: expected a PEM key or the base64 of a 32-byte Ed25519 public key"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def _webhook(secret: str) -> Webhook:
    """The standardwebhooks verifier of a ``whsec_…`` secret; ValueError when malformed."""
    try:
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not secret.startswith("whsec_") or not raw:
        raise ValueError("the secret must be whsec_ followed by base64")
    return Webhook(secret)


class DemoSite:
    """The receiving site on ``host:port`` (0: a free port), listening from construction
    until ``close()`` (or the end of a ``with`` block)."""

    def __init__(
        self,
        public_key: Ed25519PublicKey,
        secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int = MAX_BODY,
        tolerance: float = TOLERANCE,
    ) -> None:
        self.public_key = public_key
        self.secret = secret
        self._webhook = _webhook(secret) if secret is not None else None
        self.max_body = max_body
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._ids: set[str] = set()
        self._duplicates = 0
        self._refused: collections.Counter[str] = collections.Counter()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.host = host
        self.port = int(self.server.server_address[1])
        self.page_url = f"http://{host}:{self.port}/"
        self.url = f"{self.page_url}notices"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="demo-site", daemon=True
        )
        self._thread.start()

    # -- life --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join()
        self.server.server_close()

    def __enter__(self) -> DemoSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what arrived ----------------------------------------------------------------------

    def count(self) -> int:
        with self._lock:
            return len(self._received)

    def received(self) -> list[Received]:
        """The stored notices in order of arrival (a copy)."""
        with self._lock:
            return list(self._received)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            received = list(self._received)
            duplicates, refused = self._duplicates, dict(self._refused)
        kinds = collections.Counter(r.announcement or "unknown" for r in received)
        return {
            "count": len(received),
            "by_announcement": dict(sorted(kinds.items())),
            "duplicates": duplicates,
            "refused": refused,
            "first_arrival": received[0].arrived if received else None,
            "last_arrival": received[-1].arrived if received else None,
        }

    # -- one request -------------------------------------------------------------------------

    def accept(self, headers: dict[str, str], body: bytes, arrived: float) -> bool:
        """Check and store one delivery; False when its webhook-id was stored before.
        ``Refused`` (401 or 400) when the request is not to be believed."""
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        if not (msg_id and stamp and signature):
            raise Refused(401, "headers", "webhook-id, webhook-timestamp and "
                          "webhook-signature are required")  # fmt: skip
        if len(msg_id) > MAX_ID or not msg_id.isprintable():
            raise Refused(400, "headers", "webhook-id is not a printable id")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) < 16):
            raise Refused(401, "headers", "webhook-timestamp is not Unix seconds")
        timestamp = int(stamp)
        if abs(time.time() - timestamp) > self.tolerance:
            raise Refused(401, "stale", "webhook-timestamp is more than 5 minutes away")
        verified = ["v1a"] if self._v1a(msg_id, timestamp, body, signature) else []
        if not verified:
            raise Refused(401, "signature", "no v1a signature verifies with the publisher's key")
        if self._webhook is not None:
            try:
                self._webhook.verify(body, headers, json_parse=False)
            except (WebhookVerificationError, ValueError):  # ValueError: malformed header
                raise Refused(
                    401, "signature", "no v1 signature verifies with the secret"
                ) from None
            verified.append("v1")
        try:
            parsed = json.loads(body)
        except ValueError:
            raise Refused(400, "malformed", "the body is not JSON") from None
        if not isinstance(parsed, dict):
            raise Refused(400, "malformed", "the body is not a JSON object")
        record = Received(msg_id, arrived, parsed, tuple(verified))
        with self._lock:
            if msg_id in self._ids:
                self._duplicates += 1
                return False
            self._ids.add(msg_id)
            self._received.append(record)
        return True

    def refuse(self, reason: str) -> None:
        with self._lock:
            self._refused[reason] += 1

    def _v1a(self, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
        content = signed_content(msg_id, timestamp, body)
        for part in header.split():
            version, _, value = part.partition(",")
            if version != "v1a":
                continue
            try:
                self.public_key.verify(base64.b64decode(value, validate=True), content)
                return True
            except (InvalidSignature, binascii.Error, ValueError):
                continue
        return False

    def page(self) -> str:
        with self._lock:
            count, newest = len(self._received), self._received[-MAX_ROWS:][::-1]
            duplicates, refused = self._duplicates, dict(self._refused)
        rows = [
            {
                "announcement_zh": r.announcement_zh or "—",
                "marker": r.marker,
                "procurement": r.procurement or "—",
                "notice": "—" if r.notice is None else r.notice,
                "recorded_at": r.recorded_at or "—",
                "arrived": datetime.fromtimestamp(r.arrived, UTC)
                .astimezone(CHINA)
                .strftime("%Y-%m-%d %H:%M:%S"),
                "verified": " + ".join(r.verified),
            }
            for r in newest
        ]
        reasons = [(REASONS.get(k, k), n) for k, n in sorted(refused.items())]
        return PAGE.render(title=TITLE, count=count, rows=rows, duplicates=duplicates,
                           refused=sum(refused.values()), reasons=reasons,
                           url=self.url)  # fmt: skip


# Over 60 lines by design: the stand-in site's request handler: one small method per route, closed
# over its state.
def _handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: every answer says its Content-Length
        server_version = "sunshine-demo-site/0.1"
        timeout = READ_TIMEOUT

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes: without this, Nagle's algorithm and
            # delayed ACKs add 40 ms to an answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, body: bytes, kind: str, close: bool = False) -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            if close:
                self.send_header("connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, value: Any, close: bool = False) -> None:
            body = json.dumps(value, ensure_ascii=False).encode()
            self._send(status, body, "application/json; charset=utf-8", close)

        def _refuse(self, refused: Refused, close: bool = False) -> None:
            site.refuse(refused.reason)
            self._json(refused.status, {"error": refused.message}, close)

        def _drain(self, length: int) -> bool:
            while length > 0:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    return False
                length -= len(chunk)
            return True

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/":
                self._send(200, site.page().encode(), "text/html; charset=utf-8")
            elif path == "/notices.json":
                self._json(200, site.summary())
            elif path == "/arrivals.json":
                self._json(200, [r.line() for r in site.received()])
            elif path == "/notices":
                self._json(405, {"error": "POST notices here"})
            else:
                self._json(404, {"error": "not found"})

        do_HEAD = do_GET

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != "/notices":
                self._json(404, {"error": "not found"}, close=True)
                return
            if self.headers.get("transfer-encoding"):
                # Only Content-Length bodies (what the publisher sends) can be bounded
                # before reading: a chunked one is refused and the connection closed.
                self._json(411, {"error": "a Content-Length is required"}, close=True)
                return
            length_header = self.headers.get("content-length", "")
            if not length_header.isascii() or not length_header.isdigit():
                self._json(411, {"error": "a Content-Length is required"}, close=True)
                return
            length = int(length_header)
            if length > site.max_body:
                # Read and dropped (a client still sending would not see the answer if the
                # connection closed under it), unless it is absurdly large.
                drained = length <= DRAIN_LIMIT and self._drain(length)
                message = f"the body is over {site.max_body} bytes"
                self._refuse(Refused(413, "too_large", message), close=not drained)
                return
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True  # the client went away mid-body
                return
            arrived = time.time()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                new = site.accept(headers, body, arrived)
            except Refused as refused:
                self._refuse(refused)
                return
            self._json(200, {"received": True} if new else {"received": True, "duplicate": True})

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo.site",
        description=f"{TITLE}: receives what `sunshine publish` pushes and shows it",
    )
    parser.add_argument(
        "--public-key-file", required=True,
        help="the publishing service's key: PEM (public or private) or base64 of 32 raw bytes",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=9000, help="0: a free port (default 9000)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--secret", help="the Standard Webhooks secret (whsec_…): check v1 too")
    args = parser.parse_args(argv)
    try:
        key = read_public_key(Path(args.public_key_file))
        site = DemoSite(key, args.secret, args.host, args.port)
    except (OSError, ValueError) as exc:
        print(f"demo_site: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    print(f"{TITLE}: POST {site.url}", flush=True)
    print(f"page: {site.page_url}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        site.close()
    print(f"stopped after {site.count()} notices", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
