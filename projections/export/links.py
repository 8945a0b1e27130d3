"""Where each page of the service lives in a static export, and rewriting links to match.

A static web server ignores query strings, so every URL of the service maps to a path of
its own (``/announcements?type=tender&page=2`` → ``/announcements/type/tender/page/2/``),
and pages are directories holding ``index.html`` so a link works without a redirect. What
has no static counterpart (search, the filters but type, the challenge lookup, the API
docs) goes to the live service when ``--ledger-url`` names it, and is left out otherwise.

Pure: no I/O. Jinja escapes every value it writes into an attribute, so in the service's
HTML a literal ``"`` only ever closes an attribute the templates wrote: the regular
expressions below see the templates' markup, never text a user wrote.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from ledger.commands import PROCUREMENT_PATTERN
from ledger.domain.vocabulary import AnnouncementType

ATOM: Final = "http://www.w3.org/2005/Atom"
FH: Final = "http://purl.org/syndication/history/1.0"  # RFC 5005's fh:archive
TYPES: Final = frozenset(t.value for t in AnnouncementType)
#: Pages only the running service can answer; they have no file in an export.
DYNAMIC: Final = ("/challenges/lookup", "/docs", "/organisations")
#: Of those, the ones a page links a name to (an organisation's directory page): without the
#: live service the name stays, as text.
NAMED: Final = ("/organisations/",)

_ATTRIBUTE = re.compile(r'\b(href|src|action|data-log)="([^"]*)"')
_FORM = re.compile(r"<form\b[^>]*>")
_ACTION = re.compile(r'\baction="([^"]*)"')
_ANCHOR = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>[^<]*</a>\s*')
_TAG = re.compile(r"<[^>]*>")
ET.register_namespace("fh", FH)
_INDEX = re.compile(r"[0-9]{1,18}\Z")
_PAGE = re.compile(r"[1-9][0-9]{0,5}\Z")
#: The archived feed (``projections.web.archive``): at the same paths in the export.
_ARCHIVE = re.compile(r"/feeds/archive/announcements(/[1-9][0-9]{0,8})?\.atom\Z")
_HEX = re.compile(r"[0-9a-f]{64}\Z")


def _page_suffix(query: dict[str, str], html_page: bool) -> str | None:
    """``page/N/`` (or ``/page/N`` for a feed) for page N > 1; "" for the first page."""
    number = query.pop("page", "1")
    if not _PAGE.match(number):
        return None
    if number == "1":
        return ""
    return f"page/{number}/" if html_page else f"/page/{number}"


def static_url(url: str) -> str | None:
    """The export's URL for a root-relative URL of the service, None when it has none.

    Lists take only ``type`` and ``page``: any other filter is a query the export cannot
    answer. Fragments are kept.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    if len(query) != len(pairs):
        return None  # a repeated parameter
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    path = parts.path
    found = _static_path(path, query)
    return None if found is None else found + fragment


def _static_path(path: str, query: dict[str, str]) -> str | None:
    segments = path.strip("/").split("/") if path != "/" else []
    if path.startswith(("/static/", "/log/")) and not query:
        return path  # files copied as they are: assets, leaves, keys, bundles
    if not segments:
        return "/" if not query else None
    head, rest = segments[0], segments[1:]
    if head == "announcements" and not rest:
        suffix = _page_suffix(query, html_page=True)
        kind = query.pop("type", None)
        if suffix is None or query or (kind is not None and kind not in TYPES):
            return None
        return f"/announcements/{f'type/{kind}/' if kind else ''}{suffix}"
    if head == "announcements" and len(rest) == 1 and _INDEX.match(rest[0]) and not query:
        return f"/announcements/{int(rest[0])}/"
    if head == "procurements" and len(rest) == 1 and not query:
        return f"/procurements/{rest[0]}/" if PROCUREMENT_PATTERN.match(rest[0]) else None
    if head == "documents" and len(rest) == 1 and _HEX.match(rest[0]):
        return f"/documents/{rest[0]}"  # the file itself; the name asked for is the page's
    if head == "complaints" and not rest:
        suffix = _page_suffix(query, html_page=True)
        return None if suffix is None or query else f"/complaints/{suffix}"
    if _ARCHIVE.match(path):
        return None if query else path
    if path == "/feeds/announcements.atom":
        suffix = _page_suffix(query, html_page=False)
        kind = query.pop("type", None)
        if suffix is None or query or (kind is not None and kind not in TYPES):
            return None
        return f"/feeds/{kind or 'announcements'}{suffix}.atom"
    return None


def file_for(url: str) -> str:
    """The file (relative to the export's root) that serves a static URL."""
    path = url.split("#", 1)[0].lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


