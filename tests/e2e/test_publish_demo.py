"""The demo year pushed to a local site: every notice arrives and verifies, one receipt each,
and the log with its receipts still verifies."""

from __future__ import annotations

import collections
import sqlite3
from pathlib import Path

import orjson
from conftest import DemoLedger, copy_demo, sunshine
from test_publish_site import SECRET, FakeSite, destinations_toml

from demo.builder import demo_key
from ledger import signing


def test_the_demo_year_arrives_and_verifies(tmp_path: Path, demo_template: DemoLedger) -> None:
    data = copy_demo(demo_template, tmp_path / "demo").data
    key = data / "demo-keys" / "qhx-fbfw-svc.pem"
    assert signing.key_id(signing.read_key(key)) == signing.key_id(demo_key("qhx-fbfw-svc"))
    with FakeSite(demo_key("qhx-fbfw-svc").public_key(), SECRET) as site:
        config = tmp_path / "destinations.toml"
        config.write_text(
            destinations_toml(
                {"name": "ccgp-hebei", "url": site.url, "secret": SECRET, "required": True},
            ),
            encoding="utf-8",
        )
        result = sunshine(
            "publish",
            "--once",
            "--data-dir",
            str(data),
            "--destinations",
            str(config),
            "--key",
            str(key),
            "--workers",
            "8",
            data_dir=data,
        )
        assert result.returncode == 0, result.stderr
        seen = list(site.seen)
    notices = {s.json["data"]["notice"] for s in seen}
    assert len(notices) == len(seen) == 819  # every notice of the year, once
    assert all(s.v1a and s.v1 for s in seen)
    assert collections.Counter(s.json["data"]["announcement"] for s in seen)["tender"] == 149
    verified = sunshine("verify", "--check-timing", "--data-dir", str(data), data_dir=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with sqlite3.connect(data / "ledger.db") as conn:
        leaves = [orjson.loads(leaf) for (leaf,) in conn.execute("SELECT leaf FROM log_leaves")]
    receipts = [e["data"] for e in leaves if e["type"] == "NoticeDelivered"]
    assert sorted(r["notice"] for r in receipts) == sorted(notices)
    # Delivered now, months after the notices: late for a required site, and it says so.
    assert all(r["findings"][0]["rule"] == "notice_published_on_website" for r in receipts)
