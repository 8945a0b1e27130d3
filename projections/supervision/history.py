# Over 400 lines by design: one view: the replay of one procurement at any size, its sealed values'
# states and its page and JSON forms.
"""A procurement's history for the inspector 采购项目全过程: every entry, any point, any change.

The entries of a procurement (its own stream, its challenges and complaints) are found
through the public projection's per-procurement timeline index, then read as the exact leaves
of the log: the signed command, the actor, the key, the signature, the data. A sealed value
in a command is shown by its commitment, whether the sealed store keeps it, and whether and
where the log has disclosed it publicly. Its value is shown only once disclosed, as the
disclosing leaf holds it: the view never opens the sealed store. An inspector reads a value
still sealed with a signed ``ReadSealed`` request (``POST /sealed/read``, the page's button),
which the ledger records in the log before it answers, so every such read is on the record.

The state of a procurement at a log size is a replay of its leaves below that size
(``replay``). It uses the event data alone, as the aggregate does, so it gives what the
ledger knew then. Two replays give the difference between two points (``changes``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from ledger.canonical import b64encode
from ledger.domain.committee import MEMBER_ROLES, SELECTIONS
from ledger.domain.lifecycle import Stage
from ledger.domain.record import ProcurementRecord, fold
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import EntryData
from ledger.domain.schema.entry import parse_data
from ledger.domain.schema.values import Finding
from ledger.domain.sealed import is_commitment
from ledger.log.reader import LogReader
from ledger.ports import Database, SealedValues
from projections.web.formats import category_label, chinese_date, method_label, yuan

#: What each sealed field is, and when the lifecycle discloses it publicly.
SEALED_LABELS: Final = {
    "price": ("投标报价", "开标时公开"),
    "committee": ("评审委员会名单", "结果公告时公开"),
    "representative_id": ("授权代表身份证号码", "永不公开"),
    # A challenge's sealed envelope: who challenged, and why (or why it was withdrawn).
    "envelope": ("质疑供应商及理由（密封）", "提起投诉时公开"),
}
PLAN_LABELS: Final = {
    "none": "未备案",
    "filed": "已备案待批复",
    "approved": "已批复",
    "rejected": "已退回",
}
CLOSED_LABELS: Final = {"failed": "已废标", "terminated": "已终止", "archived": "已归档"}
STATUS_LABELS: Final = {
    "open": "待处理",
    "answered": "已答复",
    "decided": "已作出处理决定",
    "withdrawn": "已撤回",
}


@dataclass(frozen=True)
class Sealed:
    """One sealed value in a signed command, as the inspector sees it: its value only once a
    leaf of the log has disclosed it publicly."""

    path: str  # where in the payload: price, committee, representative_id …
    commitment: str
    label: str
    rule: str  # when it is disclosed publicly, in Chinese
    kept: bool  # the sealed store holds a row for it
    public_at: int | None  # the leaf that disclosed it publicly, in the whole log so far
    disclosed_at: int | None  # the same leaf, when it lies within the view
    value: Any  # as that leaf disclosed it; None while the value is still sealed

    @property
    def readable(self) -> bool:
        """Still sealed and kept: read with a signed, recorded ``ReadSealed`` request."""
        return self.public_at is None and self.kept

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "commitment": self.commitment,
            "label": self.label,
            "rule": self.rule,
            "kept": self.kept,
            "disclosed_at": self.disclosed_at,
            "public": self.disclosed_at is not None,
            "public_at": self.public_at,
            "value": self.value,
        }


@dataclass(frozen=True)
class Step:
    """One log entry of the procurement, with its inclusion proof."""

    index: int
    event: str
    stream: str  # the procurement's code or a challenge's or complaint's number
    date: str
    actor: str
    key: str
    recorded_at: str
    signature: str
    command: dict[str, Any]
    data: dict[str, Any]
    leaf_hash: str
    proof: list[str]
    typed: EntryData  # the data as its kind's value
    sealed: list[Sealed] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return list(getattr(self.typed, "findings", []))

    @property
    def delivery(self) -> E.DeliveryData | None:
        """The publisher's receipt this entry is, if it is one."""
        return self.typed if isinstance(self.typed, E.DeliveryData) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event": self.event,
            "stream": self.stream,
            "date": self.date,
            "actor": self.actor,
            "key": self.key,
            "recorded_at": self.recorded_at,
            "leaf_hash": self.leaf_hash,
            "inclusion_proof": self.proof,
            "command": self.command,
            "signature": self.signature,
            "data": self.data,
            "sealed": [s.as_json() for s in self.sealed],
        }


