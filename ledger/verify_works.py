"""The works-tender steps replayed by the verifier (``ledger.domain.works``).

What an entry alone gives, checked on every verify: a works tender's notice names its
行政监督部门 and no other notice does; the candidates' 公示 is a works tender's, once, of the
committee's first-ranked valid candidates; the written report is a works tender's, once, to
the 行政监督部门 its notice named, on the winner; an award's 公示 findings (none published, or
awarded before its end) are those the record gives, neither left out nor forged. The time
limits (the 公示's length, the report's 15 days, a report never filed) are recomputed by
``verify_timing`` under --check-timing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ledger.domain.lifecycle import Action
from ledger.domain.record import ProcurementRecord
from ledger.domain.schema import entries as E
from ledger.domain.vocabulary import Role
from ledger.domain.works import (
    AWARD_DURING_PUBLICITY,
    AWARD_WITHOUT_CANDIDATES,
    award_findings,
    is_works_tender,
)

AWARD_RULES: Final = frozenset({AWARD_WITHOUT_CANDIDATES, AWARD_DURING_PUBLICITY})


def works_steps(
    name: str, procurement: ProcurementRecord, data: E.LifecycleData, kinds: Mapping[str, str]
) -> str | None:
    """What is wrong with the structure of a works tender's own steps, from the entry, the
    record and the registry's organisation ``kinds`` (code → kind); None when nothing is."""
    p = procurement
    works = is_works_tender(p.category, p.method)
    match data:
        case E.TenderAnnounced() if data.supervisor is not None and kinds.get(
            data.supervisor
        ) != Role.SUPERVISION_DEPARTMENT.value:
            return f"{name} of {p.code} names {data.supervisor}, not a registered 行政监督部门"
        case E.TenderAnnounced() if (data.supervisor is None) == works:
            said = "names no" if works else "names a"
            return f"{name} of {p.code} {said} 行政监督部门 (supervisor)"
        case E.CandidatesPublished() | E.TenderReportFiled() if not works:
            return f"{name}: {p.code} is not a works tender"
        case E.CandidatesPublished():
            if Action.PUBLISH_CANDIDATES in p.dates:
                return f"{name}: the candidates of {p.code} were published"
            ranked = [s for s in p.ranking if s in (p.valid_bidders or ())][:3]
            if data.candidates != ranked:
                return (
                    f"{name} publishes {data.candidates}, not the committee's first-ranked "
                    f"valid candidates {ranked}"
                )
        case E.TenderReportFiled():
            if Action.FILE_TENDER_REPORT in p.dates:
                return f"{name}: the report on {p.code} was already filed"
            if (data.supervisor, data.supplier) != (p.supervisor, p.winner):
                return (
                    f"{name} reports {data.supplier} to {data.supervisor}, not the winner "
                    f"{p.winner} to the notice's 行政监督部门 {p.supervisor}"
                )
        case _:
            pass
    return None


def works_award(name: str, procurement: ProcurementRecord, data: E.LifecycleData) -> str | None:
    """What is wrong with a works award's 公示 findings, which its record gives."""
    if not isinstance(data, E.AwardDecided):
        return None
    p = procurement
    expected = award_findings(is_works_tender(p.category, p.method), p.candidates_until, data.date)
    wanted = sorted((f.rule, str(f.deadline)) for f in expected)
    recorded = sorted((f.rule, str(f.deadline)) for f in data.findings if f.rule in AWARD_RULES)
    if wanted != recorded:
        return (
            f"{name} records the 公示 findings {recorded or 'none'}; the candidates' 公示 gives "
            f"{wanted or 'none'}"
        )
    return None
