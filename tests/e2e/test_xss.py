"""Nothing a user writes executes on the public pages (real chromium, SQLite).

A county is recorded in which EVERY user-written text — organisation, region, address and
actor names, titles, requirements, budget items' names, qualifications, contacts, places,
rationales, notes, changes, reasons, evaluation reasons, committee names, contract numbers,
challenge grounds, answers, complaint grounds and decisions, acceptance reports, revocation
reasons — is a string of script, HTML, attribute break-outs, ``javascript:`` links and
template syntax. Then every public page the server has is visited in chromium (found by
following links from the home page, plus searches, lookups, feeds and error pages): no
dialog opens, ``window.__pwned`` stays undefined, no event-handler attribute or injected
element exists, and wherever a planted text is shown it is shown literally, character for
character.

Each planted text starts with a tag ``§xx§`` naming its field, so the test can tell a text
that is shown and altered (escaped twice, sanitised, rendered as a template) from one that
is not shown at all.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urldefrag, urlencode, urljoin, urlparse

import httpx
import pytest
from conftest import TLS, Actor, World, eventually, make_config, start_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger
from ledger.domain.sealed import Disclosure
from ledger.store.url import parse_database_url

# What an attacker types, in the order they are packed into a field of limited length.
PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    '"><svg onload=window.__pwned=1>',
    "'><img src=x onerror=alert(1)>",
    "{{7*7}}",
    '<a href="javascript:window.__pwned=1">点此</a>',
    "${7*7}",
    '</textarea></title><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "&lt;b&gt;&amp;",  # must stay these very characters, not become <b>&
    "{% raw %}{#",
)
JAVASCRIPT_URL = "javascript:window.__pwned=1//"
ATOM = "{http://www.w3.org/2005/Atom}"
MAX_PAGES = 400
SHOWN_PREFIX = 24  # a text shown truncated must still show at least this much literally


def marker(tag: str) -> str:
    return f"§{tag}§"  # closed, so §T1§ is never found inside §T10§


class Planted:
    """Every planted text by its tag; ``text`` makes one that fits a field's limits."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def text(self, tag: str, limit: int, *, lines: bool = False) -> str:
        value = marker(tag)
        for payload in PAYLOADS:
            joint = "\n  " if lines and value != marker(tag) else ""
            if len(value) + len(joint) + len(payload) <= limit:
                value += joint + payload
        assert tag not in self.texts and len(value) > len(tag) + 10
        self.texts[tag] = value
        return value


@dataclass
class County:
    """The recorded county: leaf indices of its notices, its challenges and their codes."""

    planted: dict[str, str]
    notices: list[int] = field(default_factory=list)
    challenges: dict[str, str] = field(default_factory=dict)  # number -> lookup code
    last: int = 0