def leaf_indices(db: Database, code: str, size: int) -> list[int]:
    """The procurement's leaves below ``size``, in log order: its public timeline, and the
    publisher's receipts for its notices."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT leaf_index FROM pub_timeline WHERE procurement = ? AND leaf_index < ? "
            "UNION SELECT d.leaf_index FROM pub_deliveries d JOIN pub_announcements a "
            "ON a.leaf_index = d.notice WHERE a.procurement = ? AND d.leaf_index < ? "
            "ORDER BY 1",
            (code, size, code, size),
        ).fetchall()
    return [int(r[0]) for r in rows]


def _commitments(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, commitment) of every sealed value in a payload, at any depth."""
    if is_commitment(value):
        yield path, value["commitment"]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _commitments(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _commitments(item, f"{path}[{n}]")


def _disclosures(value: Any) -> Iterator[tuple[str, Any]]:
    """(commitment, value) of what a leaf's data discloses (``{"commitment", "value",
    "salt"}`` objects)."""
    if isinstance(value, dict):
        if {"commitment", "value", "salt"} <= set(value) and isinstance(value["commitment"], str):
            yield value["commitment"], value["value"]
        for item in value.values():
            yield from _disclosures(item)
    elif isinstance(value, list):
        for item in value:
            yield from _disclosures(item)


def timeline(
    db: Database, log: LogReader, sealed: SealedValues, code: str, size: int, proof_size: int
) -> list[Step]:
    """Every entry of procurement ``code`` below log ``size``, each with its inclusion proof
    in the tree of ``proof_size`` leaves (the signed checkpoint) and its sealed values.

    A value the log has disclosed publicly by now is shown, even in a view of an earlier
    size (it is public); one still sealed is not."""
    # Every leaf of the procurement so far: a disclosure may lie beyond the view.
    parsed = [(i, orjson.loads(log.entry(i))) for i in leaf_indices(db, code, log.size())]
    public: dict[str, tuple[int, Any]] = {}
    for i, entry in parsed:
        for commitment, value in _disclosures(entry.get("data")):
            public.setdefault(commitment, (i, value))
    viewed = [(i, entry, _command(entry)) for i, entry in parsed if i < size]
    kept = sealed.kept({c for _, entry, command in viewed for _, c in _signed(entry, command)})
    steps = []
    for i, entry, command in viewed:
        leaf_hash, proof = log.inclusion(i, proof_size)
        data = entry.get("data") or {}
        steps.append(
            Step(
                index=i,
                event=entry["type"],
                stream=str(data.get("number") or data.get("procurement") or code),
                date=str(data.get("date", "")),
                actor=entry["actor"],
                key=entry["key"],
                recorded_at=entry["recorded_at"],
                signature=entry["signature"],
                command=command,
                data=data,
                leaf_hash=b64encode(leaf_hash),
                proof=[b64encode(p) for p in proof],
                typed=parse_data(entry["type"], data),
                sealed=[
                    _sealed(path, commitment, commitment in kept, public.get(commitment), size)
                    for path, commitment in _signed(entry, command)
                ],
            )
        )
    return steps


def _signed(entry: dict[str, Any], command: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, commitment) of the sealed values an entry's signed commands hold: its own, and
    at an opening those of every bid envelope the bid box discloses (``box[n].price``)."""
    yield from _commitments(command.get("payload"))
    if entry["type"] == "BidsOpened":
        for n, member in enumerate((entry.get("data") or {}).get("box") or []):
            if member.get("envelope"):
                payload = orjson.loads(member["envelope"]["command"]).get("payload")
                yield from _commitments(payload, f"box[{n}]")


def _command(entry: dict[str, Any]) -> dict[str, Any]:
    raw: Any = entry["command"]
    command: dict[str, Any] = orjson.loads(raw) if isinstance(raw, str) else raw
    return command


def _sealed(
    path: str, commitment: str, kept: bool, public: tuple[int, Any] | None, size: int
) -> Sealed:
    """A sealed value as the view shows it; ``public``: the leaf that disclosed it and the
    value it disclosed, if any has. A damaged row counts as kept: reading it answers 409
    ``sealed_damaged``, and `sunshine verify` checks the whole store."""
    label, rule = SEALED_LABELS.get(path.split(".")[-1], (path, "按生命周期公开"))
    public_at, value = public if public is not None else (None, None)
    return Sealed(
        path=path,
        commitment=commitment,
        label=label,
        rule=rule,
        kept=kept,
        public_at=public_at,
        disclosed_at=public_at if public_at is not None and public_at < size else None,
        value=value,
    )


# -- the state at a point ------------------------------------------------------------------


@dataclass
class Snapshot:
    """What the log said of one procurement after its first ``size`` entries."""

    size: int
    known: bool = False  # a plan was filed below ``size``
    title: str = ""
    purchaser: str = ""
    agency: str | None = None
    category: str = ""
    method: str = ""
    budget: str | None = None
    plan: str = "none"
    method_approved: bool = False
    stage: str = Stage.NONE.value
    closed: str | None = None
    suspended: bool = False
    suspended_by: str | None = None
    bid_deadline: str | None = None
    bidders: list[str] = field(default_factory=list)
    valid_bidders: list[str] | None = None
    winner: str | None = None
    award_amount: str | None = None
    contract_number: str | None = None
    contract_amount: str | None = None
    accepted: bool | None = None
    challenges: dict[str, str] = field(default_factory=dict)
    complaints: dict[str, str] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)  # each with its leaf index
    last_index: int | None = None
    last_date: str = ""

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def replay(steps: Sequence[Step], size: int) -> Snapshot:
    """The procurement after its entries below ``size`` (pure): its record folded with
    ``record.fold``, as the ledger and the verifier fold it."""
    record: ProcurementRecord | None = None
    snap = Snapshot(size)
    for step in steps:
        if step.index >= size:
            break
        if isinstance(step.typed, E.ProcurementData | E.StreamData):
            record = fold(record, step.typed)
        snap.last_index, snap.last_date = step.index, max(snap.last_date, step.date)
        snap.findings += [{"index": step.index, **f.model_dump(mode="json")} for f in step.findings]
    if record is not None:
        _take(snap, record)
    return snap


def _take(snap: Snapshot, p: ProcurementRecord) -> None:
    """The snapshot's fields from the folded record."""
    state = p.state
    snap.known = True
    snap.title, snap.purchaser, snap.agency = p.title, p.purchaser, p.agency
    snap.category, snap.method, snap.budget = p.category.value, p.method.value, str(p.budget)
    snap.plan, snap.method_approved = state.plan, state.method_approved
    snap.stage, snap.closed, snap.suspended = state.progress.value, state.closed, state.suspended
    snap.suspended_by = p.suspended_by
    snap.bid_deadline = None if p.bid_deadline is None else p.bid_deadline.isoformat()
    snap.bidders = [bid.supplier for bid in p.bids]
    snap.valid_bidders = None if p.valid_bidders is None else list(p.valid_bidders)
    snap.winner = p.winner
    snap.award_amount = None if p.award_amount is None else str(p.award_amount)
    snap.contract_number = p.contract_number
    snap.contract_amount = None if p.contract_amount is None else str(p.contract_amount)
    snap.accepted = p.accepted
    snap.challenges = {n: c.status for n, c in p.challenges.items()}
    snap.complaints = {n: c.status for n, c in p.complaints.items()}


def default_comparison(steps: Sequence[Step]) -> tuple[int, int]:
    """The two points the diff form suggests: after the tender notice and after the award
    (else the first and the last entry)."""
    start, end = steps[0].index + 1, steps[-1].index + 1
    for step in steps:
        if isinstance(step.typed, E.TenderAnnounced):
            start = step.index + 1
        if isinstance(step.typed, E.AwardDecided):
            end = step.index + 1
    return start, end


def _names(codes: Sequence[str] | None, names: Mapping[str, str]) -> str:
    if codes is None:
        return "尚未评审"
    return "、".join(names.get(c, c) for c in codes) or "无"


def _streams(items: Mapping[str, str]) -> str:
    return "；".join(f"{n}（{STATUS_LABELS.get(s, s)}）" for n, s in items.items()) or "无"


def described(snap: Snapshot, names: Mapping[str, str]) -> list[tuple[str, str]]:
    """The state as (Chinese field name, value) rows, the values as a page shows them."""

    def name(code: str | None) -> str:
        return "—" if not code else names.get(code, code)

    def money(amount: str | None) -> str:
        return "—" if amount is None else yuan(amount)

    try:
        stage = Stage(snap.stage).label
    except ValueError:
        stage = snap.stage
    suspended = "否"
    if snap.suspended:
        suspended = f"是（因 {snap.suspended_by}）" if snap.suspended_by else "是"
    accepted = {None: "—", True: "合格", False: "不合格"}[snap.accepted]
    return [
        ("项目名称", snap.title or "—"),
        ("采购人", name(snap.purchaser)),
        ("采购代理机构", name(snap.agency)),
        ("采购项目类别", category_label(snap.category) or "—"),
        ("采购方式", method_label(snap.method) or "—"),
        ("预算金额", money(snap.budget)),
        ("采购计划", PLAN_LABELS.get(snap.plan, snap.plan)),
        ("采购方式批准", "已批准" if snap.method_approved else "未批准"),
        ("采购进度", stage),
        ("结束状态", CLOSED_LABELS.get(snap.closed, snap.closed) if snap.closed else "—"),
        ("采购活动暂停", suspended),
        ("投标截止时间", chinese_date(snap.bid_deadline) or "—"),
        ("投标供应商", _names(snap.bidders, names)),
        ("有效投标人", _names(snap.valid_bidders, names)),
        ("中标（成交）供应商", name(snap.winner)),
        ("中标（成交）金额", money(snap.award_amount)),
        ("合同编号", snap.contract_number or "—"),
        ("合同金额", money(snap.contract_amount)),
        ("履约验收", accepted),
        ("质疑", _streams(snap.challenges)),
        ("投诉", _streams(snap.complaints)),
        ("记录提示（发现的问题）", f"{len(snap.findings)} 项"),
    ]


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def changes(before: Snapshot, after: Snapshot, names: Mapping[str, str]) -> list[Change]:
    """The fields whose value differs between two points, in Chinese."""
    return [
        Change(label, old, new)
        for (label, old), (_, new) in zip(
            described(before, names), described(after, names), strict=True
        )
        if old != new
    ]


def codes_in(steps: Sequence[Step]) -> set[str]:
    """Organisation codes the pages name (purchaser, agency, suppliers)."""
    found: set[str] = set()
    for step in steps:
        d = step.data
        for name in ("purchaser", "agency", "supplier"):
            if isinstance(d.get(name), str):
                found.add(d[name])
        for row in [*(d.get("results") or []), *(d.get("bids") or [])]:
            if isinstance(row, dict) and isinstance(row.get("supplier"), str):
                found.add(row["supplier"])
    return found


def sealed_text(sealed: Sealed) -> str:
    """A sealed value as the page shows it: a price in yuan, a list of names joined."""
    value = sealed.value
    if isinstance(value, list):
        return "、".join(_member(v) for v in value)
    if sealed.path.split(".")[-1] == "price" and isinstance(value, str):
        return yuan(value) or value
    return str(value)


def _member(value: Any) -> str:
    """One item of a sealed list: a committee member by name and role (评审专家 or 采购人代表)
    and how an expert was selected when the list says, never the record's field names;
    anything else as its text."""
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        role = MEMBER_ROLES.get(str(value.get("role", "")), "")
        way = SELECTIONS.get(str(value.get("selection", "")))
        role += f"，{way}" if role and way else ""
        return f"{value['name']}（{role}）" if role else str(value["name"])
    return str(value)


def pretty(value: Any) -> str:
    """JSON for reading on a page (the exact bytes are at /log/entries)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
