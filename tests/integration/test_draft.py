"""A draft (``Ledger.draft``), on SQLite and PostgreSQL: the entries a command would record
and the findings they would carry, decided as ``submit`` decides and with nothing stored;
refused as ``submit`` refuses."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from conftest import Actor, World
from procurement_world import County

from ledger import signing
from ledger.domain.errors import FieldErrors, InvalidSignature, LedgerError

# Each test's county is a copy of one registered once per worker (conftest.py).
pytestmark = pytest.mark.world("county")


@pytest.fixture
def county(world: World) -> County:
    return County(world)


def unsigned(actor: Actor, kind: str, payload: dict[str, Any], procurement: str | None) -> bytes:
    """What the workbench's preview sends the ledger: the command, without a signature."""
    command = actor.command(kind, payload, procurement=procurement)
    return json.dumps({"command": command}, ensure_ascii=False).encode()


def size(county: County) -> int:
    return int(county.ledger.events.recorder.max_notification_id() or 0)


def awarded(c: County) -> None:
    c.to_evaluated()
    c.act(c.purchaser, "DecideAward",
          {"date": "2026-05-07", "supplier": "xinda", "amount": "1720000.00"})  # fmt: skip


def test_a_late_result_announcement_is_drafted_with_its_finding_and_then_recorded_so(
    county: County,
) -> None:
    c = county
    awarded(c)
    before = size(c)
    command = c.agency.command("AnnounceResult", {"date": "2026-05-13"}, procurement="p1")
    draft = c.ledger.draft(json.dumps({"command": command}).encode())

    assert size(c) == before, "a draft stores nothing"
    ((entry, finding),) = [(e, f) for e in draft.entries for f in e.findings]
    assert entry.type == "ResultAnnounced"
    assert finding.rule == "result_announced_after_award"
    assert finding.citation == "财政部令第87号 第六十九条"
    assert finding.deadline is not None and finding.deadline.isoformat() == "2026-05-09"
    # A draft again is the same draft: the first changed nothing the second reads.
    again = c.ledger.draft(json.dumps({"command": command}).encode())
    assert again.as_json() == draft.as_json()

    # The same command signed and submitted records exactly what was drafted.
    receipt = c.ledger.submit(json.dumps(signing.sign(command, c.agency.key)).encode())
    recorded = [
        orjson.loads(c.ledger.reader.entry(e["leaf_index"])) for e in receipt.events
    ]
    assert [
        {"stream": r["stream"], "version": r["version"], "type": r["type"], "data": r["data"]}
        for r in recorded
    ] == draft.as_json()["entries"]
    assert recorded[0]["data"]["findings"] == draft.as_json()["findings"]


def test_a_signed_draft_is_checked_like_a_submission(county: County) -> None:
    c = county
    awarded(c)
    command = c.agency.command("AnnounceResult", {"date": "2026-05-08"}, procurement="p1")
    signed = signing.sign(command, c.agency.key)
    draft = c.ledger.draft(json.dumps(signed).encode())
    assert [e.type for e in draft.entries] == ["ResultAnnounced"]
    assert draft.findings == []  # on time: nothing to warn of

    signed["command"] = dict(command, payload={"date": "2026-05-09"})  # changed after signing
    with pytest.raises(InvalidSignature):
        c.ledger.draft(json.dumps(signed).encode())


def test_a_draft_is_refused_as_submit_refuses_it(county: County) -> None:
    c = county
    awarded(c)
    before = size(c)
    # Every field error at once, in Chinese, as POST /commands lists them.
    with pytest.raises(FieldErrors) as bad:
        c.ledger.draft(unsigned(c.purchaser, "SignContract",
                                {"date": "5月20日", "amount": "一百万"}, "p1"))  # fmt: skip
    fields = {field for field, _ in bad.value.errors}
    assert {"payload.date", "payload.amount", "payload.contract_number"} <= fields
    # Who may act: a supplier announces no result; the same refusal, word for word.
    supplier = c.suppliers[0]
    drafted = _refusal(lambda: c.ledger.draft(
        unsigned(supplier, "AnnounceResult", {"date": "2026-05-08"}, "p1")))  # fmt: skip
    submitted = _refusal(lambda: c.ledger.submit(
        supplier.body("AnnounceResult", {"date": "2026-05-08"}, procurement="p1")))  # fmt: skip
    assert drafted["code"] == "forbidden" and drafted["status"] == 403
    assert drafted == submitted
    # A sealed value is read elsewhere, and recorded there: no draft of a read.
    read = _refusal(lambda: c.ledger.draft(
        unsigned(c.purchaser, "ReadSealed", {"commitment": "A" * 43 + "="}, None)))  # fmt: skip
    assert read["code"] == "wrong_route"
    assert size(c) == before


def _refusal(call: Any) -> dict[str, Any]:
    try:
        call()
    except LedgerError as error:
        return {"status": error.status, **error.as_json()}
    raise AssertionError("not refused")
