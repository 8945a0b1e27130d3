"""Red-flag thresholds 预警阈值 (``flags.toml``, packaged beside this module).

The packaged file holds every threshold with the reason for its default; an operator lays a
file of the same shape over it (``SUNSHINE_FLAGS``). ``load_flag_config`` merges the two
table by table and checks the result against ``Thresholds``, the file's shape as pydantic
models: anything unknown or out of range is refused, naming the file it came from, the line
and the key, so a typo never silently leaves a default in force.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import AfterValidator, BeforeValidator, Field, Strict

from ledger.config_files import ConfigModel, Loc, TomlFile, checked
from ledger.domain.errors import Invalid
from ledger.domain.money import Money
from ledger.domain.toml_text import ConfigFileError
from ledger.domain.vocabulary import Method
from projections.flags.kinds import FlagKind, Severity

RESOURCE: Final = "flags.toml"
PACKAGED: Final = f"projections/flags/{RESOURCE}"


class FlagConfigError(ConfigFileError):
    """A malformed red-flag threshold file."""


@dataclass(frozen=True)
class Period:
    """A limit of days, counted as calendar days or working days."""

    limit: int
    unit: str


@dataclass(frozen=True)
class FlagConfig:
    """Every threshold, parsed and checked; ``raw`` is the checked file as data (shares as
    the text of their decimal), which the fingerprint digests."""

    raw: dict[str, Any]

    def table(self, name: str) -> dict[str, Any]:
        table: dict[str, Any] = self.raw[name]
        return table

    def threshold_fen(self, category: str, region: str | None = None) -> int | None:
        """The 公开招标数额标准 of ``category``, the region's own where it sets one."""
        return self._figure("open_tender_threshold", "open_tender", category, region)

    def limit_fen(self, category: str, region: str | None = None) -> int | None:
        """The 采购限额标准 of ``category``, the region's own where it sets one."""
        return self._figure("procurement_limit", "procurement_limit", category, region)

    def _figure(self, table: str, key: str, category: str, region: str | None) -> int | None:
        regional = (self.raw["regions"].get(region or "") or {}).get(key) or {}
        value = regional.get(category) or self.raw[table].get(category)
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


def load_flag_config(path: Path | None = None) -> FlagConfig:
    """The packaged thresholds with the operator's file at ``path`` laid over them."""
    packaged = TomlFile.parse(packaged_text(), PACKAGED, FlagConfigError)
    if path is None:
        return _config(packaged.data, packaged)
    operator = TomlFile.read(path, FlagConfigError, "the flags file")
    merged: dict[str, Any] = dict(packaged.data)
    for name, table in operator.data.items():
        base = merged.get(name)
        both = isinstance(base, dict) and isinstance(table, dict)
        merged[name] = base | table if both else table

    def origin(loc: Loc) -> TomlFile:
        """The file a value came from: the operator's for any table or key it sets."""
        table = operator.data.get(str(loc[0])) if loc else None
        if table is None:
            return packaged
        sets_it = len(loc) == 1 or not isinstance(table, dict) or loc[1] in table
        return operator if sets_it else packaged

    return _config(merged, origin)


def _config(data: dict[str, Any], origin: TomlFile | Callable[[Loc], TomlFile]) -> FlagConfig:
    thresholds = checked(Thresholds, data, FlagConfigError, origin)
    return FlagConfig(thresholds.model_dump(mode="json"))


# -- the file's shape -------------------------------------------------------------------------


def _amount(value: str) -> str:
    try:
        Money.parse(value, "amount")
    except Invalid as exc:
        raise ValueError(str(exc)) from None
    return value


