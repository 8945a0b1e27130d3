"""Findings from the statutory clock and the lifecycle, on the real packaged time limits and
small handmade calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from ledger.calendar_files import load_time_limits
from ledger.domain.clock import TimeLimit, WorkingCalendar
from ledger.domain.findings import (
    CHALLENGE_STEPS,
    TIMED_STEPS,
    breach_finding,
    irregularity_finding,
    stream_timing_findings,
    suspension_lapsed,
    timing_findings,
)
from ledger.domain.lifecycle import (
    PROCURE_FIRST_FILE_LATER,
    SKIPPED_INTENTION,
    Action,
    Stage,
    State,
    decide,
)
from ledger.domain.schema import entries as E
from ledger.domain.schema.values import Basis as BasisValue
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method

D = date.fromisoformat
LIMITS: dict[str, TimeLimit] = load_time_limits()

# A handmade 2025 in the shape of the real National Day arrangement: 1–8 October off,
# Sunday 28 September and Saturday 11 October worked. No other holidays.
CAL = WorkingCalendar(
    known_years={2025},
    holidays=[D("2025-10-01") + timedelta(days=i) for i in range(8)],
    workdays=[D("2025-09-28"), D("2025-10-11")],
)


@dataclass(frozen=True)
class Scenario:
    """``action`` under ``method``, ``start`` on ``began``: breaks ``rule`` on ``bad`` (due
    ``deadline``) and keeps it on ``good``."""

    rule: str
    action: Action
    start: Action
    method: Method
    began: date
    deadline: date
    bad: date
    good: date


# Deadlines worked out by hand on CAL.
SCENARIOS = [
    # +30 days = Sat 31 May, moved to Mon 2 June; announced too early on 30 May.
    Scenario("intention_disclosed_before_procurement", Action.ANNOUNCE_TENDER,
             Action.DISCLOSE_INTENTION, Method.OPEN_TENDER,
             D("2025-05-01"), D("2025-06-02"), D("2025-05-30"), D("2025-06-02")),
    # +20 days = Sun 22 June, moved to Mon 23 June; bids opened too early on 20 June.
    Scenario("tender_documents_to_bid_deadline", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.OPEN_TENDER,
             D("2025-06-02"), D("2025-06-23"), D("2025-06-20"), D("2025-06-23")),
    Scenario("tender_documents_to_bid_deadline", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.INVITED_TENDER,
             D("2025-06-02"), D("2025-06-23"), D("2025-06-20"), D("2025-06-23")),
    # Thu 25 Sep + 3 working days: Fri 26, Sun 28 (worked), Mon 29.
    Scenario("negotiation_documents_to_first_response", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.COMPETITIVE_NEGOTIATION,
             D("2025-09-25"), D("2025-09-29"), D("2025-09-28"), D("2025-09-29")),
    Scenario("negotiation_documents_to_first_response", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.INQUIRY,
             D("2025-09-25"), D("2025-09-29"), D("2025-09-26"), D("2025-09-30")),
    # +10 days = 2 October (holiday), moved to Thu 9 October.
    Scenario("consultation_documents_to_first_response", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.COMPETITIVE_CONSULTATION,
             D("2025-09-22"), D("2025-10-09"), D("2025-10-08"), D("2025-10-09")),
    # A framework agreement's 征集: +20 days = Sun 22 June, moved to Mon 23 June.
    Scenario("framework_documents_to_response_deadline", Action.OPEN_BIDS,
             Action.ANNOUNCE_TENDER, Method.FRAMEWORK_AGREEMENT,
             D("2025-06-02"), D("2025-06-23"), D("2025-06-20"), D("2025-06-23")),
    # Mon 2 June + 5 working days = Mon 9 June: the approval comes no earlier (实施条例
    # 第三十八条: the 公示 precedes the request for approval).
    Scenario("single_source_notice_period", Action.APPROVE_METHOD,
             Action.ANNOUNCE_TENDER, Method.SINGLE_SOURCE,
             D("2025-06-02"), D("2025-06-09"), D("2025-06-06"), D("2025-06-09")),
    # Tue 30 Sep + 2 working days across National Day: Thu 9, Fri 10 October.
    Scenario("result_announced_after_award", Action.ANNOUNCE_RESULT,
             Action.DECIDE_AWARD, Method.OPEN_TENDER,
             D("2025-09-30"), D("2025-10-10"), D("2025-10-11"), D("2025-10-10")),
    # +30 days = Sun 5 October (holiday), moved to Thu 9 October.
    Scenario("contract_signed_after_award_notice", Action.SIGN_CONTRACT,
             Action.ANNOUNCE_RESULT, Method.INVITED_TENDER,
             D("2025-09-05"), D("2025-10-09"), D("2025-10-10"), D("2025-10-09")),
    # Fri 6 June + 2 working days = Tue 10 June.
    Scenario("contract_announced_after_signing", Action.ANNOUNCE_CONTRACT,
             Action.SIGN_CONTRACT, Method.FRAMEWORK_AGREEMENT,
             D("2025-06-06"), D("2025-06-10"), D("2025-06-11"), D("2025-06-10")),
    # Tue 30 Sep + 7 working days across National Day: Thu 9, Fri 10, Sat 11 (worked),
    # Mon 13 … Thu 16 October.
    Scenario("contract_filed_after_signing", Action.FILE_CONTRACT,
             Action.SIGN_CONTRACT, Method.INQUIRY,
             D("2025-09-30"), D("2025-10-16"), D("2025-10-17"), D("2025-10-16")),
    # Suspended Fri 12 September: +30 days = Sun 12 October, moved to Mon 13 October.
    Scenario("suspension_longest", Action.RESUME,
             Action.SUSPEND, Method.OPEN_TENDER,
             D("2025-09-12"), D("2025-10-13"), D("2025-10-14"), D("2025-10-13")),
]  # fmt: skip


def _id(s: Scenario) -> str:
    return f"{s.rule}-{s.method.value}"


def test_every_rule_id_is_in_the_packaged_table() -> None:
    for row in TIMED_STEPS:
        assert row.rule in LIMITS, row
        assert LIMITS[row.rule].is_time_limit
    for srow in CHALLENGE_STEPS:
        assert srow.rule in LIMITS, srow


def test_every_row_and_method_has_a_scenario() -> None:
    covered = {(s.action, s.start, s.rule, s.method) for s in SCENARIOS}
    for row in TIMED_STEPS:
        methods = row.methods or frozenset(Method)
        assert any((row.action, row.start, row.rule, m) in covered for m in methods), row
        for m in row.methods:
            assert (row.action, row.start, row.rule, m) in covered, (row, m)


@pytest.mark.parametrize("s", SCENARIOS, ids=_id)
def test_breach_raises_exactly_that_finding(s: Scenario) -> None:
    found = timing_findings(s.action, s.bad, {s.start: s.began}, s.method, CAL, LIMITS)
    limit = LIMITS[s.rule]
    assert found == (
        Finding(
            rule=s.rule,
            citation=limit.citation,
            description_zh=limit.description_zh,
            deadline=s.deadline,
            actual=s.bad,
            provisional=False,
            reason=found[0].reason if found else "",
            start=s.began,
            basis=found[0].basis if found else None,
        ),
    )
    assert found[0].basis is not None and found[0].basis.table is None  # no entry adopted LIMITS
    if limit.direction == "at_most":
        assert s.bad > s.deadline
    else:
        assert s.bad < s.deadline


@pytest.mark.parametrize("s", SCENARIOS, ids=_id)
def test_on_time_twin_raises_none(s: Scenario) -> None:
    assert timing_findings(s.action, s.good, {s.start: s.began}, s.method, CAL, LIMITS) == ()


@pytest.mark.parametrize("s", SCENARIOS, ids=_id)
def test_no_start_in_history_gives_no_finding(s: Scenario) -> None:
    assert timing_findings(s.action, s.bad, {}, s.method, CAL, LIMITS) == ()
    unrelated = {a: s.began for a in Action if a is not s.start}
    assert timing_findings(s.action, s.bad, unrelated, s.method, CAL, LIMITS) == ()


def test_method_specific_rows_do_not_apply_to_other_methods() -> None:
    history = {Action.ANNOUNCE_TENDER: D("2025-06-02")}
    # Opened after 1 day: early for every method with a response rule, but single source
    # has none. Invited tender keeps the 20 days of every 招标 (政府采购法 第三十五条;
    # 财政部令第87号 第十九条); a framework agreement's 征集 has its own 20 days (110号令).
    early = D("2025-06-03")
    for method in (Method.SINGLE_SOURCE,):
        assert timing_findings(Action.OPEN_BIDS, early, history, method, CAL, LIMITS) == ()
    rules = {
        m: [f.rule for f in timing_findings(Action.OPEN_BIDS, early, history, m, CAL, LIMITS)]
        for m in (
            Method.OPEN_TENDER,
            Method.INVITED_TENDER,
            Method.COMPETITIVE_CONSULTATION,
            Method.INQUIRY,
            Method.FRAMEWORK_AGREEMENT,
        )
    }
    assert rules == {
        Method.OPEN_TENDER: ["tender_documents_to_bid_deadline"],
        Method.INVITED_TENDER: ["tender_documents_to_bid_deadline"],
        Method.COMPETITIVE_CONSULTATION: ["consultation_documents_to_first_response"],
        Method.INQUIRY: ["negotiation_documents_to_first_response"],
        Method.FRAMEWORK_AGREEMENT: ["framework_documents_to_response_deadline"],
    }
    # Approving the method the day after the notice is early only for single source, and
    # only at or above the open-tender threshold (实施条例 第三十八条).
    day = D("2025-06-03")
    approve, single = Action.APPROVE_METHOD, Method.SINGLE_SOURCE
    assert timing_findings(approve, day, history, Method.OPEN_TENDER, CAL, LIMITS) == ()
    found = timing_findings(approve, day, history, single, CAL, LIMITS)
    assert [f.rule for f in found] == ["single_source_notice_period"]
    assert timing_findings(approve, day, history, single, CAL, LIMITS, at_threshold=False) == ()
    # The award is no longer measured: the approval in between is.
    assert timing_findings(Action.DECIDE_AWARD, day, history, single, CAL, LIMITS) == ()


def test_untimed_actions_give_no_finding() -> None:
    history = {a: D("2020-01-01") for a in Action}
    timed = {row.action for row in TIMED_STEPS}
    for action in Action:
        if action not in timed:
            for method in Method:
                assert timing_findings(action, D("2025-06-02"), history, method, CAL, LIMITS) == ()


def test_unknown_year_gives_a_provisional_finding() -> None:
    cal = WorkingCalendar.weekends_only()
    award = D("2031-03-03")  # Monday; +2 working days = Wednesday 5 March
    found = timing_findings(
        Action.ANNOUNCE_RESULT,
        D("2031-03-06"),
        {Action.DECIDE_AWARD: award},
        Method.OPEN_TENDER,
        cal,
        LIMITS,
    )
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.deadline, f.actual, f.provisional) == (
        "result_announced_after_award",
        D("2031-03-05"),
        D("2031-03-06"),
        True,
    )
    assert f.citation == LIMITS["result_announced_after_award"].citation
    assert "2031" in f.reason and "暂定" in f.reason


def test_known_year_across_into_unknown_year_is_provisional() -> None:
    cal = WorkingCalendar(known_years={2025})
    # Signed Wed 31 Dec 2025: 2 working days run into 2026, which the calendar does not know.
    found = timing_findings(
        Action.ANNOUNCE_CONTRACT,
        D("2026-01-05"),
        {Action.SIGN_CONTRACT: D("2025-12-31")},
        Method.OPEN_TENDER,
        cal,
        LIMITS,
    )
    assert [(f.rule, f.deadline, f.provisional) for f in found] == [
        ("contract_announced_after_signing", D("2026-01-02"), True)
    ]


def test_unknown_rule_in_limits_is_a_clear_error() -> None:
    limits = {k: v for k, v in LIMITS.items() if k != "result_announced_after_award"}
    with pytest.raises(KeyError, match="result_announced_after_award"):
        timing_findings(
            Action.ANNOUNCE_RESULT,
            D("2025-06-03"),
            {Action.DECIDE_AWARD: D("2025-06-02")},
            Method.OPEN_TENDER,
            CAL,
            limits,
        )


# -- challenges and complaints -------------------------------------------------------------


def test_challenge_answered_late_and_on_time() -> None:
    # Fri 26 Sep + 7 working days: 28 (Sun, worked), 29, 30 Sep, 9, 10, 11 (Sat, worked),
    # 13 October.
    history: dict[type[E.StreamData], date] = {E.ChallengeFiled: D("2025-09-26")}
    late = stream_timing_findings(E.ChallengeAnswered, D("2025-10-14"), history, CAL, LIMITS)
    limit = LIMITS["challenge_answered"]
    assert late == (
        Finding(
            rule="challenge_answered",
            citation=limit.citation,
            description_zh=limit.description_zh,
            deadline=D("2025-10-13"),
            actual=D("2025-10-14"),
            provisional=False,
            reason="",
            start=D("2025-09-26"),  # the clock's start and what it was counted with
            basis=BasisValue(table=None, calendars={"2025": None}),
        ),
    )
    assert stream_timing_findings(E.ChallengeAnswered, D("2025-10-13"), history, CAL, LIMITS) == ()
    assert stream_timing_findings(E.ChallengeAnswered, D("2025-10-14"), {}, CAL, LIMITS) == ()
    assert stream_timing_findings(E.ChallengeFiled, D("2025-10-14"), history, CAL, LIMITS) == ()


def test_complaint_decided_late_and_on_time() -> None:
    # Mon 2 June + 30 working days (no holidays) = Mon 14 July.
    history: dict[type[E.StreamData], date] = {E.ComplaintFiled: D("2025-06-02")}
    late = stream_timing_findings(E.ComplaintDecided, D("2025-07-15"), history, CAL, LIMITS)
    assert [(f.rule, f.deadline, f.actual) for f in late] == [
        ("complaint_decided", D("2025-07-14"), D("2025-07-15"))
    ]
    assert stream_timing_findings(E.ComplaintDecided, D("2025-07-14"), history, CAL, LIMITS) == ()


def test_challenge_answered_in_an_unknown_year_is_provisional() -> None:
    found = stream_timing_findings(
        E.ChallengeAnswered,
        D("2031-01-30"),
        {E.ChallengeFiled: D("2030-12-20")},
        WorkingCalendar.weekends_only(),
        LIMITS,
    )
    assert [(f.deadline, f.provisional) for f in found] == [(D("2030-12-31"), True)]


# -- conversions ---------------------------------------------------------------------------


def test_irregularities_from_the_lifecycle_become_findings() -> None:
    transition = decide(State.initial(), Action.ANNOUNCE_TENDER, Method.OPEN_TENDER)
    findings = [irregularity_finding(i) for i in transition.irregularities]
    assert {f.rule for f in findings} == {PROCURE_FIRST_FILE_LATER, SKIPPED_INTENTION}
    for f, i in zip(findings, transition.irregularities, strict=True):
        assert (f.rule, f.citation, f.description_zh) == (i.rule, i.citation, i.description_zh)
        assert (f.deadline, f.actual, f.provisional) == (None, None, False)
    skipped = next(f for f in findings if f.rule == SKIPPED_INTENTION)
    assert skipped.citation == "财库〔2020〕10号"


def test_contract_before_result_is_an_irregularity_not_a_timing_finding() -> None:
    state = State(plan="approved", method_approved=True)
    for action in (
        Action.ANNOUNCE_TENDER,
        Action.OPEN_BIDS,
        Action.COMPLETE_EVALUATION,
        Action.DECIDE_AWARD,
    ):
        state = decide(state, action, Method.OPEN_TENDER).state
    transition = decide(state, Action.SIGN_CONTRACT, Method.OPEN_TENDER)
    rules = [irregularity_finding(i).rule for i in transition.irregularities]
    assert rules == ["contract_before_result_announced"]
    # No result announcement in history: the 30-day rule has nothing to count from.
    history = {Action.DECIDE_AWARD: D("2025-06-02")}
    assert (
        timing_findings(
            Action.SIGN_CONTRACT, D("2025-12-01"), history, Method.OPEN_TENDER, CAL, LIMITS
        )
        == ()
    )


def test_from_breach_refuses_a_mismatched_limit() -> None:
    limit = LIMITS["result_announced_after_award"]
    breach = CAL.check(limit, D("2025-06-02"), D("2025-06-10"))
    assert breach is not None
    finding = breach_finding(breach, limit)
    assert (finding.rule, finding.deadline, finding.actual) == (
        "result_announced_after_award",
        D("2025-06-04"),
        D("2025-06-10"),
    )
    with pytest.raises(ValueError, match="contract_announced_after_signing"):
        breach_finding(breach, LIMITS["contract_announced_after_signing"])


def test_a_suspension_lapses_at_its_lawful_end() -> None:
    # 政府采购法 第五十七条: at most 30 days; Fri 12 September ends Mon 13 October on CAL.
    history = {Action.SUSPEND: D("2025-09-12")}
    assert not suspension_lapsed(True, D("2025-10-13"), history, CAL, LIMITS)
    assert suspension_lapsed(True, D("2025-10-14"), history, CAL, LIMITS)
    assert not suspension_lapsed(False, D("2025-10-14"), history, CAL, LIMITS)
    state = State(plan="approved", method_approved=True, progress=Stage.ANNOUNCED, suspended=True)
    inside = decide(state, Action.OPEN_BIDS, Method.OPEN_TENDER)
    assert [i.rule for i in inside.irregularities] == ["acted_while_suspended"]
    after = decide(state, Action.OPEN_BIDS, Method.OPEN_TENDER, suspension_lapsed=True)
    assert after.irregularities == () and after.state.suspended is False
    # The finance office's late lifting is still recorded as such.
    lifted = decide(state, Action.RESUME, Method.OPEN_TENDER, suspension_lapsed=True)
    assert lifted.state.suspended is False
