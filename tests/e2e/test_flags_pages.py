"""The red-flag pages against `sunshine serve` on the demo year: an inspector sees the
year's irregularities flagged, each with its evidence — log entries that resolve, whose
inclusion proofs verify against the signed checkpoint the page states. A supplier is
refused, and bad filters are a clear 4xx."""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TLS, Actor, DemoLedger, Server, copy_demo, eventually, start_server
from supervision_client import sign_in

from demo.builder import ADMIN, ORGANISATIONS
from demo.twists import Twist
from demo.year import END, DemoYear
from ledger import signing
from ledger.log.merkle import verify_inclusion
from ledger.log.note import open_note, parse_checkpoint, parse_verifier_key
from ledger.store.sql import SQLiteDatabase
from ledger.store.url import DatabaseURL
from projections.flags import queries as q

T = Twist
#: The flag each irregular twist of the demo year raises on its procurement (splitting is
#: raised on the purchaser's group of plans).
EXPECTED: dict[Twist, str] = {
    T.FILE_LATER: "procure_first_file_later",
    T.SUSPENDED_CONTRACT: "irregular_procedure",
    T.CONTRACT_BEFORE_RESULT: "late_or_missing_notice",
    T.SKIP_INTENTION: "late_or_missing_notice",
    T.SHORT_INTENTION: "late_or_missing_notice",
    T.SHORT_TENDER: "short_submission_period",
    T.SHORT_NEGOTIATION: "short_submission_period",
    T.SHORT_CONSULTATION: "short_submission_period",
    T.SHORT_SINGLE_SOURCE: "late_or_missing_notice",
    T.LATE_RESULT: "late_or_missing_notice",
    T.LATE_CONTRACT: "late_or_missing_notice",
    T.LATE_CONTRACT_NOTICE: "late_or_missing_notice",
    T.LATE_CHALLENGE: "late_or_missing_notice",
    T.LATE_ANSWER: "challenge_unanswered_in_time",
    T.LATE_COMPLAINT: "late_or_missing_notice",
    T.LATE_DECISION: "complaint_overdue",
    T.FEW_BIDDERS: "fewer_than_three_bidders",
    T.UNANSWERED: "challenge_unanswered_in_time",
    T.DESIGNATED_BRAND: "designated_brand",
    T.SINGLE_BID: "single_bid",
    T.LOW_BID: "abnormally_low_winner",
    T.OVER_BUDGET: "irregular_procedure",
    T.CONTRACT_DIFFERS: "irregular_procedure",
    T.AFTER_FAILURE: "failed_then_non_competitive",
    T.UNBUDGETED: "unbudgeted",
    T.EXPERTS_CHOSEN_UNAPPROVED: "expert_not_drawn",
    T.NO_TESTING_BODY: "no_testing_body",
    # the flag cases after the catalogue (demo.catalogue.FLAG_CASES)
    T.SLOW_AWARD: "slow_award",
    T.NO_ACCEPTANCE: "no_acceptance",
    T.SMALL_COMMITTEE: "undersized_committee",
    T.OUT_OF_ORDER: "award_not_top_ranked",
    T.DEBARRED_BIDDER: "debarred_supplier",
    T.SHARED_TELEPHONE: "shared_contact",
    T.NO_RATIONALE: "non_open_without_rationale",
    T.SOLE_VALID: "all_but_winner_disqualified",
}


