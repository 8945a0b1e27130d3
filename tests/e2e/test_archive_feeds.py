"""The archived feed (RFC 5005 §4) over real HTTP, on SQLite and PostgreSQL: pages of 20
notices in log order that chain both ways and hold every notice exactly once; a full page
is the same bytes after more notices and after a rename, served ``immutable``; the page
filling up redirects to the subscription document, one beyond is 404; `sunshine
export-site` writes the same bytes the service serves, and never rewrites a full page."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from conftest import (
    Server,
    answers,
    eventually,
    free_port,
    hospital_world,
    make_config,
    start_server,
    sunshine,
)
from procurement_world import County
from test_pages import backend

from ledger.application import Ledger
from ledger.store.url import DatabaseURL

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
CURRENT = "/feeds/archive/announcements.atom"
IMMUTABLE = "public, max-age=31536000, immutable"
MARKUP = '<script>alert("归档")</script> 桌椅 & 书柜'
PROCUREMENTS = 22  # two notices each: two full pages of 20, four in the subscription document
OLD_NAME, NEW_NAME = "澄溪县人民医院", "澄溪县第一人民医院"


def page(n: int) -> str:
    return f"/feeds/archive/announcements/{n}.atom"


@dataclass
class Served:
    """A served ledger, and what a test needs to record more on it."""

    url: DatabaseURL
    data: Path
    county: County
    server: Server

    def get(self, path: str, **kw: str) -> httpx.Response:
        return httpx.get(self.server.url + path, headers=kw, timeout=30)

    def notices(self) -> list[int]:
        """Every notice's leaf index, in log order, read from the log itself."""
        ledger = Ledger(make_config(self.url, self.data))
        try:
            with ledger.db.read() as cur:
                rows = cur.execute("SELECT idx, leaf FROM log_leaves ORDER BY idx").fetchall()
        finally:
            ledger.close()
        return [int(i) for i, leaf in rows if orjson.loads(bytes(leaf))["data"].get("announcement")]

    def restart(self) -> None:
        """The service again, on the same address (the pages' links name it)."""
        port = int(self.server.url.rsplit(":", 1)[1])
        self.server.stop()
        self.server = start_server(self.url, self.data, port=port)

    def wait_for(self, total: int) -> None:
        """Until the service's projection holds ``total`` notices."""
        full, rest = divmod(total, 20)

        def arrived() -> bool:
            if full and self.get(page(full)).status_code != 200:
                return False
            return len(entries(self.get(CURRENT))) == rest

        eventually(arrived, self.server.process, every=0.2)


def record(
    url: DatabaseURL, data: Path, county: County, first: int, count: int, rename: bool = False
) -> None:
    """``count`` more procurements announced (two notices each), after renaming the
    purchaser if ``rename``; on a ledger of its own, closed afterwards."""
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        county.world = dataclasses.replace(county.world, ledger=ledger)
        county.ledger = ledger
        if rename:
            county.world.submit(
                county.world.admin, "AmendOrganisation", {"code": "rmyy", "name": NEW_NAME}
            )
        for n in range(first, first + count):
            title = MARKUP if n == 3 else f"澄溪县第{n + 1}中学教学设备采购项目"
            county.to_announced(f"a{n}", title=title)
    finally:
        ledger.close()


def serve(url: DatabaseURL, data: Path) -> Iterator[Served]:
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        county = County(hospital_world(ledger))
    finally:
        ledger.close()
    record(url, data, county, 0, PROCUREMENTS)
    served = Served(url, data, county, start_server(url, data))
    try:
        served.wait_for(2 * PROCUREMENTS)
        yield served
    finally:
        served.server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """44 notices, served; the tests using it only read."""
    tmp = tmp_path_factory.mktemp("archive")
    for url in backend(request, tmp):
        yield from serve(url, tmp)


@pytest.fixture(params=["sqlite", "postgres"])
def own_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """44 notices, served, for a test that records more."""
    for url in backend(request, tmp_path):
        yield from serve(url, tmp_path)


