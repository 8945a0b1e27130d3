"""A served ledger with two witnesses (审计局, 纪委监委) in their own processes: every new
checkpoint gets cosigned, /log/checkpoint carries the cosignatures, `verify --policy` and
`verify --bundle --policy` apply the quorum, and a witness that is down stops nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import (
    TLS,
    Server,
    World,
    eventually,
    hospital_world,
    make_config,
    start_server,
    sunshine,
)
from witnesses import WitnessProcess, new_witness

from ledger.application import Ledger
from ledger.log.note import Checkpoint, sign_note, verifier_key
from ledger.log.policy import parse_policy
from ledger.log.signer import load_or_create_key
from ledger.store.url import DatabaseURL
from witness.request import AddCheckpoint


@dataclass
class WitnessedLog:
    server: Server
    world: World
    sjj: WitnessProcess
    jw: WitnessProcess
    data_dir: Path
    db: DatabaseURL

    def checkpoint(self) -> httpx.Response:
        return httpx.get(self.server.url + "/log/checkpoint", timeout=30, verify=TLS)

    def cosigned(self, count: int) -> httpx.Response | None:
        """The served checkpoint once it is the latest one and carries ``count`` lines."""
        response = self.checkpoint()
        ok = (response.headers["sunshine-cosignatures"] == str(count)
              and response.headers["sunshine-cosigned-lag"] == "0")
        return response if ok else None

    def command(self, region: str) -> int:
        actor = self.world.actors["rmyy-op"]
        body = actor.body("AmendOrganisation", {"code": "rmyy", "region": region})
        response = httpx.post(self.server.url + "/commands", content=body, timeout=60, verify=TLS)
        return response.status_code

    def execute(self, statement: str) -> None:
        """As the database's owner, outside the service."""
        if self.db.is_sqlite:
            conn = sqlite3.connect(str(self.db.path), isolation_level=None)
            try:
                conn.execute(statement)
            finally:
                conn.close()
        else:
            with psycopg.connect(self.db.conninfo(), autocommit=True) as pg:
                pg.execute(statement)

    def verify(self, *args: str) -> tuple[int, str]:
        done = sunshine("verify", *args, data_dir=self.data_dir / "auditor", timeout=120)
        return done.returncode, done.stdout + done.stderr


@pytest.fixture
def witnessed(db_url: DatabaseURL, tmp_path: Path) -> Iterator[WitnessedLog]:
    ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
    try:
        world = hospital_world(ledger)
        log_key = ledger.signer.verifier_key
    finally:
        ledger.close()
    sjj = new_witness(tmp_path / "sjj", "witness.qhx-sjj.localhost", log_key).start()
    jw = new_witness(tmp_path / "jw", "witness.qhx-jw.localhost", log_key).start()
    listed = tmp_path / "witnesses.toml"
    listed.write_text(
        "".join(f'[[witness]]\nname = "{name}"\nurl = "{w.url}"\nkey = "{w.vkey}"\n\n'
                for name, w in (("审计局", sjj), ("纪委监委", jw))),
        encoding="utf-8",
    )
    (tmp_path / "auditor").mkdir()
    server = start_server(db_url, tmp_path, env={"SUNSHINE_WITNESSES": str(listed)})
    try:
        yield WitnessedLog(server, world, sjj, jw, tmp_path, db_url)
    finally:
        server.stop()
        sjj.stop()
        jw.stop()


def test_checkpoints_are_cosigned_by_both_and_verify_under_the_policy(
    witnessed: WitnessedLog, tmp_path: Path
) -> None:
    first = witnessed.world  # the log grew before the server started: cosigned at start
    assert first is not None
    served = eventually_cosigned(witnessed, 2)
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    text = served.text
    log_line, *cosignature_lines = text[text.rindex("\n\n") + 2:].splitlines()
    assert log_line.startswith("— sunshine-ledger.localhost/log ")  # the log's line first
    assert sorted(line.split()[1] for line in cosignature_lines) == [
        "witness.qhx-jw.localhost", "witness.qhx-sjj.localhost"]

    policy_text = httpx.get(witnessed.server.url + "/log/witness-policy", verify=TLS).text
    policy = parse_policy(policy_text)
    assert set(policy.witnesses) == {"审计局", "纪委监委"}
    assert policy.evaluate(text).met
    policy_file = tmp_path / "policy.txt"
    policy_file.write_text(policy_text, encoding="utf-8")

    # A new command: its checkpoint gets cosigned too.
    assert witnessed.command("澄溪县城关镇") == 201
    served = eventually_cosigned(witnessed, 2)
    size = int(served.text.split("\n")[1])
    assert served.headers["sunshine-log-size"] == str(size)

    code, out = witnessed.verify("--url", witnessed.server.url, "--policy", str(policy_file))
    assert code == 0, out
    assert "witness quorum met (cosigned by 审计局, 纪委监委)" in out

    # The cosignatures are kept like the rest of the log: UPDATE and DELETE are refused.
    for statement in ("UPDATE log_cosignatures SET line = line",
                      "DELETE FROM log_cosignatures WHERE size IS NOT NULL"):
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            witnessed.execute(statement)

    bundle = httpx.get(f"{witnessed.server.url}/log/bundle/{size - 1}", verify=TLS).json()
    assert bundle["checkpoint"].count("\n— ") == 3  # the log's line and both cosignatures
    saved = tmp_path / "bundle.json"
    saved.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    code, out = witnessed.verify("--bundle", str(saved), "--policy", str(policy_file))
    assert code == 0, out
    assert "witness quorum met" in out
    # The same bundle without the cosignatures fails the policy, naming both witnesses.
    bare = dict(bundle, checkpoint=bundle["checkpoint"].split("\n— witness")[0] + "\n")
    saved.write_text(json.dumps(bare, ensure_ascii=False), encoding="utf-8")
    code, out = witnessed.verify("--bundle", str(saved), "--policy", str(policy_file))
    assert code == 1
    assert "missing 审计局, 纪委监委" in out


