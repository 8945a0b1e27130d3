"""Who acted, as the supervisory pages name them: an actor's registered name and its
organisation's, never the registry's internal codes (``qhx-jyj-op``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol

from ledger.domain.registry import Actor, Organisation

#: What a page says of an actor the registry does not know (the genesis entry's signer
#: before its own registration, or a record from another log).
UNKNOWN: Final = "未登记的行为人"


class Names(Protocol):
    """The registry as these pages read it."""

    def actor(self, code: str) -> Actor | None: ...

    def organisation(self, code: str) -> Organisation | None: ...


def actor_names(registry: Names, codes: Iterable[str | None]) -> dict[str, str]:
    """``{code: "王某某（澄溪县财政局）"}`` for every actor code given."""
    named: dict[str, str] = {}
    for code in {c for c in codes if isinstance(c, str) and c}:
        actor = registry.actor(code)
        if actor is None:
            named[code] = UNKNOWN
            continue
        organisation = registry.organisation(actor.organisation)
        named[code] = (
            f"{actor.name}（{organisation.name}）" if organisation is not None else actor.name
        )
    return named