def record(ledger: Ledger) -> County:
    """The county, with a planted text in every user-written field."""
    p = Planted()
    region = p.text("RG", 100)
    county = County(p.texts)

    admin = Actor("czj-admin", "czj", "finance_office", Ed25519PrivateKey.generate())
    command = admin.command("Genesis", {
        "organisation": {"code": "czj", "name": p.text("GN", 200), "region": region,
                         "address": p.text("GD", 200)},
        "administrator": {"code": "czj-admin", "name": p.text("GA", 100)},
        "public_key": signing.public_b64(admin.key),
    })  # fmt: skip
    ledger.genesis(json.dumps(signing.sign(command, admin.key)).encode())
    world = World(ledger, admin)

    def add(org: str, kind: str, tag: str) -> Actor:
        world.submit(admin, "RegisterOrganisation", {
            "code": org, "name": p.text(f"O{tag}", 200), "kind": kind, "region": region,
            "address": JAVASCRIPT_URL if tag == "1" else p.text(f"D{tag}", 200)})  # fmt: skip
        code = f"{org}-op"
        world.submit(
            admin,
            "RegisterActor",
            {"code": code, "organisation": org, "role": kind, "name": p.text(f"A{tag}", 100)},
        )
        actor = Actor(code, org, kind, Ed25519PrivateKey.generate())
        world.submit(
            admin, "RegisterKey", {"actor": code, "public_key": signing.public_b64(actor.key)}
        )
        return actor

    purchaser = add("rmyy", "purchaser", "1")
    agency = add("ggzy", "agency", "2")
    suppliers = [add(org, "supplier", str(n)) for n, org in
                 ((3, "kangtai"), (4, "xinda"), (5, "huamei"))]  # fmt: skip
    add("qhx-jw", "inspector", "6")
    world.register_bid_box()
    world.submit(admin, "AmendOrganisation", {"code": "ggzy", "address": p.text("AM", 200)})
    spare = Ed25519PrivateKey.generate()
    world.submit(
        admin, "RegisterKey", {"actor": "rmyy-op", "public_key": signing.public_b64(spare)}
    )
    world.submit(admin, "RevokeKey", {"key_id": signing.key_id(spare), "reason": p.text("RK", 500)})

    def act(
        actor: Actor,
        kind: str,
        payload: dict[str, Any],
        code: str,
        sealed: dict[str, Disclosure] | None = None,
    ) -> Any:
        receipt = world.submit(actor, kind, payload, procurement=code, sealed=sealed)
        for event in receipt.events:
            leaf = json.loads(ledger.reader.entry(event["leaf_index"]))
            if leaf["data"].get("announcement"):
                county.notices.append(event["leaf_index"])
        return receipt

    def challenge(supplier: Actor, code: str, tag: str, on: str) -> str:
        receipt = act(supplier, "FileChallenge", {
            "date": on, "subject": "documents",
            "grounds": p.text(tag, 20_000, lines=True)}, code)  # fmt: skip
        number: str = receipt.lookup["challenge"]
        county.challenges[number] = receipt.lookup["code"]
        return number

    def plan(
        code: str,
        tag: str,
        method: str = "open_tender",
        agency_code: str | None = "ggzy",
        rationale: bool = True,
    ) -> None:
        act(purchaser, "FilePlan", {
            "title": p.text(f"T{tag}", 200), "category": "goods", "method": method,
            "budget": "1850000.00", "agency": agency_code, "date": "2026-03-02",
            "requirement": p.text(f"PR{tag}", 20_000, lines=True),
            **({"rationale": p.text(f"RA{tag}", 20_000, lines=True)} if rationale else {}),
            "funding_source": "general_budget",
            "budget_item": {"code": f"XSS-{tag}", "name": p.text(f"BI{tag}", 100)},
        }, code)  # fmt: skip

    def tender(actor: Actor, code: str, tag: str, **extra: Any) -> None:
        act(actor, "AnnounceTender", {
            "date": "2026-04-10", "requirement": p.text(f"TR{tag}", 20_000, lines=True),
            "qualifications": p.text(f"QU{tag}", 20_000, lines=True),
            "contact": p.text(f"CT{tag}", 100), **extra}, code)  # fmt: skip

    # p1: an open tender from intention to archive, corrected, challenged, suspended,
    # complained of, one bid found invalid, the committee disclosed with the result.
    plan("p1", "1")
    act(
        admin, "ApprovePlan", {"date": "2026-03-03", "note": p.text("NT", 20_000, lines=True)}, "p1"
    )
    act(
        admin,
        "ApproveMethod",
        {"date": "2026-03-03", "rationale": p.text("MR", 20_000, lines=True)},
        "p1",
    )
    act(
        purchaser, "DiscloseIntention", {"date": "2026-03-04", "expected_start": "2026-04-10"}, "p1"
    )
    tender(agency, "p1", "1", bid_deadline="2026-05-06", bid_deadline_time="09:30",
           place=p.text("PL", 200))
    act(
        agency,
        "CorrectAnnouncement",
        {
            "date": "2026-04-13",
            "bid_deadline": "2026-05-11", "bid_deadline_time": "09:30",
            "changes": p.text("CH", 20_000, lines=True),
        },
        "p1",
    )
    for supplier, price in zip(suppliers, ("1790000.00", "1720000.00", "1805000.00"), strict=True):
        sealed: dict[str, Disclosure] = {}
        act(
            supplier,
            "SubmitBid",
            {"date": "2026-04-20", "price": signing.sealed_value(price, sealed)},
            "p1",
            sealed,
        )
    first = challenge(suppliers[0], "p1", "G1", "2026-04-21")
    act(
        agency,
        "AnswerChallenge",
        {
            "challenge": first,
            "date": "2026-04-22",
            "outcome": "rejected",
            "answer": p.text("AN", 20_000, lines=True),
        },
        "p1",
    )
    act(
        suppliers[0],
        "FileComplaint",
        {"challenge": first, "date": "2026-04-23", "grounds": p.text("G2", 20_000, lines=True)},
        "p1",
    )
    # Only the finance office handling a complaint suspends and lifts (财政部令第94号 第二十八条).
    act(
        admin,
        "Suspend",
        {"date": "2026-04-23", "cause": "p1-TS1", "reason": p.text("SU", 20_000, lines=True)},
        "p1",
    )
    act(admin, "Resume", {"date": "2026-04-24", "reason": p.text("RE", 20_000, lines=True)}, "p1")
    act(
        admin,
        "DecideComplaint",
        {
            "complaint": "p1-TS1",
            "date": "2026-04-28",
            "outcome": "rejected",
            "decision": p.text("DC", 20_000, lines=True),
        },
        "p1",
    )
    second = challenge(suppliers[1], "p1", "G3", "2026-04-24")
    act(
        suppliers[1],
        "WithdrawChallenge",
        {"challenge": second, "date": "2026-04-25", "reason": p.text("WC", 20_000, lines=True)},
        "p1",
    )
    third = challenge(suppliers[2], "p1", "G4", "2026-04-24")
    act(
        agency,
        "AnswerChallenge",
        {
            "challenge": third,
            "date": "2026-04-27",
            "outcome": "partly_upheld",
            "answer": p.text("AN2", 20_000, lines=True),
        },
        "p1",
    )
    act(
        suppliers[2],
        "FileComplaint",
        {"challenge": third, "date": "2026-04-28", "grounds": p.text("G5", 20_000, lines=True)},
        "p1",
    )
    act(
        suppliers[2],
        "WithdrawComplaint",
        {"complaint": "p1-TS2", "date": "2026-04-29", "reason": p.text("WP", 20_000, lines=True)},
        "p1",
    )
    act(agency, "CloseBidBox", {"date": "2026-05-11", "time": "09:30"}, "p1")
    act(agency, "OpenBids", {"date": "2026-05-11", "time": "09:30"}, "p1")
    committee: dict[str, Disclosure] = {}
    # Two experts named with markup sign the report; the representative is named so too.
    experts = [(p.text(f"C{n + 1}", 50), *world.expert(n)[1:]) for n in range(2)]
    results = [
        {"supplier": "kangtai", "valid": True, "score": "90.50", "rank": 1},
        {"supplier": "xinda", "valid": True, "score": "88.00", "rank": 2},
        {"supplier": "huamei", "valid": False, "reason": p.text("ER", 20_000, lines=True)},
    ]
    evaluation = signing.evaluation("p1", "2026-05-11", results, experts,
                                    [p.text("C3", 50)], committee)  # fmt: skip
    act(agency, "CompleteEvaluation", evaluation, "p1", committee)
    act(
        purchaser,
        "DecideAward",
        {"date": "2026-05-12", "supplier": "kangtai", "amount": "1790000.00"},
        "p1",
    )
    act(agency, "AnnounceResult", {"date": "2026-05-13"}, "p1")
    act(
        purchaser,
        "SignContract",
        {"date": "2026-05-26", "amount": "1790000.00", "contract_number": p.text("CN", 64)},
        "p1",
    )
    act(agency, "AnnounceContract", {"date": "2026-05-27"}, "p1")
    act(
        purchaser,
        "RecordAcceptance",
        {"date": "2026-07-01", "passed": False, "report": p.text("AR", 20_000, lines=True)},
        "p1",
    )
    act(purchaser, "Archive", {"date": "2026-07-02"}, "p1")

    # p2: a plan sent back.
    plan("p2", "2", agency_code=None, rationale=False)
    act(
        admin,
        "RejectPlan",
        {"date": "2026-03-03", "reason": p.text("RJ", 20_000, lines=True)},
        "p2",
    )

    # p3: single source, then terminated.
    plan("p3", "3", method="single_source", agency_code=None)
    act(admin, "ApprovePlan", {"date": "2026-03-03"}, "p3")
    act(admin, "ApproveMethod", {"date": "2026-03-03"}, "p3")
    tender(purchaser, "p3", "3", supplier="kangtai", reason=p.text("SS", 20_000, lines=True))
    act(
        purchaser,
        "Terminate",
        {"date": "2026-04-20", "reason": p.text("TM", 20_000, lines=True)},
        "p3",
    )

    # p4: an open tender that failed.
    plan("p4", "4", agency_code=None, rationale=False)
    act(admin, "ApprovePlan", {"date": "2026-03-03"}, "p4")
    act(admin, "ApproveMethod", {"date": "2026-03-03"}, "p4")
    tender(purchaser, "p4", "4", bid_deadline="2026-05-06", bid_deadline_time="09:30",
           place=p.text("PL4", 200))
    act(
        purchaser,
        "DeclareFailure",
        {"date": "2026-05-07", "reason": p.text("FL", 20_000, lines=True)},
        "p4",
    )
    county.last = ledger.reader.size() - 1
    return county


