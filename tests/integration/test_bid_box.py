"""The sealed bid box 电子投标箱 through the real ledger, on SQLite and PostgreSQL: before the
opening the public log shows neither who bids nor how many; the closing fixes the set; the
opening discloses all of it, and the verifier (and a supplier holding its receipt) catches an
opening that drops, alters or adds a bid (财政部令第87号 第二十八、三十三、三十四条)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import rfc8785
from conftest import Actor, World
from procurement_world import ANNOUNCEMENT, PLAN, County
from test_verifier_registry import Entry, entries, verify

from ledger import signing
from ledger.domain.bid_box import MIN_BUCKET, box_root
from ledger.domain.context import CHINA
from ledger.domain.errors import Conflict, Invalid, LedgerError
from ledger.domain.sealed import Disclosure, commitment_of, seal
from ledger.log.merkle import leaf_hash, verify_inclusion
from ledger.log.note import open_note, parse_checkpoint
from ledger.verify import Report, VerificationFailed
from ledger.verify_receipt import ReceiptProblem, check_bid_receipt


@pytest.fixture
def county(world: World) -> County:
    c = County(world)
    more = (("anxin", "北京安信医疗设备有限公司"), ("tongda", "山东通达医疗科技有限公司"))
    for org, name in more:
        c.suppliers.append(world.add(org, "supplier", f"{org}-op", name))
    return c


def refused(kind: type[LedgerError], call: Any, *args: Any, **kw: Any) -> LedgerError:
    with pytest.raises(kind) as caught:
        call(*args, **kw)
    return caught.value


def public_shape(c: County, since: int) -> list[tuple[str, tuple[str, ...], int]]:
    """Each public leaf from ``since`` on as a reader sees its shape: its type, its data's
    fields and its length, with what no two runs share (salts, times) left aside."""
    shapes = []
    for leaf in c.ledger.reader.entries(since, c.ledger.reader.size()):
        entry = orjson.loads(leaf)
        shapes.append((entry["type"], tuple(sorted(entry["data"])), len(entry["data"])))
    return shapes


def change(c: County, supplier: Actor, earlier: Any, **payload: Any) -> Any:
    """A change (a new price) or, with ``withdraw=True``, a withdrawal of an earlier bid."""
    sealed: dict[str, Disclosure] = {}
    body: dict[str, Any] = {"date": "2026-04-22", "supersedes": earlier.bid_receipt["commitment"]}
    if payload.pop("withdraw", False):
        body["withdraw"] = True
    else:
        body["price"] = signing.sealed_value(payload.pop("price"), sealed)
    return c.act(supplier, "SubmitBid", body | payload, sealed=sealed)


def test_one_bid_and_five_bids_look_alike_until_the_opening(county: County) -> None:
    c = county
    c.to_announced("p1")
    c.to_announced("p2")
    start = c.ledger.reader.size()
    c.bid(c.suppliers[0], "1790000.00", procurement="p1")
    c.act(c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"}, "p1")
    one = public_shape(c, start)
    start = c.ledger.reader.size()
    for n, supplier in enumerate(c.suppliers):
        c.bid(supplier, f"17{n}0000.00", procurement="p2")
    c.act(c.agency, "CloseBidBox", {"date": "2026-05-06", "time": "09:30"}, "p2")
    five = public_shape(c, start)
    # Each bid is one commitment leaf, indistinguishable; the closings are alike.
    assert set(five[:-1]) == {("BidCommitted", ("commitment",), 1)} == set(one[:-1])
    assert one[-1] == five[-1]
    closings = [orjson.loads(c.ledger.reader.entry(c.ledger.reader.size() - n)) for n in (1, 7)]
    assert [e["data"]["size"] for e in closings] == [16, 16]
    leaves = b"".join(c.ledger.reader.entries(0, c.ledger.reader.size()))
    for bid in c.ledger.reader.entries(0, c.ledger.reader.size()):
        entry = orjson.loads(bid)
        if entry["type"] == "BidCommitted":
            assert entry["command"]["procurement"] is None and entry["actor"] == "tbx-svc"
            names = ('"p1"', '"p2"', *(s.organisation for s in c.suppliers), "医疗")
            for secret in names:
                assert secret.encode() not in bid
    assert b"17" + b"00000.00" not in leaves  # no price either
    opened = c.act(c.agency, "OpenBids", {"date": "2026-05-06", "time": "09:30"}, "p2")
    data = c.leaf(opened)["data"]
    assert [b["supplier"] for b in data["bids"]] == [s.organisation for s in c.suppliers]
    assert [m["status"] for m in data["box"]].count("dummy") == 11
    verify(entries(c.world))


def test_changes_and_withdrawals_supersede_the_earlier_envelope(county: County) -> None:
    c = county
    c.to_announced()
    kangtai, xinda, huamei = c.suppliers[:3]
    first = c.bid(kangtai, "1790000.00")
    changed = change(c, kangtai, first, price="1750000.00")
    assert refused(Conflict, change, c, kangtai, first, price="1700000.00").code == (
        "not_superseded"  # the change must name the latest envelope
    )
    assert refused(Conflict, c.bid, kangtai, "1690000.00").code == "exists"
    theirs = c.bid(xinda, "1720000.00")
    assert refused(Conflict, change, c, huamei, theirs, price="1.00").code == "not_superseded"
    withdrawn = change(c, xinda, theirs, withdraw=True)
    assert refused(Invalid, change, c, xinda, withdrawn, withdraw=True, price="2.00")
    c.bid(huamei, "1805000.00")
    _, opened = c.world.close_and_open(c.agency, "2026-05-06")
    data = c.leaf(opened)["data"]
    assert [(b["supplier"], b["price"]["value"]) for b in data["bids"]] == [
        ("kangtai", "1750000.00"),
        ("huamei", "1805000.00"),
    ]
    statuses = {m["commitment"]: m["status"] for m in data["box"]}
    assert statuses[first.bid_receipt["commitment"]] == "superseded"
    assert statuses[changed.bid_receipt["commitment"]] == "bid"
    assert statuses[withdrawn.bid_receipt["commitment"]] == "withdrawn"
    report = verify_report(c)
    assert report.sealed_bids == (5, 0)
    message = check_bid_receipt(first.bid_receipt, report)
    assert "disclosed at its opening" in message


def verify_report(c: County, log: list[Entry] | None = None) -> Report:
    """The verifier's report of the county's log (or of ``log``, as an operator rewrote it)."""
    return verify(entries(c.world) if log is None else log)


def test_a_bid_after_the_deadline_minute_or_the_closing_is_refused(county: County) -> None:
    c = county
    today = datetime.now(UTC).astimezone(CHINA).date().isoformat()
    c.to_announced()
    c.act(c.agency, "CorrectAnnouncement", {"date": "2026-04-15", "changes": "截止时间变更",
                                            "bid_deadline": today, "bid_deadline_time": "00:00"})
    late = refused(Conflict, c.bid, c.suppliers[0], "1790000.00", on=today)
    assert "rule lifecycle.bid_deadline" in late.message and f"{today} 00:00" in late.message
    c.bid(c.suppliers[1], "1720000.00")  # dated before the deadline day: taken
    c.act(c.agency, "CloseBidBox", {"date": today})
    closed = refused(Conflict, c.bid, c.suppliers[2], "1805000.00", on=today)
    assert "投标箱已封存" in closed.message


def test_an_envelope_signed_after_a_live_deadline_is_refused_whatever_date_it_states(
    county: County,
) -> None:
    """The notice set the deadline before it passed, so the box is how bids come in: an
    envelope signed after the deadline is late even dated weeks before (87号令 第三十三条)."""
    c = county
    now = datetime.now(UTC)
    deadline = (now - timedelta(minutes=2)).astimezone(CHINA)
    notice = {"bid_deadline": deadline.date().isoformat(),
              "bid_deadline_time": deadline.strftime("%H:%M")}  # fmt: skip
    c.act(c.purchaser, "FilePlan", PLAN, "p1")
    # The notice signed four minutes ago (within the ledger's five), before its deadline.
    body = c.agency.body("AnnounceTender", ANNOUNCEMENT | notice, procurement="p1",
                         issued_at=now - timedelta(minutes=4))  # fmt: skip
    c.ledger.submit(body)
    late = refused(Conflict, c.bid, c.suppliers[0], "1790000.00", on="2026-04-20")
    assert "rule bid_box.signed_by_deadline" in late.message, late.message
    assert "已逾期，电子投标箱不予接收" in late.message and late.code == "lifecycle"
    obtained = {"date": "2026-04-20"}
    refused(Conflict, c.act, c.suppliers[1], "ObtainDocuments", obtained)


def test_bids_of_a_paper_tender_recorded_after_its_deadline_are_transcribed(
    county: County,
) -> None:
    """A deadline already past when its notice was recorded: the bids are transcribed from
    their paper receipts, by the day and minute these show."""
    c = county
    c.to_announced()  # the deadline, 2026-05-06 09:30, long past when recorded
    assert c.bid(c.suppliers[0], "1790000.00", on="2026-05-06", time="09:10").bid_receipt
    late = refused(Conflict, c.bid, c.suppliers[1], "1720000.00", on="2026-05-06", time="09:31")
    assert "rule lifecycle.bid_deadline" in late.message


def test_no_bid_is_taken_before_the_box_is_registered(world: World) -> None:
    purchaser = world.actors["rmyy-op"]
    world.submit(purchaser, "FilePlan", {"title": "彩超采购", "category": "goods",
                 "method": "open_tender", "budget": "100000.00", "date": "2026-03-02"}, "p1")
    world.submit(purchaser, "AnnounceTender", {
        "date": "2026-03-03", "requirement": "彩超一台", "qualifications": "无",
        "contact": "王", "bid_deadline": "2026-03-30", "bid_deadline_time": "09:30",
        "place": "开标室"}, "p1")  # fmt: skip
    sealed: dict[str, Disclosure] = {}
    payload = {"date": "2026-03-04", "price": signing.sealed_value("99000.00", sealed)}
    error = refused(Conflict, world.submit, world.actors["kangtai-op"], "SubmitBid", payload,
                    "p1", sealed)  # fmt: skip
    assert error.code == "no_bid_box" and "sunshine bid-box key" in error.message


def test_the_receipt_is_signed_and_proves_the_leaf(county: County) -> None:
    c = county
    c.to_announced()
    receipt = c.bid(c.suppliers[0], "1790000.00").bid_receipt
    assert receipt["procurement"] == "p1" and receipt["supplier"] == "kangtai"
    assert len(receipt["received_at"]) == len("2026-12-04 09:30")
    leaf = c.ledger.reader.entry(receipt["leaf_index"])
    assert base64.b64encode(leaf_hash(leaf)).decode() == receipt["leaf_hash"]
    checkpoint = parse_checkpoint(open_note(receipt["checkpoint"], [c.ledger.signer.verifier]))
    proof = [base64.b64decode(p) for p in receipt["proof"]]
    verify_inclusion(leaf_hash(leaf), receipt["leaf_index"], checkpoint.size, proof,
                     checkpoint.root)  # fmt: skip
    forged = {**receipt, "supplier": "xinda"}
    _, opened = c.world.close_and_open(c.agency, "2026-05-06")
    report = verify_report(c)
    with pytest.raises(ReceiptProblem, match="not signed"):
        check_bid_receipt(forged, report)
    assert "disclosed" in check_bid_receipt(receipt, report)
    assert c.leaf(opened)["data"]["bids"][0]["supplier"] == "kangtai"


# -- a dishonest operator ---------------------------------------------------------------------


def at(log: list[Entry], kind: str, procurement: str = "p1") -> int:
    return next(i for i, e in enumerate(log)
                if e["type"] == kind and e["command"]["procurement"] == procurement)  # fmt: skip


def resign(c: County, log: list[Entry], index: int, actor: Actor, **payload: Any) -> None:
    """Entry ``index`` as its command's signer would sign it again, with ``payload``."""
    entry = log[index]
    command = actor.command(entry["command"]["type"], {**entry["command"]["payload"], **payload},
                            procurement=entry["command"]["procurement"])  # fmt: skip
    signature = signing.sign(command, actor.key)["signature"]
    log[index] = {**entry, "command": command, "key": actor.key_id, "signature": signature}