def feed(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/atom+xml")  # a static one too
    return ET.fromstring(response.content)


def entries(response: httpx.Response) -> list[int]:
    """The leaf index of each entry, in document order."""
    return [
        int((e.findtext(f"{ATOM}id") or "").rsplit("/", 1)[1])
        for e in feed(response).findall(f"{ATOM}entry")
    ]


def links(root: ET.Element) -> dict[str, str]:
    return {x.get("rel", ""): x.get("href", "") for x in root.findall(f"{ATOM}link")}


def test_pages_of_20_chain_both_ways_and_hold_every_notice_once_in_log_order(
    site: Served,
) -> None:
    base = site.server.url
    current = feed(site.get(CURRENT))
    assert current.find(f"{FH}archive") is None  # the subscription document is no archive
    assert links(current)["self"] == base + CURRENT
    # A crawler: back along prev-archive to the first page, then forward along next-archive.
    backwards, href = [], links(current).get("prev-archive")
    while href:
        assert href.startswith(base)
        backwards.append(href[len(base) :])
        href = links(feed(site.get(backwards[-1]))).get("prev-archive")
    assert backwards == [page(2), page(1)]
    seen: list[int] = []
    path = page(1)
    while True:
        response = site.get(path)
        if response.status_code == 302:
            assert response.headers["location"] == base + CURRENT
            break
        root = feed(response)
        assert root.find(f"{FH}archive") is not None
        assert links(root)["current"] == base + CURRENT
        assert links(root)["self"] == base + path
        page_entries = entries(response)
        assert len(page_entries) == 20
        seen += page_entries
        path = links(root)["next-archive"][len(base) :]
    assert path == page(3)
    seen += entries(site.get(CURRENT))
    assert seen == site.notices()  # each exactly once, in the order the log holds them
    assert len(seen) == 2 * PROCUREMENTS
    first, second = feed(site.get(page(1))), feed(site.get(page(2)))
    assert "prev-archive" not in links(first)
    assert links(second)["prev-archive"] == base + page(1)
    assert links(first)["next-archive"] == base + page(2)
    ids = {r.findtext(f"{ATOM}id") for r in (first, second, current)}
    assert len(ids) == 1  # one logical feed


def test_full_pages_are_immutable_the_filling_one_redirects_beyond_is_404(site: Served) -> None:
    full = site.get(page(1))
    assert full.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert full.headers["cache-control"] == IMMUTABLE
    again = site.get(page(1), **{"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304
    current = site.get(CURRENT)
    assert current.headers["cache-control"] == "public, max-age=60"  # it changes
    filling = site.get(page(3))
    assert filling.status_code == 302
    assert filling.headers["location"] == site.server.url + CURRENT
    assert filling.headers["cache-control"] == "no-store"
    for missing in (page(4), page(999999999), page(0), "/feeds/archive/announcements/01.atom",
                    "/feeds/archive/announcements/x.atom"):  # fmt: skip
        response = site.get(missing)
        assert response.status_code == 404, missing
        assert "公告归档" in response.text
        assert response.headers["cache-control"] == "no-store"


def test_what_users_wrote_is_escaped_xml(site: Served) -> None:
    response = site.get(page(1))
    assert b"<script>" not in response.content
    assert b"&lt;script&gt;" in response.content
    titles = [e.findtext(f"{ATOM}title") for e in feed(response).findall(f"{ATOM}entry")]
    assert f"【采购意向公开】{MARKUP}" in titles or f"【招标公告】{MARKUP}" in titles


def test_the_feeds_and_pages_link_the_archive(site: Served) -> None:
    base = site.server.url
    assert links(feed(site.get("/feeds/announcements.atom")))["related"] == base + CURRENT
    assert "related" not in links(feed(site.get("/feeds/announcements.atom?type=tender")))
    assert f'href="{CURRENT}"' in site.get("/").text
    assert f'href="{CURRENT}"' in site.get("/announcements").text


def export(served: Served, directory: Path, *options: str) -> None:
    done = sunshine(
        "export-site", str(directory), *options, data_dir=served.data, db=served.url
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_static_export_without_base_url_is_crawled_the_same_way(
    site: Served, tmp_path: Path
) -> None:
    exported = tmp_path / "site"
    export(site, exported)
    port = free_port()
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(exported)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        eventually(lambda: answers(url + "/"), static, every=0.05)
        with httpx.Client(base_url=url, timeout=30) as client:
            current = feed(client.get(CURRENT))
            assert links(current)["prev-archive"] == page(2)  # root-relative, on any host
            assert entries(client.get(CURRENT)) == entries(site.get(CURRENT))
            for n in (1, 2):
                served, static_page = site.get(page(n)), client.get(page(n))
                assert entries(static_page) == entries(served)
                assert links(feed(static_page))["current"] == CURRENT
                # The service's own paths: a static server takes /announcements/<i> to its page.
                first = entries(static_page)[0]
                answered = client.get(f"/announcements/{first}", follow_redirects=True)
                assert answered.status_code == 200 and "<html" in answered.text
            # The page filling up is no file: a crawler takes the subscription document.
            assert client.get(page(3)).status_code == 404
    finally:
        static.terminate()
        static.wait(timeout=10)


def test_full_pages_keep_their_bytes_and_the_export_writes_them_once(
    own_site: Served, tmp_path: Path
) -> None:
    site = own_site
    before = {n: site.get(page(n)).content for n in (1, 2)}
    assert OLD_NAME in before[1].decode()
    exported = tmp_path / "site"
    export(site, exported, "--base-url", site.server.url)
    for n in (1, 2):
        assert (exported / page(n).lstrip("/")).read_bytes() == before[n]
    assert (exported / CURRENT.lstrip("/")).read_bytes() == site.get(CURRENT).content
    assert not (exported / page(3).lstrip("/")).exists()
    stats = {n: (exported / page(n).lstrip("/")).stat() for n in (1, 2)}

    # The purchaser renamed, then eight more procurements: page 3 fills, page 4 begins.
    site.server.stop()
    record(site.url, site.data, site.county, PROCUREMENTS, 8, rename=True)
    site.restart()
    site.wait_for(2 * PROCUREMENTS + 16)
    for n in (1, 2):
        assert site.get(page(n)).content == before[n]
    third = site.get(page(3)).content.decode()
    assert OLD_NAME in third  # the notices published before the rename
    assert NEW_NAME in third  # and after it
    assert NEW_NAME in site.get("/feeds/announcements.atom").text  # today's name elsewhere
    assert site.get(page(4)).status_code == 302
    seen = [i for n in (1, 2, 3) for i in entries(site.get(page(n)))]
    assert seen + entries(site.get(CURRENT)) == site.notices()

    # The organisations changed, so the export renders every page again: not a full page.
    export(site, exported, "--base-url", site.server.url)
    for n in (1, 2):
        stat = (exported / page(n).lstrip("/")).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == (stats[n].st_ino, stats[n].st_mtime_ns)
    for path in (page(1), page(2), page(3), CURRENT):
        assert (exported / path.lstrip("/")).read_bytes() == site.get(path).content, path