#: Flags the year's random draw may raise on an honest procurement (prices and bids are
#: drawn: two equal prices, an award near the budget, the lowest bid disqualified, a
#: purchaser's three awards to one supplier). Every other kind is raised only by a twist.
DRAWN = {
    "award_close_to_budget",
    "identical_bid_prices",
    "lowest_bid_disqualified",
    "repeated_winner",
    "runner_up_close",  # Cardinal R024: honest prices land within 0.5% now and then
    # the last bid in wins about one time in n: the year's draw has it on several
    "late_bid_won",
}
#: Flags a twist raises besides its own.
ALSO: dict[Twist, set[str]] = {
    # (cg-ld's consultation, never approved until after its contract, is below the
    # open-tender threshold: its method needed no approval, 政府采购法 第二十七条)
    T.SINGLE_BID: {"single_bidder"},
    # the low bid is about 62% of the budget, which is its 最高限价 (Cardinal R058)
    T.LOW_BID: {"deep_discount"},
    # one of its three bids invalid: a third (Cardinal R038)
    T.FEW_BIDDERS: {"many_disqualified"},
    # The designated brand asks the maker's authorisation (原厂授权书) for goods not imported:
    # a discriminatory qualification too (财政部令第87号 第十七条).
    T.DESIGNATED_BRAND: {"discriminatory_qualification"},
    # two of its three bids invalid: one valid bidder left, two thirds invalid
    T.SOLE_VALID: {"single_bidder", "many_disqualified"},
}
#: 框架协议外采购 on the demo's own data: the demo gives every goods item of a sector one
#: 品目 code (A02010104 for IT, A05010000 for office goods), so these purchases by other
#: methods list the code of a framework agreement of the county in its term.
OUTSIDE_FRAMEWORK = {"zf-jj", "yj-wz", "yz-cj", "mz-yz", "jyj-jsj3", "rs-sbk", "xx-af", "wg-wt",
                     "ga-xh"}


@dataclass
class Site:
    server: Server
    year: DemoYear
    inspector: Actor
    supplier: Actor
    db: DatabaseURL

    @property
    def url(self) -> str:
        return self.server.url


def demo_actor(keys: Path, code: str, organisation: str, role: str) -> Actor:
    return Actor(code, organisation, role, signing.read_key(keys / f"{code}.pem"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Site]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("flags-demo"))
    data, url, size = copy.data, copy.url, copy.summary.size
    year = DemoYear({code: name for code, name, _ in ORGANISATIONS}, ADMIN)
    year.plan()
    server = start_server(url, data)
    try:
        keys = data / "demo-keys"
        s = Site(
            server,
            year,
            demo_actor(keys, "qhx-jw-op", "qhx-jw", "inspector"),
            demo_actor(keys, "hb-kangtai-op", "hb-kangtai", "supplier"),
            url,
        )
        with sign_in(s.url, s.inspector) as client:

            def projected() -> bool:  # the server projects the year in the background
                got = client.get("/supervision/flags", params={"format": "json"})
                return got.status_code == 200 and got.json()["computed_at"]["log_size"] == size

            eventually(projected, server.process, every=0.2)
        yield s
    finally:
        server.stop()


@pytest.fixture
def inspector(site: Site) -> Iterator[httpx.Client]:
    with sign_in(site.url, site.inspector) as client:
        yield client


