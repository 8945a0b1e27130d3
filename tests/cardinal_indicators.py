"""Seven of OCP Cardinal's red flags, computed on OCDS compiled releases by its definitions.

The ``ocdscardinal`` Python package offers only ``coverage``; the indicators themselves are
in its Rust command line, which no registry we use ships. So each indicator here follows its
page at cardinal.readthedocs.io (ocdscardinal 0.0.8), with the rules every indicator shares:
a cancelled process (``tender.status``) is left out, a *submitted* bid is one whose status
is pending, valid or disqualified, and amounts count in the first currency seen. Quartiles
are statrs' (the library Cardinal uses): the R-8, median-unbiased estimate.

Each function answers the ocids it raises (R038: the buyers, procuring entities and
tenderers), with Cardinal's default settings unless the ``Settings`` say otherwise.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Release = Mapping[str, Any]


@dataclass(frozen=True)
class Settings:
    """Cardinal's settings file, for the indicators here: its defaults unless given."""

    r003_threshold: int = 15
    #: ``[R003.procurement_method_details]``: a threshold per ``procurementMethodDetails``.
    r003_by_details: Mapping[str, int] = field(default_factory=dict)
    r018_methods: frozenset[str] = frozenset({"open", "selective"})
    r035_threshold: int = 1
    r038_minimum_submitted_bids: int = 2
    r038_minimum_contracting_processes: int = 2


def analysed(releases: Iterable[Release]) -> list[Release]:
    """The releases every indicator reads: a string ocid, not cancelled."""
    return [r for r in releases if isinstance(r.get("ocid"), str)
            and r.get("tender", {}).get("status") != "cancelled"]  # fmt: skip


def submitted_bids(release: Release) -> list[Mapping[str, Any]]:
    return [b for b in release.get("bids", {}).get("details", [])
            if b.get("status") in ("pending", "valid", "disqualified")]  # fmt: skip


def _amount(bid: Mapping[str, Any]) -> tuple[float, str] | None:
    value = bid.get("value", {})
    amount, currency = value.get("amount"), value.get("currency")
    if isinstance(amount, int | float) and isinstance(currency, str):
        return float(amount), currency
    return None


