"""`sunshine export-site DIR`: the public pages as static files, served here by a real static
web server (`python -m http.server`), on SQLite and PostgreSQL.

Every link of every page resolves; each notice's JSON carries a proof bundle that checks
(leaf hash → inclusion proof → the signed checkpoint's root, and the signature); the Atom
feeds page through every notice; the verify panel works in a real browser with no service
behind it. A second run writes only the new notices and the pages that changed; a run
killed with SIGKILL mid-way is completed by the next; a directory that is not an export is
refused and left alone."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import fcntl
import functools
import gzip
import html
import http.server
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson
import psycopg
import pytest
from conftest import (
    PG_URL,
    ROOT,
    DemoLedger,
    World,
    answers,
    copy_demo,
    eventually,
    free_port,
    genesis,
    hospital_world,
    make_config,
    require_postgres,
    sunshine,
)
from csp_watch import planted_handler_is_blocked, violations, watch_policy
from procurement_world import County
from psycopg import sql

from ledger.application import Ledger
from ledger.bundle import check_bundle, parse_bundle
from ledger.domain.sealed import Disclosure
from ledger.log.merkle import leaf_hash, verify_inclusion
from ledger.log.note import open_note, parse_checkpoint, parse_verifier_key
from ledger.store.url import DatabaseURL, parse_database_url
from projections.export.files import LOCK, STATE, TEMP
from projections.export.links import Rewriter, static_url
from sunshine.security_headers import SECURITY_HEADERS

ATOM = "{http://www.w3.org/2005/Atom}"
FILLERS = 10  # open tenders besides p1, two notices each: more than one page of 20
OWN_FILES = {STATE, LOCK}


# -- a static web server ---------------------------------------------------------------------


@dataclass
class Static:
    url: str
    process: subprocess.Popen[bytes]
    # One client for the hundreds of requests of a crawl: a new one per request (httpx.get)
    # sets up its TLS context each time, which took most of a crawl's time.
    client: httpx.Client

    def get(self, path: str) -> httpx.Response:
        return self.client.get(urljoin(self.url, path))


@pytest.fixture
def static_server() -> Iterator[Any]:
    """Start `python -m http.server` on a directory, on a port chosen beforehand."""
    started: list[Static] = []

    def start(directory: Path, port: int) -> Static:
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = Static(f"http://127.0.0.1:{port}", process, httpx.Client(timeout=30))
        started.append(server)
        eventually(lambda: answers(server.url + "/"), process, every=0.05)
        return server

    yield start
    for server in started:
        server.client.close()
        server.process.terminate()
        server.process.wait(timeout=10)


# -- the county --------------------------------------------------------------------------


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[DatabaseURL]:
    """A new PostgreSQL database, a copy of the database ``template`` if named; dropped after."""
    require_postgres()
    admin = parse_database_url(PG_URL)
    name = "sunshine_test_" + secrets.token_hex(6)
    source = sql.SQL(" TEMPLATE {}").format(sql.Identifier(template)) if template else sql.SQL("")
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name), source))
    try:
        yield admin.with_database(name)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass(frozen=True)
class Template:
    """The county as built, its ledger closed: each ledger of the tests is a copy of it."""

    data: Path  # the ledger's keys (and, on SQLite, its ledger.db)
    url: DatabaseURL
    county: County  # the actors and their keys; its own ledger is closed
    notices: dict[str, int]


@dataclass
class Built:
    county: County
    notices: dict[str, int]
    data: Path  # the ledger's data directory: its log key, as `sunshine` is to find it
    template: Template  # what this ledger is a copy of: ``fork`` makes another

    @property
    def ledger(self) -> Ledger:
        return self.county.ledger


def leaf_of(receipt: Any) -> int:
    return int(receipt.events[0]["leaf_index"])


@contextmanager
def county_template(backend: str, data: Path) -> Iterator[Template]:
    """The county built on ``backend`` with ``data`` as the ledger's data directory."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
        else:
            url = stack.enter_context(postgres_database())
        ledger = Ledger(make_config(url, data, inline_integration=True))
        try:
            county, notices = build(hospital_world(ledger))
        finally:
            # SQLite: the WAL checkpointed, the file is the whole ledger. PostgreSQL: no session
            # is left, as copying the database (CREATE DATABASE … TEMPLATE) requires.
            ledger.close()
        yield Template(data, url, county, notices)


