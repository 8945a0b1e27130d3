"""A notice page shows its entry's values only where the 验证 button compares them.

For notices of every type from the demo year, each value of the entry's data is changed in
turn and the page rendered again: every text that changes must lie inside an element marked
with that value's path (``data-leaf``, or ``data-leaf-organisation`` for an organisation
shown by its name), and every value either shows so or is one the page
does not show by design (``NOT_SHOWN``). A template that prints an entry value without
``shown()``, or a new field nobody placed, fails here."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from conftest import DemoLedger, make_config

from ledger.application import Ledger
from ledger.domain.vocabulary import AnnouncementType, Category, Method
from projections.web.pages import RESULT_PERIOD, entry_context
from projections.web.queries import Announcement
from projections.web.render import ENV

#: Values of a notice's entry its page leaves out, and why.
NOT_SHOWN = {
    "state": "the lifecycle's state after the entry: the procurement page's summary shows it",
    "findings": "findings are shown on the procurement's timeline, with their evidence",
    "provisional_passes": "limits kept only provisionally: shown on the procurement's timeline",
    "committee.commitment": "the commitment and salt are for checking the disclosure offline",
    "committee.salt": "the commitment and salt are for checking the disclosure offline",
}
#: Values of a type the page does not show (a correction's new summary repeats the tender's).
NOT_SHOWN_BY_TYPE = {
    # An intention is published before any tender: it has no deadline to show.
    "intention": {"bid_deadline"},
}


#: An expert's actor, key and signature over the evaluation report: for checking the
#: signature offline (`sunshine verify` does); the page names the member and their role.
MEMBER_SIGNATURE = re.compile(r"committee\.value\.[0-9]+\.(actor|key|signature)")


def _hidden(kind: str, path: str) -> bool:
    return (
        any(path == p or path.startswith(p + ".") for p in NOT_SHOWN)
        or path in NOT_SHOWN_BY_TYPE.get(kind, set())
        or MEMBER_SIGNATURE.fullmatch(path) is not None
    )


class Texts(HTMLParser):
    """The body's texts, each with the data-leaf path of the element it is in (or None)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str | None, str]] = []
        self.body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.body = True
        if tag in ("meta", "link", "br", "input", "img"):
            return
        # An organisation is shown by its name, marked with the entry's path to its code.
        path = dict(attrs).get("data-leaf") or dict(attrs).get("data-leaf-organisation")
        inherited = self.stack[-1][1] if self.stack else None
        self.stack.append((tag, path or inherited))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.body and data.strip():
            self.texts.append((self.stack[-1][1] if self.stack else None, data))


def texts(page: str) -> list[tuple[str | None, str]]:
    parser = Texts()
    parser.feed(page)
    return parser.texts


class Registry:
    """Organisations' names come from the registry's entries, not the notice's: a name for
    each code, so changing a code changes the organisation the page names (and nothing
    else)."""

    def get(self, code: str, default: str) -> str:
        return f"某单位（{code}）"


class DirectoryKeys:
    """Every organisation is in the directory, so each name shown is a link to its page."""

    def get(self, code: str) -> str:
        return f"directory-{code}"


def render(found: Announcement) -> str:
    others: dict[str, Any] = {
        "names": Registry(), "org_keys": DirectoryKeys(), "orgs": {},
        "result_period": RESULT_PERIOD, "notices": [], "original": None, "contract": None,
        "finance_office": None, "tender_documents": None,
        "tender_contact": None, "corrections": [], "deliveries": [], "call_offs": [],
    }  # fmt: skip
    return ENV.get_template("announcement.html").render(
        request=None, **entry_context(found), **others
    )


def paths(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of the entry's data with its dotted path (list items by position)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from paths(item, f"{prefix}{n}.")
    else:
        yield prefix[:-1], value


DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AMOUNT = re.compile(r"^(0|[1-9]\d*)\.\d{2}$")


def changed(value: Any) -> Any:
    """Another value of the same kind, one a page would show differently."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, str)
    if DAY.match(value):
        return (date.fromisoformat(value) + timedelta(days=1)).isoformat()
    if AMOUNT.match(value):
        return f"{int(value.split('.')[0]) + 1}.{value.split('.')[1]}"
    for term in (Category, Method, AnnouncementType):
        members = [t.value for t in term]
        if value in members:
            return members[(members.index(value) + 1) % len(members)]
    return value + "变"


def set_path(data: Any, path: str, value: Any) -> Any:
    copy = json.loads(json.dumps(data))
    node = copy
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return copy


def notices(demo: DemoLedger) -> list[Announcement]:
    """Notices of every type, one for each different set of fields the demo gives a type."""
    ledger = Ledger(make_config(demo.url, demo.data))
    try:
        seen: set[tuple[str, frozenset[str]]] = set()
        found: list[Announcement] = []
        start = 0
        while start < ledger.reader.size():
            batch = ledger.reader.entries(start, 1000)
            for offset, leaf in enumerate(batch):
                entry = json.loads(leaf)
                data = entry["data"]
                kind = data.get("announcement") if isinstance(data, dict) else None
                if not kind:
                    continue
                shape = (kind, frozenset(p for p, v in paths(data) if v is not None))
                if shape in seen:
                    continue
                seen.add(shape)
                digest = hashlib.sha256(b"\0" + leaf).digest()
                found.append(Announcement(
                    start + offset, data["procurement"], kind, data["date"], 0, None,
                    base64.b64encode(digest).decode(), data,
                ))  # fmt: skip
            start += len(batch)
        return found
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def demo_notices(demo_template: DemoLedger) -> list[Announcement]:
    return notices(demo_template)


def test_the_demo_gives_every_type_of_notice(demo_notices: list[Announcement]) -> None:
    assert {n.type for n in demo_notices} == {t.value for t in AnnouncementType}


def test_every_value_a_notice_shows_from_its_entry_is_marked(
    demo_notices: list[Announcement],
) -> None:
    unplaced: set[tuple[str, str]] = set()
    for found in demo_notices:
        before = texts(render(found))
        marked = {p for p, _ in before if p is not None}
        for path, value in paths(found.data):
            if value is None:
                continue
            data = set_path(found.data, path, changed(value))
            after = texts(render(Announcement(**{**found.__dict__, "data": data})))
            outside = [t for p, t in before if p is None], [t for p, t in after if p is None]
            assert outside[0] == outside[1], (
                f"{found.type} {found.leaf_index}: changing {path} changes text not marked "
                f"with data-leaf: {set(outside[1]) - set(outside[0])}"
            )
            moved = {p for (p, t), (q, u) in zip(before, after, strict=True) if t != u}
            assert all(path == p or path.startswith(f"{p}.") for p in moved), (
                f"{found.type}: changing {path} changed the texts of {moved}"
            )
            shows = any(path == p or path.startswith(f"{p}.") for p in marked)
            assert not (shows and not moved), f"{found.type}: {path} is marked but never changes"
            if not moved and not _hidden(found.type, path):
                unplaced.add((found.type, path))
    assert unplaced == set(), "values of the entry neither shown nor in NOT_SHOWN"


def test_the_vocabulary_file_is_current() -> None:
    from projections.web.shown import VOCABULARY_FILE, vocabulary_json

    assert VOCABULARY_FILE.read_text(encoding="utf-8") == vocabulary_json(), (
        "run: .venv/bin/python -m projections.web.shown"
    )
