"""Atom feeds over real HTTP, on SQLite and PostgreSQL: RFC 4287 documents with stable tag:
ids, narrowed by type, region and purchaser, paged as RFC 5005 says, revalidated by ETag;
bad parameters answer 4xx."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import pytest
from test_pages import XSS_TITLE, Site, backend, served

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/feeds/announcements.atom"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("feeds")
    for url in backend(request, tmp):
        yield from served(url, tmp)


def feed(site: Site, **params: str) -> ET.Element:
    response = site.get(FEED, params=params)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def links(element: ET.Element) -> dict[str, str]:
    """The element's own links by relation (``findall`` reads direct children only)."""
    return {x.get("rel", "alternate"): x.get("href", "") for x in element.findall(f"{ATOM}link")}


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def leaf_of(entry: ET.Element) -> int:
    href = links(entry)["alternate"]
    return int(href.rsplit("/", 1)[1])


def rfc3339(value: str | None) -> datetime:
    assert value is not None and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", value
    ), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_feed_is_rfc_4287_atom(site: Site) -> None:
    root = feed(site)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    assert (root.findtext(f"{ATOM}id") or "").startswith("tag:")
    assert root.findtext(f"{ATOM}title") == "阳光采购账本 · 政府采购公告"
    assert rfc3339(root.findtext(f"{ATOM}updated")).date().isoformat() == "2026-07-01"
    assert root.findtext(f"{ATOM}author/{ATOM}name")
    assert links(root)["self"] == site.url + FEED
    items = entries(root)
    assert len(items) == 20
    for entry in items:
        entry_id = entry.findtext(f"{ATOM}id") or ""
        assert re.fullmatch(r"tag:[a-z0-9.-]+,2026:announcement/\d+", entry_id)
        assert entry_id.endswith(f"/{leaf_of(entry)}")
        assert entry.findtext(f"{ATOM}title")
        rfc3339(entry.findtext(f"{ATOM}updated"))
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None and summary.get("type") == "html"
        assert "<li>项目编号：" in (summary.text or "")  # HTML, carried as escaped text
    dates = [e.findtext(f"{ATOM}updated") or "" for e in items]
    assert dates == sorted(dates, reverse=True), "newest first"
    assert links(items[0])["alternate"] == f"{site.url}/announcements/{site.notices['acceptance']}"


def test_feeds_page_with_rfc_5005_links(site: Site) -> None:
    first = feed(site)
    assert links(first)["first"] == site.url + FEED
    assert links(first)["next"] == site.url + FEED + "?page=2"
    assert links(first)["last"] == site.url + FEED + "?page=2"
    assert "previous" not in links(first)
    second = feed(site, page="2")
    assert links(second)["previous"] == site.url + FEED
    assert "next" not in links(second)
    assert first.findtext(f"{ATOM}id") == second.findtext(f"{ATOM}id")  # one logical feed
    seen = [leaf_of(e) for e in entries(first) + entries(second)]
    assert len(seen) == len(set(seen)) == site.total
    assert site.get(FEED, params={"page": "3"}).status_code == 404


def test_feeds_per_type_region_and_purchaser(site: Site) -> None:
    n = site.notices
    by_type = feed(site, type="result")
    assert [leaf_of(e) for e in entries(by_type)] == [n["result"]]
    assert "中标（成交）结果公告" in (by_type.findtext(f"{ATOM}title") or "")
    assert links(by_type)["self"] == site.url + FEED + "?type=result"
    south = feed(site, region="南湖区")
    assert [leaf_of(e) for e in entries(south)] == [n["south"]]
    assert "南湖区" in (south.findtext(f"{ATOM}title") or "")
    jyj = feed(site, purchaser="jyj", type="failure")
    assert [leaf_of(e) for e in entries(jyj)] == [n["failure"]]
    assert "澄溪县教育局" in (jyj.findtext(f"{ATOM}title") or "")
    # An entry's id is the same in every feed that carries it.
    everywhere = {e.findtext(f"{ATOM}id") for e in entries(feed(site, page="2"))}
    assert entries(jyj)[0].findtext(f"{ATOM}id") in everywhere | {
        e.findtext(f"{ATOM}id") for e in entries(feed(site))
    }
    empty = feed(site, type="termination")
    assert entries(empty) == [] and empty.findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"


def test_titles_are_escaped_text_in_the_feed(site: Site) -> None:
    response = site.get(FEED, params={"purchaser": "jyj"})
    assert b"<script>" not in response.content
    assert b"&lt;script&gt;" in response.content
    titles = [e.findtext(f"{ATOM}title") for e in entries(ET.fromstring(response.content))]
    assert f"【废标公告】{XSS_TITLE}" in titles


def test_feeds_carry_an_etag_and_revalidate_to_304(site: Site) -> None:
    first = site.get(FEED, params={"type": "tender"})
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    again = site.get(FEED, params={"type": "tender"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = site.get(FEED, params={"type": "result"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"type": "xyz"}, 400),
        ({"region": "火星"}, 400),
        ({"purchaser": "nobody"}, 400),
        ({"page": "-1"}, 400),
        ({"page": "1" + "0" * 30}, 400),
        ({"page": "0"}, 400),
        ({"page": "9999"}, 404),
        ({"q": '" OR 1=1 --', "unknown": "x"}, 200),  # not feed filters: ignored
    ],
)
def test_bad_feed_parameters_answer_4xx(site: Site, params: dict[str, str], status: int) -> None:
    response = site.get(FEED, params=params)
    assert response.status_code == status
    if status >= 400:
        assert 'lang="zh-CN"' in response.text