@dataclass
class Site:
    url: str
    county: County


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("xss")
    url = parse_database_url(f"sqlite:///{tmp / 'ledger.db'}")
    ledger = Ledger(make_config(url, tmp, inline_integration=True))
    try:
        county = record(ledger)
    finally:
        ledger.close()
    server = start_server(url, tmp)
    try:
        # The last leaf is a notice: once its page is there, the projection has every leaf.
        assert county.notices[-1] == county.last
        last = f"{server.url}/announcements/{county.last}"
        eventually(
            lambda: httpx.get(last, verify=TLS).status_code == 200, server.process, every=0.2
        )
        yield Site(server.url, county)
    finally:
        server.stop()


# -- what a page must (not) contain ----------------------------------------------------------

INSPECT = """() => {
  const all = [...document.querySelectorAll('*')];
  const attr = (e, n) => (e.getAttribute(n) || '').trim().toLowerCase();
  return {
    pwned: typeof window.__pwned,
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
                                               .map(a => `${e.tagName}[${a.name}]`)),
    jsUrls: all.filter(e => ['href', 'src', 'action', 'formaction', 'xlink:href', 'data']
                                .some(n => attr(e, n).startsWith('javascript:')))
               .map(e => e.outerHTML.slice(0, 80)),
    injected: [...document.querySelectorAll('iframe, object, embed, img[src="x"], svg')]
                .map(e => e.outerHTML.slice(0, 80)),
    scripts: [...document.scripts].map(s => s.src ? new URL(s.src).pathname : 'inline:' +
                                       s.textContent.slice(0, 60)),
    text: (document.body || document.documentElement).textContent,
    title: document.title,
  };
}"""