def _ratio(value: object) -> object:
    """A share as the text of its decimal, floats through their shortest form ("0.5")."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value  # refused as not a string
    try:
        ratio = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("not a decimal") from None
    if not ratio.is_finite() or not Decimal(0) < ratio <= Decimal(1):
        raise ValueError("out of range")
    return str(ratio)


Amount = Annotated[str, AfterValidator(_amount),
                   Field(description='an amount in yuan, like "2000000.00"')]  # fmt: skip
Ratio = Annotated[str, BeforeValidator(_ratio), Field(
    description='a decimal fraction above 0 and at most 1, like "0.5"')]  # fmt: skip
Count = Annotated[int, Field(ge=1, description="a whole number of at least 1")]
CalendarPeriod = Annotated[Literal["year", "quarter", "month"],
                           Field(description="one of year, quarter, month")]  # fmt: skip
_METHOD_CODES: Final = ", ".join(sorted(m.value for m in Method))
Methods = Annotated[list[Annotated[Method, Strict(False)]],
                    Field(description=f"a list of method codes ({_METHOD_CODES})")]  # fmt: skip
MethodKey = Annotated[Method, Strict(False),
                      Field(description=f"not a method code ({_METHOD_CODES})")]  # fmt: skip
KindKey = Annotated[FlagKind, Strict(False), Field(description="not a flag kind")]
Words = Annotated[list[Annotated[str, Field(min_length=1)]],
                  Field(description="a list of non-empty strings")]  # fmt: skip


class OpenTenderThreshold(ConfigModel):
    goods: Amount
    services: Amount
    works: Amount


class CategoryFigures(ConfigModel):
    """A region's own figures: any of the categories, the others as the main table."""

    goods: Amount | None = None
    services: Amount | None = None
    works: Amount | None = None


class RegionFigures(ConfigModel):
    open_tender: CategoryFigures | None = None
    procurement_limit: CategoryFigures | None = None


class Splitting(ConfigModel):
    period: CalendarPeriod
    min_pieces: Count
    group_by: Literal[
        "title", "category", "catalogue", "budget_item", "budget_item_and_catalogue"
    ] = Field(
        description='"title", "category", "catalogue", "budget_item" or '
        '"budget_item_and_catalogue"'
    )
    methods: Methods


class RepeatedWinner(ConfigModel):
    period: CalendarPeriod
    min_wins: Count
    min_share: Ratio
    methods: Methods


class SingleSourceOveruse(ConfigModel):
    period: CalendarPeriod
    min_count: Count
    max_share: Ratio


class NonOpenWithoutRationale(ConfigModel):
    min_rationale_chars: Count
    placeholders: Words


class DesignatedBrand(ConfigModel):
    brands: Words
    binding_words: Words
    negations: Words


class SubmissionPeriod(ConfigModel):
    limit: Count
    unit: Literal["days", "working_days"] = Field(description='"days" or "working_days"')


class ByMethods(ConfigModel):
    methods: Methods


class FewerThanThreeBidders(ConfigModel):
    methods: Methods
    min_valid: Count


class AwardCloseToBudget(ConfigModel):
    min_ratio: Ratio
    methods: Methods


class IdenticalBidPrices(ConfigModel):
    min_equal: Count


class ByBids(ConfigModel):
    min_bids: Count


class AbnormallyLowWinner(ConfigModel):
    max_ratio: Ratio
    min_others: Count
    methods: Methods


class SharedContact(ConfigModel):
    fields: Annotated[list[Literal["telephone", "address"]],
                      Field(min_length=1, description='"telephone" and/or "address"')]  # fmt: skip
    methods: Methods


class AwardNotTopRanked(ConfigModel):
    methods: Methods
    reason_answers: bool = Field(description="true or false")


class RunnerUpClose(ConfigModel):
    max_gap: Ratio
    methods: Methods


class DeepDiscount(ConfigModel):
    max_ratio: Ratio
    methods: Methods


class ManyDisqualified(ConfigModel):
    min_share: Ratio
    min_bids: Count
    methods: Methods


class WinnerAcrossCategories(ConfigModel):
    period: CalendarPeriod
    min_sections: Count
    digits: Annotated[int, Field(ge=0, le=8, description="0, 2, 4, 6 or 8")]
    methods: Methods


class FailedThenNonCompetitive(ConfigModel):
    within_days: Count
    methods: Methods


