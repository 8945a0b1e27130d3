"""我的回执: what the signed-in official's organisation has signed into the log, newest first.

Three sources, all limited to the organisation's own records:

* the public timeline's entries signed by any of its actors (``pub_timeline.actor``), their
  command read back from the leaf (its type, and when it was recorded);
* a supplier's envelopes in the sealed bid boxes (bids, changes, withdrawals, obtaining the
  documents), from the box's private index: the leaf the box recorded names no supplier, so
  only the supplier itself, signed in, sees which commitments are its own;
* a supplier's challenges, whose challenger is sealed: read one by one through the registry.

The registry's own commands (people, keys) are not listed here: an administrator sees them
under 人员与签名密钥.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ledger.domain.bid_box import SupplierEnvelope
from ledger.domain.context import CHINA
from ledger.domain.registry import Role
from ledger.ports import RegistryView
from projections.deps import Db, LogDep, RegistryDep, WorkbenchSessionsDep
from projections.supervision.checkpoint import consistent_read
from projections.workbench.auth import PATH, Official, WorkbenchRoute, require_official
from projections.workbench.forms import FORMS
from projections.workbench.routes import page, role_label

receipts = APIRouter(prefix=PATH, route_class=WorkbenchRoute, tags=["workbench"])

#: How many of the newest entries the page lists.
SHOWN: Final = 100

_SIGNED: Final = (
    "SELECT t.leaf_index, t.procurement, p.title FROM pub_timeline t "
    "LEFT JOIN pub_procurements p ON p.code = t.procurement "
    "WHERE t.actor IN ({}) ORDER BY t.leaf_index DESC LIMIT ?"
)
_CHALLENGES: Final = (
    "SELECT c.number, c.procurement, p.title, c.status, c.filed_leaf FROM pub_challenges c "
    "LEFT JOIN pub_procurements p ON p.code = c.procurement ORDER BY c.filed_leaf DESC"
)
_TITLES: Final = "SELECT code, title FROM pub_procurements WHERE code IN ({})"
_CHALLENGE_STATUS: Final = {"open": "待答复", "answered": "已答复", "withdrawn": "已撤回"}


@dataclass(frozen=True)
class Signed:
    """One thing the organisation signed, as the page lists it."""

    index: int | None  # the leaf; None while the log has not taken it in yet
    what: str  # 采购公告, 投标, 提出质疑 …
    procurement: str
    title: str
    when: str  # recorded, Beijing time to the minute
    commitment: str = ""  # a bid's: the receipt's commitment
    change: str = ""  # links that supersede a bid still in an open box
    withdraw: str = ""
    challenge: str = ""  # a challenge's number and how it stands
    status: str = ""

    @property
    def page(self) -> str:
        return f"/procurements/{self.procurement}" if self.procurement else "/"

    @property
    def verify(self) -> str:
        return f"/log/entries/{self.index}" if self.index is not None else self.page


def _what(kind: str) -> str:
    """A command type in Chinese: its form's heading without who records it."""
    heading = (FORMS.get(kind, kind).strip().splitlines() or [kind])[0]
    return re.split("[（。]", heading, maxsplit=1)[0].strip() or kind


def _beijing(recorded_at: str) -> str:
    moment = datetime.fromisoformat(recorded_at.replace("Z", "+00:00")).astimezone(CHINA)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def _leaves(log: Any, indices: list[int]) -> dict[int, dict[str, Any]]:
    """Each leaf's signed command type and time of recording."""
    found: dict[int, dict[str, Any]] = {}
    for index, raw in log.reader.entries_at(indices).items():
        leaf = orjson.loads(raw)
        command = leaf["command"]
        found[index] = {"type": command.get("type", leaf["type"]),
                        "when": _beijing(leaf["recorded_at"])}  # fmt: skip
    return found


def _envelopes(
    envelopes: list[SupplierEnvelope], leaves: dict[str, int], titles: dict[str, str]
) -> list[Signed]:
    superseded = {(e.procurement, e.entry.supersedes) for e in envelopes if e.entry.supersedes}
    rows = []
    for e in envelopes:
        entry = e.entry
        what = ("获取采购文件" if entry.obtained else "撤回投标" if entry.withdrawn
                else "修改投标" if entry.supersedes else "投标")  # fmt: skip
        change = withdraw = ""
        live = not (e.closed or entry.obtained or entry.withdrawn)
        if live and (e.procurement, entry.commitment) not in superseded:
            query = {"procurement": e.procurement, "supersedes": entry.commitment}
            change = "/workbench/forms/SubmitBid?" + urlencode(query)
            withdraw = "/workbench/forms/SubmitBid?" + urlencode(query | {"withdraw": "true"})
        rows.append(Signed(leaves.get(entry.commitment), what, e.procurement,
                           titles.get(e.procurement, e.procurement), "", entry.commitment,
                           change, withdraw))  # fmt: skip
    return rows


def signed_by(official: Official, db: Any, log: Any, registry: RegistryView) -> list[Signed]:
    """What the official's organisation signed, newest first (at most ``SHOWN``)."""
    organisation = official.organisation
    actors = [c.code for c in registry.staff(organisation)] or [official.actor]
    supplier = official.role == Role.SUPPLIER.value
    with consistent_read(db) as cur:
        marks = ",".join("?" for _ in actors)
        signed = cur.execute(_SIGNED.format(marks), (*actors, SHOWN)).fetchall()
        challenges = cur.execute(_CHALLENGES).fetchall() if supplier else []
    envelopes = registry.envelopes_of(organisation)[:SHOWN] if supplier else []
    codes = sorted({e.procurement for e in envelopes})
    titles: dict[str, str] = {}
    if codes:
        with consistent_read(db) as cur:
            marks = ",".join("?" for _ in codes)
            found = cur.execute(_TITLES.format(marks), codes).fetchall()
        titles = {str(c): str(t) for c, t in found}
    committed = registry.committed_leaves({e.entry.commitment for e in envelopes})
    rows = [Signed(int(i), "", str(p), str(t or p), "") for i, p, t in signed]
    rows += _envelopes(envelopes, committed, titles)
    rows += [
        Signed(int(leaf), _what("FileChallenge"), str(p), str(t or p), "", challenge=str(n),
               status=_CHALLENGE_STATUS.get(str(s), str(s)))
        for n, p, t, s, leaf in challenges if registry.challenger(str(n)) == organisation
    ]  # fmt: skip
    rows.sort(key=lambda r: float("inf") if r.index is None else r.index, reverse=True)
    rows = rows[:SHOWN]
    leaves = _leaves(log, [r.index for r in rows if r.index is not None])
    out = []
    for row in rows:
        leaf = leaves.get(row.index) if row.index is not None else None
        what = row.what or (_what(leaf["type"]) if leaf else "")
        out.append(Signed(row.index, what, row.procurement, row.title,
                          leaf["when"] if leaf else "", row.commitment, row.change,
                          row.withdraw, row.challenge, row.status))  # fmt: skip
    return out


@receipts.get("/receipts", include_in_schema=False)
def my_receipts(
    request: Request, sessions: WorkbenchSessionsDep, registry: RegistryDep, db: Db,
    log: LogDep,
) -> Response:  # fmt: skip
    official = require_official(request, sessions, registry)
    organisation = registry.organisation(official.organisation)
    return page(request, "workbench/receipts.html", official=official,
                role=role_label(official), rows=signed_by(official, db, log, registry),
                organisation=organisation.name if organisation else official.organisation,
                supplier=official.role == Role.SUPPLIER.value, shown=SHOWN)  # fmt: skip
