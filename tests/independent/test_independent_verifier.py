"""The log verifies with code that is not ours.

`verifylog` (tests/independent/verifylog/main.go) checks a running server with the Go
reference implementations: golang.org/x/mod/sumdb/note (C2SP signed-note, Ed25519) for
the checkpoints, golang.org/x/mod/sumdb/tlog (RFC 6962 tree hashing, inclusion and
consistency proofs) for the root and proofs, and crypto/ed25519 for every actor signature.

It needs Debian's `golang-go` and `golang-golang-x-mod-dev` and builds offline in GOPATH
mode. Without them the test is skipped, unless SUNSHINE_REQUIRE_INDEPENDENT=1, where it
fails instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import TLS, Actor, Server, World, eventually, genesis, make_config, start_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from witnesses import new_witness

from ledger import signing
from ledger.application import Ledger
from ledger.store.url import DatabaseURL

SOURCE = Path(__file__).resolve().parent / "verifylog"
GOPATH = Path(os.environ.get("SUNSHINE_GOPATH", "/usr/share/gocode"))
X_MOD = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb"
REQUIRED = os.environ.get("SUNSHINE_REQUIRE_INDEPENDENT") == "1"
INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev"


def _unavailable(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"independent verifier required (SUNSHINE_REQUIRE_INDEPENDENT=1): {why}")
    pytest.skip(f"independent Go verifier not available: {why} ({INSTALL})")


@pytest.fixture(scope="session")
def verifylog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go verifier, built once per session, offline, from Debian's x/mod sources."""
    go = shutil.which("go")
    if go is None:
        _unavailable("no `go` on PATH")
    assert go is not None
    for package in ("note", "tlog"):
        if not (X_MOD / package).is_dir():
            _unavailable(f"no golang.org/x/mod/sumdb/{package} under {GOPATH}")
    work = tmp_path_factory.mktemp("verifylog")
    binary = work / "verifylog"
    env = dict(
        os.environ,
        GOPATH=str(GOPATH),
        GO111MODULE="off",
        GOCACHE=str(work / "gocache"),
        GOFLAGS="",
        GOPROXY="off",
        GOENV="off",
        CGO_ENABLED="0",
    )
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0:
        pytest.fail(f"go build of {SOURCE} failed:\n{build.stdout}{build.stderr}")
    return binary


def run_verifier(binary: Path, url: str, *old: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), url, *map(str, old)], capture_output=True, text=True, timeout=60
    )


def register(admin: Actor, org: str, code: str) -> list[bytes]:
    """Bodies of three commands: an organisation, its actor, and the actor's key."""
    key = Actor(code, org, "supplier", Ed25519PrivateKey.generate())
    return [
        admin.body(
            "RegisterOrganisation",
            {"code": org, "name": f"供应商{org}", "kind": "supplier", "region": "澄溪县"},
        ),
        admin.body(
            "RegisterActor",
            {"code": code, "organisation": org, "role": "supplier", "name": "测试人员"},
        ),
        admin.body("RegisterKey", {"actor": code, "public_key": signing.public_b64(key.key)}),
    ]


@pytest.fixture
def served(sqlite_url: DatabaseURL, tmp_path: Path) -> Iterator[tuple[Server, Actor]]:
    """A real `sunshine serve` over an SQLite ledger of genesis and 31 commands,
    one of them a key revocation."""
    ledger = Ledger(make_config(sqlite_url, tmp_path))
    try:
        world = World(ledger, genesis(ledger))
        for n in range(10):
            world.add(f"org{n:02d}", "supplier", f"org{n:02d}-op", f"供应商{n}")
        revoked = world.actors["org03-op"]
        world.submit(world.admin, "RevokeKey", {"key_id": revoked.key_id, "reason": "离职"})
        admin = world.admin
    finally:
        ledger.close()
    server = start_server(sqlite_url, tmp_path)
    try:
        yield server, admin
    finally:
        server.stop()


def checkpoint_size(note: str) -> int:
    return int(note.split("\n")[1])