class SlowAward(ConfigModel):
    max_days: Count
    methods: Methods


def _pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return value


Pattern = Annotated[str, Field(min_length=1), AfterValidator(_pattern),
                    Field(description="a regular expression (Python re)")]  # fmt: skip
Text = Annotated[str, Field(min_length=1, description="a non-empty string")]


class QualificationPattern(ConfigModel):
    name: Text
    citation: Text
    pattern: Pattern
    imports_exempt: bool = False


class DiscriminatoryQualification(ConfigModel):
    negations: Words
    patterns: Annotated[list[QualificationPattern], Field(min_length=1)]


class NoAcceptance(ConfigModel):
    days_after_signing: Count
    methods: Methods


class LateBidWon(ConfigModel):
    min_bids: Count
    methods: Methods


def _fraction(value: str) -> str:
    try:
        share = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError("not a fraction") from None
    if not 0 < share <= 1:
        raise ValueError("out of range")
    return value


#: A share as the law says it (三分之二: "2/3"), kept exact.
Share = Annotated[str, AfterValidator(_fraction), Field(
    description='a fraction above 0 and at most 1, like "2/3"')]  # fmt: skip


class UndersizedCommittee(ConfigModel):
    min_members: dict[MethodKey, Count]
    large_budget: Amount
    large_min_members: Count
    large_methods: Methods
    odd: bool = Field(description="true or false")
    expert_share: Share


class RecurringExpert(ConfigModel):
    period: CalendarPeriod
    min_committees: Annotated[int, Field(ge=2, description="a whole number of at least 2")]
    methods: Methods


class ExpertNotDrawn(ConfigModel):
    chosen_methods: Methods
    citation: Text


class NoTestingBody(ConfigModel):
    min_amount: Amount
    methods: Methods
    citation: Text


class OutsideFramework(ConfigModel):
    methods: Methods
    ignored: Annotated[list[Annotated[str, Field(pattern=r"^[ABC][0-9]{2,8}$")]],
                       Field(description="a list of 品目 codes, like C99000000")]  # fmt: skip
    citation: Text


class Thresholds(ConfigModel):
    """Every table of ``flags.toml``; the operator's file is checked merged into it."""

    open_tender_threshold: OpenTenderThreshold
    splitting: Splitting
    repeated_winner: RepeatedWinner
    single_source_overuse: SingleSourceOveruse
    non_open_without_rationale: NonOpenWithoutRationale
    designated_brand: DesignatedBrand
    # Method codes and flag kinds: any of them may be added, nothing else.
    short_submission_period: dict[MethodKey, SubmissionPeriod]
    single_bid: ByMethods
    single_bidder: ByMethods
    fewer_than_three_bidders: FewerThanThreeBidders
    award_close_to_budget: AwardCloseToBudget
    identical_bid_prices: IdenticalBidPrices
    all_but_winner_disqualified: ByBids
    lowest_bid_disqualified: ByBids
    abnormally_low_winner: AbnormallyLowWinner
    shared_contact: SharedContact
    award_not_top_ranked: AwardNotTopRanked
    runner_up_close: RunnerUpClose
    deep_discount: DeepDiscount
    many_disqualified: ManyDisqualified
    winner_across_categories: WinnerAcrossCategories
    failed_then_non_competitive: FailedThenNonCompetitive
    slow_award: SlowAward
    severity: dict[KindKey, Annotated[Severity, Field(description="high, medium or low")]]
    # Added after the rest, so a message listing the tables keeps their order.
    discriminatory_qualification: DiscriminatoryQualification
    procurement_limit: OpenTenderThreshold
    regions: dict[Annotated[str, Field(min_length=1)], RegionFigures]
    no_acceptance: NoAcceptance
    late_bid_won: LateBidWon
    undersized_committee: UndersizedCommittee
    recurring_expert: RecurringExpert
    outside_framework: OutsideFramework
    expert_not_drawn: ExpertNotDrawn
    no_testing_body: NoTestingBody
