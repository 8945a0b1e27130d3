"""The public organisation directory 单位名录: reads of the public projection's organisations.

An organisation is addressed by its 统一社会信用代码, its public identity; one registered
without one (the ledger's own services, a ledger from before identities) by its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Final

import orjson

from ledger.domain.credit_code import LENGTH
from ledger.domain.vocabulary import Role, SmeStatus
from ledger.ports import Database
from projections.web.queries import MAX_QUERY, BadRequest

PAGE_SIZE: Final = 20
#: The kinds a visitor may filter by, with their Chinese names, in the order offered.
KINDS: Final = {
    Role.PURCHASER.value: "采购人",
    Role.AGENCY.value: "采购代理机构",
    Role.SUPPLIER.value: "供应商",
    Role.FINANCE_OFFICE.value: "财政部门",
    Role.SUPERVISION_DEPARTMENT.value: "行政监督部门",
    Role.INSPECTOR.value: "监督检查机关",
    Role.PUBLISHER.value: "信息发布服务",
    Role.BID_BOX.value: "电子投标箱",
    Role.EVALUATION_EXPERT.value: "评审专家库",
}
SME_LABELS: Final = SmeStatus.labels()
CREDIT_CODE: Final = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}\Z")
CODE: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]\Z")
_CONTROL: Final = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    kind: str
    region: str
    credit_code: str | None
    address: str
    contact: str | None
    telephone: str | None
    sme: str | None
    registered_on: str

    @property
    def key(self) -> str:
        """The organisation's address in the directory: its 统一社会信用代码, or its code."""
        return self.credit_code or self.code

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, "其他")

    @property
    def sme_label(self) -> str | None:
        return None if self.sme is None else SME_LABELS.get(self.sme)

    def json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {
            "kind_zh": self.kind_label,
            "sme_zh": self.sme_label,
            "page": f"/organisations/{self.key}",
        }


@dataclass(frozen=True)
class Change:
    leaf_index: int
    recorded_at: str
    changes: dict[str, str]


@dataclass(frozen=True)
class Award:
    procurement: str
    title: str
    purchaser: str
    category: str
    method: str
    amount_fen: int


_COLUMNS: Final = ", ".join(f.name for f in fields(Organisation))


def _rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with db.read() as cur:
        rows: list[tuple[Any, ...]] = cur.execute(sql, params).fetchall()
        return rows


def parse_query(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > MAX_QUERY or _CONTROL.search(value):
        raise BadRequest("q", f"关键词须为不超过{MAX_QUERY}个字的一行文字。")
    return value


def parse_kind(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    if raw.strip() not in KINDS:
        raise BadRequest("kind", "单位类别须从列表中选择。")
    return raw.strip()


def _where(q: str | None, kind: str | None) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if q is not None:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("(name LIKE ? ESCAPE '\\' OR credit_code LIKE ? ESCAPE '\\')")
        params += [f"%{escaped}%", f"{escaped.upper()}%"]
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def count(db: Database, q: str | None, kind: str | None) -> int:
    where, params = _where(q, kind)
    ((total,),) = _rows(db, f"SELECT COUNT(*) FROM pub_organisations{where}", params)  # noqa: S608
    return int(total)


def search(db: Database, q: str | None, kind: str | None, page: int) -> list[Organisation]:
    """One page of the organisations matching, by kind and name."""
    where, params = _where(q, kind)
    sql = f"SELECT {_COLUMNS} FROM pub_organisations{where} ORDER BY kind, name, code "  # noqa: S608
    sql += "LIMIT ? OFFSET ?"
    return [Organisation(*r) for r in _rows(db, sql, (*params, PAGE_SIZE, (page - 1) * PAGE_SIZE))]


def find(db: Database, key: str) -> Organisation | None:
    """The organisation at ``key``: a 统一社会信用代码, or the code of one without it."""
    if len(key) == LENGTH and CREDIT_CODE.match(key):
        sql = f"SELECT {_COLUMNS} FROM pub_organisations WHERE credit_code = ?"  # noqa: S608
    elif CODE.match(key):
        sql = f"SELECT {_COLUMNS} FROM pub_organisations WHERE code = ? AND credit_code IS NULL"  # noqa: S608
    else:
        return None
    rows = _rows(db, sql, (key,))
    return Organisation(*rows[0]) if rows else None


def moved(db: Database, key: str) -> str | None:
    """Where the organisation whose code is ``key`` has its page when it has a 统一社会信用代码
    (its pages are keyed by that); None for any other key."""
    if not CODE.match(key):
        return None
    rows = _rows(db, "SELECT credit_code FROM pub_organisations WHERE code = ?", (key,))
    return str(rows[0][0]) if rows and rows[0][0] else None


def changes(db: Database, code: str) -> list[Change]:
    rows = _rows(
        db,
        "SELECT leaf_index, recorded_at, changes FROM pub_organisation_changes "
        "WHERE code = ? ORDER BY leaf_index",
        (code,),
    )
    return [Change(int(i), str(at), orjson.loads(c)) for i, at, c in rows]


def awards(db: Database, code: str) -> list[Award]:
    """The procurements a supplier won, newest first, with the amount awarded."""
    rows = _rows(
        db,
        "SELECT p.code, p.title, COALESCE(o.name, p.purchaser), p.category, p.method, "
        "p.award_fen FROM pub_procurements p LEFT JOIN pub_organisations o "
        "ON o.code = p.purchaser WHERE p.winner = ? AND p.award_fen IS NOT NULL "
        "ORDER BY p.last_date DESC, p.code",
        (code,),
    )
    return [Award(*r) for r in rows]


def keys(db: Database, codes: set[str]) -> dict[str, str]:
    """The directory address of each organisation named (those the directory has)."""
    wanted = sorted(codes)
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT code, COALESCE(credit_code, code) FROM pub_organisations WHERE code IN ({marks})"  # noqa: S608
    return {str(c): str(k) for c, k in _rows(db, sql, tuple(wanted))}


def of(db: Database, codes: set[str]) -> dict[str, Organisation]:
    """The directory's record of each organisation named (those the directory has)."""
    wanted = sorted(codes)
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    sql = f"SELECT {_COLUMNS} FROM pub_organisations WHERE code IN ({marks})"  # noqa: S608
    return {str(r[0]): Organisation(*r) for r in _rows(db, sql, tuple(wanted))}


def finance_office(db: Database, region: str) -> Organisation | None:
    """The finance office registered for ``region``: the body a 单一来源公示 names for
    objections (实施条例 第三十九条), with its telephone."""
    sql = (f"SELECT {_COLUMNS} FROM pub_organisations "  # noqa: S608
           "WHERE kind = 'finance_office' AND region = ? ORDER BY registered_on, code LIMIT 1")
    rows = _rows(db, sql, (region,))
    return Organisation(*rows[0]) if rows else None


@dataclass(frozen=True)
class Debarment:
    """A 禁止参加政府采购活动 period the finance office recorded for a supplier."""

    leaf_index: int
    since: str
    until: str
    document_number: str
    reason: str


def debarments(db: Database, code: str) -> list[Debarment]:
    rows = _rows(
        db,
        "SELECT leaf_index, since, until, document_number, reason FROM pub_debarments "
        "WHERE code = ? ORDER BY leaf_index",
        (code,),
    )
    return [Debarment(int(i), str(a), str(b), str(n), str(r)) for i, a, b, n, r in rows]
