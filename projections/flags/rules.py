"""The red-flag rules themselves, pure: no I/O, no tables.

The projection (``handlers``, ``groups``) feeds them what the log has said so far about a
procurement or a purchaser and writes down what they answer. Each rule reads only facts a
leaf carries (disclosed prices, evaluation results, findings), so anyone replaying the log
gets the same flags under the same thresholds.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from ledger.domain.clock import WorkingCalendar
from ledger.domain.money import Money, format_wan
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind

K = FlagKind


def fen(amount: str) -> int:
    """A yuan string of the log (``"1234.50"``) in fen."""
    return Money.parse(amount, "amount").fen


def wan(amount_fen: int) -> str:
    """Fen as 万元 with two decimals, for a summary."""
    return format_wan(Money.from_fen(amount_fen))

# -- findings the ledger attached -----------------------------------------------------------

#: The flag a ledger finding belongs to; every other rule is a broken time limit or a
#: missing notice (late_or_missing_notice). Bid-period limits are short submission periods.
FINDING_KINDS: Final[Mapping[str, FlagKind]] = {
    "procure_first_file_later": K.PROCURE_FIRST_FILE_LATER,
    "tender_documents_to_bid_deadline": K.SHORT_SUBMISSION_PERIOD,
    "negotiation_documents_to_first_response": K.SHORT_SUBMISSION_PERIOD,
    "consultation_documents_to_first_response": K.SHORT_SUBMISSION_PERIOD,
    "framework_documents_to_response_deadline": K.SHORT_SUBMISSION_PERIOD,
    "substantive_correction_to_bid_deadline": K.SHORT_SUBMISSION_PERIOD,
    "consultation_correction_to_deadline": K.SHORT_SUBMISSION_PERIOD,
    "negotiation_correction_to_deadline": K.SHORT_SUBMISSION_PERIOD,
    "tender_documents_on_sale": K.SHORT_SUBMISSION_PERIOD,
    "consultation_documents_on_sale": K.SHORT_SUBMISSION_PERIOD,
    "minimum_valid_bidders_open_tender": K.FEWER_THAN_THREE_BIDDERS,
    "minimum_bids_at_opening": K.FEWER_THAN_THREE_BIDDERS,
    "minimum_prequalified": K.FEWER_THAN_THREE_BIDDERS,  # the invitations cannot go to three
    "works_minimum_prequalified": K.FEWER_THAN_THREE_BIDDERS,
    "challenge_answered": K.CHALLENGE_UNANSWERED_IN_TIME,
    "complaint_decided": K.COMPLAINT_OVERDUE,
    "complaint_screened": K.COMPLAINT_OVERDUE,
    "contract_filed_after_signing": K.LATE_OR_MISSING_NOTICE,  # its clock's kind
    "acted_while_suspended": K.IRREGULAR_PROCEDURE,
    "suspension_longest": K.IRREGULAR_PROCEDURE,
    "award_over_budget": K.IRREGULAR_PROCEDURE,
    "award_over_ceiling": K.IRREGULAR_PROCEDURE,
    "contract_over_budget": K.IRREGULAR_PROCEDURE,
    "contract_amount_differs_from_award": K.IRREGULAR_PROCEDURE,
    "bid_deposit_over_limit": K.IRREGULAR_PROCEDURE,
    "performance_deposit_over_limit": K.IRREGULAR_PROCEDURE,
    "supplementary_contracts_over_limit": K.IRREGULAR_PROCEDURE,
    "supplement_after_acceptance": K.IRREGULAR_PROCEDURE,
    "bid_deposit_refunded_to_others": K.LATE_OR_MISSING_NOTICE,  # a time limit kept late
    "bid_deposit_refunded_to_winner": K.LATE_OR_MISSING_NOTICE,
    "bid_deposit_refunded_after_termination": K.LATE_OR_MISSING_NOTICE,
    "award_follows_ranking": K.AWARD_NOT_TOP_RANKED,
    "evaluation_report_delivered": K.IRREGULAR_PROCEDURE,
    "award_after_report": K.IRREGULAR_PROCEDURE,
    "committee_size": K.UNDERSIZED_COMMITTEE,
    "committee_expert_share": K.UNDERSIZED_COMMITTEE,
    # Works tenders (ledger.domain.works): the same kinds as their government-procurement peers.
    "works_documents_on_sale": K.SHORT_SUBMISSION_PERIOD,
    "works_documents_objection_before_deadline": K.IRREGULAR_PROCEDURE,
    "works_result_objection_during_publicity": K.IRREGULAR_PROCEDURE,
    "works_objection_answered": K.CHALLENGE_UNANSWERED_IN_TIME,
    "works_complaint_screened": K.COMPLAINT_OVERDUE,
    "works_complaint_decided": K.COMPLAINT_OVERDUE,
    "works_candidates_published": K.IRREGULAR_PROCEDURE,
    "works_candidates_published_after_report": K.LATE_OR_MISSING_NOTICE,
    "works_award_without_candidates": K.IRREGULAR_PROCEDURE,
    "works_award_before_publicity_end": K.IRREGULAR_PROCEDURE,
    "framework_elimination_too_low": K.IRREGULAR_PROCEDURE,
    "framework_agreement_term": K.IRREGULAR_PROCEDURE,
    "call_offs_over_agreement": K.IRREGULAR_PROCEDURE,
    "call_off_announced_after_signing": K.LATE_OR_MISSING_NOTICE,
}


def finding_kind(rule: str) -> FlagKind:
    return FINDING_KINDS.get(rule, K.LATE_OR_MISSING_NOTICE)


# -- periods -------------------------------------------------------------------------------


def period_key(day: date, period: str) -> str:
    """``2026``, ``2026Q2`` or ``2026-05``: the period ``day`` falls in."""
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def period_label(key: str) -> str:
    """``2026`` → 2026年, ``2026Q2`` → 2026年第2季度, ``2026-05`` → 2026年5月."""
    if "Q" in key:
        year, quarter = key.split("Q")
        return f"{year}年第{quarter}季度"
    if "-" in key:
        year, month = key.split("-")
        return f"{year}年{int(month)}月"
    return f"{key}年"


# -- splitting ------------------------------------------------------------------------------

_BRACKETS: Final = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_BATCH: Final = re.compile(r"第?[0-9一二三四五六七八九十百]+[批期次包标段号]")
_YEAR: Final = re.compile(r"(19|20)[0-9]{2}(年度?|—|-|~)?")
_SPACE: Final = re.compile(r"\s+")


def title_stem(title: str) -> str:
    """What a title names once batch and year marks are gone: 教学用计算机采购项目（第二批）
    and 2026年教学用计算机采购项目 第3包 are the same item."""
    text = unicodedata.normalize("NFKC", title)
    text = _BRACKETS.sub("", text)
    text = _BATCH.sub("", text)
    text = _YEAR.sub("", text)
    return _SPACE.sub("", text).strip("-—_·")


def split_group(
    config: FlagConfig, purchaser: str, category: str, title: str, day: date, region: str = "",
    catalogue: str | None = None, budget_item: str | None = None,
) -> str:  # fmt: skip
    """The splitting group a plan belongs to: ``purchaser|category|period|region|item``; the
    item is its title's stem, its category, its 品目 code (``catalogue``, where the tender
    lists one), its 预算项目 code (``budget_item``, where the plan names one), or both of the
    last two (the law's reading) — a missing code going by the title's stem."""
    table = config.table("splitting")
    by = table["group_by"]
    stem = title_stem(title)
    of_catalogue = stem if catalogue is None else f"品目{catalogue}"
    of_budget = stem if budget_item is None else f"预算项目{budget_item}"
    if by == "category":
        item = category
    elif by == "catalogue":
        item = of_catalogue
    elif by == "budget_item":
        item = of_budget
    elif by == "budget_item_and_catalogue":
        item = of_budget if of_budget == of_catalogue else f"{of_budget}、{of_catalogue}"
    else:
        item = stem
    where = region.replace("|", "")
    return f"{purchaser}|{category}|{period_key(day, table['period'])}|{where}|{item}"


# -- designated brand ------------------------------------------------------------------------

_CLAUSE: Final = re.compile(r"[，。；;！!？?\n]|,(?!\d)")
_BRAND_WORDS: Final = ("品牌", "牌子", "厂家", "厂商", "型号", "原厂授权")
#: 品牌/型号 with its value: 型号为Atellica CH 930, 品牌：某某.
_VALUE: Final = re.compile(r"(品牌|型号)\s*(?:为|是|:)\s*[A-Za-z0-9\u4e00-\u9fff][\w\s.-]{0,30}")


@dataclass(frozen=True)
class BrandMatch:
    term: str  # the brand or wording that matched
    snippet: str  # the clause it is in


@functools.lru_cache(maxsize=8)
def _brands(brands: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for the whole list: Chinese names as they are, Latin ones as whole words."""
    parts = [
        rf"(?<![A-Za-z]){re.escape(b)}(?![A-Za-z])" if b.isascii() else re.escape(b)
        for b in brands
    ]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


def brand_matches(text: str, config: FlagConfig) -> list[BrandMatch]:
    """Clauses of ``text`` that name a brand or model, each once, in order.

    A clause matches when it holds a listed brand (Latin names as whole words, any case),
    or a binding word (须为, 指定 …) before 品牌/型号/厂家, or 品牌/型号 followed by a value
    (型号为Atellica CH 930, 品牌：XX). A clause with a negation (不得指定品牌, 品牌不限)
    does not match: it says the opposite."""
    table = config.table("designated_brand")
    found: list[BrandMatch] = []
    for raw in _CLAUSE.split(unicodedata.normalize("NFKC", text)):
        clause = raw.strip()
        if not clause or any(n in clause for n in table["negations"]):
            continue
        term = _brand_in(clause, table["brands"]) or _binding(clause, table["binding_words"])
        if term is not None:
            found.append(BrandMatch(term, clause[:120]))
    return found


def _brand_in(clause: str, brands: Sequence[str]) -> str | None:
    found = _brands(tuple(brands)).search(clause)
    return None if found is None else found.group(0)


def _binding(clause: str, words: Sequence[str]) -> str | None:
    for word in words:
        at = clause.find(word)
        while at >= 0:
            tail = clause[at + len(word) : at + len(word) + 12]
            if any(b in tail for b in _BRAND_WORDS):
                return word + tail[: max(tail.find(b) + len(b) for b in _BRAND_WORDS if b in tail)]
            at = clause.find(word, at + 1)
    value = _VALUE.search(clause)
    if value is not None:
        return value.group(0).strip()
    return None


# -- method rationale -------------------------------------------------------------------------

_PUNCTUATION: Final = re.compile(r"[\W_]+", re.UNICODE)


def empty_rationale(rationale: str, config: FlagConfig) -> bool:
    """A rationale that gives no reason: a placeholder, or too short to say anything."""
    table = config.table("non_open_without_rationale")
    text = unicodedata.normalize("NFKC", rationale).strip()
    bare = _PUNCTUATION.sub("", text)
    return text in table["placeholders"] or len(bare) < table["min_rationale_chars"]


# -- submission period ------------------------------------------------------------------------


def submission_shortfall(
    config: FlagConfig, calendar: WorkingCalendar, method: str, announced: date, deadline: date
) -> dict[str, Any] | None:
    """How short the period from the announcement to the bid deadline was, if below the
    method's threshold."""
    period = config.submission_period(method)
    if period is None:
        return None
    if period.unit == "working_days":
        length = calendar.working_days_between(announced, deadline)
    else:
        length = (deadline - announced).days
    if length >= period.limit:
        return None
    return {"length": length, "limit": period.limit, "unit": period.unit}


# -- bids and evaluation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bid:
    supplier: str
    fen: int | None  # None when the disclosed price is not an amount (never by the ledger)


def identical_prices(bids: Iterable[Bid], min_equal: int) -> list[list[str]]:
    """Groups of suppliers that bid exactly the same price, each sorted."""
    by_price: dict[int, list[str]] = defaultdict(list)
    for bid in bids:
        if bid.fen is not None:
            by_price[bid.fen].append(bid.supplier)
    return [sorted(group) for _, group in sorted(by_price.items()) if len(group) >= min_equal]


def lowest_disqualified(bids: Sequence[Bid], valid: Mapping[str, bool]) -> list[str]:
    """The suppliers whose price was the lowest (ties all count) and whose bid was invalid."""
    priced = [b for b in bids if b.fen is not None]
    if not priced:
        return []
    lowest = min(b.fen for b in priced if b.fen is not None)
    return sorted(b.supplier for b in priced if b.fen == lowest and valid.get(b.supplier) is False)


def abnormally_low(
    winner: str, bids: Sequence[Bid], valid: Mapping[str, bool], min_others: int,
    max_ratio: Decimal,
) -> tuple[Decimal, int] | None:  # fmt: skip
    """The winner's price over the median of the other valid bids' prices (to four places)
    and that median, when it is at most ``max_ratio`` and there are ``min_others`` of them."""
    mine = next((b.fen for b in bids if b.supplier == winner), None)
    others = sorted(
        b.fen for b in bids if b.supplier != winner and b.fen is not None and valid.get(b.supplier)
    )
    if mine is None or len(others) < max(min_others, 1):
        return None
    middle = len(others) // 2
    median = others[middle] if len(others) % 2 else (others[middle - 1] + others[middle]) // 2
    if median <= 0:
        return None
    ratio = (Decimal(mine) / Decimal(median)).quantize(Decimal("0.0001"))
    return (ratio, median) if ratio <= max_ratio else None


def runner_up(
    winner: str, bids: Mapping[str, Mapping[str, Any]], valid: Mapping[str, bool]
) -> tuple[str, int] | None:
    """The runner-up and its price: the best-ranked valid bid besides the winner's, or, where
    the committee ranked none, the lowest valid price besides it."""
    others = [(s, b) for s, b in sorted(bids.items())
              if s != winner and valid.get(s) and b.get("fen") is not None]  # fmt: skip
    if not others:
        return None
    ranked = [(b["rank"], s, b["fen"]) for s, b in others if b.get("rank") is not None]
    if ranked:
        _, supplier, price = min(ranked)
        return supplier, int(price)
    supplier, bid = min(others, key=lambda o: (o[1]["fen"], o[0]))
    return supplier, int(bid["fen"])


def close_to_budget(award_fen: int, budget_fen: int, min_ratio: Decimal) -> Decimal | None:
    """award / budget when it reaches ``min_ratio`` (to four places), else None."""
    if budget_fen <= 0:
        return None
    ratio = Decimal(award_fen) / Decimal(budget_fen)
    return ratio.quantize(Decimal("0.0001")) if ratio >= min_ratio else None


# -- bidders' contacts ----------------------------------------------------------------------

#: The registry's fields bidders may share, as the page names them.
CONTACT_FIELDS: Final[Mapping[str, str]] = {"telephone": "联系电话", "address": "地址"}
_NOT_DIGIT: Final = re.compile(r"\D+")


def _contact_key(field: str, value: str) -> str:
    """What makes two entries of ``field`` the same: a telephone's digits (less the +86 of
    China), an address with its width and spaces made uniform."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", value))
    if field != "telephone":
        return text
    return _NOT_DIGIT.sub("", text.removeprefix("+86"))


def shared_contacts(
    contacts: Mapping[str, Mapping[str, str | None]], fields: Sequence[str]
) -> list[tuple[str, str, list[str]]]:
    """(field, value, suppliers) for each telephone or address two or more of ``contacts``
    (supplier → field → value) share; values as the first supplier (by code) gave them."""
    found = []
    for field in fields:
        groups: dict[str, list[str]] = defaultdict(list)
        said: dict[str, str] = {}
        for supplier in sorted(contacts):
            value = contacts[supplier].get(field)
            if value:
                key = _contact_key(field, value)
                groups[key].append(supplier)
                said.setdefault(key, value)
        found += [(field, said[k], group) for k, group in sorted(groups.items()) if len(group) > 1]
    return found


def share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(0)
