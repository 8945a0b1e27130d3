"""Red-flag thresholds 预警阈值 (``flags.toml``, packaged beside this module).

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
from importlib import resources
from pathlib import Path
from typing import Any, Final

import orjson

from ledger.domain.calendars import ConfigFileError
from ledger.domain.money import Money
from ledger.domain.vocabulary import Category, Method
from projections.flags.kinds import SEVERITIES, FlagKind

RESOURCE: Final = "flags.toml"
PERIODS: Final = ("year", "quarter", "month")
UNITS: Final = ("days", "working_days")


class FlagConfigError(ConfigFileError):
    """A malformed red-flag threshold file."""


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
    return resources.files("projections.flags").joinpath(RESOURCE).read_text("utf-8")


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
    base = _parse(packaged_text(), f"projections/flags/{RESOURCE}")
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
        _check(base, f"projections/flags/{RESOURCE}")
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
