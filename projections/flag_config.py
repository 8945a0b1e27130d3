"""Red-flag kinds 预警类型 and their thresholds (``projections/flags.toml``).

The packaged file holds every threshold with the reason for its default; an operator lays a
file of the same shape over it (``SUNSHINE_FLAGS``). ``load_flag_config`` merges the two
table by table and refuses anything it does not know, naming the file and line, so a typo
never silently leaves a default in force.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Final

import orjson

from ledger.domain.calendars import ConfigFileError
from ledger.domain.money import Money
from ledger.domain.vocabulary import Category, Method

RESOURCE: Final = "flags.toml"
PERIODS: Final = ("year", "quarter", "month")
SEVERITIES: Final = ("high", "medium", "low")
UNITS: Final = ("days", "working_days")


class FlagConfigError(ConfigFileError):
    """A malformed red-flag threshold file."""


class FlagKind(StrEnum):
    """A red flag 预警: what inspectors look for (DOMAIN.md) and the Cardinal indicators."""

    SPLITTING = "splitting"
    PROCURE_FIRST_FILE_LATER = "procure_first_file_later"
    DESIGNATED_BRAND = "designated_brand"
    SINGLE_BIDDER = "single_bidder"
    FEWER_THAN_THREE_BIDDERS = "fewer_than_three_bidders"
    REPEATED_WINNER = "repeated_winner"
    NON_OPEN_WITHOUT_RATIONALE = "non_open_without_rationale"
    SINGLE_SOURCE_OVERUSE = "single_source_overuse"
    LATE_OR_MISSING_NOTICE = "late_or_missing_notice"
    CHALLENGE_UNANSWERED_IN_TIME = "challenge_unanswered_in_time"
    COMPLAINT_OVERDUE = "complaint_overdue"
    SHORT_SUBMISSION_PERIOD = "short_submission_period"
    SINGLE_BID = "single_bid"
    AWARD_CLOSE_TO_BUDGET = "award_close_to_budget"
    IDENTICAL_BID_PRICES = "identical_bid_prices"
    ALL_BUT_WINNER_DISQUALIFIED = "all_but_winner_disqualified"
    LOWEST_BID_DISQUALIFIED = "lowest_bid_disqualified"
    IRREGULAR_PROCEDURE = "irregular_procedure"

    @property
    def label(self) -> str:
        return LABELS[self][0]

    @property
    def rule_zh(self) -> str:
        """What raises it, in a sentence for the page."""
        return LABELS[self][1]


K = FlagKind
LABELS: Final[dict[FlagKind, tuple[str, str]]] = {
    K.SPLITTING: (
        "化整为零",
        "同一采购人同一期间内分次采购同一品目，每次低于公开招标数额标准，合计达到标准",
    ),
    K.PROCURE_FIRST_FILE_LATER: (
        "先采购后备案",
        "采购计划或采购方式批准前即开展采购活动、签订合同或验收",
    ),
    K.DESIGNATED_BRAND: ("指定品牌", "采购需求、采购公告或更正公告中写明品牌、型号或指定厂家"),
    K.SINGLE_BIDDER: ("仅一家有效供应商", "竞争性采购经评审只剩一家有效供应商仍确定成交"),
    K.FEWER_THAN_THREE_BIDDERS: ("有效投标人不足三家", "招标项目有效投标人不足三家仍确定中标"),
    K.REPEATED_WINNER: (
        "同一供应商反复中标",
        "同一供应商在同一采购人一个期间的项目中多次中标，占比过高",
    ),
    K.NON_OPEN_WITHOUT_RATIONALE: (
        "非公开招标方式未经批准或无理由",
        "非公开招标方式未经财政部门批准即确定成交，或批准理由空泛",
    ),
    K.SINGLE_SOURCE_OVERUSE: (
        "单一来源采购比例过高",
        "采购人一个期间内单一来源采购项目占比超过阈值",
    ),
    K.LATE_OR_MISSING_NOTICE: (
        "公告或期限逾期、缺失",
        "法定期限未遵守、结果或合同未按期公告、公告未送达指定媒体",
    ),
    K.CHALLENGE_UNANSWERED_IN_TIME: ("质疑未按期答复", "质疑超过7个工作日仍未答复，或逾期答复"),
    K.COMPLAINT_OVERDUE: ("投诉逾期未处理", "投诉超过30个工作日仍未作出处理决定，或逾期决定"),
    K.SHORT_SUBMISSION_PERIOD: (
        "投标（响应）期限过短",
        "采购公告至投标（响应）截止的期限短于阈值或法定最短期限",
    ),
    K.SINGLE_BID: ("仅收到一份投标", "竞争性采购只收到一份投标（响应）文件即确定成交"),
    K.AWARD_CLOSE_TO_BUDGET: ("成交金额接近预算", "中标（成交）金额与预算之比达到阈值"),
    K.IDENTICAL_BID_PRICES: ("投标报价相同", "两家以上供应商的投标报价完全相同"),
    K.ALL_BUT_WINNER_DISQUALIFIED: (
        "除中标人外均被认定无效",
        "多家投标，除中标人外其余投标均被认定无效",
    ),
    K.LOWEST_BID_DISQUALIFIED: ("最低报价被认定无效", "报价最低的投标被评审认定无效"),
    K.IRREGULAR_PROCEDURE: ("程序违规", "采购活动暂停期间继续采购等账本记录的程序违规"),
}


@dataclass(frozen=True)
class Period:
    """A limit of days, counted as calendar days or working days."""

    limit: int
    unit: str


@dataclass(frozen=True)
class FlagConfig:
    """Every threshold, parsed and checked; ``raw`` is the merged file as data."""

    raw: dict[str, Any]

    def table(self, name: str) -> dict[str, Any]:
        table: dict[str, Any] = self.raw[name]
        return table

    def threshold_fen(self, category: str) -> int | None:
        value = self.raw["open_tender_threshold"].get(category)
        return None if value is None else Money.parse(value, category).fen

    def methods(self, name: str) -> frozenset[str]:
        return frozenset(self.raw[name]["methods"])

    def ratio(self, name: str, key: str) -> Decimal:
        return Decimal(self.raw[name][key])

    def number(self, name: str, key: str) -> int:
        value: int = self.raw[name][key]
        return value

    def severity(self, kind: FlagKind) -> str:
        value: str = self.raw["severity"].get(kind.value, "medium")
        return value

    def submission_period(self, method: str) -> Period | None:
        entry = self.raw["short_submission_period"].get(method)
        return None if entry is None else Period(int(entry["limit"]), str(entry["unit"]))

    def fingerprint(self) -> str:
        """A digest of the effective configuration: flags computed under another differ."""
        return hashlib.sha256(orjson.dumps(self.raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


def packaged_text() -> str:
    return resources.files("projections").joinpath(RESOURCE).read_text("utf-8")


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FlagConfigError(source, getattr(exc, "lineno", None), str(exc)) from exc


def _line(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(needle):
            return number
    return None


def load_flag_config(path: Path | None = None) -> FlagConfig:
    """The packaged thresholds with the operator's file at ``path`` laid over them."""
    base = _parse(packaged_text(), f"projections/{RESOURCE}")
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FlagConfigError(str(path), None, f"cannot read the flags file: {exc}") from exc
        override = _parse(text, str(path))
        for name, table in override.items():
            if name not in base or not isinstance(table, dict):
                raise FlagConfigError(
                    str(path), _line(text, f"[{name}]"), f"[{name}]: unknown table"
                )
            for key in table:
                if key not in base[name] and name not in _OPEN_TABLES:
                    raise FlagConfigError(
                        str(path), _line(text, key), f"[{name}] {key}: unknown key"
                    )
            base[name] = base[name] | table
        _check(base, str(path))
    else:
        _check(base, f"projections/{RESOURCE}")
    return FlagConfig(base)