def _tenderers(bid: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(t["id"] for t in bid.get("tenderers", []) if isinstance(t.get("id"), str))


def _final_awards(release: Release) -> list[Mapping[str, Any]] | None:
    """The active awards, when there are bids and every award is final (none pending)."""
    awards = release.get("awards")
    if not isinstance(awards, list) or "details" not in release.get("bids", {}):
        return None
    if any(a.get("status") not in ("active", "cancelled", "unsuccessful", None) for a in awards):
        return None
    return [a for a in awards if a.get("status") == "active"]


def submission_days(release: Release) -> int | None:
    """R003's submission period: whole 24-hour days from ``tenderPeriod.startDate`` to its
    ``endDate``, to the minute (19 days 18 hours is 19 days)."""
    period = release.get("tender", {}).get("tenderPeriod", {})
    try:
        start = datetime.fromisoformat(period["startDate"])
        end = datetime.fromisoformat(period["endDate"])
    except (KeyError, TypeError, ValueError):
        return None
    # Rust's num_days truncates toward zero; a negative period is never short here.
    return math.trunc((end - start).total_seconds() / 86400)


def r003(release: Release, settings: Settings) -> bool:
    """Short submission period: shorter than the threshold (per method details if set)."""
    days = submission_days(release)
    if days is None:
        return False
    details = release["tender"].get("procurementMethodDetails")
    return days < settings.r003_by_details.get(details, settings.r003_threshold)


def r018(release: Release, settings: Settings) -> bool:
    """Single bid received: ``numberOfTenderers`` is 1 in a competitive method."""
    tender = release.get("tender", {})
    return tender.get("procurementMethod") in settings.r018_methods and (
        tender.get("numberOfTenderers") == 1)  # fmt: skip


def r028(release: Release) -> bool:
    """Identical bid prices: two submitted bids of different tenderers at the same price."""
    seen: dict[tuple[float, str], frozenset[str]] = {}
    flagged = False
    for bid in submitted_bids(release):
        price, ids = _amount(bid), _tenderers(bid)
        if price is None or not ids:
            continue
        if price in seen and seen[price] != ids:
            flagged = True
        seen[price] = ids
    return flagged


def r035(release: Release, settings: Settings) -> int | None:
    """All except the winning bid disqualified: one tenderer's bids are valid, it won every
    active award, and at least ``threshold`` others were disqualified (their number)."""
    awards = _final_awards(release)
    if awards is None:
        return None
    suppliers = {s["id"] for a in awards for s in a.get("suppliers", []) if "id" in s}
    valid: set[str] = set()
    disqualified: set[str] = set()
    for bid in release["bids"]["details"]:
        if bid.get("status") == "valid":
            valid |= _tenderers(bid)
        elif bid.get("status") == "disqualified":
            disqualified |= _tenderers(bid)
    others = len(disqualified - valid)
    if len(valid) == 1 and valid == suppliers and others >= settings.r035_threshold:
        return others
    return None


def r036(release: Release, currency: str) -> bool:
    """Lowest bid disqualified: an active award, a valid bid with an amount, and the lowest
    submitted bid (the first of equals) disqualified."""
    if not any(a.get("status") == "active" for a in release.get("awards", [])):
        return False
    lowest: tuple[float, str] | None = None
    any_valid = False
    for bid in submitted_bids(release):
        price = _amount(bid)
        if price is None or price[1] != currency:
            continue
        if lowest is None or price[0] < lowest[0]:
            lowest = (price[0], bid["status"])
        any_valid = any_valid or bid["status"] == "valid"
    return any_valid and lowest is not None and lowest[1] == "disqualified"


def quantile(values: Sequence[float], tau: float) -> float:
    """statrs' ``quantile`` (R-8): what Cardinal's quartiles are."""
    data, n = sorted(values), len(values)
    h = (n + 1 / 3) * tau + 1 / 3
    low = math.floor(h)
    if low <= 0:
        return data[0]
    if low >= n:
        return data[-1]
    return data[low - 1] + (h - low) * (data[low] - data[low - 1])


def second_lowest_ratios(releases: Iterable[Release], currency: str) -> dict[str, float]:
    """R024's difference per process: (second-lowest valid bid − winning bid) / winning bid,
    where one active award went to one supplier and its bid was the lowest valid one."""
    ratios: dict[str, float] = {}
    for release in releases:
        awards = _final_awards(release)
        if awards is None or len(awards) != 1 or len(awards[0].get("suppliers", [])) != 1:
            continue
        winner = awards[0]["suppliers"][0].get("id")
        mine: float | None = None
        others: float | None = None
        for bid in release["bids"]["details"]:
            price, ids = _amount(bid), _tenderers(bid)
            if bid.get("status") != "valid" or price is None or price[1] != currency or (
                    len(bid.get("tenderers", [])) != 1):  # fmt: skip
                continue
            if winner in ids:
                mine = price[0] if mine is None else min(mine, price[0])
            else:
                others = price[0] if others is None else min(others, price[0])
        if mine is not None and others is not None and others >= mine:
            ratios[release["ocid"]] = (others - mine) / mine
    return ratios


def r024(releases: Iterable[Release], currency: str) -> set[str]:
    """Price close to winning bid: a difference at or below Q1 − 1.5 IQR, when Q1 and that
    fence are above 0 (else three quarters of processes would be raised)."""
    ratios = second_lowest_ratios(releases, currency)
    if not ratios:
        return set()
    q1, q3 = quantile(list(ratios.values()), 0.25), quantile(list(ratios.values()), 0.75)
    fence = q1 - 1.5 * (q3 - q1)
    if q1 <= 0 or fence <= 0:
        return set()
    return {ocid for ocid, ratio in ratios.items() if ratio <= fence}


def r038(releases: Iterable[Release], settings: Settings) -> dict[str, set[str]]:
    """Excessive disqualified bids: the share of submitted bids disqualified, per buyer,
    procuring entity (with enough processes) and tenderer (with enough bids), at or above
    Q3 + 1.5 IQR of its group, when that fence is above 0."""
    # organisation → [disqualified, submitted, processes]
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for release in releases:
        bids = submitted_bids(release)
        if not bids:
            continue
        out = sum(b["status"] == "disqualified" for b in bids)
        for group, org in (("Buyer", release.get("buyer", {}).get("id")),
                           ("ProcuringEntity",
                            release.get("tender", {}).get("procuringEntity", {}).get("id"))):
            if isinstance(org, str):
                row = counts[group][org]
                row[0], row[1], row[2] = row[0] + out, row[1] + len(bids), row[2] + 1
        for bid in bids:
            for tenderer in _tenderers(bid):
                row = counts["Tenderer"][tenderer]
                row[0], row[1] = row[0] + (bid["status"] == "disqualified"), row[1] + 1
    flagged: dict[str, set[str]] = {}
    for group, rows in counts.items():
        if group == "Tenderer":
            kept = {o: d / s for o, (d, s, _) in rows.items()
                    if s >= settings.r038_minimum_submitted_bids}  # fmt: skip
        else:
            kept = {o: d / s for o, (d, s, p) in rows.items()
                    if p >= settings.r038_minimum_contracting_processes}  # fmt: skip
        if not kept:
            continue
        q1, q3 = quantile(list(kept.values()), 0.25), quantile(list(kept.values()), 0.75)
        fence = q3 + 1.5 * (q3 - q1)
        if fence > 0:
            flagged[group] = {o for o, ratio in kept.items() if ratio >= fence}
    return flagged


def main_currency(releases: Iterable[Release]) -> str | None:
    """The first currency a bid is in: Cardinal compares amounts in it only."""
    for release in releases:
        for bid in submitted_bids(release):
            price = _amount(bid)
            if price is not None:
                return price[1]
    return None


def per_process(releases: Iterable[Release], settings: Settings) -> dict[str, set[str]]:
    """R003, R018, R024, R028, R035 and R036: the ocids each raises."""
    kept = analysed(releases)
    currency = main_currency(kept) or ""
    return {
        "R003": {r["ocid"] for r in kept if r003(r, settings)},
        "R018": {r["ocid"] for r in kept if r018(r, settings)},
        "R024": r024(kept, currency),
        "R028": {r["ocid"] for r in kept if r028(r)},
        "R035": {r["ocid"] for r in kept if r035(r, settings) is not None},
        "R036": {r["ocid"] for r in kept if r036(r, currency)},
    }