def rebox(c: County, log: list[Entry], members: list[dict[str, Any]]) -> list[Entry]:
    """The log as an operator would rewrite p1's box: ``members`` closed and opened, the
    closing and the opening re-signed by the agency, the bids those members hold."""
    closing, opening = at(log, "BidBoxClosed"), at(log, "BidsOpened")
    members = sorted(members, key=lambda m: m["commitment"])
    resign(c, log, closing, c.agency)
    resign(c, log, opening, c.agency)
    root = box_root(m["commitment"] for m in members)
    log[closing]["data"] = {**log[closing]["data"], "root": root}
    suppliers = {json.loads(m["envelope"]["command"])["actor"].removesuffix("-op")
                 for m in members if m["status"] == "bid"}  # fmt: skip
    bids = [b for b in log[opening]["data"]["bids"] if b["supplier"] in suppliers]
    log[opening]["data"] = {**log[opening]["data"], "box": members, "bids": bids}
    return log


def padding(count: int) -> list[dict[str, Any]]:
    made = []
    for _ in range(count):
        commitment, disclosure = seal(None)
        made.append({"commitment": commitment["commitment"], "salt": disclosure.salt_b64,
                     "status": "dummy"})  # fmt: skip
    return made


def three_bids(c: County) -> list[Any]:
    c.to_announced()
    prices = ("1690000.00", "1720000.00", "1805000.00")
    return [c.bid(s, p) for s, p in zip(c.suppliers[:3], prices, strict=True)]