@dataclass
class Visit:
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)  # tags found, each literal


def check_literal(text: str, planted: dict[str, str], where: str, visit: Visit) -> None:
    """Every planted text the page shows is shown literally (possibly cut short with …)."""
    for tag, value in planted.items():
        start = text.find(marker(tag))
        while start >= 0:
            shown = text[start : start + len(value)]
            if shown != value:
                same = next(
                    (i for i, (a, b) in enumerate(zip(shown, value, strict=False)) if a != b),
                    len(shown),
                )
                cut = text[start + same : start + same + 1] in ("…", "...")
                if not (cut and same >= SHOWN_PREFIX):
                    visit.problems.append(
                        f"{where}: {marker(tag)} is shown altered at character {same}: "
                        f"{shown[max(0, same - 20) : same + 30]!r} instead of "
                        f"{value[max(0, same - 20) : same + 30]!r}"
                    )
            visit.shown.add(tag)
            start = text.find(marker(tag), start + 1)


def inspect(
    page: Any, where: str, planted: dict[str, str], visit: Visit, html: bool = True
) -> dict[str, Any]:
    """Nothing ran or was injected; in HTML, planted texts are shown literally.

    (A feed shown by the browser is its XML source, with the escapes visible: only
    ``html=False`` checks apply there; the feed test reads feeds as a feed reader does.)
    """
    page.wait_for_timeout(50)  # an injected image's onerror fires just after load
    found: dict[str, Any] = page.evaluate(INSPECT)
    if found["pwned"] != "undefined":
        visit.problems.append(f"{where}: window.__pwned is set: a payload executed")
    for kind in ("handlers", "jsUrls", "injected"):
        if found[kind]:
            visit.problems.append(f"{where}: {kind} {found[kind][:3]}")
    for script in found["scripts"]:
        if script.startswith("inline:") or not script.startswith("/static/"):
            visit.problems.append(f"{where}: unexpected script {script!r}")
    if html:
        check_literal(found["text"], planted, where, visit)
        check_literal(found["title"], planted, f"{where} <title>", visit)
    return found


