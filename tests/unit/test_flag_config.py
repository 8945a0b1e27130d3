"""The red-flag thresholds: an operator's file laid over the packaged one, and mistakes in
it refused with the file, the line and the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from projections.flags import FlagConfigError, FlagKind, load_flag_config


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "flags.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlagConfigError) as caught:
        load_flag_config(path)
    assert caught.value.source == str(path)
    return str(caught.value).removeprefix(f"{path}:")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            '[award_close_to_budget]\nmin_ratio = "0.98"\nmax_ratio = "1"\n',
            3,
            "[award_close_to_budget] max_ratio: unknown key (expected one of min_ratio, methods)",
        ),
        (
            '# stricter\n\n[award_close_to_budget]\nmin_ratio = "1.5"\n',
            4,
            '[award_close_to_budget] min_ratio: a decimal fraction above 0 and at most 1, like "0.',
        ),
        ('[award_close_to_budget]\nmin_ratio = "NaN"\n', 2, "[award_close_to_budget] min_ratio: a"),
        ("[repeated_winner]\nmin_share = true\n", 2, "[repeated_winner] min_share: a decimal"),
        ("[repeated_winner]\nmin_share = 0\n", 2, "[repeated_winner] min_share: a decimal"),
        (
            '[single_source_overuse]\nperiod = "week"\n',
            2,
            "[single_source_overuse] period: one of year, quarter, month",
        ),
        ("[splitting]\nmin_pieces = 0\n", 2, "[splitting] min_pieces: a whole number of at least"),
        ("[identical_bid_prices]\nmin_equal = true\n", 2, "[identical_bid_prices] min_equal: a"),
        ("[fewer_than_three_bidders]\nmin_valid = 2.5\n", 2, "fewer_than_three_bidders] min_valid"),
        (
            '[splitting]\ngroup_by = "supplier"\n',
            2,
            '[splitting] group_by: "title", "category", "catalogue", "budget_item" or "budget_ite',
        ),
        (
            '[splitting]\nperiod = "year"\nmethods = [\n  "inquiry",\n  "bidding",\n]\n',
            5,
            "[splitting] methods[1]: a list of method codes (competitive_consultation,",
        ),
        ('[single_bid]\nmethods = "inquiry"\n', 2, "[single_bid] methods: a list of method codes"),
        (
            '[designated_brand]\nbrands = ["西门子", ""]\n',
            2,
            "[designated_brand] brands[1]: a list of non-empty strings",
        ),
        (
            "[non_open_without_rationale]\nplaceholders = [1]\n",
            2,
            "[non_open_without_rationale] placeholders[0]: a list of non-empty strings",
        ),
        (
            "[open_tender_threshold]\ngoods = 2000000\n",
            2,
            '[open_tender_threshold] goods: an amount in yuan, like "2000000.00"',
        ),
        (
            '[open_tender_threshold]\nfood = "1.00"\n',
            2,
            "[open_tender_threshold] food: unknown key (expected one of goods, services, works)",
        ),
        (
            "[short_submission_period]\nopen_tender = { limit = 30 }\n",
            2,
            "[short_submission_period] open_tender: unit is missing",
        ),
        (
            '[short_submission_period]\nbidding = { limit = 30, unit = "days" }\n',
            2,
            "[short_submission_period] bidding: not a method code (competitive_consultation,",
        ),
        (
            '[short_submission_period]\nsingle_source = { limit = 3, unit = "weeks" }\n',
            2,
            '[short_submission_period] single_source.unit: "days" or "working_days"',
        ),
        (
            '[short_submission_period]\nsingle_source = { limit = 0, unit = "days" }\n',
            2,
            "[short_submission_period] single_source.limit: a whole number of at least 1",
        ),
        ('[severity]\nsplitting = "loud"\n', 2, "[severity] splitting: high, medium or low"),
        ('[severity]\nbogus = "low"\n', 2, "[severity] bogus: not a flag kind"),
        (
            '[spliting]\nperiod = "year"\n',
            1,
            "[spliting]: unknown table (expected [open_tender_threshold], [splitting],",
        ),
        ("# a typo\nsplitting = 3\n", 2, "[splitting]: must be a table"),
        ('# the window\nsplitting.period = "week"\n', 2, "[splitting] period: one of year"),
        ("[splitting\n", 1, "malformed TOML"),
    ],
)
def test_a_mistake_names_its_file_line_and_key(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    message = refusal(tmp_path, text)
    assert message.startswith(f"{line}: "), message
    assert words in message, message


def test_an_operators_file_changes_only_what_it_says(tmp_path: Path) -> None:
    packaged = load_flag_config()
    path = tmp_path / "flags.toml"
    path.write_text(
        '[repeated_winner]\nmin_share = 0.6\n\n[short_submission_period]\n'
        'single_source = { limit = 5, unit = "working_days" }\n\n[severity]\nsingle_bid = "high"\n',
        encoding="utf-8",
    )  # fmt: skip
    config = load_flag_config(path)
    assert config.ratio("repeated_winner", "min_share") == Decimal("0.6")
    assert config.number("repeated_winner", "min_wins") == packaged.number(
        "repeated_winner", "min_wins"
    )
    assert config.methods("repeated_winner") == packaged.methods("repeated_winner")
    period = config.submission_period("single_source")
    assert period is not None and (period.limit, period.unit) == (5, "working_days")
    assert config.submission_period("open_tender") == packaged.submission_period("open_tender")
    assert config.severity(FlagKind.SINGLE_BID) == "high"
    assert config.fingerprint() != packaged.fingerprint()
    # A share written as a number or as a string is the same threshold.
    path.write_text('[repeated_winner]\nmin_share = "0.5"\n', encoding="utf-8")
    assert load_flag_config(path).fingerprint() == packaged.fingerprint()
    path.write_text("[repeated_winner]\nmin_share = 0.5\n", encoding="utf-8")
    assert load_flag_config(path).fingerprint() == packaged.fingerprint()


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(FlagConfigError, match="cannot read the flags file"):
        load_flag_config(tmp_path / "missing.toml")