def test_an_opening_that_drops_a_bid_fails_verification(county: County) -> None:
    c = county
    dropped, *kept = three_bids(c)
    c.world.close_and_open(c.agency, "2026-05-06")
    log = entries(c.world)
    honest = log[at(log, "BidsOpened")]["data"]["box"]
    keep = {r.bid_receipt["commitment"] for r in kept}
    members = [m for m in honest if m["commitment"] in keep] + padding(MIN_BUCKET - 2)
    rewritten = rebox(c, log, members)
    with pytest.raises(VerificationFailed, match="a bid was dropped") as failure:
        verify(rewritten)
    assert failure.value.index == dropped.events[0]["leaf_index"]


def test_a_receipt_proves_a_drop_the_log_alone_cannot_attribute(county: County) -> None:
    """With another box still open when the bid came in, the verifier cannot tell whose the
    unopened commitment is; the supplier's receipt can."""
    c = county
    c.to_announced("p2")  # open all along: the dropped bid might have been p2's
    dropped, *kept = three_bids(c)
    c.world.close_and_open(c.agency, "2026-05-06")
    log = entries(c.world)
    honest = log[at(log, "BidsOpened")]["data"]["box"]
    keep = {r.bid_receipt["commitment"] for r in kept}
    report = verify_report(c, rebox(c, log, [m for m in honest if m["commitment"] in keep]
                                    + padding(MIN_BUCKET - 2)))  # fmt: skip
    assert report.sealed_bids == (2, 1)
    with pytest.raises(ReceiptProblem, match="missing from the opening"):
        check_bid_receipt(dropped.bid_receipt, report)
    assert "disclosed at its opening" in check_bid_receipt(kept[0].bid_receipt, report)


