"""Kept list and notice pages over real HTTP, on SQLite and PostgreSQL: a page asked again is
answered from memory before any route runs (``projections.web.kept_pages``), and must be the
page its own address renders, for the projection as it is when the request arrives.

A county's procurements are recorded while `sunshine serve` runs; the tests wait for the
public projection's position to pass the newest leaf (the server's projector applies it),
then ask each page once: a kept page of the state before would fail them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import TLS, Server, eventually, hospital_world, make_config, start_server
from procurement_world import County

from ledger.application import Ledger
from ledger.store.sql import open_database
from ledger.store.url import DatabaseURL
from projections.web.page_cache import PageCache

FIRST = "澄溪县人民医院彩色多普勒超声诊断仪采购项目"
SECOND = "澄溪县人民医院负压救护车采购项目"
LATER = "澄溪县人民医院全自动生化分析仪采购项目"


@dataclass
class Served:
    county: County
    server: Server
    db: DatabaseURL

    def get(self, path: str, **headers: str) -> httpx.Response:
        answer = httpx.get(self.server.url + path, headers=headers, timeout=60, verify=TLS)
        return answer

    def head(self, path: str, **headers: str) -> httpx.Response:
        return httpx.head(self.server.url + path, headers=headers, timeout=60, verify=TLS)

    def projected(self) -> None:
        """Wait until the server's projector has applied every leaf written so far."""
        size = self.county.ledger.reader.size()
        db = open_database(self.db)
        try:
            eventually(lambda: PageCache().state(db)[0] >= size, self.server.process)
        finally:
            db.close()


@pytest.fixture
def served(db_url: DatabaseURL, tmp_path: Path) -> Iterator[Served]:
    """Two tenders announced, then served; the test's ledger stays open to record more."""
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
        county.to_announced("p1")
        county.to_announced("p2", title=SECOND, requirement="负压救护车2辆。")
        server = start_server(db_url, tmp_path)
        try:
            site = Served(county, server, db_url)
            site.projected()
            yield site
        finally:
            server.stop()
    finally:
        ledger.close()


def notice_links(page: str) -> list[str]:
    return re.findall(r'href="(/announcements/[0-9]+)"', page)


def body(answer: httpx.Response) -> str:
    assert answer.status_code == 200, (answer.status_code, answer.text[:300])
    return answer.text


def test_a_kept_page_shows_a_new_notice_once_the_projection_has_it(served: Served) -> None:
    for path in ("/announcements", "/announcements?q=生化分析仪"):
        body(served.get(path))
        again = body(served.get(path))  # kept now
        assert LATER not in again
    served.county.to_announced("p3", title=LATER, requirement="全自动生化分析仪1台。")
    served.projected()
    assert LATER in body(served.get("/announcements"))
    assert LATER in body(served.get("/announcements?q=生化分析仪"))


def test_each_address_is_answered_its_own_page(served: Served) -> None:
    paths = ["/announcements", "/announcements?q=超声", "/announcements?q=救护车",
             "/announcements?type=intention", "/announcements?type=tender"]  # fmt: skip
    first = {path: body(served.get(path)) for path in paths}
    notices = notice_links(first["/announcements"])
    assert len(notices) == 4  # two intentions, two tenders
    first |= {path: body(served.get(path)) for path in notices}
    for path, page in first.items():
        assert body(served.get(path)) == page, path  # from memory, the same bytes
    assert len(set(first.values())) == len(first)  # no two addresses share a page
    assert FIRST in first["/announcements?q=超声"]
    assert SECOND not in first["/announcements?q=超声"]
    assert SECOND in first["/announcements?q=救护车"]
    # The same filters asked otherwise: the same page; a notice's address has one spelling.
    assert body(served.get("/announcements?q=%E8%B6%85%E5%A3%B0")) == first["/announcements?q=超声"]
    assert body(served.get("/announcements?q=超声&from=feed")) == first["/announcements?q=超声"]
    assert served.get(notices[0].replace("/announcements/", "/announcements/0")).status_code == 404


def test_a_kept_page_answers_head_and_revalidation_as_a_rendered_one(served: Served) -> None:
    for path in ("/announcements?q=救护车", notice_links(body(served.get("/announcements")))[0]):
        rendered, kept = served.get(path), served.get(path)
        assert kept.content == rendered.content
        assert headers(kept) == headers(rendered)
        for name in ("ETag", "Cache-Control", "Content-Security-Policy", "X-Frame-Options"):
            assert kept.headers[name], name
        head = served.head(path)
        assert head.status_code == 200 and head.content == b""
        assert headers(head) == headers(rendered)  # Content-Length the GET's
        etag = rendered.headers["ETag"]
        for tag in (etag, "W/" + etag, '"other", ' + etag):
            unchanged = served.get(path, **{"If-None-Match": tag})
            assert unchanged.status_code == 304 and unchanged.content == b"", tag
            assert unchanged.headers["ETag"] == etag
            assert unchanged.headers["Content-Security-Policy"]
        changed = served.get(path, **{"If-None-Match": '"other"'})
        assert changed.status_code == 200 and changed.content == rendered.content


def headers(answer: httpx.Response) -> dict[str, str]:
    """The response's headers but the moment it was sent."""
    return {k: v for k, v in answer.headers.items() if k != "date"}