def same_site_links(page: Any, base: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    out = []
    for href in hrefs:
        url, _ = urldefrag(urljoin(base, href))
        parsed = urlparse(url)
        if f"{parsed.scheme}://{parsed.netloc}" != base:
            continue
        if parsed.path.startswith(("/log/", "/static/", "/docs", "/openapi", "/redoc")):
            continue
        out.append(url)
    return out


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Visit]]:
    context = browser.new_context()
    tab = context.new_page()
    visit = Visit()

    def dialog(d: Any) -> None:
        visit.dialogs.append(f"{tab.url}: {d.type} {d.message!r}")
        d.dismiss()

    tab.on("dialog", dialog)
    tab.on("pageerror", lambda e: visit.problems.append(f"{tab.url}: page error {e}"))
    try:
        yield tab, visit
    finally:
        context.close()


def test_no_planted_text_executes_on_any_page(site: Site, page: tuple[Any, Visit]) -> None:
    tab, visit = page
    planted = site.county.planted
    title = planted["T1"]
    seeds = [
        "/",
        "/announcements",
        "/announcements?" + urlencode({"q": "<script>window.__pwned=1</script>"}),
        "/announcements?" + urlencode({"q": '"><svg onload=window.__pwned=1>'}),
        "/announcements?" + urlencode({"q": title[len(marker("T1")) : 60]}),
        "/announcements?" + urlencode({"region": planted["RG"]}),
        "/announcements?" + urlencode({"purchaser": "rmyy"}),
        "/announcements?" + urlencode({"region": "<script>alert(1)</script>"}),  # refused
        "/announcements?" + urlencode({"date_from": '"><svg onload=alert(1)>'}),
        "/announcements/" + quote("<script>alert(1)</script>", safe=""),
        "/procurements/" + quote('"><svg onload=alert(1)>', safe=""),
        *(f"/procurements/{code}" for code in ("p1", "p2", "p3", "p4")),
        *(f"/announcements/{index}" for index in site.county.notices),
        "/complaints",
        "/challenges/lookup",
    ]
    queue = deque(site.url + s for s in seeds)
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = tab.goto(url)
        assert response is not None, url
        assert response.status < 500, (url, response.status)
        html = "text/html" in response.headers.get("content-type", "")
        inspect(tab, url, planted, visit, html)
        if response.ok and html:
            queue.extend(u for u in same_site_links(tab, site.url) if u not in seen)
    assert len(seen) < MAX_PAGES, "the crawl did not finish: raise MAX_PAGES"

    # A search for the payload finds the notices that hold it, and echoes it as text only.
    tab.goto(site.url + "/announcements?" + urlencode({"q": "<script>window.__pwned=1</script>"}))
    assert tab.input_value('input[name="q"]') == "<script>window.__pwned=1</script>"
    assert tab.locator(f'a[href="/announcements/{site.county.notices[0]}"]').count() >= 1
    inspect(tab, "search", planted, visit)

    # Each challenge looked up with its code: grounds, answers, complaints and decisions.
    for number, code in site.county.challenges.items():
        tab.goto(site.url + "/challenges/lookup")
        tab.fill("#number", number)
        tab.fill("#code", code)
        with tab.expect_navigation():
            tab.click('form[action="/challenges/lookup"] button[type="submit"]')
        assert number in (tab.text_content("main") or ""), number
        inspect(tab, f"lookup {number}", planted, visit)
    # A payload typed into the lookup form is refused and not echoed as markup.
    tab.goto(site.url + "/challenges/lookup")
    tab.fill("#number", '"><svg onload=alert(1)>')
    tab.fill("#code", "<script>alert(1)</script>")
    with tab.expect_navigation():
        tab.click('form[action="/challenges/lookup"] button[type="submit"]')
    inspect(tab, "lookup refused", planted, visit)

    assert visit.dialogs == [], visit.dialogs
    assert visit.problems == [], "\n".join(visit.problems[:20])
    # Where the pages show them, these texts are shown, literally. The set is what a citizen
    # must be able to read; texts the pages choose not to show are still checked above.
    must_show = {"T1", "T2", "T3", "T4", "TR1", "QU1", "CT1", "PL", "CH", "SS", "TM", "FL",
                 "AR", "DC", "RG", "O1", "O2", "O3", "C1", "C2", "C3", "G1", "AN",
                 "BI1"}  # fmt: skip
    assert must_show <= visit.shown, f"never shown: {sorted(must_show - visit.shown)}"
    assert len(seen) > 20
    print(
        f"visited {len(seen)} pages; planted texts shown: {sorted(visit.shown)}; "
        f"never shown: {sorted(set(planted) - visit.shown)}"
    )


