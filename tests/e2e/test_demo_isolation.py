"""`sunshine demo` keeps to its own directory and an empty database: an operator's SUNSHINE_*
settings, keys, data directory and ledger are never used, changed or added to."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from conftest import TLS, _url, free_port
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.log.signer import public_verifier_key
from ledger.store.url import DatabaseURL, parse_database_url

OPERATOR_ORIGIN = "ledger.qinghe.example/log"


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `sunshine` command line, run from ``cwd`` with exactly ``env``'s SUNSHINE_*."""
    return subprocess.run(
        [sys.executable, "-m", "sunshine.cli", *args],
        cwd=cwd,
        env=_with(env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _with(env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SUNSHINE_")}
    return clean | env


def operator_ledger(operator: Path, db: str) -> dict[str, str]:
    """A county's own ledger made with `sunshine init`, its keys where the operator's
    SUNSHINE_* variables say; those variables."""
    env = {
        "SUNSHINE_DATA_DIR": str(operator),
        "SUNSHINE_DATABASE_URL": db,
        "SUNSHINE_LOG_KEY": str(operator / "keys" / "log-key.pem"),
        "SUNSHINE_SEALED_KEY": str(operator / "keys" / "sealed-key"),
        "SUNSHINE_LOG_ORIGIN": OPERATOR_ORIGIN,
    }
    admin = operator / "admin.pem"
    signing.write_key(admin, Ed25519PrivateKey.generate())
    made = run(
        "init", "--bootstrap-key", str(admin), "--org-code", "czj", "--org-name", "澄溪县财政局",
        "--region", "澄溪县", "--admin-code", "czj-admin", "--admin-name", "赵志刚",
        cwd=operator, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    return env


def files(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``directory``: (mode, mtime_ns, bytes) by relative path."""
    return {
        str(p.relative_to(directory)): (p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private_demo_directory(demo: Path) -> None:
    """The demo's keys are all in its own directory, 0600 each; its SQLite ledger 0640."""
    keys = sorted((demo / "demo-keys").glob("*.pem"))
    # every actor's, the 16 evaluation experts' and the admin's
    assert len(keys) == 107 and all(mode(k) == 0o600 for k in keys)
    for name in ("log-key.pem", "sealed-key", "lookup-key"):
        assert mode(demo / name) == 0o600, name
    assert (demo / "challenge-lookup-codes.txt").is_file()


def test_a_demo_never_uses_the_operators_keys_or_data_directory(tmp_path: Path) -> None:
    operator = tmp_path / "county"
    env = operator_ledger(operator, f"sqlite:///{operator / 'ledger.db'}")
    before = files(operator)
    operators_key = public_verifier_key(operator / "keys" / "log-key.pem", OPERATOR_ORIGIN)
    work = tmp_path / "work"
    work.mkdir()
    elsewhere = tmp_path / "scratch" / "demo.db"
    port, site_port = free_port(), free_port()
    # As the operator might type it, in a shell holding the county's settings.
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "demo", "--db", f"sqlite:///{elsewhere}",
         "--port", str(port), "--site-port", str(site_port)],
        cwd=work, env=_with(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # a ceiling for a busy machine; it waits on the port
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                served = httpx.get(base + "/log/key", timeout=1, verify=TLS).text.strip()
                break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "sunshine demo did not serve within 600 s"
            time.sleep(0.2)
        demo = work / "data" / "demo"
        assert served != operators_key and not served.startswith(OPERATOR_ORIGIN + "+")
        assert served == public_verifier_key(demo / "log-key.pem", served.split("+")[0])
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert files(operator) == before  # nothing of the county's created or changed
    assert_private_demo_directory(demo)
    assert (demo / "sealed-key").read_bytes() != (operator / "keys" / "sealed-key").read_bytes()
    assert mode(elsewhere) == 0o640


def database_state(url: DatabaseURL) -> object:
    """Everything a database holds, to compare: its files' bytes, or every table's rows."""
    if url.is_sqlite:
        assert url.path is not None
        return files(url.path.parent)
    with psycopg.connect(url.conninfo()) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' ORDER BY table_name"
            )
        ]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}


def test_a_database_holding_a_county_ledger_is_refused(db_url: DatabaseURL, tmp_path: Path) -> None:
    operator = tmp_path / "county"
    if db_url.is_sqlite:  # the county's SQLite ledger in a directory of its own
        db_url = parse_database_url(f"sqlite:///{operator / 'db' / 'ledger.db'}")
    env = operator_ledger(operator, _url(db_url))
    before, kept = database_state(db_url), files(operator)
    work = tmp_path / "work"
    work.mkdir()
    for where in ((), ("--data-dir", str(tmp_path / "elsewhere"))):
        refused = run("demo", "--db", _url(db_url), "--no-serve", *where, cwd=work, env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "already holds a ledger" in refused.stderr
        assert "never writes into another one" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert database_state(db_url) == before
    assert files(operator) == kept
    assert list(work.iterdir()) == [] and not (tmp_path / "elsewhere").exists()
