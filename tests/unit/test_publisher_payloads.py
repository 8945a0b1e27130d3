"""What a website receives: the notice JSON, OCDS releases, Standard Webhooks headers, and the
retry schedule that decides when it receives it again."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks import Webhook

from publisher import payloads, retry, webhooks
from publisher.config import Tuning
from publisher.sending import Outcome, clean

SUMMARY = {
    "procurement": "qhx-2026-003",
    "title": "耕地保护监测无人机采购项目",
    "purchaser": "qhx-zrzyj",
    "agency": "qhx-ggzy",
    "region": "澄溪县",
    "category": "goods",
    "method": "inquiry",
    "budget": "450000.00",
    "date": "2026-02-25",
}


def entry(announcement: str, event: str = "TenderAnnounced", **data: Any) -> dict[str, Any]:
    return {
        "index": 347,
        "type": event,
        "actor": "qhx-ggzy-op",
        "recorded_at": "2026-02-25T02:00:00.000000Z",
        "data": {**SUMMARY, "announcement": announcement, **data},
    }


def test_the_notice_format_carries_the_exact_leaf() -> None:
    e = entry("result", "ResultAnnounced", supplier="qhx-chuangxin", amount="416800.00")
    leaf = orjson.dumps(e)
    body = orjson.loads(payloads.notice_body(347, e, leaf, "notice"))
    assert body["type"] == "notice.result" and body["timestamp"] == e["recorded_at"]
    data = body["data"]
    assert (data["notice"], data["announcement_zh"], data["content"]) == (
        347,
        "中标（成交）结果公告",
        e["data"],
    )
    assert base64.b64decode(data["leaf"]) == leaf
    assert data["leaf_hash"] == base64.b64encode(hashlib.sha256(b"\x00" + leaf).digest()).decode()
    # The same notice always gives the same bytes: a retry's body equals the first.
    assert payloads.notice_body(347, e, leaf, "notice") == payloads.notice_body(
        347, e, leaf, "notice"
    )


def test_an_ocds_body_is_a_package_of_the_notices_release() -> None:
    release = {"ocid": "ocds-qhx000-qhx-2026-003", "id": "qhx-2026-003-347",
               "date": "2026-02-25T00:00:00+08:00", "tag": ["award"]}  # fmt: skip
    e = entry("result")
    body = payloads.notice_body(347, e, orjson.dumps(e), "ocds", None, release)
    package = orjson.loads(body)
    assert package["releases"] == [release] and package["version"] == "1.1"
    assert package["publishedDate"] == release["date"]  # a retry sends the same bytes
    with pytest.raises(LookupError):
        payloads.notice_body(347, e, orjson.dumps(e), "ocds")


def test_signatures_verify_with_the_public_key_and_with_standardwebhooks() -> None:
    key = Ed25519PrivateKey.generate()
    secret = "whsec_" + base64.b64encode(b"s" * 32).decode()
    body = '{"data":{"title":"澄溪县"}}'.encode()
    msg_id = webhooks.webhook_id(347, base64.b64encode(b"\x01" * 32).decode(), "ccgp-hebei")
    assert msg_id == "msg_347_0101010101010101_ccgp-hebei"
    headers = webhooks.headers(msg_id, body, key, secret)
    assert Webhook(secret).verify(body, headers) == {"data": {"title": "澄溪县"}}
    v1a = next(p for p in headers["webhook-signature"].split() if p.startswith("v1a,"))
    key.public_key().verify(
        base64.b64decode(v1a[4:]), f"{msg_id}.{headers['webhook-timestamp']}.".encode() + body
    )
    assert "v1," not in webhooks.headers(msg_id, body, key)["webhook-signature"]
    # The public key in Standard Webhooks' whpk_ form checks the same v1a signature.
    whpk = webhooks.public_key(key.public_key())
    assert re.fullmatch(r"whpk_[A-Za-z0-9+/]{43}=", whpk)
    webhooks.from_public_key(whpk).verify(
        base64.b64decode(v1a[4:]), f"{msg_id}.{headers['webhook-timestamp']}.".encode() + body
    )
    for bad in ("whsk_" + whpk[5:], "whpk_AAAA", whpk[5:]):
        with pytest.raises(ValueError):
            webhooks.from_public_key(bad)


def test_backoff_is_exponential_with_full_jitter() -> None:
    tuning = Tuning(retry_base=30, retry_cap=3600)
    rng = random.Random(1)
    for attempt, ceiling in ((1, 30), (2, 60), (5, 480), (8, 3600), (40, 3600)):
        delays = [retry.backoff(attempt, tuning, rng) for _ in range(300)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > 0.8 * ceiling and min(delays) < 0.2 * ceiling  # spread, not fixed


def test_the_default_schedule_gives_up_after_about_three_days() -> None:
    tuning, rng, now, attempts = Tuning(), random.Random(2), 0.0, 1
    while not retry.exhausted(attempts, 0.0, tuning, now):
        now += retry.backoff(attempts, tuning, rng)
        attempts += 1
    assert 3 * 86400 <= now < 3 * 86400 + 6 * 3600
    assert 15 < attempts < 60
    assert retry.exhausted(3, 0.0, Tuning(max_attempts=3), 1.0)


def test_retry_after_in_seconds_or_a_date_and_clamped() -> None:
    tuning = Tuning(retry_after_max=600)
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert retry.retry_after("120", tuning, now) == 120
    assert (
        retry.retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), tuning, now)
        == 90
    )
    assert retry.retry_after("86400", tuning, now) == 600
    assert (
        retry.retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), tuning, now) == 0
    )
    assert retry.retry_after("soon", tuning, now) is None
    assert retry.retry_after(None, tuning, now) is None


def test_what_counts_against_a_site_and_clean_error_text() -> None:
    assert Outcome("http_error", 500).against_site and Outcome("timeout").against_site
    assert not Outcome("http_error", 400).against_site and Outcome("http_error", 408).against_site
    assert (
        clean("bad\x00\x1b[31m\u202eevil\n\tthing" + "x" * 500, 30)
        == "bad [31m evil thing" + "x" * 11
    )


def test_the_publishers_marker_travels_with_every_notice_in_both_formats() -> None:
    e = entry("tender")
    leaf = orjson.dumps(e)
    marked = orjson.loads(payloads.notice_body(347, e, leaf, "notice", "演示数据，纯属虚构"))
    assert marked["data"]["marker"] == "演示数据，纯属虚构"
    assert "marker" not in orjson.loads(payloads.notice_body(347, e, leaf, "notice"))["data"]
    release = {"ocid": "ocds-qhx000-qhx-2026-003", "id": "qhx-2026-003-347",
               "date": "2026-02-25T00:00:00+08:00"}  # fmt: skip
    ocds = orjson.loads(payloads.notice_body(347, e, leaf, "ocds", "演示数据，纯属虚构", release))
    assert ocds["publisher"]["name"].endswith("（演示数据，纯属虚构）")
