"""Stored states written by our orjson transcoder and by eventsourcing's are the same."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder
from hypothesis import given
from hypothesis import strategies as st

from ledger.store.transcoder import OrjsonTranscoder


def transcoders() -> tuple[JSONTranscoder, OrjsonTranscoder]:
    stock, ours = JSONTranscoder(), OrjsonTranscoder()
    for transcoder in (stock, ours):
        transcoder.register(DatetimeAsISO())
    return stock, ours


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@given(st.dictionaries(st.sampled_from(["actor", "key", "command", "signature", "data"]), text),
       st.datetimes(timezones=st.just(UTC)))
def test_same_bytes_and_values_both_ways(fields: dict[str, str], moment: datetime) -> None:
    stock, ours = transcoders()
    state = {"timestamp": moment, "originator_topic": "ledger.domain.registry:Key", **fields}
    assert ours.encode(state) == stock.encode(state)
    assert ours.decode(stock.encode(state)) == state
    assert stock.decode(ours.encode(state)) == state