#: Tables whose keys are method codes or kinds: any of those may be added.
_OPEN_TABLES: Final = ("short_submission_period", "severity")
_METHODS: Final = frozenset(m.value for m in Method)


def _check(raw: dict[str, Any], source: str) -> None:
    """Every value of the merged configuration has the type and range its use needs."""

    def fail(message: str) -> None:
        raise FlagConfigError(source, None, message)

    for category, value in raw["open_tender_threshold"].items():
        if category not in {c.value for c in Category}:
            fail(f"[open_tender_threshold] {category}: not a category (goods, works, services)")
        try:
            Money.parse(value, f"[open_tender_threshold] {category}")
        except Exception:
            fail(f'[open_tender_threshold] {category}: an amount in yuan, like "2000000.00"')
    for name, table in raw.items():
        if not isinstance(table, dict):
            fail(f"{name}: must be a table")
        if "period" in table and table["period"] not in PERIODS:
            fail(f"[{name}] period: one of {', '.join(PERIODS)}")
        if "methods" in table and (
            not isinstance(table["methods"], list) or not set(table["methods"]) <= _METHODS
        ):
            fail(f"[{name}] methods: a list of method codes ({', '.join(sorted(_METHODS))})")
        for key in ("min_pieces", "min_wins", "min_count", "min_valid", "min_equal",
                    "min_bids", "min_rationale_chars"):  # fmt: skip
            if key in table and (isinstance(table[key], bool) or not isinstance(table[key], int)
                                 or table[key] < 1):  # fmt: skip
                fail(f"[{name}] {key}: a whole number of at least 1")
        for key in ("min_share", "max_share", "min_ratio"):
            if key in table:
                try:
                    ratio = Decimal(str(table[key]))
                except InvalidOperation:
                    ratio = Decimal(-1)
                if not Decimal(0) < ratio <= Decimal(1):
                    fail(f'[{name}] {key}: a decimal fraction above 0 and at most 1, like "0.5"')
                table[key] = str(ratio)
        for key in ("brands", "binding_words", "negations", "placeholders"):
            if key in table and not (
                isinstance(table[key], list) and all(isinstance(w, str) and w for w in table[key])
            ):
                fail(f"[{name}] {key}: a list of non-empty strings")
    if raw["splitting"]["group_by"] not in ("title", "category"):
        fail('[splitting] group_by: "title" or "category"')
    for method, entry in raw["short_submission_period"].items():
        if method not in _METHODS:
            fail(f"[short_submission_period] {method}: not a method code")
        if (
            not isinstance(entry, dict)
            or set(entry) != {"limit", "unit"}
            or isinstance(entry["limit"], bool)
            or not isinstance(entry["limit"], int)
            or entry["limit"] < 1
            or entry["unit"] not in UNITS
        ):
            fail(f'[short_submission_period] {method}: {{ limit = 20, unit = "days" }} '
                 '(unit "days" or "working_days")')  # fmt: skip
    for kind, level in raw["severity"].items():
        if kind not in {k.value for k in FlagKind} or level not in SEVERITIES:
            fail(f"[severity] {kind}: a flag kind set to high, medium or low")