def test_a_tampered_opening_fails_naming_its_entry(county: County) -> None:
    c = county
    three_bids(c)
    c.world.close_and_open(c.agency, "2026-05-06")
    honest = entries(c.world)
    opening = at(honest, "BidsOpened")

    def broken(log: list[Entry], message: str) -> None:
        with pytest.raises(VerificationFailed, match=message) as failure:
            verify(log)
        assert failure.value.index == opening

    log = json.loads(json.dumps(honest))
    log[opening]["data"]["box"][0]["salt"] = seal(None)[1].salt_b64
    broken(log, "does not open its commitment")
    log = json.loads(json.dumps(honest))
    member = next(m for m in log[opening]["data"]["box"] if m["envelope"])
    member["envelope"], member["status"] = None, "dummy"
    broken(log, "does not open its commitment")
    log = json.loads(json.dumps(honest))
    log[opening]["data"]["box"].pop()
    broken(log, "once each")
    # An envelope the supplier never signed, which the box committed to all the same.
    log = json.loads(json.dumps(honest))
    members = log[opening]["data"]["box"]
    member = next(m for m in members if m["envelope"])
    recommit(c, log, member, {**member["envelope"],
                              "signature": base64.b64encode(bytes(64)).decode()})  # fmt: skip
    broken(rebox(c, log, members), "signature does not verify")


