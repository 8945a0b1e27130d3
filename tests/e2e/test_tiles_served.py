"""C2SP tlog-tiles over real HTTP and on disk, on SQLite and PostgreSQL, with the demo year.

Proofs a client computes from the served tiles are the proofs the API serves, for random
tree sizes (partial tiles included); the tiles `sunshine export-site` writes are the ones the
API serves, and `sunshine verify --tiles` accepts them from the directory, from a static web
server over it and from the service, and names the first entry a changed tile or bundle
covers."""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import (
    PG_URL,
    DemoLedger,
    Server,
    answers,
    copy_demo,
    eventually,
    free_port,
    make_config,
    require_postgres,
    start_server,
    sunshine,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import signing
from ledger.application import Ledger
from ledger.log.merkle import consistency_proof, inclusion_proof, leaf_hash, root_at
from ledger.log.note import parse_checkpoint
from ledger.log.signer import LogSigner
from ledger.log.tiles import Tile, TileNodes, decode_bundle, encode_index, tiles_of
from ledger.store.url import DatabaseURL, parse_database_url

# -- the demo year on each backend, served ------------------------------------------------------


@dataclass
class Served:
    data: Path
    url: DatabaseURL
    server: Server
    size: int
    client: httpx.Client

    def get(self, path: str, **params: int) -> httpx.Response:
        return self.client.get(path, params=params)


def _postgres_demo(data: Path) -> tuple[DatabaseURL, str]:
    """The demo year built afresh in a new PostgreSQL database (dropped by the caller)."""
    from demo.builder import DemoBuilder

    require_postgres()
    admin = parse_database_url(PG_URL)
    name = "sunshine_tiles_" + secrets.token_hex(6)
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.with_database(name)
    # As on PostgreSQL by default, no command is integrated inline as it is decided (that took
    # two thirds of the build): the builder's last step integrates the whole year at once.
    ledger = Ledger(make_config(url, data, inline_integration=False, leaf_wait_seconds=0))
    try:
        DemoBuilder(ledger, data / "demo-keys").build()
    finally:
        ledger.close()
    return url, name


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    data = tmp_path_factory.mktemp(f"tiles-{request.param}")
    dropped = None
    if request.param == "sqlite":
        template: DemoLedger = request.getfixturevalue("demo_template")
        url = copy_demo(template, data).url
    else:
        url, dropped = _postgres_demo(data)
    server = start_server(url, data)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            note = client.get("/log/checkpoint").text
            size = parse_checkpoint(note.split("\n\n", 1)[0] + "\n").size
            yield Served(data, url, server, size, client)
    finally:
        server.stop()
        if dropped is not None:
            admin = parse_database_url(PG_URL)
            with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


# -- proofs from tiles ------------------------------------------------------------------------


def test_proofs_from_the_served_tiles_are_the_served_proofs(demo: Served) -> None:
    assert demo.size > 2 * 256  # level-0 tiles, full and partial, and a level-1 tile
    fetched: list[str] = []

    def fetch(tile: Tile) -> bytes:
        fetched.append(tile.path())
        answer = demo.get(f"/log/{tile.path()}")
        assert answer.status_code == 200, (tile.path(), answer.text)
        return answer.content

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        size = data.draw(st.integers(1, demo.size), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        old = data.draw(st.integers(1, size), label="old")
        tiles = TileNodes(fetch, size)
        served = demo.get("/log/proof/inclusion", index=index, size=size).json()
        assert b64(inclusion_proof(index, size, tiles)) == served["proof"]
        assert served["leaf_hash"] == b64(tiles([(0, index)]))[0]
        served = demo.get("/log/proof/consistency", old=old, size=size).json()
        assert b64(consistency_proof(old, size, tiles)) == served["proof"]

    agree()
    assert any(".p/" in path for path in fetched)  # partial tiles of smaller trees too
    assert any(path.startswith("tile/1/") for path in fetched)
    # The tiles of the signed tree give its signed root.
    note = demo.get("/log/checkpoint").text
    signed = parse_checkpoint(note.split("\n\n", 1)[0] + "\n")
    assert root_at(demo.size, TileNodes(fetch, demo.size)) == signed.root


# -- serving ------------------------------------------------------------------------------------


def test_tiles_are_served_with_their_caching_and_refusals(demo: Served) -> None:
    size = demo.size
    full = demo.get("/log/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    last = Tile(0, size // 256, size % 256)
    assert not last.full
    partial = demo.get(f"/log/{last.path()}")
    assert partial.status_code == 200 and len(partial.content) == last.width * 32
    assert "immutable" not in partial.headers["cache-control"]
    assert "max-age=60" in partial.headers["cache-control"]
    # A partial tile of an earlier size is the start of the wider one; never wider than signed.
    narrower = demo.get(f"/log/tile/0/{encode_index(last.index)}.p/1")
    assert narrower.content == partial.content[:32]
    beyond = demo.get(f"/log/tile/0/{encode_index(last.index)}.p/{last.width + 1}")
    assert beyond.status_code == 404 and beyond.headers["cache-control"] == "no-store"
    assert demo.get(f"/log/tile/0/{size // 256 + 1:03d}").status_code == 404
    # Level-0 hashes are the leaf hashes of the entries, and the bundle holds those entries.
    bundle = demo.get("/log/tile/entries/000")
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    leaves = decode_bundle(bundle.content, 256)
    assert b"".join(leaf_hash(leaf) for leaf in leaves) == full.content
    assert leaves[7] == demo.get("/log/entries/7").content
    head = demo.client.head("/log/tile/entries/000")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == bundle.headers["content-length"]
    for bad in ("x000/000", "0", "0000", "000.p/256", "000.p/0", "000.p/01", "x1/000", "000/"):
        answer = demo.get(f"/log/tile/0/{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["code"] == "bad_request"
    for level in ("01", "64", "x", "entry"):
        assert demo.get(f"/log/tile/{level}/000").status_code == 400, level


# -- verify --tiles and the export ----------------------------------------------------------------


def verify(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return sunshine("verify", "--jobs", "1", *args, data_dir=data)


@dataclass(frozen=True)
class Exported:
    site: Path
    size: int  # the size of the log the export was made of


@pytest.fixture(scope="module")
def exported(demo: Served, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """`sunshine export-site` of the demo year, run once per backend: an export of the whole
    year is the slowest step here. The test that only reads it serves it as is; the ones that
    change files take their own copy. Made before any test grows the log, with its size."""
    site = tmp_path_factory.mktemp("tiles-export") / "site"
    done = sunshine("export-site", str(site), data_dir=demo.data, db=demo.url)
    assert done.returncode == 0, done.stderr
    return Exported(site, demo.size)


def test_the_export_holds_the_served_tiles_and_verifies_from_them(
    demo: Served, exported: Exported, tmp_path: Path
) -> None:
    site, size = exported.site, exported.size
    log = site / "log"
    for tile in tiles_of(size):
        assert (log / tile.path()).read_bytes() == demo.get(f"/log/{tile.path()}").content
        if tile.level == 0:
            bundle = tile.entries().path()
            assert (log / bundle).read_bytes() == demo.get(f"/log/{bundle}").content
    key = demo.get("/log/key").text
    # From the directory, from a static web server over it, and from the service itself.
    port = free_port()
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        mirror = f"http://127.0.0.1:{port}"
        eventually(lambda: answers(mirror + "/"), static, every=0.05)
        # The service verifies at its own size: the export's, unless a test grew the log.
        for where, entries in ((str(site), size), (f"{mirror}/log", size), (mirror, size),
                               (demo.server.url, demo.size)):  # fmt: skip
            checked = verify("--tiles", where, "--log-key", key, data=tmp_path)
            assert checked.returncode == 0, (where, checked.stdout, checked.stderr)
            assert f"OK: {entries} entries" in checked.stdout
            assert "hash tiles" in checked.stdout and "match the ones the leaves give" in (
                checked.stdout
            )
    finally:
        static.terminate()
        static.wait(timeout=10)


def test_verify_tiles_names_the_entry_a_changed_tile_or_bundle_covers(
    demo: Served, exported: Exported, tmp_path: Path
) -> None:
    # A private copy to tamper with: its log/, all `verify --tiles` reads of an export.
    site = tmp_path / "site"
    log = site / "log"
    shutil.copytree(exported.site / "log", log)
    key = demo.get("/log/key").text

    def fails_at(path: str, change: bytes, offset: int) -> str:
        target = log / path
        original = target.read_bytes()
        # A hash byte that already held ``change`` would be no change at all (1 in 256).
        if original[offset : offset + len(change)] == change:
            change = bytes([change[0] ^ 0x01, *change[1:]])
        target.write_bytes(original[:offset] + change + original[offset + len(change) :])
        try:
            checked = verify("--tiles", str(site), "--log-key", key, data=tmp_path)
        finally:
            target.write_bytes(original)
        assert checked.returncode == 1, checked.stdout
        return checked.stdout

    # A level-1 hash: the tree above entries 256–511.
    assert "entry 256:" in fails_at("tile/1/000.p/" + str(exported.size // 256), b"\xff", 32)
    # A level-0 hash of entry 300 (tile 1, hash 44).
    assert "entry 300:" in fails_at("tile/0/001", b"\xff", 44 * 32)
    # An entry's byte in its bundle: its hash no longer is the level-0 tile's.
    bundle = (log / "tile/entries/002").read_bytes()
    second = 2 + int.from_bytes(bundle[:2], "big")
    out = fails_at("tile/entries/002", b"\x00\x05", second)  # entry 513's length
    assert "entry 512:" in out or "entry 513:" in out
    # A missing tile is named.
    (log / "tile/0/003").rename(tmp_path / "moved")
    checked = verify("--tiles", str(site), "--log-key", key, data=tmp_path)
    assert checked.returncode == 1 and "tile/0/003" in checked.stdout
    # Another key: the checkpoint does not verify.
    stranger = LogSigner(key.split("+")[0], Ed25519PrivateKey.generate()).verifier_key
    other = verify("--tiles", str(site), "--log-key", stranger, data=tmp_path)
    assert other.returncode == 1 and "checkpoint does not verify" in other.stdout


def amend(demo: Served, count: int) -> int:
    """``count`` more entries, each an organisation amending its address over HTTP; the size
    of the log once they are all signed."""
    key = signing.read_key(demo.data / "demo-keys" / "qhx-rmyy-op.pem")
    for n in range(count):
        command = signing.new_command(
            "AmendOrganisation",
            {"code": "qhx-rmyy", "address": f"澄溪县长江路{n + 1}号"},
            actor="qhx-rmyy-op",
            key=key,
        )
        answer = demo.client.post("/commands", json=signing.sign(command, key))
        assert answer.status_code in (201, 202), answer.text
    wanted = demo.size + count

    def signed() -> int | None:
        note = demo.get("/log/checkpoint").text
        size = parse_checkpoint(note.split("\n\n", 1)[0] + "\n").size
        return size if size >= wanted else None

    demo.size = eventually(signed, demo.server.process)
    return demo.size


def test_a_later_export_writes_only_the_tiles_that_grew(
    demo: Served, exported: Exported, tmp_path: Path
) -> None:
    """Runs last in the module: the log grows past the end of its last level-0 tile. The next
    export writes the tiles that changed, leaves the full ones alone, and drops the partial
    versions of the tile that became full."""
    # A private copy of the export of the log as it is now (copy2 keeps the mtimes).
    assert exported.size == demo.size
    site = tmp_path / "site"
    shutil.copytree(exported.site, site)
    log = site / "log"
    before = demo.size
    older = tmp_path / "older-checkpoint"
    older.write_text(demo.get("/log/checkpoint").text, encoding="utf-8")
    last = Tile(0, before // 256, before % 256)
    assert (log / last.path()).is_file() and (log / last.entries().path()).is_file()
    untouched = {p: p.stat().st_mtime_ns for p in (log / "tile/0").glob("0[0-9][0-9]")}
    after = amend(demo, 256 - before % 256 + 3)
    assert after // 256 == before // 256 + 1
    assert sunshine("export-site", str(site), data_dir=demo.data, db=demo.url).returncode == 0
    full = Tile(0, before // 256, 256)
    assert (log / full.path()).read_bytes() == demo.get(f"/log/{full.path()}").content
    assert not (log / (full.path() + ".p")).exists()
    assert not (log / (full.entries().path() + ".p")).exists()
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched
    for tile in tiles_of(after):
        assert (log / tile.path()).read_bytes() == demo.get(f"/log/{tile.path()}").content
    checked = verify("--tiles", str(site), "--checkpoint", str(older), data=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK: {after} entries" in checked.stdout
    assert f"consistent with the older checkpoint of size {before}" in checked.stdout
    assert "trusting the log key beside the tiles" in checked.stderr
