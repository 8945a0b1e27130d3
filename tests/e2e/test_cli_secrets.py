"""The command line and secret files: the sealed-value key where `--sealed-key` says, apart
from the database and the data directory; a secret file other users may read is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import ROOT, free_port, sunshine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing

INIT = ("--org-code", "czj", "--org-name", "澄溪县财政局", "--region", "澄溪县",
        "--admin-code", "czj-admin", "--admin-name", "赵志刚")  # fmt: skip


def without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SUNSHINE_")}


def serving(*args: str, data: Path) -> subprocess.Popen[bytes]:
    """`sunshine serve ARGS` in its own process, once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port), *args],
        cwd=ROOT, env=without_settings() | {"SUNSHINE_DATA_DIR": str(data)},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"sunshine serve exited with {process.returncode}"
        try:
            httpx.get(f"http://127.0.0.1:{port}/log/key", timeout=1)
            return process
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "sunshine serve did not answer within 60 s"
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def test_the_sealed_key_lives_where_the_option_says(tmp_path: Path) -> None:
    data = tmp_path / "data"
    vault = tmp_path / "vault" / "sealed-key"  # kept apart from the database and its backups
    db = f"sqlite:///{data / 'ledger.db'}"
    admin = tmp_path / "admin.pem"
    signing.write_key(admin, Ed25519PrivateKey.generate())
    sealed = ("--sealed-key", str(vault))
    made = sunshine("init", "--db", db, *sealed, "--bootstrap-key", str(admin), *INIT,
                    data_dir=data)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert vault.stat().st_mode & 0o777 == 0o600
    key = vault.read_bytes()
    for command in (
        ("integrate", "--db", db, *sealed),
        ("rebuild", "--db", db, *sealed),
        ("export-site", str(tmp_path / "site"), "--db", db, *sealed),
    ):
        done = sunshine(*command, data_dir=data)
        assert done.returncode == 0, (command, done.stderr)
    for workers in ("1", "2"):  # several workers are told it through their environment
        stop(serving("--db", db, *sealed, "--workers", workers, data=data))
    assert vault.read_bytes() == key
    assert not (data / "sealed-key").exists()
    assert (data / "log-key.pem").exists()  # the other keys stay in the data directory


def test_a_client_key_others_may_read_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "clerk.pem"
    signing.write_key(key, Ed25519PrivateKey.generate())
    key.chmod(0o644)
    command = tmp_path / "amend.json"
    command.write_text('{"type": "AmendOrganisation", "actor": "clerk", "payload": {}}')
    refused = sunshine("submit", str(command), "--key", str(key), "--url", "http://127.0.0.1:9",
                       data_dir=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert f"chmod 600 {key}" in refused.stderr and "Traceback" not in refused.stderr


def test_a_server_refuses_to_start_on_a_secret_file_others_may_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stop(serving(data=data))  # its secret files are made on first start, 0600
    for secret in ("log-key.pem", "sealed-key", "lookup-key"):
        path = data / secret
        path.chmod(0o640)
        for workers in ("1", "2"):
            refused = sunshine("serve", "--port", str(free_port()), "--workers", workers,
                               data_dir=data, timeout=60)  # fmt: skip
            assert refused.returncode == 2, refused.stderr
            assert f"{path} is a secret file" in refused.stderr
            assert f"chmod 600 {path}" in refused.stderr and "Traceback" not in refused.stderr
        path.chmod(0o600)