def recommit(c: County, log: list[Entry], member: dict[str, Any], envelope: Any) -> None:
    """The log as an operator holding the box's key would rewrite it: ``member`` of an
    opening made to hold ``envelope``, under a fresh salt, and the ``BidCommitted`` leaf that
    took the member in re-signed by the box for the new commitment."""
    committed = next(i for i, e in enumerate(log) if e["type"] == "BidCommitted"
                     and e["data"]["commitment"] == member["commitment"])  # fmt: skip
    salt = seal(None)[1].salt_b64
    forged = commitment_of(envelope, base64.b64decode(salt))
    member.update(commitment=forged, salt=salt, envelope=envelope)
    box = signing.new_command("CommitBid", {"commitment": forged}, actor="tbx-svc",
                              key=c.ledger.bid_box.key)  # fmt: skip
    log[committed] = {**log[committed], "command": box, "data": {"commitment": forged},
                      "signature": signing.sign(box, c.ledger.bid_box.key)["signature"]}


def test_an_envelope_signed_after_a_live_deadline_fails_verification(county: County) -> None:
    """An operator who slips into a live box an envelope its supplier signed after the
    deadline (the ledger would refuse it: 87号令 第三十三条) is caught by the verifier, which
    names the opening, whatever date the envelope states."""
    c = county
    now = datetime.now(UTC)
    deadline = (now - timedelta(minutes=2)).astimezone(CHINA)
    day, minute = deadline.date().isoformat(), deadline.strftime("%H:%M")
    c.act(c.purchaser, "FilePlan", PLAN, "p1")
    # The notice signed four minutes ago, before its deadline: the box is live.
    c.ledger.submit(c.agency.body("AnnounceTender", ANNOUNCEMENT | {
        "bid_deadline": day, "bid_deadline_time": minute}, procurement="p1",
        issued_at=now - timedelta(minutes=4)))  # fmt: skip
    supplier = c.suppliers[0]
    sealed: dict[str, Disclosure] = {}
    signed = (now - timedelta(minutes=3)).astimezone(CHINA)
    payload = {"date": signed.date().isoformat(), "time": signed.strftime("%H:%M"),
               "price": signing.sealed_value("1790000.00", sealed)}  # fmt: skip
    # Signed three minutes ago, a minute before the deadline: taken.
    c.ledger.submit(supplier.body("SubmitBid", payload, sealed, procurement="p1",
                                  issued_at=signed))  # fmt: skip
    closing = now.astimezone(CHINA)
    c.world.close_and_open(c.agency, closing.date().isoformat(), time=closing.strftime("%H:%M"))
    honest = entries(c.world)
    verify(honest)
    log = json.loads(json.dumps(honest))
    opening = at(log, "BidsOpened")
    members = log[opening]["data"]["box"]
    member = next(m for m in members if m["envelope"])
    command = json.loads(member["envelope"]["command"])
    late = {**command, "issued_at": now.isoformat().replace("+00:00", "Z"),
            "payload": {**command["payload"], "date": "2026-04-20", "time": "09:00"}}
    text = rfc8785.dumps(late)
    recommit(c, log, member, {"command": text.decode(),
                              "signature": base64.b64encode(supplier.key.sign(text)).decode()})
    with pytest.raises(VerificationFailed, match="signed after the deadline") as failure:
        verify(rebox(c, log, members))
    assert failure.value.index == opening
    assert f"{day} {minute}" in str(failure.value)
