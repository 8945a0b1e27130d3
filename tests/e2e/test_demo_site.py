"""The demo's receiving website (demo.site) over real HTTP: it takes what the
publisher signs, refuses what it did not, stores a retried id once, escapes what it shows,
and receives a whole `sunshine publish --once` run."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import ROOT, World
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_publish_crash import files, finish, publish
from test_publish_site import SECRET, county_with_notices, receipts_of

from demo.site import MAX_BODY, TITLE, DemoSite, read_public_key
from ledger import signing
from publisher import webhooks
from publisher.config import Destination
from publisher.payloads import notice_body
from publisher.sending import Outcome, Sender

OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret of thirty-two by").decode()


def body_of(
    notice: int = 7,
    announcement: str = "tender",
    procurement: str = "qhx-2026-001",
    **content: Any,
) -> bytes:
    """A request body as the publisher renders it (``format = "notice"``) for a leaf."""
    entry = {
        "type": "TenderAnnounced",
        "recorded_at": "2026-04-10T01:02:03.456Z",
        "actor": "qhx-ggzy-op",
        "data": {"announcement": announcement, "procurement": procurement, **content},
    }
    leaf = orjson.dumps(entry)
    return notice_body(notice, entry, leaf, "notice")


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def site(key: Ed25519PrivateKey) -> Iterator[DemoSite]:
    with DemoSite(key.public_key(), SECRET) as demo:
        yield demo


def send(
    site: DemoSite,
    key: Ed25519PrivateKey,
    body: bytes,
    msg_id: str = "msg_7_0011223344556677_ccgp-hebei",
    secret: str | None = SECRET,
) -> Outcome:
    """One attempt exactly as the publisher makes it (publisher.sending.Sender)."""
    sender = Sender(key)
    destination = Destination("ccgp-hebei", site.url, secret=secret, allow_private=True)
    try:
        return sender.send(destination, msg_id, body)
    finally:
        sender.close()


def page(site: DemoSite) -> str:
    response = httpx.get(site.page_url, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def summary(site: DemoSite) -> dict[str, Any]:
    response = httpx.get(site.page_url + "notices.json", timeout=5)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def test_a_signed_notice_is_accepted_and_shown_in_chinese(
    site: DemoSite, key: Ed25519PrivateKey
) -> None:
    outcome = send(site, key, body_of())
    assert outcome.ok and outcome.status == 200
    (stored,) = site.received()
    assert stored.verified == ("v1a", "v1")
    assert stored.webhook_id == "msg_7_0011223344556677_ccgp-hebei"
    html = page(site)
    assert f"<title>{TITLE}</title>" in html
    assert '<strong id="count">1</strong>' in html
    for shown in ("采购公告", "qhx-2026-001", "2026-04-10T01:02:03.456Z", "签名已验证"):
        assert shown in html
    assert summary(site)["count"] == 1
    assert summary(site)["by_announcement"] == {"tender": 1}


def test_wrong_signatures_and_stale_timestamps_are_refused(
    site: DemoSite, key: Ed25519PrivateKey
) -> None:
    body = body_of()
    stranger = Ed25519PrivateKey.generate()
    assert send(site, stranger, body).status == 401  # not the publisher's key
    assert send(site, key, body, secret=OTHER_SECRET).status == 401  # not the site's secret
    assert send(site, key, body, secret=None).status == 401  # v1 missing where it is expected
    # A valid signature over another body: the body was changed on the way.
    headers = webhooks.headers("msg_1", body, key, SECRET)
    changed = body.replace(b"qhx-2026-001", b"qhx-2026-999")
    assert httpx.post(site.url, content=changed, headers=headers).status_code == 401
    # Correctly signed, six minutes ago: a replayed capture.
    old = datetime.now(UTC) - timedelta(minutes=6)
    stale = webhooks.headers("msg_2", body, key, SECRET, moment=old)
    response = httpx.post(site.url, content=body, headers=stale)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]
    assert httpx.post(site.url, content=body).status_code == 401  # no signature at all
    assert site.count() == 0
    assert "尚未收到公告" in page(site)
    assert summary(site)["refused"] == {"signature": 4, "stale": 1, "headers": 1}


def test_a_retried_webhook_id_is_stored_once(site: DemoSite, key: Ed25519PrivateKey) -> None:
    body = body_of()
    outcomes = [send(site, key, body) for _ in range(3)]
    assert [o.status for o in outcomes] == [200, 200, 200]  # the publisher sees success
    assert site.count() == 1
    assert page(site).count("qhx-2026-001") == 1
    assert summary(site)["duplicates"] == 2
    # Another id is another notice.
    assert send(site, key, body_of(8), msg_id="msg_8_8899aabbccddeeff_ccgp-hebei").ok
    assert [r.webhook_id.split("_")[1] for r in site.received()] == ["7", "8"]


def test_markup_in_a_notice_is_shown_as_text(site: DemoSite, key: Ed25519PrivateKey) -> None:
    hostile = '<script>alert("x")</script>'
    assert send(site, key, body_of(procurement=hostile)).ok
    html = page(site)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script" not in html


def test_oversize_and_malformed_bodies_are_refused(site: DemoSite, key: Ed25519PrivateKey) -> None:
    huge = body_of(requirement="x" * MAX_BODY)
    assert len(huge) > MAX_BODY
    assert send(site, key, huge).status == 413
    assert send(site, key, b'{"type": "notice.tender", "data": {', msg_id="m2").status == 400
    assert send(site, key, b"[1, 2]", msg_id="m3").status == 400
    assert site.count() == 0
    # The site still takes a good one afterwards.
    assert send(site, key, body_of(), msg_id="m4").ok and site.count() == 1
    assert summary(site)["refused"] == {"too_large": 1, "malformed": 2}


def test_unknown_paths_are_404(site: DemoSite) -> None:
    assert httpx.get(site.page_url + "admin", timeout=5).status_code == 404
    assert httpx.post(site.page_url + "other", content=b"{}", timeout=5).status_code == 404
    assert httpx.get(site.url, timeout=5).status_code == 405


def test_the_command_line_runs_it_until_sigterm(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pem = tmp_path / "qhx-fbfw-svc.pem"
    signing.write_key(pem, key)  # a private key file, as the demo writes them
    process = subprocess.Popen(
        [sys.executable, "-m", "demo.site", "--public-key-file", str(pem),
         "--port", "0", "--secret", SECRET],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(f"{TITLE}: POST http://127.0.0.1:"), first
        url = first.split("POST ", 1)[1].strip()
        body = body_of()
        headers = webhooks.headers("msg_1", body, key, SECRET)
        assert httpx.post(url, content=body, headers=headers, timeout=5).status_code == 200
        assert "采购公告" in httpx.get(url.removesuffix("notices"), timeout=5).text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped after 1 notices" in out


def test_a_public_key_file_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "key.txt"
    junk.write_text("not a key\n")
    result = subprocess.run(
        [sys.executable, "-m", "demo.site", "--public-key-file", str(junk)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "expected a PEM key or the base64 of a 32-byte Ed25519 public key" in result.stderr


def test_sunshine_publish_delivers_every_notice_to_it(world: World, tmp_path: Path) -> None:
    _, actor, notices = county_with_notices(world, procurements=3)
    public = tmp_path / "fbfw-svc.pub"
    public.write_text(signing.public_b64(actor.key) + "\n")  # as `sunshine keys new` prints it
    with DemoSite(read_public_key(public), SECRET) as site:
        args = files(tmp_path, actor, {"name": "ccgp-hebei", "url": site.url, "secret": SECRET})
        finish(publish(world, tmp_path, args, "--once", "--workers", "2"))
        received = site.received()
        html = page(site)
    assert sorted(r.notice for r in received if r.notice is not None) == sorted(notices)
    assert len(received) == len(notices) == 6
    assert all(r.verified == ("v1a", "v1") for r in received)
    assert f'<strong id="count">{len(notices)}</strong>' in html
    assert html.count("采购意向公开") == 3 and html.count("采购公告") == 3
    for code in ("p1", "p2", "p3"):
        assert f"<td>{code}</td>" in html
    delivered = sorted(r["notice"] for r in receipts_of(world))
    assert delivered == sorted(notices)  # one NoticeDelivered receipt each