def test_every_announcement_with_planted_texts_verifies_green(
    site: Site, page: tuple[Any, Visit]
) -> None:
    # The verify panel compares each data-leaf text with the leaf: markup in the texts must
    # reach the page as the very same characters for it to turn green.
    tab, visit = page
    for index in site.county.notices:
        tab.goto(f"{site.url}/announcements/{index}")
        tab.click('[data-verify="button"]')
        panel = tab.wait_for_selector("[data-verify-panel].ok, [data-verify-panel].bad")
        message = tab.text_content('[data-verify="result"]') or ""
        assert "ok" in (panel.get_attribute("class") or "").split(), (index, message)
        inspect(tab, f"verified {index}", site.county.planted, visit)
    assert visit.dialogs == [] and visit.problems == [], visit.problems[:10]


def test_the_atom_feed_escapes_every_planted_text(site: Site, page: tuple[Any, Visit]) -> None:
    tab, visit = page
    planted = site.county.planted
    for query in ({}, {"region": planted["RG"]}, {"purchaser": "rmyy"}):
        url = f"{site.url}/feeds/announcements.atom" + (f"?{urlencode(query)}" if query else "")
        response = httpx.get(url, timeout=30, verify=TLS)
        assert response.status_code == 200, (url, response.text[:200])
        root = ET.fromstring(response.content)  # well-formed XML, whatever the texts
        entries = root.findall(f"{ATOM}entry")
        assert entries, url
        for entry in entries:
            title = entry.findtext(f"{ATOM}title") or ""
            check_literal(title, planted, f"feed title {title[:20]}", visit)
            # Feed readers render type="html" content as HTML: render it in the browser too.
            for name in ("content", "summary"):
                element = entry.find(f"{ATOM}{name}")
                if element is None or element.text is None:
                    continue
                if element.get("type") == "html":
                    tab.set_content(element.text)
                    inspect(tab, f"feed {name} of {title[:20]}", planted, visit)
                else:
                    check_literal(element.text, planted, f"feed {name}", visit)
        # The browser shows the feed itself without running anything in it.
        try:
            tab.goto(url)
        except Exception as error:  # a browser may offer a feed as a download instead
            assert "Download is starting" in str(error), error
        else:
            tab.wait_for_timeout(50)
            assert tab.evaluate("typeof window.__pwned") == "undefined"
    assert visit.dialogs == [] and visit.problems == [], visit.problems[:10]
    assert {"T1", "T3", "T4"} <= visit.shown
