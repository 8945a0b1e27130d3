"""歧视性资格条件: wording in a requirement or the qualifications that shuts suppliers out.

财政部令第87号 第十七条 forbids 规模条件 (registered capital, assets, turnover, staff, profit,
tax) as qualifications and 生产厂家授权 except for imported goods; 政府采购法实施条例 第二十条
forbids conditions tied to a region (本地注册, 本地分支机构, local performance). The patterns
are configuration (``[discriminatory_qualification]``), matched clause by clause, so an
operator adds the wording of its own province without code.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from ledger.domain.schema import entries as E
from ledger.domain.schema.entry import parse_entry
from ledger.log.reader import LogReader
from projections.flags.config import FlagConfig
from projections.flags.kinds import FlagKind
from projections.flags.run import Run

#: A clause ends at Chinese punctuation or a comma that is not inside a number (1,000).
_CLAUSE: Final = re.compile(r"[，。；;！!？?\n]|,(?!\d)")


@dataclass(frozen=True)
class TermMatch:
    name: str  # the pattern's name: 规模条件, 本地分支机构 …
    citation: str
    term: str  # the words that matched
    snippet: str  # the clause they are in


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def term_matches(text: str, config: FlagConfig, imports: bool = False) -> list[TermMatch]:
    """Clauses of ``text`` that set a discriminatory condition, each once, in order. A clause
    with a negation (不得以注册资本作为资格条件) says the opposite; a pattern exempt for
    imports does not apply where the tender admits imported products."""
    table = config.table("discriminatory_qualification")
    found: list[TermMatch] = []
    for raw in _CLAUSE.split(unicodedata.normalize("NFKC", text)):
        clause = raw.strip()
        if not clause or any(n in clause for n in table["negations"]):
            continue
        for pattern in table["patterns"]:
            if imports and pattern["imports_exempt"]:
                continue
            hit = _compiled(pattern["pattern"]).search(clause)
            if hit is not None:
                found.append(
                    TermMatch(pattern["name"], pattern["citation"], hit.group(0), clause[:120])
                )
                break  # one match per clause
    return found


def check(run: Run, text: str, where: str, imports: bool = False) -> None:
    """Raise (or add to) the procurement's flag for what ``text`` at this leaf sets."""
    found = term_matches(text, run.config, imports)
    if not found:
        return
    matches: list[dict[str, Any]] = [
        {"where": f"{where}（{m.name}，{m.citation}）", "snippet": m.snippet, "term": m.term,
         "name": m.name, "citation": m.citation, "leaf": run.index}
        for m in found
    ]  # fmt: skip
    first = found[0]
    run.flag(
        FlagKind.DISCRIMINATORY_QUALIFICATION,
        f"{where}含{first.name}条件：“{first.snippet[:40]}”",
        {"matches": matches},
        [run.me(f"{where}：{'、'.join(dict.fromkeys(m.name for m in found))}")],
    )


def tender_admits_imports(run: Run) -> bool:
    """Whether the procurement's tender, read back from the log, admits imported products
    (a correction is judged under the tender it corrects)."""
    leaf = run.row().get("tender_leaf")
    if leaf is None:
        return False
    leaves = LogReader.entries_in(run.cur, int(leaf), 1)
    if not leaves:
        return False
    tender = parse_entry(leaves[0]).data
    if not isinstance(tender, E.TenderAnnounced) or tender.policies is None:
        return False
    return tender.policies.imports
