"""`sunshine witness serve` as a 审计局 would run it: its own process, key and SQLite file,
spoken to over real HTTP with checkpoints a test forges with the log's key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from witnesses import ForgedLog, WitnessProcess, new_witness

from ledger.log.cosignature import note_parts, parse_cosignature_key, signature_lines
from ledger.log.policy import PolicyError, parse_policy
from witness.state import WitnessState

NAME = "witness.qhx-sjj.localhost"


@pytest.fixture
def log() -> ForgedLog:
    log = ForgedLog()
    log.grow(5)
    return log


@pytest.fixture
def witness(tmp_path: Path, log: ForgedLog) -> Iterator[WitnessProcess]:
    process = new_witness(tmp_path / "sjj", NAME, log.vkey).start()
    try:
        yield process
    finally:
        process.stop()


def cosigned_size(response: httpx.Response, witness: WitnessProcess, note: str) -> int:
    """The answer's cosignature, checked with the witness's published key; its size."""
    assert response.status_code == 200, response.text
    verifier = parse_cosignature_key(witness.vkey)
    text, _ = note_parts(note)
    [(name, blob)] = list(signature_lines(response.text.split("\n")[:-1]))
    assert verifier.matches(name, blob)
    verifier.verify(text, blob)
    return int(text.split("\n")[1])


def test_cosigns_a_growing_log_and_tells_a_stale_client_its_size(
    witness: WitnessProcess, log: ForgedLog
) -> None:
    assert httpx.get(witness.url + "/").text.strip() == witness.vkey
    assert cosigned_size(witness.add(log.request(0)), witness, log.note()) == 5
    log.grow(7)
    assert cosigned_size(witness.add(log.request(5)), witness, log.note()) == 12
    # A client that believes the witness is at 5 (or knows nothing) learns it is at 12.
    log.grow(1)
    for old in (0, 5):
        stale = witness.add(log.request(old))
        assert stale.status_code == 409
        assert stale.headers["content-type"] == "text/x.tlog.size"
        assert stale.text == "12\n"
    assert cosigned_size(witness.add(log.request(12)), witness, log.note()) == 13
    # The same checkpoint again: cosigned again, the state unchanged.
    assert cosigned_size(witness.add(log.request(13)), witness, log.note()) == 13


def test_refuses_a_fork_signed_with_the_log_key(witness: WitnessProcess, log: ForgedLog) -> None:
    assert witness.add(log.request(0)).status_code == 200
    fork = log.fork()
    log.grow(3)
    fork.grow(3, tag="forked ")  # same size, another root
    assert cosigned_size(witness.add(log.request(5)), witness, log.note()) == 8
    same_size = witness.add(fork.request(8))
    assert same_size.status_code == 409 and same_size.text == "8\n"
    # A longer fork cannot bring a proof from the root the witness cosigned.
    fork.grow(4, tag="forked ")
    bad_proof = witness.add(fork.request(8, proof=fork.proof(8)))
    assert bad_proof.status_code == 422
    assert witness.add(fork.request(5)).status_code == 409
    witness.stop()
    # The refused forks are kept as evidence, signed by the log's own key.
    state = WitnessState(witness.db)
    try:
        reasons = [reason for _, reason, _ in state.evidence()]
        assert state.known(log.origin).size == 8
    finally:
        state.close()
    assert any("fork" in r for r in reasons) and any("consistency" in r for r in reasons)


def test_refuses_a_rollback(witness: WitnessProcess, log: ForgedLog) -> None:
    older = log.fork()
    log.grow(10)
    assert witness.add(log.request(0)).status_code == 200
    # The operator rolls back to 5 entries and re-signs: old > size is malformed, and
    # claiming the old size is 5 is a conflict that names 15.
    assert witness.add(older.request(15, proof=[])).status_code == 400
    rolled = witness.add(older.request(5))
    assert (rolled.status_code, rolled.text) == (409, "15\n")


def test_refuses_unknown_logs_bad_signatures_and_malformed_bodies(
    witness: WitnessProcess, log: ForgedLog
) -> None:
    stranger = ForgedLog(origin="another.example/log")
    stranger.grow(1)
    assert witness.add(stranger.request(0)).status_code == 404
    impostor = ForgedLog()  # the right origin, another key
    impostor.grow(5)
    assert witness.add(impostor.request(0)).status_code == 403
    note = log.note().encode()
    for body in (b"", b"old 01\n\n" + note, b"old 0\nnot-base64\n\n" + note, b"\xff\xfe",
                 b"old 0\n" + note):
        assert witness.add(body).status_code == 400, body
    assert witness.add(log.request(0, proof=[b"\x00" * 32])).status_code == 422
    assert httpx.post(witness.url + "/add-checkpoint", content=b"x" * 70_000).status_code == 413
    # None of it moved the witness: the genuine log is cosigned from 0.
    assert witness.add(log.request(0)).status_code == 200


def test_a_witness_killed_mid_request_keeps_what_it_answered(
    tmp_path: Path, log: ForgedLog
) -> None:
    witness = new_witness(tmp_path / "jw", "witness.qhx-jw.localhost", log.vkey).start()
    answered: list[int] = []
    running = threading.Event()
    try:
        assert witness.add(log.request(0)).status_code == 200
        answered.append(log.tree.size)

        def submit() -> None:
            old = log.tree.size
            while True:
                log.grow(1)
                try:
                    response = witness.add(log.request(old))
                except httpx.HTTPError:
                    return  # killed under this request
                assert response.status_code == 200, response.text
                answered.append(log.tree.size)
                old = log.tree.size
                if len(answered) == 20:
                    running.set()

        thread = threading.Thread(target=submit)
        thread.start()
        running.wait()
        witness.kill()  # while the thread's next request is in flight
        thread.join()
        witness.start()
        # Everything it answered is on disk: the last cosigned size is at least the last one
        # any client received a cosignature for, and it will not go back below it.
        last = answered[-1]
        stale = witness.add(log.fork().request(0))
        assert stale.status_code == 409
        assert int(stale.text) >= last
        assert int(stale.text) in (last, last + 1)  # the one in flight committed, or not
    finally:
        witness.stop()


def test_split_view_is_caught_by_a_client_that_saw_either(
    tmp_path: Path, log: ForgedLog
) -> None:
    # Two witnesses; the operator shows checkpoint A (size 9) to one and B (size 9, another
    # root) to the other. Each cosigns what it saw first and refuses the other view.
    shown_a, shown_b = log.fork(), log.fork()
    shown_a.grow(4)
    shown_b.grow(4, tag="other view ")
    sjj = new_witness(tmp_path / "sjj", "witness.qhx-sjj.localhost", log.vkey).start()
    jw = new_witness(tmp_path / "jw", "witness.qhx-jw.localhost", log.vkey).start()
    try:
        cosigned_a = shown_a.note() + sjj.add(shown_a.request(0)).text
        cosigned_b = shown_b.note() + jw.add(shown_b.request(0)).text
        assert jw.add(shown_a.request(9)).status_code == 409
        assert sjj.add(shown_b.request(9)).status_code == 409
        policy = parse_policy(
            f"witness 审计局 {sjj.vkey}\nwitness 纪委监委 {jw.vkey}\n"
            "group 两家 all 审计局 纪委监委\nquorum 两家\n"
        )
        # Neither view can reach the quorum, and the refusal names who is missing.
        for note, missing in ((cosigned_a, "纪委监委"), (cosigned_b, "审计局")):
            with pytest.raises(PolicyError, match=f"missing {missing}"):
                policy.require(note)
        # A client that saw A cosigned and is then shown B: same size, another root.
        assert note_parts(cosigned_a)[0].split("\n")[1] == note_parts(cosigned_b)[0].split("\n")[1]
        assert note_parts(cosigned_a)[0] != note_parts(cosigned_b)[0]
    finally:
        sjj.stop()
        jw.stop()
