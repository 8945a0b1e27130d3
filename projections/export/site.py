# Over 400 lines by design: one job: the static export's walk over the pages, its atomic writes and
# its incremental state.
"""`sunshine export-site DIR`: the public pages as static files any web server can serve.

A pull channel for procurement websites: every public announcement as HTML and as JSON with
its proof bundle, the lists, the procurement pages and Atom feeds per announcement type,
written incrementally and atomically into DIR.

The pages are the service's own: the FastAPI app answers in process (no template is
duplicated here) and ``export_links`` moves their links to the export's paths. Layout:

    index.html                                the home page
    announcements/index.html                  the list, newest first (and page/N/index.html)
    announcements/type/<type>/index.html      the list of one type (and …/page/N/index.html)
    announcements/<i>/index.html              one notice (i: its leaf index in the log)
    announcements/<i>.json                    the notice's data and its proof bundle
    announcements/<i>/log/…                   what its verify panel fetches (see below)
    procurements/<code>/index.html            one procurement's notices and timeline
    complaints/index.html                     complaint decisions (and page/N/index.html)
    feeds/announcements.atom                  every notice (and announcements/page/N.atom)
    feeds/<type>.atom                         one type (and <type>/page/N.atom)
    feeds/archive/announcements.atom          the archived feed (RFC 5005 §4): written every
    feeds/archive/announcements/<n>.atom      run; each full page once, then never rewritten
    ocds/…                                    OCDS open data, as /ocds/… serves it
                                              (``export.ocds_files``)
    log/entries/<i>                           the exact leaf of every public timeline step
    log/bundle/<i>                            each notice's proof bundle (`verify --bundle`)
    log/key, log/checkpoint                   the log's key and the latest exported checkpoint
    log/tile/<L>/<N>[.p/<W>], log/tile/entries/…  the log as C2SP tlog-tiles at that checkpoint
                                              (``projections.export.tiles``)
    documents/<hex>                           each attached document, named by its SHA-256
    static/                                   the stylesheet and verify.js
    .sunshine-export.json                     the state file (see ``export_files``)

The verify panel works without the service: it fetches ``<base>/key``, ``<base>/checkpoint``,
``<base>/entries/<i>`` and ``<base>/proof/inclusion?index=…&size=…``, and a static server
ignores the query string, so each notice's panel gets a base of its own,
``/announcements/<i>/log``, holding the checkpoint as of the notice's export and the inclusion
proof against it. Those files, the JSON and the bundle come from one bundle, made once and
never rewritten: a notice's leaf and proof do not change when the log grows.

Incremental: the state file holds the log position the export is complete up to. A run
follows the log from there: the leaves of new public timeline steps, new notices, and the
pages of every procurement a new step touched (the procurement page and its notices'
pages, which list the procurement's other notices); lists, feeds and the home page when
anything public arrived. Everything is re-rendered when the templates, the page code or
the options change, or when an organisation is renamed. Only files whose bytes changed are
written.

What a static export cannot do, since no program answers behind it:

* search and filters other than the announcement type: the search and filter forms submit
  to the live service with ``--ledger-url`` and are hidden without it (a static server
  would answer the unfiltered list, which would look like a result);
* the challenge lookup, the API docs and the organisation directory: linked on the live
  service with ``--ledger-url``, left out of the navigation without it (a page's
  organisation names then stay as plain text); ``/log/entries?start=…``, proofs for other sizes
  and ``/log/proof/consistency`` are not exported: the tiles are, from which a client
  computes any of them, and ``sunshine verify --tiles DIR`` (or the URL of a mirror of the
  directory) checks the whole log;
* freshness: pages are as of the last run. A notice's verify panel checks it against the
  checkpoint of the run that exported it (still a signed checkpoint of the same log: every
  run proves the log extends the previous run's checkpoint); ``log/checkpoint`` is the
  latest run's. On a live log a list may, until the next run, show a notice recorded
  while the run was writing, whose page the next run writes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import orjson

from ledger.application import LedgerConfig
from ledger.bundle import Bundle, BundleError, check_bundle, make_bundle, parse_bundle
from ledger.canonical import b64encode
from ledger.log.follower import Follower
from ledger.log.merkle import ProofError, leaf_hash, verify_consistency
from ledger.log.note import Checkpoint, NoteError, open_note, parse_checkpoint
from ledger.log.reader import MAX_ENTRIES_PER_PAGE
from ledger.log.tile_store import LogTiles
from ledger.ports import Database, LogView
from ledger.store.sql import SQLiteDatabase
from projections.export.files import ExportError, ExportState, SiteDir
from projections.export.links import TYPES, Rewriter, file_for, static_url
from projections.export.ocds_files import write_ocds
from projections.export.tiles import write_tiles
from projections.ocds.projection import OcdsProjection
from projections.public import PublicProjection
from projections.web.archive import ARCHIVE_PAGE_SIZE, page_path
from projections.web.feeds import ARCHIVE_PATH
from projections.web.render import HERE as WEB

__all__ = ["ExportError", "ExportSource", "ExportSummary", "export_site"]

#: The in-process client's origin when no --base-url is given; stripped from every link.
PLACEHOLDER: Final = "http://sunshine-export.invalid"
#: Passes per run: a live log keeps growing; what arrives after the last pass waits.
MAX_PASSES: Final = 3
_NOTICE_PAGE = re.compile(r"/announcements/([0-9]+)/\Z")
_NEXT = re.compile(r'<a\b(?=[^>]*\brel="next")[^>]*\bhref="([^"]*)"')
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExportSource:
    """What an export reads: the log, the database, and the service's application over
    them, which renders the pages exported (its lifespan is not run: the export follows
    the log itself, so no background thread of the service moves the projection within a
    pass)."""

    log: LogView
    db: Database
    app: Any  # an ASGI application


#: Opens the export's source, closing it afterwards: the composition root (``sunshine``)
#: gives it, so the export need not know how the service is wired.
OpenSource = Callable[[], AbstractContextManager[ExportSource]]


@dataclass
class ExportSummary:
    directory: Path
    position: int  # every public leaf below this log position is exported
    notices: int
    new_notices: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    passes: int = 0
    unknown_links: list[str] = field(default_factory=list)


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def export_site(
    config: LedgerConfig,
    directory: Path,
    open_source: OpenSource,
    base_url: str | None = None,
    ledger_url: str | None = None,
    progress: Progress = _no_progress,
) -> ExportSummary:
    """Bring the export in ``directory`` up to date with the ledger of ``config``, as
    ``open_source`` opens it once the options and the log key are found good."""
    base_url = _origin(base_url, "--base-url", origin_only=True)
    ledger_url = _origin(ledger_url, "--ledger-url", origin_only=False)
    key_path = config.log_key_path or config.data_dir / "log-key.pem"
    if not key_path.is_file():
        # Opening the ledger would make a new key, which signed nothing in this log.
        raise ExportError(
            f"no log key at {key_path}: point --data-dir (or SUNSHINE_LOG_KEY) at the "
            "ledger's data directory"
        )
    with open_source() as source:
        site, state = SiteDir.open(directory, source.log.origin, source.log.verifier_key)
        with site:
            exporter = Exporter(source, site, state, base_url, ledger_url, progress)
            try:
                return exporter.run()
            finally:
                exporter.close()


def _origin(url: str | None, option: str, origin_only: bool) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ExportError(f"{option} must be an http(s) URL such as https://example.org")
    if origin_only and parts.path not in ("", "/"):
        raise ExportError(f"{option} must name a site root (the export is served at /)")
    return url.rstrip("/")


def fingerprint(base_url: str | None, ledger_url: str | None) -> str:
    """What the pages look like: templates, static files, page code, this exporter, options."""
    hasher = hashlib.sha256(orjson.dumps([base_url, ledger_url]))
    here = Path(__file__).parent
    files = [*sorted(WEB.rglob("*")), *sorted(here.glob("*.py"))]
    for path in files:
        if path.is_file() and path.suffix in (".py", ".html", ".css", ".js", ".xml"):
            hasher.update(path.name.encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


class Exporter:
    def __init__(
        self,
        source: ExportSource,
        site: SiteDir,
        state: ExportState,
        base_url: str | None,
        ledger_url: str | None,
        progress: Progress,
    ):
        self.log = source.log.reader
        self.db = source.db
        self.site = site
        self.state = state
        self.progress = progress
        self.links = Rewriter(ledger_url, base_url)
        self.fingerprint = fingerprint(base_url, ledger_url)
        self.origin = base_url or PLACEHOLDER
        self.log_key = source.log.verifier_key
        self.verifier = source.log.verifier
        sqlite = isinstance(source.db, SQLiteDatabase)
        self.follower = Follower(source.db, PublicProjection(sqlite))
        self.ocds = Follower(source.db, OcdsProjection())  # what ocds/… is rendered from
        self._loop = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=source.app), base_url=self.origin
        )

    def close(self) -> None:
        self._loop.run(self._client.aclose())
        self._loop.close()

    # -- a run --------------------------------------------------------------------------

    def run(self) -> ExportSummary:
        self.follower.setup()
        self.ocds.setup()
        start, passes = self.state.position, 0
        while passes < MAX_PASSES:
            self.follower.catch_up(progress=lambda done, size: self.progress("log", done, size))
            self.ocds.catch_up()
            note, size = self._checkpoint()
            end = min(self.follower.position(), self.ocds.position(), size)
            organisations = self._organisations()
            full = (
                self.state.position == 0
                or self.state.fingerprint != self.fingerprint
                or self.state.organisations != organisations
            )
            if end < self.state.position:
                raise ExportError(
                    f"the export holds {self.state.position} log entries but this log has "
                    f"{end}: is it the same ledger?"
                )
            if end == self.state.position and not full:
                break
            self._pass(self.state.position, end, note, size, full)
            self.state.position = end
            self.state.checkpoint_size = size
            self.state.checkpoint = note
            self.state.fingerprint = self.fingerprint
            self.state.organisations = organisations
            self.state.notices = self._count(
                "SELECT COUNT(*) FROM pub_announcements WHERE leaf_index < ?", end
            )
            self.site.save_state(self.state)
            passes += 1
        return ExportSummary(
            directory=self.site.root,
            position=self.state.position,
            notices=self.state.notices,
            new_notices=self._count(
                "SELECT COUNT(*) FROM pub_announcements WHERE leaf_index >= ? AND leaf_index < ?",
                start,
                self.state.position,
            ),
            written=self.site.written,
            unchanged=self.site.unchanged,
            passes=passes,
            unknown_links=sorted(self.links.unknown),
        )

    def _pass(self, start: int, end: int, note: str, size: int, full: bool) -> None:
        steps = self._rows(
            "SELECT leaf_index, procurement FROM pub_timeline "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
            start,
            end,
        )
        new_notices = [
            int(i)
            for (i,) in self._rows(
                "SELECT leaf_index FROM pub_announcements "
                "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
                start,
                end,
            )
        ]
        # Receipts of the publisher: their leaves, and the pages of the notices they are for
        # (each notice page lists where and when it was delivered).
        receipts = self._rows(
            "SELECT leaf_index, notice FROM pub_deliveries "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
            start,
            end,
        )
        self._copy_static()
        self._documents(0 if full else start, end)
        self._leaves([int(i) for i, _ in steps] + [int(i) for i, _ in receipts])
        for done, index in enumerate(new_notices, 1):
            self._notice_files(index, note, size)
            self.progress("notices", done, len(new_notices))
        if full:
            everything = self._rows("SELECT DISTINCT procurement FROM pub_timeline")
            touched = {str(code) for (code,) in everything}
        else:
            touched = {str(code) for _, code in steps}
        rendered = self._procurement_pages(sorted(touched), end)
        for index in sorted({int(n) for _, n in receipts} - set(rendered)):
            self._page(f"/announcements/{index}", log_base=f"/announcements/{index}/log")
        if steps or full:
            self._lists()
            write_ocds(self._get, self.site, self.db, touched)
        self.site.write("log/key", self.log_key.encode())
        self.state.tiles_size = write_tiles(
            self.site, LogTiles(self.db), self.state.tiles_size, note, self.progress
        )
        self.site.write("log/checkpoint", note.encode())

    # -- the log ------------------------------------------------------------------------

    def _checkpoint(self) -> tuple[str, int]:
        """The latest checkpoint, checked against the key the export is for and proven to
        extend the checkpoint of the previous run: the export never mixes two logs."""
        note = self.log.checkpoint()
        if note is None:
            raise ExportError("the log is empty: there is nothing to export yet")
        try:
            checkpoint = self._open(note)
        except NoteError as exc:
            raise ExportError(
                f"the log's checkpoint does not verify with the log key in the data directory "
                f"({exc}): point --data-dir (or SUNSHINE_LOG_KEY) at this ledger's key"
            ) from None
        if self.state.checkpoint:
            try:
                old = self._open(self.state.checkpoint)
                if old.size > checkpoint.size:
                    raise ProofError(f"the log has shrunk from {old.size} to {checkpoint.size}")
                proof = (
                    self.log.consistency(old.size, checkpoint.size)
                    if old.size < checkpoint.size
                    else []
                )
                verify_consistency(old.size, checkpoint.size, proof, old.root, checkpoint.root)
            except (NoteError, ProofError) as exc:
                raise ExportError(
                    f"this log is not an extension of the one {self.site.root} was exported "
                    f"from ({exc}): a different or rewritten ledger; export it elsewhere"
                ) from None
        return note, checkpoint.size

    def _open(self, note: str) -> Checkpoint:
        return parse_checkpoint(open_note(note, [self.verifier]))

    def _leaves(self, indices: list[int]) -> None:
        """The exact leaf of each public step: the procurement pages link every one."""
        first, leaves = -1, list[bytes]()
        for index in indices:  # ascending: one read per run of MAX_ENTRIES_PER_PAGE leaves
            if not first <= index < first + len(leaves):
                first, leaves = index, self.log.entries(index, MAX_ENTRIES_PER_PAGE)
            self.site.write(f"log/entries/{index}", leaves[index - first])

    def _notice_files(self, index: int, note: str, size: int) -> None:
        """The notice's JSON, its bundle and its verify panel's files, all from one bundle.

        A bundle already exported (a run killed after writing it) is kept: it verifies, and
        re-deriving the rest from it keeps the notice's files consistent with each other.
        """
        bundle = self._existing_bundle(index)
        if bundle is None:
            _, proof = self.log.inclusion(index, size)
            bundle = make_bundle(index, self.log.entry(index), size, proof, note, self.log_key)
        base = f"announcements/{index}/log"
        self.site.write(f"{base}/key", bundle.log_key.encode())
        self.site.write(f"{base}/checkpoint", bundle.checkpoint.encode())
        self.site.write(f"{base}/entries/{index}", bundle.leaf)
        inclusion = {
            "index": index,
            "size": bundle.size,
            "leaf_hash": b64encode(leaf_hash(bundle.leaf)),
            "proof": [b64encode(p) for p in bundle.proof],
        }
        self.site.write(f"{base}/proof/inclusion", orjson.dumps(inclusion))
        self.site.write(f"log/bundle/{index}", bundle.to_bytes())
        self.site.write(f"announcements/{index}.json", notice_document(bundle))  # last: commits

    def _existing_bundle(self, index: int) -> Bundle | None:
        raw = self.site.read(f"announcements/{index}.json")
        if raw is None:
            return None
        try:
            bundle = parse_bundle(orjson.loads(raw)["bundle"])
            check_bundle(bundle, self.log_key)
        except (BundleError, ValueError, KeyError, TypeError):
            return None  # not ours, or damaged: made afresh
        # It must prove the leaf this log holds at that index, not merely some leaf.
        return bundle if bundle.leaf == self.log.entry(index) else None

    def _documents(self, start: int, end: int) -> None:
        """The documents the steps in [start, end) attach, under ``documents/<hex>`` as the
        service serves them: a mirror keeps the files the signed entries name. A document
        never changes (its name is its hash), so one exported already is not fetched again."""
        rows = self._rows(
            "SELECT data FROM pub_timeline WHERE leaf_index >= ? AND leaf_index < ? "
            "AND data LIKE ? ORDER BY leaf_index",
            start,
            end,
            '%"documents"%',
        )
        for (data,) in rows:
            for document in orjson.loads(data).get("documents") or ():
                hex_digest = base64.b64decode(document["sha256"]).hex()
                if not self.site.path(f"documents/{hex_digest}").exists():
                    body = self._get(f"/documents/{hex_digest}")
                    assert body is not None
                    if hashlib.sha256(body).hexdigest() != hex_digest:
                        raise ExportError(
                            f"the document store's {hex_digest} does not hash to its name: "
                            "the stored file was altered; nothing of it is exported"
                        )
                    self.site.write(f"documents/{hex_digest}", body)

    # -- pages --------------------------------------------------------------------------

    def _get(self, url: str, missing_ok: bool = False) -> bytes | None:
        response = self._loop.run(self._client.get(url))
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code != 200:
            raise ExportError(f"the service answered {url} with {response.status_code}")
        body: bytes = response.content
        return body

    def _page(self, url: str, log_base: str | None = None, missing_ok: bool = False) -> str | None:
        """Render ``url`` and write it where the export serves it; its next page's URL."""
        raw = self._get(url, missing_ok)
        if raw is None:
            return None
        body = raw.decode()
        following = _NEXT.search(body)
        target = static_url(url)
        assert target is not None, url
        self.site.write(file_for(target), self.links.html(body, log_base).encode())
        return html.unescape(following.group(1)) if following else None

    def _procurement_pages(self, codes: list[str], end: int) -> list[int]:
        """The pages of these procurements and of their notices; the notices rendered."""
        notices = self._notices_of(codes, end)
        total = len(codes) + len(notices)
        done = 0
        for index in notices:
            self._page(f"/announcements/{index}", log_base=f"/announcements/{index}/log")
            done += 1
            self.progress("pages", done, total)
        for code in codes:
            # A procurement acted on before its plan was filed has no page yet (nor has it
            # on the service): its notices still have theirs.
            self._page(f"/procurements/{code}", missing_ok=True)
            done += 1
            self.progress("pages", done, total)
        return notices

    def _notices_of(self, codes: list[str], end: int) -> list[int]:
        found: list[int] = []
        for chunk in range(0, len(codes), 500):
            part = codes[chunk : chunk + 500]
            marks = ", ".join("?" for _ in part)
            found += [
                int(i)
                for (i,) in self._rows(
                    f"SELECT leaf_index FROM pub_announcements WHERE procurement IN ({marks}) "  # noqa: S608
                    "AND leaf_index < ? ORDER BY leaf_index",
                    *part,
                    end,
                )
            ]
        return found

    def _lists(self) -> None:
        """Home, lists, complaint decisions and feeds, each page by following its "next"."""
        starts = ["/announcements", *(f"/announcements?type={t}" for t in sorted(TYPES))]
        feed = "/feeds/announcements.atom"
        feeds = [feed, *(f"{feed}?type={t}" for t in sorted(TYPES))]
        self._page("/")
        total = len(starts) + 1 + len(feeds)
        for n, first in enumerate([*starts, "/complaints", *feeds], 1):
            render = self._feed if first.startswith("/feeds/") else self._page
            url: str | None = first
            seen: set[str] = set()
            while url is not None and url not in seen:  # a page naming itself "next" ends it
                seen.add(url)
                url = render(url)
            self.progress("lists", n, total)
        self._archive()

    def _archive(self) -> None:
        """The archived feed: its subscription document, and each full page not yet written.

        A full page never changes, so a file already there is kept untouched (not even
        rendered). Its next page, until full, is no file: a static server answers 404 where
        the service redirects to the subscription document."""
        total = self._count("SELECT COALESCE(MAX(ordinal) + 1, 0) FROM pub_announcements")
        for number in range(1, total // ARCHIVE_PAGE_SIZE + 1):
            url = page_path(number)
            if not self.site.path(url.lstrip("/")).is_file():
                body = self._get(url)
                assert body is not None
                self.site.write(url.lstrip("/"), self.links.archive(body, self.origin))
        body = self._get(ARCHIVE_PATH)
        assert body is not None
        self.site.write(ARCHIVE_PATH.lstrip("/"), self.links.archive(body, self.origin))

    def _feed(self, url: str) -> str | None:
        body = self._get(url)
        assert body is not None
        following = _feed_next(body, self.origin)
        target = static_url(url)
        assert target is not None, url
        self.site.write(file_for(target), self.links.feed(body, self.origin, _json_of))
        return following

    def _copy_static(self) -> None:
        for path in sorted((WEB / "static").iterdir()):
            if path.is_file():
                self.site.write(f"static/{path.name}", path.read_bytes())

    # -- queries ------------------------------------------------------------------------

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.db.read() as cur:
            rows: list[tuple[Any, ...]] = cur.execute(sql, params).fetchall()
            return rows

    def _count(self, sql: str, *params: Any) -> int:
        ((count,),) = self._rows(sql, *params)
        return int(count)

    def _organisations(self) -> str:
        rows = self._rows("SELECT code, name FROM pub_organisations ORDER BY code")
        return hashlib.sha256(orjson.dumps([list(r) for r in rows])).hexdigest()


def notice_document(bundle: Bundle) -> bytes:
    """A notice as JSON: its data as the leaf holds it, and the bundle proving the leaf.

    Everything but ``bundle`` is read from the leaf, so a reader who checks the bundle
    (``sunshine verify --bundle`` on ``log/bundle/<i>``, or ``ledger.bundle.check_bundle``)
    and compares ``data`` with the proven leaf's trusts nothing else in the file.
    """
    entry = orjson.loads(bundle.leaf)
    data = entry["data"]
    document = {
        "index": bundle.index,
        "announcement": data.get("announcement"),
        "procurement": data.get("procurement"),
        "title": data.get("title"),
        "published_on": data.get("date"),
        "event": entry["type"],
        "recorded_at": entry["recorded_at"],
        "page": f"/announcements/{bundle.index}/",
        "data": data,
        "bundle": bundle.as_json(),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def _json_of(page: str) -> str | None:
    found = _NOTICE_PAGE.match(page)
    return f"/announcements/{found.group(1)}.json" if found else None


def _feed_next(body: bytes, origin: str) -> str | None:
    root = ET.fromstring(body)  # noqa: S314 - our own app's output
    for link in root.findall(_ATOM_LINK):
        if link.get("rel") == "next":
            href = link.get("href", "")
            return href[len(origin) :] if href.startswith(origin) else href
    return None
