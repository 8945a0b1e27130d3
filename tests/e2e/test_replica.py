"""Pages served from a PostgreSQL streaming replica: the demo year is loaded on a primary
made for this module (``replication.streaming_pair``), and `sunshine serve --read-url` over
the replica alone serves the same pages byte for byte once the replica has replayed the
primary's WAL, each saying how fresh it is; it records nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    PG_REQUIRED,
    ROOT,
    TLS,
    Actor,
    Server,
    free_port,
    make_config,
    serving,
    start_server,
)
from replication import StreamingPair, missing_programs, streaming_pair
from supervision_client import COOKIE, sign_in

from demo.builder import DemoBuilder, demo_key
from ledger.application import Ledger
from sunshine.bootstrap import projector_for

pytestmark = pytest.mark.postgres

#: The footer's line a replica's page has and the primary's has not.
FRESHNESS = re.compile(r'  <p class="freshness">.*?</p>\n')
INSPECTOR = Actor("qhx-jw-op", "qhx-jw", "inspector", demo_key("qhx-jw-op"))


@dataclass(frozen=True)
class Deployment:
    pair: StreamingPair
    primary: Server  # `sunshine serve` over the primary
    replica: Server  # `sunshine serve --read-url` over the replica alone
    cookies: dict[str, str]  # an inspector's session (signed in on the primary)
    data: Path  # the data directory both servers share: the keys


def serve_replica(pair: StreamingPair, data: Path, primary: str | None = None) -> Server:
    """`sunshine serve --read-url <replica>`, with ``--db <primary>`` when given."""
    env = {k: v for k, v in os.environ.items() if k != "SUNSHINE_DATABASE_URL"}
    env["SUNSHINE_DATA_DIR"] = str(data)
    args = ["--read-url", pair.url(pair.replica)]
    if primary is not None:
        args += ["--db", primary]
    return serving(args, env, free_port())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    missing = missing_programs()
    if missing:
        message = f"no PostgreSQL server programs to make a replica with: {missing}"
        if PG_REQUIRED:
            pytest.fail(f"{message} (SUNSHINE_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    data = tmp_path_factory.mktemp("replica-data")
    with streaming_pair() as pair:
        ledger = Ledger(make_config(pair.primary, data, inline_integration=True))
        try:
            DemoBuilder(ledger, data / "demo-keys").build()
            projector = projector_for(ledger)
            projector.setup()
            projector.catch_up()
        finally:
            ledger.close()
        primary = start_server(pair.primary, data)
        try:
            with sign_in(primary.url, INSPECTOR) as signed:
                cookies = {COOKIE: str(signed.cookies.get(COOKIE))}
            replica = serve_replica(pair, data)
            try:
                yield Deployment(pair, primary, replica, cookies, data)
            finally:
                replica.stop()
        finally:
            primary.stop()


def body(server: Server, path: str, cookies: dict[str, str] | None = None) -> str:
    answer = httpx.get(server.url + path, cookies=cookies, timeout=60, verify=TLS)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return answer.text


def first_link(page: str, prefix: str) -> str:
    found = re.search(rf'href="({re.escape(prefix)}[^"?#]+)"', page)
    assert found, f"no link to {prefix}… on the page"
    return found.group(1)


def test_the_replica_serves_the_primary_pages_once_it_has_replayed_the_primary(
    deployment: Deployment,
) -> None:
    primary, replica = deployment.primary, deployment.replica
    listing = body(primary, "/announcements")
    paths = [
        "/",
        "/announcements",
        first_link(listing, "/announcements/"),
        "/announcements?q=" + "超声诊断仪",
        "/organisations",
        first_link(body(primary, "/organisations"), "/organisations/"),
    ]
    deployment.pair.wait_replayed()  # everything the primary wrote, the sign-in included
    for path in paths:
        mine, theirs = body(replica, path), body(primary, path)
        assert "数据截至" in mine and "数据截至" not in theirs, path
        assert FRESHNESS.sub("", mine) == theirs, path
    for path in ("/supervision/statistics", "/supervision/flags"):
        mine = body(replica, path, deployment.cookies)
        theirs = body(primary, path, deployment.cookies)
        assert FRESHNESS.sub("", mine) == theirs, path


def test_a_page_kept_by_the_replica_server_still_says_how_fresh_it_is(
    deployment: Deployment,
) -> None:
    """Asked again, a list or notice page is answered from memory before routing: still the
    primary's page with the replica's freshness line, never the primary's bytes alone."""
    primary, replica = deployment.primary, deployment.replica
    deployment.pair.wait_replayed()
    notice = first_link(body(primary, "/announcements"), "/announcements/")
    for path in ("/announcements", "/announcements?q=超声诊断仪", notice):
        theirs = body(primary, path)
        for _ in range(3):  # rendered, then kept
            mine = body(replica, path)
            assert FRESHNESS.search(mine), path
            assert FRESHNESS.sub("", mine) == theirs, path


def test_a_replica_alone_records_nothing_and_says_so_in_chinese(deployment: Deployment) -> None:
    replica = deployment.replica
    refused = httpx.post(replica.url + "/commands", content=INSPECTOR.body("SignIn", {
        "challenge": "x"}), timeout=30)  # fmt: skip
    assert refused.status_code == 503
    assert refused.json()["code"] == "read_only"
    assert "只读副本" in refused.json()["message_zh"]
    # A sign-in writes its spent challenge: refused the same way, not a 500.
    with httpx.Client(base_url=replica.url, timeout=30) as client:
        challenge = client.get("/supervision/challenge").json()["challenge"]
        answer = client.post(
            "/supervision/session", content=INSPECTOR.body("SignIn", {"challenge": challenge})
        )
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "read_only"
    assert replica.process.poll() is None
    assert "数据截至" in body(replica, "/announcements")


def test_with_both_urls_writes_go_to_the_primary_and_pages_come_from_the_replica(
    deployment: Deployment,
) -> None:
    pair = deployment.pair
    both = serve_replica(pair, deployment.data, primary=pair.url(pair.primary))
    try:
        # A sign-in writes its spent challenge: on the primary, so it is accepted.
        with sign_in(both.url, INSPECTOR) as signed:
            assert signed.get("/supervision/statistics").status_code == 200
        pair.wait_replayed()
        mine, theirs = body(both, "/announcements"), body(deployment.primary, "/announcements")
        assert "数据截至" in mine
        assert FRESHNESS.sub("", mine) == theirs
    finally:
        both.stop()


def test_the_freshness_line_in_a_browser(deployment: Deployment, browser: Any) -> None:
    deployment.pair.wait_replayed()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(deployment.replica.url + "/announcements")
        line = page.locator("footer .freshness")
        text = line.inner_text()
        assert re.fullmatch(
            r"数据截至 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}（北京时间）。"
            r"本页由只读副本提供，较主库延迟约 \d+\.\d 秒。",
            text,
        ), text
        assert line.locator("time").get_attribute("datetime")
        page.goto(deployment.primary.url + "/announcements")
        assert page.locator("footer .freshness").count() == 0
    finally:
        context.close()


def test_a_replica_server_without_the_primary_keys_refuses_to_start(
    deployment: Deployment, tmp_path: Path
) -> None:
    """It would make keys of its own: a log key, sessions and lookup codes not the primary's."""
    pair = deployment.pair
    env = {k: v for k, v in os.environ.items() if k != "SUNSHINE_DATABASE_URL"}
    env["SUNSHINE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(free_port()),
         "--read-url", pair.url(pair.replica)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "log-key.pem is missing" in done.stderr
    assert not (tmp_path / "log-key.pem").exists()