def every_flag(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    flags, page = [], 1
    while True:
        body = client.get(
            "/supervision/flags", params={**params, "format": "json", "page": str(page)}
        ).json()
        flags += body["flags"]
        if page >= body["pages"]:
            return flags
        page += 1


def test_the_inspector_sees_each_irregularity_of_the_year_flagged(
    site: Site, inspector: httpx.Client
) -> None:
    flags = every_flag(inspector)
    kinds: dict[str, set[str]] = defaultdict(set)
    for flag in flags:
        kinds[flag["procurement"] or flag["purchaser"]].add(flag["kind"])
    for code, twists in site.year.twists.items():
        for twist in twists & EXPECTED.keys():
            assert EXPECTED[twist] in kinds[code], (code, twist, kinds[code])
    (split,) = [f for f in flags if f["kind"] == "splitting"]
    codes = {site.year.codes[k] for k in ("jyj-jsj1", "jyj-jsj2", "jyj-jsj3")}
    assert split["purchaser"] == "qhx-jyj" and split["details"]["pieces"] == 3
    detail = inspector.get(f"/supervision/flags/{split['id']}", params={"format": "json"}).json()
    assert {e["procurement"] for e in detail["evidence"]} == codes
    # The cg-ld contract came before its consultation was approved, but 96万元 is below the
    # open-tender threshold: its method needed no approval (政府采购法 第二十七条).
    assert "non_open_without_rationale" not in kinds[site.year.codes["cg-ld"]]
    # The drawn runner-up within 0.5% of a winner shows both prices on its page.
    close = [f for f in flags if f["kind"] == "runner_up_close"]
    assert close, "the year's prices put no runner-up close to a winner"
    page = inspector.get(close[0]["url"], headers={"accept": "text/html"}).text
    assert "第二名报价" in page and "万元" in page
    # An expert seated by the draw on three committees awarding one supplier: the page names
    # the expert, and its evidence is the result notices of those procurements.
    recurring = [f for f in flags if f["kind"] == "recurring_expert"]
    assert recurring, "the year's draw seats no expert thrice with one winner"
    first = recurring[0]
    detail = inspector.get(first["url"], params={"format": "json"}).json()
    assert {e["procurement"] for e in detail["evidence"]} == set(first["details"]["procurements"])
    page = inspector.get(first["url"], headers={"accept": "text/html"}).text
    assert first["details"]["expert_name"] in page and "评审专家" in page
    # Two experts chosen by the purchaser with no consent: the page lists every member with
    # how they came to sit; the honest twin, chosen with consent, raises nothing.
    (chosen,) = [f for f in flags if f["kind"] == "expert_not_drawn"]
    assert chosen["procurement"] == site.year.codes["rmyy-hc"]
    page = inspector.get(chosen["url"], headers={"accept": "text/html"}).text
    assert "自行选定（未记录主管预算单位同意）" in page and "随机抽取" in page
    assert "expert_not_drawn" not in kinds[site.year.codes["rmyy-dr"]]
    # The large works accepted without a 检测机构; the county's other large contracts had one.
    (untested,) = [f for f in flags if f["kind"] == "no_testing_body"]
    assert untested["procurement"] == site.year.codes["jt-gd"]
    # A purchase beside a framework agreement shows the agreement's item and term.
    outside = [f for f in flags if f["kind"] == "outside_framework"]
    page = inspector.get(outside[0]["url"], headers={"accept": "text/html"}).text
    assert "框架协议" in page and "有效期" in page and "品目" in page
    # The plan filed without its 预算项目 shows on its page what it names of its money.
    (unbudgeted,) = [f for f in flags if f["kind"] == "unbudgeted"]
    assert unbudgeted["procurement"] == site.year.codes["cg-bgl"]
    page = inspector.get(unbudgeted["url"], headers={"accept": "text/html"}).text
    assert "未列入预算的采购" in page and "一般公共预算资金" in page and "未载明" in page


def test_flags_are_raised_where_intended_and_nowhere_else(site: Site) -> None:
    # On the year's last day (the demo stops there: later, what is in progress falls due).
    db = SQLiteDatabase(site.db)
    try:
        with db.read() as cur:
            flags, page = [], 1
            while batch := q.list_flags(cur, q.Filters(), END, page):
                flags += batch
                page += 1
    finally:
        db.close()
    framework_coded = {site.year.codes[key] for key in OUTSIDE_FRAMEWORK}
    raised: dict[str, set[str]] = defaultdict(set)
    for flag in flags:
        if flag.kind not in DRAWN and flag.procurement:
            raised[flag.procurement].add(flag.kind)
    for code in site.year.twists.keys() | raised.keys():
        twists = site.year.twists.get(code, frozenset())
        wanted = {EXPECTED[t] for t in twists if t in EXPECTED}
        wanted |= {kind for t in twists for kind in ALSO.get(t, ())}
        wanted |= {"outside_framework"} if code in framework_coded else set()
        assert raised.get(code, set()) == wanted, (code, sorted(twists))
    groups = {f.kind for f in flags if not f.procurement}
    # recurring_expert is drawn too: sixteen experts drawn four to a tender, and suppliers
    # winning often, seat one expert on three committees awarding one supplier now and then.
    assert "splitting" in groups <= {"splitting", "repeated_winner", "single_source_overuse",
                                     "recurring_expert", "winner_across_categories"}
    # Raised on a supplier or a purchaser, each by its flag cases and nothing else.
    (across,) = [f for f in flags if f.kind == "winner_across_categories"]
    assert across.subject == "hb-jiuding:2026"
    assert set(across.details["by_section"]) == {"A02", "B08", "C16"}
    assert {code for codes in across.details["by_section"].values() for code in codes} == {
        code for code, twists in site.year.twists.items() if T.ACROSS_CATEGORIES in twists}
    (overuse,) = [f for f in flags if f.kind == "single_source_overuse"]
    assert overuse.purchaser == "qhx-rsj"


def test_the_list_page_is_in_chinese_and_states_its_checkpoint(inspector: httpx.Client) -> None:
    page = inspector.get("/supervision/flags", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    for label in ("风险预警", "化整为零", "指定品牌", "先采购后备案", "计算依据", "签名检查点"):
        assert label in text
    assert page.headers["sunshine-checkpoint-size"]
    brand = inspector.get(
        "/supervision/flags", params={"kind": "designated_brand"}, headers={"accept": "text/html"}
    )
    assert "西门子" in brand.text
    rows = brand.text.count('href="/supervision/flags/')
    assert rows == brand.text.count('href="/supervision/flags/designated_brand:') == 1


def test_evidence_entries_resolve_and_their_proofs_verify(
    site: Site, inspector: httpx.Client
) -> None:
    verifier = parse_verifier_key(httpx.get(site.url + "/log/key", verify=TLS).text.strip())
    flags = every_flag(inspector)
    one_per_kind = {f["kind"]: f for f in flags}
    assert len(one_per_kind) >= 14
    for flag in one_per_kind.values():
        body = inspector.get(flag["url"], params={"format": "json"}).json()
        stamp = body["computed_at"]["checkpoint"]
        checkpoint = parse_checkpoint(open_note(stamp["note"], [verifier]))
        assert checkpoint.size == stamp["size"]
        assert body["evidence"], flag["id"]
        for entry in body["evidence"]:
            leaf = httpx.get(site.url + entry["entry_url"], verify=TLS).content
            leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
            assert base64.b64encode(leaf_hash).decode() == entry["leaf_hash"]
            served = httpx.get(site.url + entry["proof_url"], verify=TLS).json()
            proof = [base64.b64decode(h) for h in served["proof"]]
            assert served["proof"] == entry["inclusion_proof"]
            verify_inclusion(
                leaf_hash, entry["leaf_index"], checkpoint.size, proof, checkpoint.root
            )
    # The page of a flag links each entry and its proof.
    flag = one_per_kind["designated_brand"]
    page = inspector.get(flag["url"], headers={"accept": "text/html"}).text
    assert f'href="/log/entries/{flag["raised_leaf"]}"' in page
    assert "/log/proof/inclusion?index=" in page and "包含证明" in page


def test_a_supplier_and_the_public_are_refused(site: Site, inspector: httpx.Client) -> None:
    flag = every_flag(inspector, kind="single_bid")[0]
    with sign_in(site.url, site.inspector) as client:
        client.cookies.clear()
        for path in ("/supervision/flags", flag["url"]):
            refused = client.get(path)
            assert refused.status_code == 401 and "flags" not in refused.text
    from supervision_client import session

    answer = session(site.url, site.supplier)  # a supplier cannot even sign in
    assert answer.status_code == 403
    assert flag["summary"] not in answer.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"kind": "nonsense"}, 400),
        ({"colour": "red"}, 400),
        ({"date_from": "2026-06-01", "date_to": "2026-01-01"}, 400),
        ({"date_from": "1990-01-01", "date_to": "2199-12-31"}, 400),
        ({"date_from": "2026-02-30"}, 400),
        ({"purchaser": "nobody"}, 400),
        ({"purchaser": "x' OR 1=1 --"}, 400),
        ({"page": "-1"}, 400),
        ({"page": "9999"}, 404),
        ({"format": "xml"}, 400),
    ],
)
def test_bad_filters_are_refused(
    inspector: httpx.Client, params: dict[str, str], status: int
) -> None:
    json_answer = inspector.get("/supervision/flags", params=params)
    assert json_answer.status_code == status
    assert "flags" not in json_answer.json()
    page = inspector.get("/supervision/flags", params=params, headers={"accept": "text/html"})
    assert page.status_code == status and "<table>" not in page.text


def test_an_unknown_flag_is_404(inspector: httpx.Client) -> None:
    for fid in ("designated_brand:nope", "../../log", "x" * 500):
        assert inspector.get(f"/supervision/flags/{fid}").status_code == 404
    extra = inspector.get("/supervision/flags/designated_brand:x", params={"a": "b"})
    assert extra.status_code == 400