@contextmanager
def opened(template: Template, data: Path) -> Iterator[Built]:
    """A copy of the template's ledger, open: its data directory copied to ``data`` and, on
    PostgreSQL, its database copied (CREATE DATABASE … TEMPLATE) to a new one."""
    shutil.copytree(template.data, data)
    with ExitStack() as stack:
        if template.url.is_sqlite:
            url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
        else:
            url = stack.enter_context(postgres_database(template.url.dbname))
        ledger = Ledger(make_config(url, data, inline_integration=True))
        stack.callback(ledger.close)
        # The same actors and keys, acting on this copy.
        county = copy.copy(template.county)
        county.world = dataclasses.replace(
            county.world, ledger=ledger, actors=dict(county.world.actors)
        )
        county.ledger = ledger
        yield Built(county, dict(template.notices), data, template)


def shared(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The county on ``backend``, as the tests share it: an open copy of its template."""
    with ExitStack() as stack:
        template = county_template(backend, tmp_path_factory.mktemp(f"county-{backend}"))
        data = tmp_path_factory.mktemp(f"shared-{backend}") / "data"
        yield stack.enter_context(opened(stack.enter_context(template), data))


# Module-scoped: the tests read the county and never change it (one that appends to the
# ledger appends to its own ``fork``), so it is built once per backend, not once per test.


@pytest.fixture(scope="module")
def sqlite_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The county on SQLite only, for what does not depend on the database."""
    yield from shared("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def postgres_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield from shared("postgres", tmp_path_factory)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def built(request: pytest.FixtureRequest) -> Built:
    """On each backend: p1 announced, corrected and evaluated; ten more tenders."""
    county: Built = request.getfixturevalue(f"{request.param}_built")
    return county


@pytest.fixture
def fork(tmp_path: Path) -> Iterator[Callable[[Built], Built]]:
    """A private copy of a shared county's ledger as built, for a test that appends to it."""
    with ExitStack() as stack:

        def make(built: Built) -> Built:
            return stack.enter_context(opened(built.template, tmp_path / "fork"))

        yield make


@pytest.fixture(scope="module")
def plain_export(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Built], Path]:
    """`sunshine export-site` of a shared county with no options, run once per county on first
    use (module-scoped: the runs are the slow part here). Tests that only read the export
    serve it as is; those that change it, or run the export on it again, take a copy."""
    sites: dict[Path, Path] = {}

    def site_of(built: Built) -> Path:
        if built.data not in sites:
            site = tmp_path_factory.mktemp("export") / "site"
            export(built.data, built.ledger.config.database, site)
            sites[built.data] = site
        return sites[built.data]

    return site_of


def build(world: World) -> tuple[County, dict[str, int]]:
    """p1 announced, corrected and evaluated; ten more tenders, each with its intention."""
    c = County(world)
    notices: dict[str, int] = {}
    c.to_announced()
    notices["intention"], notices["tender"] = notices_in(c.ledger, "p1")
    notices["correction"] = leaf_of(c.act(c.agency, "CorrectAnnouncement", {
        "date": "2026-04-13", "changes": "开标地点变更为开标二室。"}))  # fmt: skip
    for supplier, price in zip(c.suppliers, ("1790000.00", "1720000.00"), strict=False):
        c.bid(supplier, price)
    c.world.close_and_open(c.agency, "2026-05-06")
    committee: dict[str, Disclosure] = {}
    results = [{"supplier": s.organisation, "valid": True, "score": f"{90 - n}.50",
                "rank": n + 1} for n, s in enumerate(c.suppliers[:2])]  # fmt: skip
    evaluation = c.world.evaluation("p1", "2026-05-06", results, committee)
    c.act(c.agency, "CompleteEvaluation", evaluation, sealed=committee)
    for n in range(FILLERS):
        c.to_announced(f"f{n}", title=f"澄溪县第{n + 1}中学教学设备采购项目")
    return c, notices


def notices_in(ledger: Ledger, code: str | None = None) -> list[int]:
    """The leaf index of every notice in the log (of one procurement), read from the log."""
    with ledger.db.read() as cur:
        rows = cur.execute("SELECT idx, leaf FROM log_leaves ORDER BY idx").fetchall()
    found = []
    for idx, leaf in rows:
        data = orjson.loads(bytes(leaf))["data"]
        if data.get("announcement") and code in (None, data.get("procurement")):
            found.append(int(idx))
    return found


def export(data_dir: Path, db: DatabaseURL, directory: Path, *options: str) -> Any:
    done = sunshine("export-site", str(directory), *options, data_dir=data_dir, db=db)
    assert done.returncode == 0, done.stderr
    return done


def files(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file of an export: (inode, mtime_ns, bytes) by path; a rename makes a new inode."""
    found = {}
    for path in directory.rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[path.relative_to(directory).as_posix()] = (
                stat.st_ino, stat.st_mtime_ns, path.read_bytes(),
            )  # fmt: skip
    return found


# -- what a visitor and a pulling site see ----------------------------------------------------


_LINK = re.compile(r'\b(?:href|src|action)="([^"]*)"')


def crawl(site: Static, start: str = "/") -> dict[str, str]:
    """Every page reachable from ``start`` by the links of the pages; asserts each link is 200."""
    pages: dict[str, str] = {}
    queue = [urljoin(site.url, start)]
    checked: set[str] = set()
    while queue:
        url = queue.pop()
        if url in checked:
            continue
        checked.add(url)
        response = site.client.get(url)
        assert response.status_code == 200, f"{url} answers {response.status_code}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        body = response.text
        pages[urlsplit(url).path] = body
        for link in _LINK.findall(body):
            target = urljoin(url, html.unescape(link)).split("#", 1)[0]
            assert target.startswith(site.url), f"{url} links outside the export: {target}"
            queue.append(target)
    return pages


def main_of(page: str) -> str:
    """The page's <main>, its link targets blanked (the export moves them, nothing else), and
    organisation names unlinked (the directory is the live service's only)."""
    start, end = page.index("<main"), page.index("</main>")
    main = page[start:end].replace("<form hidden ", "<form ")  # forms it cannot answer
    main = re.sub(r'<a href="/organisations/[^"]*">([^<]*)</a>', r"\1", main)
    return re.sub(r'\b(href|src|action|data-log)="[^"]*"', r'\1=""', main)


def rendered(ledger: Ledger, paths: list[str]) -> dict[str, str]:
    """The pages as the service renders them (its app, in process)."""
    return {path: body.decode() for path, body in served_bytes(ledger, paths).items()}


def served_bytes(ledger: Ledger, paths: list[str]) -> dict[str, bytes]:
    """The files as the service serves them (its app, in process)."""
    from sunshine.app import create_app
    from sunshine.bootstrap import services_for

    app = create_app(services=services_for(ledger))

    async def get_all() -> dict[str, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return {path: (await client.get(path)).content for path in paths}

    # Its own thread: playwright's sync API (the session's browser) keeps a loop running here.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, get_all()).result()


def atom(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.url
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def links(element: ET.Element) -> list[tuple[str, str, str]]:
    return [(x.get("rel", ""), x.get("type", ""), x.get("href", ""))
            for x in element.findall(f"{ATOM}link")]  # fmt: skip


def whole_feed(site: Static, first: str, base: str) -> list[ET.Element]:
    """Every entry of a paged feed (RFC 5005), following "next" from the first page."""
    entries: list[ET.Element] = []
    url: str | None = first
    pages = 0
    while url is not None:
        root = atom(site.get(url))
        pages += 1
        rels = {rel: href for rel, _, href in links(root)}
        assert rels["self"] == base + url
        assert rels["first"] == base + first
        entries += root.findall(f"{ATOM}entry")
        url = rels["next"].removeprefix(base) if "next" in rels else None
    assert pages == max(1, -(-len(entries) // 20))
    return entries


def check_document(site: Static, index: int, log_key: str) -> dict[str, Any]:
    """The notice's JSON, its bundle checked step by step with ledger.log; the proven entry."""
    response = site.get(f"/announcements/{index}.json")
    assert response.status_code == 200
    document = response.json()
    bundle = parse_bundle(document["bundle"])
    verifier = parse_verifier_key(log_key)  # pinned: the key from the ledger, not the file
    checkpoint = parse_checkpoint(open_note(bundle.checkpoint, [verifier]))  # the signature
    assert checkpoint.origin == verifier.name and checkpoint.size == bundle.size
    verify_inclusion(leaf_hash(bundle.leaf), index, bundle.size, bundle.proof, checkpoint.root)
    entry: dict[str, Any] = orjson.loads(bundle.leaf)
    assert bundle.index == entry["index"] == document["index"] == index
    # What the document says besides the bundle is the proven leaf's own.
    assert document["data"] == entry["data"]
    assert document["title"] == entry["data"]["title"]
    assert document["event"] == entry["type"]
    assert document["page"] == f"/announcements/{index}/"
    check_bundle(bundle, log_key)
    # The same bundle for `sunshine verify --bundle`, and the verify panel's own files.
    assert parse_bundle(site.get(f"/log/bundle/{index}").content) == bundle
    panel = f"/announcements/{index}/log"
    assert site.get(f"{panel}/key").text == log_key
    assert site.get(f"{panel}/checkpoint").text == bundle.checkpoint
    assert site.get(f"{panel}/entries/{index}").content == bundle.leaf
    proof = site.get(f"{panel}/proof/inclusion?index={index}&size={bundle.size}").json()
    assert proof["index"] == index and proof["size"] == bundle.size
    assert proof["proof"] == document["bundle"]["proof"]
    return entry


# -- the tests ---------------------------------------------------------------------------------


def test_the_export_serves_every_page_json_and_feed_with_working_links(
    built: Built, tmp_path: Path, static_server: Any
) -> None:
    ledger, notices = built.ledger, built.notices
    log_key = ledger.signer.verifier_key
    site_dir = tmp_path / "site"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    done = export(built.data, ledger.config.database, site_dir, "--base-url", base)
    total = 3 + 2 * FILLERS
    assert f"exported {total} notices ({total} new)" in done.stdout
    assert "pages: " in done.stderr  # progress on the terminal
    site = static_server(site_dir, port)

    # Every page reachable from the home page, and every link on them, answers 200.
    pages = crawl(site)
    expected = {f"/announcements/{i}/" for i in notices_in(ledger)}
    assert expected <= set(pages)
    assert {"/", "/announcements/", "/announcements/page/2/", "/complaints/",
            "/procurements/p1/", "/announcements/type/tender/"} <= set(pages)  # fmt: skip
    for path, page in pages.items():
        assert "/challenges/lookup" not in page and 'href="/docs"' not in page, path
        assert 'href="/organisations' not in page, path
        for form in re.findall(r"<form\b[^>]*>", page):
            assert " hidden" in form, f"{path}: a search form a static server cannot answer"

    # The very pages the service renders, links aside.
    paths = ["/", f"/announcements/{notices['tender']}", "/procurements/p1",
             f"/announcements/{notices['correction']}", "/announcements?page=2"]  # fmt: skip
    for path, page in rendered(ledger, paths).items():
        assert main_of(pages[static_url(path) or ""]) == main_of(page), path

    # The verify panel reads this notice's own proof files; the bundle link is exported.
    tender = pages[f"/announcements/{notices['tender']}/"]
    assert f'data-log="/announcements/{notices["tender"]}/log"' in tender
    assert f'href="/log/bundle/{notices["tender"]}"' in tender
    assert site.get("/log/key").text == log_key
    assert site.get("/log/checkpoint").text == ledger.reader.checkpoint()

    # Each notice's JSON proves itself against the signed checkpoint.
    for index in notices_in(ledger):
        assert check_document(site, index, log_key)["data"]["announcement"]
    assert check_document(site, notices["correction"], log_key)["type"] == "AnnouncementCorrected"

    # The feeds: every notice once, newest first, each linking its page and its JSON.
    everything = whole_feed(site, "/feeds/announcements.atom", base)
    ids = [e.findtext(f"{ATOM}id") for e in everything]
    assert len(ids) == len(set(ids)) == total
    for entry in everything[:5]:
        alternates = {t: href for rel, t, href in links(entry) if rel == "alternate"}
        assert site.get(alternates["text/html"].removeprefix(base)).status_code == 200
        document = site.get(alternates["application/json"].removeprefix(base)).json()
        assert alternates["text/html"] == base + document["page"]
    tenders = whole_feed(site, "/feeds/tender.atom", base)
    assert len(tenders) == 1 + FILLERS
    assert {e.find(f"{ATOM}category").get("term") for e in tenders} == {"tender"}  # type: ignore[union-attr]
    assert whole_feed(site, "/feeds/result.atom", base) == []


def test_a_second_run_writes_only_new_notices_and_changed_pages(
    built: Built,
    fork: Callable[[Built], Built],
    plain_export: Callable[[Built], Path],
    tmp_path: Path,
) -> None:
    # The ledger grows and the export is run again: both are private copies (copy2 keeps
    # the mtimes; a file the next run writes gets a new inode).
    mine = fork(built)
    c, notices = mine.county, mine.notices
    db, site_dir = c.ledger.config.database, tmp_path / "site"
    shutil.copytree(plain_export(built), site_dir)
    before = files(site_dir)
    old_notices = notices_in(c.ledger)

    # p1 is awarded (a result notice of an existing procurement); n1 is a new procurement.
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip
    result = leaf_of(c.act(c.agency, "AnnounceResult", {"date": "2026-05-08"}))
    c.to_announced("n1", title="澄溪县人民医院病房护理床采购项目")
    new = sorted(set(notices_in(c.ledger)) - set(old_notices))
    assert result in new and len(new) == 3

    started = time.monotonic()
    done = export(mine.data, db, site_dir)
    took = time.monotonic() - started
    assert "(3 new)" in done.stdout
    after = files(site_dir)
    rewritten = {p for p in after if p not in before or after[p][:2] != before[p][:2]}

    # The new notices' pages, JSON, bundles and proof files.
    for index in new:
        assert f"announcements/{index}/index.html" in rewritten
        assert f"announcements/{index}.json" in rewritten
        assert f"log/bundle/{index}" in rewritten
    # Notices are immutable: every old notice's JSON, bundle and proof files untouched.
    for index in old_notices:
        proof = f"announcements/{index}/log/proof/inclusion"
        for path in (f"announcements/{index}.json", f"log/bundle/{index}", proof):
            assert path not in rewritten and after[path][2] == before[path][2], path
    # p1's pages now list the result: rewritten. The fillers' pages did not change: untouched.
    p1_pages = [f"announcements/{i}/index.html" for i in notices.values()]
    for path in (*p1_pages, "procurements/p1/index.html"):
        assert path in rewritten and after[path][2] != before[path][2]
        assert f'href="/announcements/{result}/"' in after[path][2].decode()
    untouched = [p for p in before if p.startswith(("procurements/f", "static/"))]
    untouched += [f"announcements/{i}/index.html" for i in old_notices
                  if f"announcements/{i}/index.html" not in p1_pages]  # fmt: skip
    assert untouched and not rewritten & set(untouched)
    # Lists and feeds changed; the complaint decisions did not, so are not rewritten.
    assert {"index.html", "announcements/index.html", "feeds/announcements.atom",
            "feeds/result.atom", "log/checkpoint", STATE} <= rewritten  # fmt: skip
    assert "complaints/index.html" not in rewritten
    # OCDS: the year's files and p1's record hold the result; a filler's record is untouched.
    assert {"ocds/2026/releases.json", "ocds/2026/records.json",
            "ocds/procurements/p1/record.json"} <= rewritten  # fmt: skip
    assert "ocds/procurements/f0/record.json" in after
    assert "ocds/procurements/f0/record.json" not in rewritten
    allowed = re.compile(
        r"(announcements/(\d+)/index\.html|procurements/(p1|n1)/index\.html|index\.html"
        r"|announcements/(index\.html|page/.*|type/.*)|feeds/.*|log/(checkpoint|entries/\d+)"
        r"|ocds/(index\.json|2026/.*|procurements/(p1|n1)/.*)"
        r"|log/tile/(\d+|entries)/\d{3}\.p/\d+"  # the tiles that grew: partial ones only
        rf"|{re.escape(STATE)})\Z"
    )
    surprises = {
        p for p in rewritten
        if not allowed.match(p) and not any(f"/{i}" in p or f"{i}." in p for i in new)
    }  # fmt: skip
    assert not surprises
    size = int(after["log/checkpoint"][2].decode().split("\n")[1])
    assert f"log/tile/0/000.p/{size}" in rewritten and f"log/tile/entries/000.p/{size}" in rewritten
    print(f"second run: {len(rewritten)} files rewritten of {len(after)} in {took:.1f} s")

    # A third run with nothing new writes nothing.
    again = export(mine.data, db, site_dir)
    assert "(0 new)" in again.stdout and ": 0 files written" in again.stdout
    assert files(site_dir) == after


def test_the_export_holds_the_ocds_files_the_service_serves(
    sqlite_built: Built, tmp_path: Path
) -> None:
    c = sqlite_built.county
    site_dir = tmp_path / "site"
    export(sqlite_built.data, c.ledger.config.database, site_dir,
           "--base-url", "https://cg.example.org")  # fmt: skip
    p1 = "/ocds/procurements/p1"
    paths = ["/ocds", "/ocds/2026/releases.json", "/ocds/2026/records.json",
             f"{p1}/releases.json", f"{p1}/record.json"]  # fmt: skip
    served = rendered(c.ledger, paths)
    for path in paths:
        file = site_dir / ("ocds/index.json" if path == "/ocds" else path.lstrip("/"))
        mine = orjson.loads(file.read_bytes())
        theirs = orjson.loads(served[path])
        if "uri" in mine:  # the export's own address, where the service names its own
            assert mine.pop("uri") == f"https://cg.example.org{path}"
            theirs.pop("uri")
            # so is the log-entry extension's, which the export holds as a file
            ours = "https://cg.example.org/ocds/extension/log-entry/extension.json"
            assert mine["extensions"][-1] == ours
            assert (site_dir / "ocds/extension/log-entry/extension.json").is_file()
            assert mine.pop("extensions")[:-1] == theirs.pop("extensions")[:-1]
        assert mine == theirs
    releases = orjson.loads((site_dir / "ocds/2026/releases.json").read_bytes())["releases"]
    lines = gzip.decompress((site_dir / "ocds/2026/releases.jsonl.gz").read_bytes())
    assert [orjson.loads(line) for line in lines.splitlines()] == releases
    # The spreadsheets, made in another process, are the service's bytes (no date inside).
    sheets = ["/ocds/2026/releases.xlsx", "/ocds/2026/releases.csv.zip"]
    for path, body in served_bytes(c.ledger, sheets).items():
        assert (site_dir / path.lstrip("/")).read_bytes() == body, path
    # Each release's leaf and proof bundle are in the export, where its links say.
    for release in releases:
        for link in release["links"]:
            assert (site_dir / link["href"].lstrip("/")).is_file()


def test_refuses_a_directory_that_is_not_an_export(
    sqlite_built: Built, plain_export: Callable[[Built], Path], tmp_path: Path
) -> None:
    db, data = sqlite_built.ledger.config.database, sqlite_built.data
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = sunshine("export-site", str(mine), data_dir=data, db=db)
    assert refused.returncode == 2
    assert "is not empty and holds no export" in refused.stderr and "notes.txt" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]

    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    refused = sunshine("export-site", str(a_file), data_dir=data, db=db)
    assert refused.returncode == 2 and "is not a directory" in refused.stderr

    # An export of another log (another log key) is not overwritten. (A copy of the shared
    # export: were a run to go ahead, it would change it.)
    site = tmp_path / "site"
    shutil.copytree(plain_export(sqlite_built), site)
    other_data = tmp_path / "other"
    other = Ledger(make_config(parse_database_url(f"sqlite:///{other_data / 'l.db'}"), other_data))
    try:
        genesis(other)
    finally:
        other.close()
    refused = sunshine("export-site", str(site), data_dir=other_data,
                       db=parse_database_url(f"sqlite:///{other_data / 'l.db'}"))  # fmt: skip
    assert refused.returncode == 2 and "is an export of the log" in refused.stderr

    # Nor by another log signed with the same key: its checkpoint does not extend the last.
    forked = tmp_path / "forked"
    forked.mkdir()
    shutil.copy2(data / "log-key.pem", forked / "log-key.pem")  # with its mode, 0600
    forked_url = parse_database_url(f"sqlite:///{forked / 'l.db'}")
    fork = Ledger(make_config(forked_url, forked, inline_integration=True))
    try:
        genesis(fork)
    finally:
        fork.close()
    before = files(site)
    refused = sunshine("export-site", str(site), data_dir=forked, db=forked_url)
    assert refused.returncode == 2 and "is not an extension of the one" in refused.stderr
    assert files(site) == before

    # One run at a time.
    with (site / LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = sunshine("export-site", str(site), data_dir=data, db=db)
    assert busy.returncode == 2 and "another `sunshine export-site`" in busy.stderr

    # Without the ledger's own log key nothing is made up.
    missing = sunshine("export-site", str(tmp_path / "new"), data_dir=tmp_path / "nokey", db=db)
    assert missing.returncode == 2 and "no log key" in missing.stderr
    assert not (tmp_path / "nokey" / "log-key.pem").exists()


def test_with_a_ledger_url_search_and_lookup_go_to_the_live_service(
    sqlite_built: Built, tmp_path: Path
) -> None:
    db = sqlite_built.ledger.config.database
    site = tmp_path / "site"
    export(sqlite_built.data, db, site, "--ledger-url", "https://ledger.example.org/")
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'action="https://ledger.example.org/announcements"' in home
    assert " hidden" not in home
    assert 'href="https://ledger.example.org/challenges/lookup"' in home
    assert 'href="https://ledger.example.org/docs"' in home
    # Feeds keep root-relative links when no --base-url names the site.
    feed = ET.fromstring((site / "feeds" / "announcements.atom").read_bytes())
    assert {rel: href for rel, _, href in links(feed)}["self"] == "/feeds/announcements.atom"


def test_links_map_to_static_paths() -> None:
    assert static_url("/") == "/"
    assert static_url("/announcements") == "/announcements/"
    assert static_url("/announcements?page=3") == "/announcements/page/3/"
    assert static_url("/announcements?type=tender&page=2") == "/announcements/type/tender/page/2/"
    assert static_url("/announcements?page=1&type=result") == "/announcements/type/result/"
    assert static_url("/announcements/42") == "/announcements/42/"
    assert static_url("/procurements/qhx-2026-001") == "/procurements/qhx-2026-001/"
    assert static_url("/feeds/announcements.atom?type=tender") == "/feeds/tender.atom"
    assert static_url("/feeds/announcements.atom?page=2") == "/feeds/announcements/page/2.atom"
    assert static_url("/complaints?page=2") == "/complaints/page/2/"
    assert static_url("/log/entries/7") == "/log/entries/7"
    # Queries a static server cannot answer have no static page.
    for url in ("/announcements?q=桌椅", "/announcements?category=goods", "/announcements?type=x",
                "/announcements?page=0", "/announcements?page=1&page=2", "/procurements/../x",
                "/challenges/lookup", "/docs", "https://example.org/"):  # fmt: skip
        assert static_url(url) is None, url
    # Jinja's escaping is undone before mapping and redone after.
    page = '<a href="/announcements?type=tender&amp;page=2" rel="next">下一页</a>'
    assert Rewriter(None, None).html(page) == (
        '<a href="/announcements/type/tender/page/2/" rel="next">下一页</a>'
    )


# -- the demo year: killed mid-way, completed by the next run -----------------------------------


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> tuple[Path, DatabaseURL]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("demo"))
    return copy.data, copy.url


def test_a_killed_export_is_completed_by_the_next_run(
    demo: tuple[Path, DatabaseURL], tmp_path: Path
) -> None:
    data, url = demo
    site = tmp_path / "site"
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data), SUNSHINE_DATABASE_URL=str(url))
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "export-site", str(site)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # Kill it while it writes the notice pages: bundles done, pages half written.
    try:
        while len(list(site.glob("announcements/*/index.html"))) < 100:
            assert process.poll() is None, "the export finished before it could be killed"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    state = orjson.loads((site / STATE).read_bytes())
    assert state["position"] == 0  # the pass was not committed
    assert not (site / "index.html").exists()

    done = sunshine("export-site", str(site), data_dir=data, db=url)
    assert done.returncode == 0, done.stderr
    assert list((site / TEMP).iterdir()) == []

    # The same export as one run that was never interrupted.
    clean = tmp_path / "clean"
    sunshine("export-site", str(clean), data_dir=data, db=url)
    completed = {p: v[2] for p, v in files(site).items() if p not in OWN_FILES}
    uninterrupted = {p: v[2] for p, v in files(clean).items() if p not in OWN_FILES}
    assert completed.keys() == uninterrupted.keys()
    assert [p for p in completed if completed[p] != uninterrupted[p]] == []
    notices = orjson.loads((site / STATE).read_bytes())["notices"]
    assert notices > 500 and len(list(site.glob("announcements/*.json"))) == notices

    # Nothing new: the next run is quick, as it renders nothing (no file even to compare).
    again = sunshine("export-site", str(site), data_dir=data, db=url)
    assert ": 0 files written, 0 unchanged" in again.stdout


# -- the verify panel in a real browser, with no service behind the export -------------------------


def test_the_verify_panel_works_on_the_static_site(
    sqlite_built: Built,
    plain_export: Callable[[Built], Path],
    fork: Callable[[Built], Built],
    tmp_path: Path,
    static_server: Any,
    browser: Any,
) -> None:
    ledger, tender = sqlite_built.ledger, sqlite_built.notices["tender"]
    site = static_server(plain_export(sqlite_built), free_port())
    # The log grows after the export (a copy of it: the county is shared): the notice still
    # verifies against its own checkpoint.
    fork(sqlite_built).county.to_announced("later")
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site.url}/announcements/{tender}/")
        page.click('[data-verify="button"]')
        panel = page.wait_for_selector("[data-verify-panel].ok, [data-verify-panel].bad",
                                       timeout=15_000)  # fmt: skip
        message = page.text_content('[data-verify="result"]') or ""
        assert "ok" in (panel.get_attribute("class") or "").split(), message
        assert message.startswith("验证通过：") and f"第 {tender} 条" in message
        with page.expect_download() as download:
            page.click('[data-verify="bundle"]')
        saved = tmp_path / "bundle.json"
        download.value.save_as(saved)
        assert check_bundle(saved.read_bytes(), ledger.signer.verifier_key).index == tender
        assert errors == []
    finally:
        context.close()


# -- the export under the security headers a web server in front of it should add ---------------


class PolicyHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that adds ``SECURITY_HEADERS``, as the README's nginx lines do."""

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_exported_pages_keep_to_the_policy(
    sqlite_built: Built, plain_export: Callable[[Built], Path], browser: Any
) -> None:
    notices = sqlite_built.notices
    site_dir = plain_export(sqlite_built)
    handler = functools.partial(PolicyHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context()
    try:
        page = context.new_page()
        console = watch_policy(page)
        seen: list[str] = []
        for path in ("/", "/announcements/", "/complaints/", "/procurements/p1/",
                     f"/announcements/{notices['correction']}/"):  # fmt: skip
            response = page.goto(url + path)
            assert response is not None and response.status == 200, path
            seen += violations(page)
        page.goto(f"{url}/announcements/{notices['tender']}/")
        page.click('[data-verify="button"]')
        page.wait_for_selector("[data-verify-panel].ok", timeout=15_000)
        seen += violations(page)
        assert seen == [] and console == [], seen + console
        assert planted_handler_is_blocked(page)
    finally:
        context.close()
        server.shutdown()
        server.server_close()
