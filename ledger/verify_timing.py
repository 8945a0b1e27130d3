"""Time-limit findings recomputed by the verifier (`sunshine verify --check-timing`).

A time-limit finding depends on the working-day calendar and the time-limit table the
operator ran with, which are configuration, not in the log. Given a calendar and a table
(the packaged ones, or the operator's files, which an auditor can ask for), the verifier
computes each timed step's findings from the dates in earlier leaves, exactly as the ledger
does, and compares them with what the leaf records: a late result recorded without its
finding, or a finding the table does not give, is named.

Compared: the procurement's timed steps (``findings.TIMED_STEPS``) and a contract never filed
when the procurement is archived (``contracts``), challenge answers and
complaint decisions (``CHALLENGE_STEPS``), the filing of challenges and complaints, a
suspension's lawful end, bid deposits refunded late or never (``deposits``), the periods an
announcement states, an award from the evaluation
report's receipt, and a correction that may affect the bids against the deadline in force
after it (``periods``), the bidder minimums of a tender and the qualified minimum of a
资格预审 (table rows too), and publication on a required website
(``notice_published_on_website``), and a framework agreement's admission minimum, term
and call-off notices late or never given (``framework``). A finding recorded as provisional
(its deadline crossed a year the calendar did not know then) may rightly
differ from today's calendar: such a difference is counted, not failed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Final

from ledger.domain.challenges import complaint_period_start, statutory_deadline
from ledger.domain.competition import BIDS_AT_OPENING, VALID_AT_AWARD, bidder_findings
from ledger.domain.context import Statutes
from ledger.domain.contracts import missing_filing_findings
from ledger.domain.deliveries import RULE as WEBSITE_RULE
from ledger.domain.deliveries import website_findings
from ledger.domain.deposits import REFUND_RULES, refund_findings, unrefunded_findings
from ledger.domain.findings import (
    CHALLENGE_STEPS,
    TIMED_STEPS,
    limit_finding,
    stream_timing_findings,
    suspension_lapsed,
    timing_findings,
)
from ledger.domain.framework import (
    CALL_OFF_NOTICE_RULE,
    TERM_RULE,
    admission_refusal,
    call_off_notice_findings,
    term_findings,
    unannounced_findings,
)
from ledger.domain.known_dates import NotYetKnown, is_declared, should_have_known
from ledger.domain.lifecycle import Action
from ledger.domain.methods import at_threshold, method_approval_required
from ledger.domain.periods import (
    ANNOUNCEMENT_PERIOD_RULES,
    AWARD_RULE,
    CORRECTION_RULES,
    DOCUMENTS_ON_SALE_RULES,
    REPORT_RULE,
    WORKS_DOCUMENTS_ON_SALE_RULE,
    announcement_findings,
    award_findings,
    correction_findings,
)
from ledger.domain.prequalification import RULES as PREQUALIFIED_RULES
from ledger.domain.prequalification import qualified_findings
from ledger.domain.record import Objection, ProcurementRecord
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import StreamData
from ledger.domain.schema.values import Finding
from ledger.domain.vocabulary import Method, Subject
from ledger.domain.works import (
    CANDIDATES_RULES,
    COMPLAINT_FILED,
    DOCUMENT_OBJECTION,
    RESULT_OBJECTION,
    WRITTEN_REPORT,
    candidates_findings,
    complaint_filed_findings,
    complaint_start,
    filed_report_findings,
    is_works_tender,
    missing_report_findings,
    objection_findings,
    result_known_on,
)
from ledger.verify_statutes import StatuteReplay

PROCUREMENT_RULES: Final = frozenset(step.rule for step in TIMED_STEPS)
STREAM_RULES: Final = frozenset(step.rule for step in CHALLENGE_STEPS)
CORRECTION_RULE_IDS: Final = frozenset(CORRECTION_RULES.values())
ANNOUNCEMENT_RULE_IDS: Final = frozenset(
    {*ANNOUNCEMENT_PERIOD_RULES.values(), *DOCUMENTS_ON_SALE_RULES.values(),
     WORKS_DOCUMENTS_ON_SALE_RULE}
)


class TimingMismatch(ValueError):
    pass


class TimingCheck:
    """``statutes``: measure with these; None (``sunshine verify --check-timing``): with the
    calendar and table the log's statute book had adopted at each entry (``book``)."""

    def __init__(self, statutes: Statutes | None = None):
        self.given = statutes
        self.book: StatuteReplay | None = None  # bound by the lifecycle replay
        self.checked = 0  # leaves whose timed findings were compared
        self.provisional_differences = 0

    @property
    def statutes(self) -> Statutes:
        if self.given is not None:
            return self.given
        assert self.book is not None, "a TimingCheck reads the log's statutes once bound"
        return self.book.statutes

    def procurement(
        self,
        kind: str,
        action: Action,
        on: date,
        history: Mapping[Action, date],
        method: Method,
        recorded: Sequence[Finding],
        above: bool = True,
    ) -> None:
        """``above``: the procurement is at or above the open-tender threshold."""
        s = self.statutes
        found = timing_findings(action, on, history, method, s.calendar, s.limits, above)
        found += tuple(missing_filing_findings(action, history, s.calendar, s.limits))
        self._compare(kind, found, recorded, PROCUREMENT_RULES)

    def stream(
        self,
        kind: type[StreamData],
        on: date,
        history: Mapping[type[StreamData], date],
        recorded: Sequence[Finding],
        works: bool = False,
    ) -> None:
        """An answer, screening or decision, measured from the earlier events of its stream
        in ``history`` (the filing; for a works decision, the acceptance)."""
        s = self.statutes
        found = stream_timing_findings(kind, on, history, s.calendar, s.limits, works)
        self._compare(kind.__name__, found, recorded, STREAM_RULES)

    def objection(self, kind: str, data: E.ChallengeFiled, p: ProcurementRecord) -> None:
        """A works objection 异议: to the documents ≥ 10 days before the bid deadline, to the
        result during the candidates' 公示 (``works``)."""
        s = self.statutes
        found = objection_findings(
            data.subject, data.date, p.bid_deadline, p.candidates_until, s.calendar, s.limits
        )
        self._compare(kind, found, data.findings, {DOCUMENT_OBJECTION, RESULT_OBJECTION})

    def works_complaint(
        self, kind: str, challenge: Objection, on: date, recorded: Sequence[Finding]
    ) -> None:
        """A works complaint, within 10 days of the objection's answer or its answer period's
        end (``works``)."""
        s = self.statutes
        answered = challenge.closed_on if challenge.status == "answered" else None
        start = complaint_start(answered, challenge.filed_on, s.calendar, s.limits)
        found = complaint_filed_findings(start, on, s.calendar, s.limits)
        self._compare(kind, found, recorded, {COMPLAINT_FILED})

    def bidders(
        self, kind: str, action: Action, method: Method, bids: int, valid: int,
        recorded: Sequence[Finding],
    ) -> None:  # fmt: skip
        """A tender opened or awarded with fewer bidders than the table's minimum."""
        found = bidder_findings(action, method, bids, valid, self.statutes.limits)
        self._compare(kind, found, recorded, {BIDS_AT_OPENING, VALID_AT_AWARD})

    def prequalified(
        self, kind: str, works: bool, qualified: int, recorded: Sequence[Finding]
    ) -> None:
        """A 资格预审 that found fewer suppliers qualified than the table's minimum."""
        found = qualified_findings(works, qualified, self.statutes.limits)
        self._compare(kind, found, recorded, PREQUALIFIED_RULES)

    def at_threshold(self, procurement: ProcurementRecord) -> bool:
        """Whether the procurement is at or above its open-tender threshold."""
        p = procurement
        return at_threshold(p.category, p.budget, self.statutes.limits)

    def method_approval_required(self, procurement: ProcurementRecord) -> bool:
        """Whether the procurement's method needed approval (at or above the threshold)."""
        p = procurement
        return method_approval_required(p.method, p.category, p.budget, self.statutes.limits)

    def suspension_lapsed(self, suspended: bool, on: date, history: Mapping[Action, date]) -> bool:
        """Whether an act ``on`` comes after the lawful end of the procurement's suspension."""
        s = self.statutes
        return suspension_lapsed(suspended, on, history, s.calendar, s.limits)

    def limit(
        self, kind: str, rule: str, start: date, on: date, recorded: Sequence[Finding]
    ) -> None:
        """One time limit measured from ``start``: filing a challenge after the supplier knew,
        or a complaint after the challenge's answer period ended."""
        s = self.statutes
        found = limit_finding(rule, start, on, s.calendar, s.limits)
        self._compare(kind, [] if found is None else [found], recorded, {rule})

    def known_on(self, kind: str, data: E.ChallengeFiled, procurement: ProcurementRecord) -> None:
        """A challenge's 应知之日 is the one the ledger computes (``known_dates``): the end of
        the result notice's period; for the documents, the end of their notice period or the
        later receipt, which the log does not show before the box opens; a declared one (the
        process) no later than the challenge."""
        if is_declared(data.subject):
            wrong = data.known_on > data.date
        elif data.subject is Subject.RESULT and is_works_tender(
            procurement.category, procurement.method
        ):  # a works result is known when the candidates are published (``works``)
            wrong = data.known_on != result_known_on(procurement.dates)
        else:
            s = self.statutes
            try:
                computed = should_have_known(
                    data.subject, procurement.dates, s.calendar, s.limits
                )  # fmt: skip
            except NotYetKnown as e:
                raise TimingMismatch(f"{kind} {data.number}: {e}") from None
            if computed.provisional:
                self.provisional_differences += data.known_on != computed.day
                return
            documents = data.subject is Subject.DOCUMENTS
            wrong = data.known_on < computed.day if documents else data.known_on != computed.day
        if wrong:
            raise TimingMismatch(
                f"{kind} {data.number} records 应知之日 {data.known_on}, which its "
                f"{data.subject.value} and the calendar do not give"
            )

    def complaint(self, kind: str, filed: date, on: date, recorded: Sequence[Finding]) -> None:
        """A complaint's filing, measured from the end of its challenge's answer period."""
        due = statutory_deadline(self.statutes, "challenge_answered", filed)
        if due is not None and due.provisional:
            return  # measured from a provisional deadline: today's calendar may differ
        start = complaint_period_start(due, filed)
        self.limit(kind, "complaint_filed_after_answer_period", start, on, recorded)

    def correction(
        self, kind: str, method: Method, data: E.AnnouncementCorrected, deadline: date | None,
    ) -> None:  # fmt: skip
        """A correction that may affect the bids, against the deadline in force after it."""
        s = self.statutes
        affects = data.affects_preparation is True
        found = correction_findings(method, affects, data.date, deadline, s.calendar, s.limits)
        self._compare(kind, found, data.findings, CORRECTION_RULE_IDS)

    def announcement(self, kind: str, method: Method, data: E.TenderAnnounced) -> None:
        """The periods an announcement states: its 公告期限 and the documents' sale."""
        s = self.statutes
        works = is_works_tender(data.category, method)
        found = announcement_findings(
            method, data.date, data.period_end, data.documents_until, s.calendar, s.limits,
            works=works,
        )
        self._compare(kind, found, data.findings, ANNOUNCEMENT_RULE_IDS)

    def award(
        self, kind: str, evaluated: date | None, data: E.AwardDecided, works: bool = False
    ) -> None:
        """An award measured from the evaluation report's receipt (or its latest lawful day);
        a works tender's is not (87号令 第六十八条 does not bind it)."""
        s = self.statutes
        found = [] if works else award_findings(
            evaluated, data.report_received, data.date, s.calendar, s.limits
        )
        self._compare(kind, found, data.findings, {REPORT_RULE, AWARD_RULE})

    def deposits(
        self, kind: str, action: Action, procurement: ProcurementRecord, data: E.LifecycleData
    ) -> None:
        """Bid deposits refunded late, and, at the archive, never (``deposits``)."""
        s, p = self.statutes, procurement
        found = unrefunded_findings(action, p, s.calendar, s.limits)
        if isinstance(data, E.BidDepositsRefunded):
            found += refund_findings(data.suppliers, data.date, p, s.calendar, s.limits)
        self._compare(kind, found, data.findings, REFUND_RULES)

    def works(
        self, kind: str, action: Action, procurement: ProcurementRecord, data: E.LifecycleData
    ) -> None:
        """A works tender's 公示 shorter than 3 days, its written report late, and, at the
        archive, never filed (``works``)."""
        s, p = self.statutes, procurement
        works = is_works_tender(p.category, p.method)
        found = missing_report_findings(works, action, p.dates, s.calendar, s.limits)
        if isinstance(data, E.TenderReportFiled):
            awarded = p.dates.get(Action.DECIDE_AWARD)
            found += filed_report_findings(awarded, data.date, s.calendar, s.limits)
        if isinstance(data, E.CandidatesPublished):
            evaluated = p.dates.get(Action.COMPLETE_EVALUATION)
            found += candidates_findings(
                evaluated, data.date, data.period_end, s.calendar, s.limits
            )
        self._compare(kind, found, data.findings, {WRITTEN_REPORT, *CANDIDATES_RULES})

    def framework(
        self, kind: str, action: Action, procurement: ProcurementRecord, data: E.LifecycleData
    ) -> None:
        """A framework agreement (``framework``): its admission below the table's minimum, a
        term longer than the table's, a call-off announced late or, at the archive, never."""
        s, p = self.statutes, procurement
        if isinstance(data, E.AwardDecided) and data.admitted is not None:
            refusal = admission_refusal(data.admitted, p.valid_bidders or (), s.limits)
            if refusal is not None:
                raise TimingMismatch(f"{kind}: {refusal}")
        found = unannounced_findings(action, p, s.calendar, s.limits)
        if isinstance(data, E.ContractSigned) and data.term_ends is not None:
            found += term_findings(data.date, data.term_ends, s.calendar, s.limits)
        if isinstance(data, E.CallOffAnnounced):
            call_off = p.call_offs[data.contract_number]  # the replay checked it exists
            found += call_off_notice_findings(call_off.signed_on, data.date, s.calendar, s.limits)
        self._compare(kind, found, data.findings, {TERM_RULE, CALL_OFF_NOTICE_RULE})

    def delivery(
        self,
        kind: str,
        published: date,
        on: date,
        required: bool,
        delivered: bool,
        recorded: Sequence[Finding],
    ) -> None:
        found = website_findings(self.statutes, published, on, required, delivered)
        self._compare(kind, found, recorded, {WEBSITE_RULE})

    def _compare(
        self,
        kind: str,
        found: Sequence[Finding],
        recorded: Sequence[Finding],
        rules: Collection[str],
    ) -> None:
        self.checked += 1
        expected = sorted(_key(f) for f in found)
        kept = [f for f in recorded if f.rule in rules]
        actual = sorted(_key(f) for f in kept)
        if expected == actual:
            return
        if any(f.provisional for f in kept) or any(f.provisional for f in found):
            self.provisional_differences += 1
            return
        raise TimingMismatch(
            f"{kind} records the time-limit findings {_describe(actual)}; "
            f"the calendar and time-limit table give {_describe(expected)}"
        )


def _key(finding: Finding) -> tuple[str, str, str]:
    return finding.rule, str(finding.deadline), str(finding.actual)


def _describe(keys: Sequence[tuple[str, str, str]]) -> str:
    if not keys:
        return "none"
    return ", ".join(f"{rule} (due {due}, on {on})" for rule, due, on in keys)