class Rewriter:
    """Rewrites the links of the service's pages and feeds for the export."""

    def __init__(self, ledger_url: str | None, base_url: str | None):
        self.ledger_url = ledger_url.rstrip("/") if ledger_url else None
        self.base_url = base_url.rstrip("/") if base_url else ""
        self.unknown: set[str] = set()  # links with no static page: reported, left alone

    def _live(self, path: str) -> str | None:
        return f"{self.ledger_url}{path}" if self.ledger_url else None

    def _target(self, url: str) -> str | None:
        if not url.startswith("/") or url.startswith("//"):
            return url  # absolute, fragment-only or relative: not the service's link form
        found = static_url(url)
        if found is not None:
            return found
        live = self._live(url)
        if live is None and not url.startswith(DYNAMIC):
            self.unknown.add(url)
            return url
        return live

    def html(self, body: str, log_base: str | None = None) -> str:
        """A page with its links moved to the export's paths.

        ``log_base`` is where this page's verify panel finds the log (the notice's own
        proof files); without it the panel keeps ``/log``.
        """
        body = _FORM.sub(self._form, body)
        body = _ANCHOR.sub(self._anchor, body)

        def attribute(match: re.Match[str]) -> str:
            name, value = match.group(1), html.unescape(match.group(2))
            # The verify panel's log: this notice's own proof files.
            found = log_base if name == "data-log" else self._target(value)
            target = found or value
            return f'{name}="{html.escape(target)}"'

        return _ATTRIBUTE.sub(attribute, body)

    def _form(self, match: re.Match[str]) -> str:
        """A GET form asks the service a question: send it to the live service, or hide it
        (a static server would answer the unfiltered list, which looks like a result)."""
        tag = match.group(0)
        action = _ACTION.search(tag)
        if action is None:
            return tag
        live = self._live(html.unescape(action.group(1)))
        if live is not None:
            return tag.replace(action.group(0), f'action="{html.escape(live)}"')
        return tag[:5] + " hidden" + tag[5:]

    def _anchor(self, match: re.Match[str]) -> str:
        """Links to pages only the service has: to the live service, or left out."""
        url = html.unescape(match.group(1))
        if url.startswith(NAMED) and self.ledger_url is None:
            return _TAG.sub("", match.group(0))  # the name, unlinked
        if url.startswith(DYNAMIC) and self.ledger_url is None:
            return ""
        return match.group(0)

    def archive(self, body: bytes, origin: str) -> bytes:
        """A document of the archived feed, as the service wrote it: a full page is to be the
        same bytes wherever it is served, so its links keep the service's paths (a static
        server redirects ``/announcements/<i>`` to its directory). With ``--base-url`` they
        are on it already; without, the placeholder ``origin`` goes, leaving them
        root-relative."""
        if self.base_url:
            return body
        root = ET.fromstring(body)  # noqa: S314 - our own app's output, not outside input
        for link in root.iter(f"{{{ATOM}}}link"):
            href = link.get("href", "")
            link.set("href", href[len(origin) :] if href.startswith(origin) else href)
        document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return document

    def feed(self, body: bytes, origin: str, json_link: Callable[[str], str | None]) -> bytes:
        """An Atom page with its links moved to the export's paths.

        Links arrive absolute on ``origin`` (the in-process client's); they leave on
        ``--base-url``, or root-relative without it (RFC 4287 resolves them against the
        feed's own URL). ``json_link`` gives, for an entry's HTML link, its JSON document:
        added as a second alternate so a site pulling the feed finds the proof bundle.
        """
        root = ET.fromstring(body)  # noqa: S314 - our own app's output, not outside input
        for link in root.iter(f"{{{ATOM}}}link"):
            href = link.get("href", "")
            path = href[len(origin) :] if href.startswith(origin) else href
            target = self._target(path) or path
            link.set("href", self.base_url + target if target.startswith("/") else target)
        for entry in root.findall(f"{{{ATOM}}}entry"):
            children = list(entry)
            alternate = next(
                (n for n, x in enumerate(children)
                 if x.tag == f"{{{ATOM}}}link" and x.get("rel") == "alternate"),
                None,
            )  # fmt: skip
            if alternate is None:
                continue
            page = children[alternate].get("href", "")
            json_href = json_link(page[len(self.base_url) :])
            if json_href is not None:
                extra = ET.Element(
                    f"{{{ATOM}}}link",
                    rel="alternate",
                    type="application/json",
                    href=self.base_url + json_href,
                )
                entry.insert(alternate + 1, extra)  # beside the HTML alternate
        feed: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return feed