def test_a_witness_that_is_down_stops_no_command_and_the_lag_shows(
    witnessed: WitnessedLog, tmp_path: Path
) -> None:
    eventually_cosigned(witnessed, 2)
    policy_file = tmp_path / "policy.txt"
    policy_file.write_text(httpx.get(witnessed.server.url + "/log/witness-policy", verify=TLS).text,
                           encoding="utf-8")
    witnessed.jw.kill()
    for n in range(3):
        assert witnessed.command(f"澄溪县第{n}镇") == 201
    # The 审计局 keeps cosigning; the 纪委监委's cosignature is missing and a reader is told.
    served = eventually_cosigned(witnessed, 1)
    assert "witness.qhx-jw.localhost" not in served.text
    code, out = witnessed.verify("--url", witnessed.server.url, "--policy", str(policy_file))
    assert code == 1
    assert "missing 纪委监委 (cosigned by 审计局)" in out
    # Back up: it is brought forward with a consistency proof from where it stopped.
    witnessed.jw.start()
    assert witnessed.command("澄溪县复原镇") == 201
    eventually_cosigned(witnessed, 2)
    code, out = witnessed.verify("--url", witnessed.server.url, "--policy", str(policy_file))
    assert code == 0, out


def test_the_served_checkpoint_lags_while_no_witness_answers(witnessed: WitnessedLog) -> None:
    before = eventually_cosigned(witnessed, 2)
    witnessed.sjj.kill()
    witnessed.jw.kill()
    assert witnessed.command("澄溪县无人镇") == 201
    served = witnessed.checkpoint()
    # Still the last cosigned checkpoint (it never goes back to an uncosigned one), and it
    # says how far behind the latest it is.
    assert served.text == before.text
    assert served.headers["sunshine-cosigned-lag"] == "1"
    assert int(served.headers["sunshine-log-size"]) == int(before.text.split("\n")[1]) + 1


def eventually_cosigned(witnessed: WitnessedLog, count: int) -> httpx.Response:
    return eventually(lambda: witnessed.cosigned(count), witnessed.server.process)


def test_a_split_view_is_caught_by_a_client_that_saw_the_other_one_cosigned(
    witnessed: WitnessedLog, tmp_path: Path
) -> None:
    genuine = eventually_cosigned(witnessed, 2).text
    size = int(genuine.split("\n")[1])
    # The operator signs another checkpoint of the same size with the log's own key and
    # shows it to a witness that has not seen this log before, which cosigns it.
    key = load_or_create_key(witnessed.data_dir / "log-key.pem")
    origin = genuine.split("\n")[0]
    forged = sign_note(Checkpoint(origin, size, hashlib.sha256(b"another view").digest()).body(),
                       origin, key)
    log_vkey = verifier_key(origin, key.public_key().public_bytes_raw())
    rogue = new_witness(tmp_path / "rogue", "witness.rogue.localhost", log_vkey).start()
    try:
        answer = rogue.add(AddCheckpoint(0, (), forged).to_body())
        assert answer.status_code == 200
    finally:
        rogue.stop()
    other_view = forged + answer.text
    # The policy's witnesses, who cosigned the genuine checkpoint, refuse this one.
    for witness in (witnessed.sjj, witnessed.jw):
        refused = witness.add(AddCheckpoint(size, (), forged).to_body())
        assert (refused.status_code, refused.text) == (409, f"{size}\n")
    policy = parse_policy(httpx.get(witnessed.server.url + "/log/witness-policy", verify=TLS).text)
    assert policy.evaluate(other_view).missing == ("审计局", "纪委监委")
    # A client holding the other view checks the served log against it: caught.
    held = tmp_path / "other-view.txt"
    held.write_text(other_view, encoding="utf-8")
    code, out = witnessed.verify("--url", witnessed.server.url, "--checkpoint", str(held))
    assert code == 1
    assert f"consistency proof from size {size} does not verify" in out
    # And one holding the genuine view is told the two agree.
    held.write_text(genuine, encoding="utf-8")
    code, out = witnessed.verify("--url", witnessed.server.url, "--checkpoint", str(held))
    assert code == 0, out
