"""A procurement's history for a signed-in inspector over `sunshine serve`: every entry with
its inclusion proof and its sealed values (a value still sealed by its commitment alone, read
in the browser with a signed request the log records), the state as of any log size or
checkpoint, what changed between two points, and every open challenge and complaint against
its deadline."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import (
    TLS,
    Actor,
    Server,
    _url,
    eventually,
    hospital_world,
    make_config,
    start_server,
    sunshine,
)
from csp_watch import violations, watch_policy
from procurement_world import County
from supervision_client import read_refusal, sign_in, sign_in_in_browser

from ledger import signing
from ledger.application import Ledger
from ledger.calendar_files import build_calendar
from ledger.domain.context import china_day
from ledger.domain.sealed import Disclosure
from ledger.log.merkle import verify_inclusion
from ledger.log.note import parse_checkpoint
from ledger.store.url import DatabaseURL, parse_database_url

SEALED_PRICE = "888888.00"
IDENTITY = "13052119800101123X"
#: The other two bidders' representatives, as sealed as the first's.
IDENTITIES = (IDENTITY, "13052119850202234X", "130521199003033456")
#: Challenges on p2 filed on these days; a complaint follows the first, unanswered one.
FILED = {"ZY1": "2026-11-03", "ZY2": "2026-11-19", "ZY3": "2026-11-24", "ZY4": "2026-11-20"}


@dataclass
class Site:
    server: Server
    actors: dict[str, Actor]
    db: DatabaseURL
    data_dir: Path

    @property
    def url(self) -> str:
        return self.server.url


def build(url: DatabaseURL, data_dir: Path) -> dict[str, Actor]:
    """p1: announced, bid, opened, evaluated, awarded. p2: announced, sealed bids, four
    challenges (one answered) and a complaint, then its box closed and opened."""
    ledger = Ledger(make_config(url, data_dir, inline_integration=True))
    try:
        world = hospital_world(ledger)
        county = County(world)
        consent = {"by": "澄溪县卫生健康委员会", "reference": "澄卫函〔2026〕18号",
                   "reason": "设备技术复杂，随机抽取难以确定合适评审专家"}
        drawn = {"selection": "random"}
        county.to_evaluated(selections=({"selection": "chosen", "consent": consent}, drawn,
                                        drawn, drawn))  # fmt: skip
        award = {"date": "2026-05-08", "supplier": "xinda", "amount": "1720000.00"}
        county.act(county.purchaser, "DecideAward", award)
        county.act(county.agency, "AnnounceResult", {"date": "2026-05-11"})

        county.to_announced("p2", title="澄溪县人民医院病房护理床采购项目")
        for supplier, price, identity in zip(
            county.suppliers, (SEALED_PRICE, "900000.00", "900000.00"), IDENTITIES, strict=True
        ):
            sealed: dict[str, Disclosure] = {}
            payload = {
                "date": "2026-04-20",
                "price": signing.sealed_value(price, sealed),
                "representative_id": signing.sealed_value(identity, sealed),
            }
            county.act(supplier, "SubmitBid", payload, "p2", sealed=sealed)
        for (number, filed), supplier in zip(
            FILED.items(), [*county.suppliers, county.suppliers[0]], strict=True
        ):
            grounds = f"{number}：评分标准有倾向性。"
            challenge = {
                "date": filed,
                "subject": "documents",
                "grounds": grounds,
            }
            county.act(supplier, "FileChallenge", challenge, "p2")
        answer = {"challenge": "p2-ZY4", "date": "2026-11-24", "outcome": "rejected",
                  "answer": "评分标准符合规定。"}  # fmt: skip
        county.act(county.agency, "AnswerChallenge", answer, "p2")
        complaint = {"challenge": "p2-ZY1", "date": "2026-11-20", "grounds": "质疑逾期未答复。"}
        county.act(county.suppliers[0], "FileComplaint", complaint, "p2")
        world.close_and_open(county.agency, "2026-11-25", "p2")
        return {"admin": world.admin, **world.actors}
    finally:
        ledger.close()


def serve(url: DatabaseURL, data_dir: Path) -> Site:
    actors = build(url, data_dir)
    server = start_server(url, data_dir)

    def has_the_complaint() -> bool:
        if httpx.get(server.url + "/challenges/lookup", verify=TLS).status_code >= 500:
            return False
        with sign_in(server.url, actors["jw-op"]) as client:
            items = client.get("/supervision/deadlines?format=json").json().get("items", [])
            return any(i["kind"] == "complaint" for i in items)

    # The public projection follows the log in the background: wait until it has p2's complaint.
    try:
        eventually(has_the_complaint, server.process, every=0.2)
    except BaseException:
        server.stop()
        raise
    return Site(server, actors, url, data_dir)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("supervision-history")
    built = serve(parse_database_url(f"sqlite:///{data_dir / 'ledger.db'}"), data_dir)
    try:
        yield built
    finally:
        built.server.stop()


@pytest.fixture
def inspector(site: Site) -> Iterator[httpx.Client]:
    with sign_in(site.url, site.actors["jw-op"]) as client:
        yield client


def entries(client: httpx.Client, code: str, **query: Any) -> dict[str, Any]:
    got = client.get(f"/supervision/procurements/{code}", params={"format": "json", **query})
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def index_of(body: dict[str, Any], event: str) -> int:
    index: int = next(e["index"] for e in body["entries"] if e["event"] == event)
    return index


#: The sealed values of p2's first bid as any text could hold them before its opening.
UNDISCLOSED = (SEALED_PRICE, "888,888", "888888", IDENTITY)


def test_the_timeline_names_sealed_values_by_commitment_without_their_values(
    site: Site, inspector: httpx.Client
) -> None:
    got = inspector.get("/supervision/procurements/p2", params={"format": "json"})
    body = got.json()
    events = [e["event"] for e in body["entries"]]
    assert events[:5] == ["PlanFiled", "PlanApproved", "MethodApproved", "IntentionDisclosed",
                          "TenderAnnounced"]  # fmt: skip
    # The bids were in the sealed box until the opening: no entry of p2 held one.
    assert "ComplaintFiled" in events and events[-2:] == ["BidBoxClosed", "BidsOpened"]
    opening = body["entries"][-1]
    before = inspector.get("/supervision/procurements/p2",
                           params={"format": "json", "as_of": opening["index"]})  # fmt: skip
    early = inspector.get("/supervision/procurements/p2", params={"as_of": opening["index"]},
                          headers={"Accept": "text/html"})  # fmt: skip
    diff = inspector.get("/supervision/procurements/p2/diff",
                         params={"from": 1, "to": opening["index"]})  # fmt: skip
    assert before.status_code == early.status_code == diff.status_code == 200
    for text in UNDISCLOSED:
        assert text not in before.text and text not in early.text and text not in diff.text
    # The opening discloses each envelope: its prices public, its identity numbers sealed.
    sealed = {s["path"]: s for s in opening["sealed"]}
    prices = [s for path, s in sealed.items() if path.endswith(".price")]
    identities = [s for path, s in sealed.items() if path.endswith(".representative_id")]
    assert len(prices) == len(identities) == 3
    assert all(s["public"] and s["disclosed_at"] == opening["index"] for s in prices)
    assert SEALED_PRICE in {s["value"] for s in prices}
    for s in identities:
        assert s["label"] == "授权代表身份证号码" and s["kept"]
        assert s["value"] is None and not s["public"] and s["public_at"] is None
    page = inspector.get("/supervision/procurements/p2", headers={"Accept": "text/html"})
    for identity in IDENTITIES:
        assert identity not in got.text and identity not in page.text
    # The page names each by its commitment, and offers the recorded read.
    assert "永不公开" in page.text
    assert f'data-sealed="{identities[0]["commitment"]}"' in page.text
    button = '<button type="button" data-read-sealed>读取密封值（将记入日志）</button>'
    # The three identity numbers, and each challenge of p2 no complaint has disclosed.
    envelopes = [s for e in body["entries"] for s in e["sealed"] if s["path"] == "envelope"]
    assert {s["label"] for s in envelopes} == {"质疑供应商及理由（密封）"}
    assert any(s["public"] for s in envelopes) and not all(s["public"] for s in envelopes)
    still = [s for s in envelopes if not s["public"]]
    assert page.text.count(button) == 3 + len(still)
    assert "每读取一次，日志即增加一条“查阅密封信息”记录" in page.text
    assert '<script src="/static/sealed-read.js" type="module">' in page.text
    assert f'href="/log/entries/{opening["index"]}"' in page.text

    # The public sees no identity number, on the page or in the log.
    public = httpx.get(site.url + "/procurements/p2", verify=TLS)
    assert public.status_code == 200 and IDENTITY not in public.text
    leaf = httpx.get(f"{site.url}/log/entries/{opening['index']}", verify=TLS).text
    assert IDENTITY not in leaf and "888888.00" in leaf  # the price is disclosed

    # Every entry's inclusion proof checks against the signed checkpoint the view names.
    stamp = body["computed_at"]
    note = stamp["checkpoint"]["note"]
    checkpoint = parse_checkpoint(note[: note.rfind("\n\n") + 1])
    assert checkpoint.size == stamp["checkpoint"]["size"] >= stamp["log_size"]
    for entry in body["entries"]:
        verify_inclusion(
            base64.b64decode(entry["leaf_hash"]), entry["index"], checkpoint.size,
            [base64.b64decode(p) for p in entry["inclusion_proof"]], checkpoint.root,
        )  # fmt: skip
    assert page.headers["sunshine-checkpoint-size"] == str(checkpoint.size)
    assert "计算依据" in page.text and stamp["checkpoint"]["root"] in page.text


def log_size(site: Site) -> int:
    return int(httpx.get(site.url + "/log/checkpoint", verify=TLS).text.split("\n")[1])


def test_an_inspector_reads_a_sealed_price_in_the_browser_and_the_log_records_it(
    site: Site, inspector: httpx.Client, browser: Any, tmp_path: Path
) -> None:
    """Chromium signs a ReadSealed request with the inspector's key file (WebCrypto); the
    ledger records the read, then answers the value, which only then appears on the page."""
    jw, kangtai = site.actors["jw-op"], site.actors["kangtai-op"]
    signing.write_key(tmp_path / "jw-op.pem", jw.key)
    signing.write_key(tmp_path / "kangtai-op.pem", kangtai.key)
    opening = entries(inspector, "p2")["entries"][-1]
    commitments = [s["commitment"] for s in opening["sealed"]
                   if s["path"].endswith(".representative_id")]  # fmt: skip
    # Each bidder's identity number, sealed for good; the order of the box is the commitments'.
    first, identity, other = (f'[data-sealed="{c}"]' for c in commitments)
    context = browser.new_context()
    try:
        page = context.new_page()
        console = watch_policy(page)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in_in_browser(page, site.url, "jw-op", tmp_path / "jw-op.pem")
        seen = violations(page)
        page.goto(site.url + "/supervision/procurements/p2")
        assert all(text not in page.content() for text in IDENTITIES)
        # The reader is named as registered (测试人员 of 澄溪县纪委监委), never by actor code.
        reader = page.inner_text("#sealed-reader")
        assert "读取人 测试人员（澄溪县纪委监委）" in reader and "jw-op" not in reader
        size = log_size(site)

        # No key chosen yet, then another actor's key: refused in Chinese, nothing read.
        page.click(f"{first} [data-read-sealed]")
        assert "请先在上方选择您的签名密钥文件" in read_refusal(page, first)
        page.set_input_files("#read-key-file", str(tmp_path / "kangtai-op.pem"))
        page.click(f"{first} [data-read-sealed]")
        assert "所选密钥不是 测试人员（澄溪县纪委监委） 的登记密钥" in read_refusal(page, first)
        assert log_size(site) == size and all(t not in page.content() for t in IDENTITIES)

        # The inspector's own key: the read is recorded, then the identity number shown.
        page.set_input_files("#read-key-file", str(tmp_path / "jw-op.pem"))
        page.click(f"{first} [data-read-sealed]")
        shown = page.wait_for_selector(f"{first} [data-read-value]").inner_text()
        assert shown in IDENTITIES and log_size(site) == size + 1
        leaf = httpx.get(f"{site.url}/log/entries/{size}", verify=TLS).content
        entry = orjson.loads(leaf)
        assert (entry["type"], entry["actor"]) == ("SealedValueRead", "jw-op")
        assert entry["data"] == {"commitment": commitments[0], "procurement": "p2",
                                 "reader": "jw-op", "organisation": "qhx-jw"}  # fmt: skip
        assert shown.encode() not in leaf
        recorded = page.inner_text(f"{first} [data-read-entry]")
        assert f"本次读取已记入日志第 {size} 条" in recorded
        assert page.query_selector(f"{first} [data-read-sealed]") is None  # read once

        # The key stays in the page's memory: the next value needs no second choice.
        page.click(f"{identity} [data-read-sealed]")
        second = page.wait_for_selector(f"{identity} [data-read-value]").inner_text()
        assert second in IDENTITIES and second != shown
        read = orjson.loads(httpx.get(f"{site.url}/log/entries/{size + 1}", verify=TLS).content)
        assert read["data"]["commitment"] == commitments[1]
        assert log_size(site) == size + 2

        # A request signed on a clock ten minutes slow is refused as expired, not read.
        page.clock.set_fixed_time(datetime.now(UTC) - timedelta(minutes=10))
        page.click(f"{other} [data-read-sealed]")
        assert "读取请求已过期" in read_refusal(page, other)
        assert log_size(site) == size + 2
        seen += violations(page)
        assert seen == [] and console == [] and errors == [], seen + console + errors
    finally:
        context.close()
    # The log with the reads in it verifies, reads and all.
    result = sunshine("verify", "--db", _url(site.db), "--jobs", "1", data_dir=site.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_disclosed_committee_says_how_each_expert_was_selected(
    inspector: httpx.Client,
) -> None:
    page = inspector.get("/supervision/procurements/p1", headers={"Accept": "text/html"}).text
    assert "王建国（评审专家，自行选定）、李秀英（评审专家，随机抽取）" in page
    assert "赵敏（采购人代表）" in page


def test_prices_appear_at_the_opening_that_discloses_them(inspector: httpx.Client) -> None:
    body = entries(inspector, "p1")
    opened = index_of(body, "BidsOpened")
    prices = [s for e in body["entries"] for s in e["sealed"] if s["path"].endswith("price")]
    assert len(prices) == 3 and all(s["disclosed_at"] == opened for s in prices)
    assert {s["value"] for s in prices} == {"1790000.00", "1720000.00", "1805000.00"}
    # As of before the opening the bids were in the sealed box: no entry holds one.
    before = entries(inspector, "p1", as_of=opened)
    assert not [s for e in before["entries"] for s in e["sealed"] if "price" in s["path"]]
    page = inspector.get(
        f"/supervision/procurements/p1?as_of={opened}", headers={"Accept": "text/html"}
    )
    assert "¥1,790,000.00" not in page.text
    assert "读取密封值" not in page.text  # nothing of p1 is still sealed


def test_the_state_as_of_a_size_before_the_award_differs_from_after(
    inspector: httpx.Client,
) -> None:
    award = index_of(entries(inspector, "p1"), "AwardDecided")
    before, after = entries(inspector, "p1", as_of=award), entries(inspector, "p1", as_of=award + 1)
    assert before["state"]["stage"] == "evaluated" and before["state"]["winner"] is None
    assert after["state"]["stage"] == "awarded" and after["state"]["winner"] == "xinda"
    assert after["state"]["award_amount"] == "1720000.00"
    assert [e["index"] for e in before["entries"]][-1] < award
    assert before["computed_at"]["log_size"] == award
    assert after["computed_at"]["log_size"] == award + 1

    # SQLite integrates every command at once: the award has a checkpoint of its own.
    signed = entries(inspector, "p1", checkpoint=award + 1)
    assert (
        signed["state"] == after["state"]
        and signed["computed_at"]["checkpoint"]["size"] == award + 1
    )
    page = inspector.get(
        f"/supervision/procurements/p1?as_of={award}", headers={"Accept": "text/html"}
    )
    assert f"截至日志前 <strong>{award}</strong> 条记录" in page.text and "已完成评审" in page.text


def test_the_diff_names_what_changed_between_the_announcement_and_the_award(
    inspector: httpx.Client,
) -> None:
    body = entries(inspector, "p1")
    tender, award = index_of(body, "TenderAnnounced"), index_of(body, "AwardDecided")
    got = inspector.get(
        "/supervision/procurements/p1/diff",
        params={"from": tender + 1, "to": award + 1, "format": "json"},
    )
    assert got.status_code == 200, got.text
    diff = got.json()
    assert [e["event"] for e in diff["entries"]] == [
        "BidBoxClosed", "BidsOpened", "EvaluationCompleted", "AwardDecided",
    ]  # fmt: skip
    changed = {c["field"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert changed["采购进度"] == ("已发布采购公告", "已确定中标（成交）供应商")
    assert changed["中标（成交）供应商"] == ("—", "云岭信达信息技术有限公司")
    assert changed["中标（成交）金额"] == ("—", "¥1,720,000.00")
    assert "项目名称" not in changed and diff["computed_at"]["log_size"] == award + 1

    page = inspector.get(
        f"/supervision/procurements/p1/diff?from={tender + 1}&to={award + 1}",
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 200
    for text in ("投标截止，投标箱封存", "开标", "完成评审", "确定中标（成交）供应商", "采购进度"):
        assert text in page.text


def expected_status(due: date, today: date) -> str:
    calendar = build_calendar(None)
    if today > due:
        return "overdue"
    return "due_soon" if calendar.working_days_between(today, due) <= 2 else "on_time"


def test_deadlines_of_open_challenges_and_complaints(inspector: httpx.Client) -> None:
    body = inspector.get("/supervision/deadlines?format=json").json()
    today = china_day(datetime.now(UTC))
    assert body["today"] == today.isoformat()
    items = {i["number"]: i for i in body["items"]}
    assert set(items) == {"p2-ZY1", "p2-ZY2", "p2-ZY3", "p2-TS1"}  # ZY4 was answered
    calendar = build_calendar(None)
    for n in ("ZY1", "ZY2", "ZY3"):
        item = items[f"p2-{n}"]
        due = calendar.add_working_days(date.fromisoformat(FILED[n]), 7).due
        assert item["due"] == due.isoformat() and item["kind"] == "challenge"
        assert item["status"] == expected_status(due, today), item
    assert items["p2-ZY1"]["status"] == "overdue"  # filed in early November, never answered
    assert items["p2-ZY3"]["status"] in ("due_soon", "on_time", "overdue")
    complaint = items["p2-TS1"]
    assert complaint["kind"] == "complaint" and complaint["due"] > "2026-12-31"
    assert complaint["provisional"] == (2027 not in calendar.known_years)

    overdue = inspector.get("/supervision/deadlines?status=overdue&format=json").json()["items"]
    assert overdue and all(i["status"] == "overdue" for i in overdue)
    complaints = inspector.get("/supervision/deadlines?kind=complaint&format=json").json()["items"]
    assert [i["number"] for i in complaints] == ["p2-TS1"]

    page = inspector.get("/supervision/deadlines", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "已逾期" in page.text and "p2-ZY1" in page.text
    assert "p2-ZY4" not in page.text and "计算依据" in page.text
    if complaint["provisional"]:
        assert "暂定" in page.text


@pytest.mark.parametrize(
    ("route", "status", "code"),
    [
        ("/supervision/procurements/p1?as_of=999999", 404, "beyond_log"),
        ("/supervision/procurements/p1?as_of=-1", 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=abc", 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=0", 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=1e3", 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=" + "9" * 40, 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=%EF%BC%91", 400, "bad_request"),  # a full-width 1
        ("/supervision/procurements/p1?as_of=3&as_of=4", 400, "bad_request"),
        ("/supervision/procurements/p1?as_of=3&checkpoint=3", 400, "bad_request"),
        ("/supervision/procurements/p1?checkpoint=1", 404, "no_checkpoint"),
        ("/supervision/procurements/p1?checkpoint=999999", 404, "beyond_log"),
        ("/supervision/procurements/p1?colour=red", 400, "unknown_parameter"),
        ("/supervision/procurements/p1?format=xml", 400, "bad_request"),
        ("/supervision/procurements/p1/diff?from=30&to=20", 400, "reversed_range"),
        ("/supervision/procurements/p1/diff?from=20&to=20", 400, "reversed_range"),
        ("/supervision/procurements/p1/diff?from=20", 400, "bad_request"),
        ("/supervision/procurements/p1/diff?from=1&to=999999", 404, "beyond_log"),
        ("/supervision/procurements/p1/diff?from=1&to=2&q=x", 400, "unknown_parameter"),
        ("/supervision/procurements/p9", 404, "not_found"),
        ("/supervision/procurements/%3Cscript%3Ealert(1)%3Cb%3E", 404, "not_found"),
        ("/supervision/procurements?code=%3Cb%3E", 400, "bad_request"),
        ("/supervision/deadlines?status=late", 400, "bad_request"),
        ("/supervision/deadlines?kind=appeal", 400, "bad_request"),
        ("/supervision/deadlines?date_from=2026-01-01", 400, "unknown_parameter"),
        ("/supervision?x=1", 400, "unknown_parameter"),
    ],
)
def test_bad_input_is_a_clear_4xx_without_data(
    inspector: httpx.Client, route: str, status: int, code: str
) -> None:
    got = inspector.get(route)
    assert got.status_code == status, got.text
    assert got.json()["code"] == code and got.json()["message_zh"]
    assert "澄溪县人民医院" not in got.text and SEALED_PRICE not in got.text
    page = inspector.get(route, headers={"Accept": "text/html"})
    assert page.status_code == status and 'lang="zh-CN"' in page.text
    assert "<script>alert" not in page.text and "<b>" not in page.text.split("<main", 1)[1]


def test_history_on_postgresql(pg_url: DatabaseURL, tmp_path: Path) -> None:
    built = serve(pg_url, tmp_path)
    try:
        with sign_in(built.url, built.actors["jw-op"]) as client:
            body = entries(client, "p1")
            award = index_of(body, "AwardDecided")
            assert entries(client, "p1", as_of=award)["state"]["winner"] is None
            assert entries(client, "p1", as_of=award + 1)["state"]["winner"] == "xinda"
            deadlines = client.get("/supervision/deadlines?format=json").json()["items"]
            assert {i["number"] for i in deadlines} == {"p2-ZY1", "p2-ZY2", "p2-ZY3", "p2-TS1"}
            assert orjson.loads(orjson.dumps(body))["computed_at"]["checkpoint"]["note"]
    finally:
        built.server.stop()