def tamper(db: DatabaseURL, index: int, old: bytes, new: bytes) -> None:
    """What an operator with the database file can do: switch the guard off, rewrite a leaf."""
    conn = sqlite3.connect(str(db.path), isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS log_leaves_no_update")
        (leaf,) = conn.execute("SELECT leaf FROM log_leaves WHERE idx = ?", (index,)).fetchone()
        changed = bytes(leaf).replace(old, new, 1)
        assert changed != bytes(leaf), f"leaf {index} holds no {old!r}"
        conn.execute("UPDATE log_leaves SET leaf = ? WHERE idx = ?", (changed, index))
    finally:
        conn.close()


def test_go_reference_verifier_accepts_the_log_and_catches_tampering(
    verifylog: Path, served: tuple[Server, Actor], sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    server, admin = served
    old_note = httpx.get(server.url + "/log/checkpoint", verify=TLS).text
    old = tmp_path / "old-checkpoint.txt"
    old.write_text(old_note, encoding="utf-8")
    for body in register(admin, "late", "late-op"):
        response = httpx.post(
            server.url + "/commands",
            content=body,
            headers={"content-type": "application/json"},
            timeout=30, verify=TLS
        )
        assert response.status_code == 201, response.text
    size = checkpoint_size(httpx.get(server.url + "/log/checkpoint", verify=TLS).text)
    assert size == checkpoint_size(old_note) + 3

    result = run_verifier(verifylog, server.url, old)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"OK {size} entries"
    result = run_verifier(verifylog, server.url)
    assert result.returncode == 0, result.stdout + result.stderr

    # An older checkpoint whose signature no longer covers its text.
    forged = tmp_path / "forged-checkpoint.txt"
    lines = old_note.split("\n")
    lines[1] = str(int(lines[1]) - 1)
    forged.write_text("\n".join(lines), encoding="utf-8")
    result = run_verifier(verifylog, server.url, forged)
    assert result.returncode == 1, result.stdout
    assert "old checkpoint does not verify" in result.stdout

    # A leaf rewritten outside the signed command: the signatures still hold, the tree does not.
    server.stop()
    tamper(sqlite_url, 7, b'"stream":"', b'"stream":"x')
    restarted = start_server(sqlite_url, tmp_path)
    try:
        result = run_verifier(verifylog, restarted.url, old)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"the {size} leaves hash to" in result.stdout, result.stdout

        # A signed command rewritten: the actor's signature fails at that entry.
        tamper(sqlite_url, 4, b'"nonce":"', b'"nonce":"x')
        result = run_verifier(verifylog, restarted.url, old)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout.startswith("FAIL entry 4: Ed25519 signature"), result.stdout
    finally:
        restarted.stop()


def test_go_reference_verifier_reads_a_cosigned_checkpoint(
    verifylog: Path, sqlite_url: DatabaseURL, tmp_path: Path
) -> None:
    """The witnesses' cosignature lines are signatures of keys x/mod's note does not know:
    it ignores them, and checks the log's own line as before."""
    ledger = Ledger(make_config(sqlite_url, tmp_path))
    try:
        world = World(ledger, genesis(ledger))
        world.add("org00", "supplier", "org00-op", "供应商0")
        log_key = ledger.signer.verifier_key
    finally:
        ledger.close()
    witnesses = [
        new_witness(tmp_path / name, f"witness.{name}.localhost", log_key).start()
        for name in ("qhx-sjj", "qhx-jw")
    ]
    listed = tmp_path / "witnesses.toml"
    listed.write_text("".join(
        f'[[witness]]\nname = "w{n}"\nurl = "{w.url}"\nkey = "{w.vkey}"\n\n'
        for n, w in enumerate(witnesses)), encoding="utf-8")
    server = start_server(sqlite_url, tmp_path, env={"SUNSHINE_WITNESSES": str(listed)})
    try:
        def cosigned_by_both() -> str | None:
            served = httpx.get(server.url + "/log/checkpoint", verify=TLS)
            return served.text if served.headers["sunshine-cosignatures"] == "2" else None

        note = eventually(cosigned_by_both, server.process)
        assert note.count("\n— witness.") == 2
        old = tmp_path / "cosigned-checkpoint.txt"
        old.write_text(note, encoding="utf-8")
        result = run_verifier(verifylog, server.url, old)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == f"OK {checkpoint_size(note)} entries"
    finally:
        server.stop()
        for witness in witnesses:
            witness.stop()
