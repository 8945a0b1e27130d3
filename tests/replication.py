"""A PostgreSQL primary and its streaming replica, made on this machine for a test or a
benchmark, and torn down after.

The shared server (SUNSHINE_TEST_POSTGRES_URL) allows no replication connection, so this
makes a cluster of its own: ``initdb`` in a temporary directory, a free loopback port, its
unix socket in the same directory; then ``pg_basebackup -R`` copies it into a standby on
another port, which streams the primary's write-ahead log. PostgreSQL refuses to run as
root: as root (CI), every server program runs as the ``postgres`` user, in a directory it
owns. Readiness is waited for (``pg_ctl -w``, the standby's WAL receiver streaming, a
replayed LSN), never slept for.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ledger.store.url import DatabaseURL

BIN = Path(os.environ.get("SUNSHINE_PG_BIN", "/usr/lib/postgresql/15/bin"))
PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "pg_isready")
DBNAME = "sunshine"


class ClustersUnavailable(RuntimeError):
    """This machine cannot make the clusters (PostgreSQL's server programs are missing)."""


@dataclass(frozen=True)
class StreamingPair:
    primary: DatabaseURL
    replica: DatabaseURL
    directory: Path  # both clusters' data directories and logs

    def url(self, which: DatabaseURL) -> str:
        return f"postgresql://{which.user}@{which.host}:{which.port}/{which.dbname}"

    def wait_replayed(self, poll: float = 0.02) -> None:
        """Return once the replica has replayed everything the primary wrote until now:
        the primary's current WAL position, then the replica's replay position past it."""
        with psycopg.connect(self.primary.conninfo(), autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
        with psycopg.connect(self.replica.conninfo(), autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                ).fetchone()
                if done is not None and done[0]:
                    return
                time.sleep(poll)


def missing_programs() -> list[str]:
    return [name for name in PROGRAMS if not (BIN / name).is_file()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """The command as the user PostgreSQL runs as: ``postgres`` when this is root."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _run(args: list[str], log: Path | None = None) -> None:
    result = subprocess.run(_as_server_user(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()} {tail}"
        )


def _configure(data: Path, port: int, sockets: Path, extra: dict[str, str]) -> None:
    settings = {
        "port": str(port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{sockets}'",
        "max_wal_senders": "4",
        "hot_standby": "on",
        **extra,
    }
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# made for a replication test or benchmark\n")
        for name, value in settings.items():
            conf.write(f"{name} = {value}\n")


def _start(data: Path, log: Path) -> None:
    # -w: pg_ctl returns once the server accepts connections (or fails).
    _run([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "300", "start"], log)


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                             "stop"]),
            capture_output=True, check=False,
        )  # fmt: skip


def _wait_streaming(replica: DatabaseURL, poll: float = 0.02) -> None:
    """The standby is up, in recovery, and its WAL receiver is streaming from the primary."""
    with psycopg.connect(replica.conninfo(), autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), "
                "(SELECT status FROM pg_stat_wal_receiver) IS NOT DISTINCT FROM 'streaming'"
            ).fetchone()
            if row is not None and row[0] and row[1]:
                return
            time.sleep(poll)


@contextmanager
def streaming_pair(settings: dict[str, str] | None = None) -> Iterator[StreamingPair]:
    """A fresh primary (with an empty database ``sunshine``) and a hot standby streaming
    from it, both started and ready; stopped and removed on leaving. ``settings``: more
    postgresql.conf lines for both (a benchmark's)."""
    missing = missing_programs()
    if missing:
        raise ClustersUnavailable(f"PostgreSQL's server programs are missing in {BIN}: {missing}")
    top = Path(tempfile.mkdtemp(prefix="sunshine-replication-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(top, user.pw_uid, user.pw_gid)
    primary_dir, replica_dir = top / "primary", top / "replica"
    try:
        primary_port, replica_port = _free_port(), _free_port()
        _run([str(BIN / "initdb"), "-D", str(primary_dir), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        _configure(primary_dir, primary_port, top, settings or {})
        _start(primary_dir, top / "primary.log")
        primary = DatabaseURL(kind="postgresql", host="127.0.0.1", port=primary_port,
                              user="postgres", dbname="postgres")  # fmt: skip
        with psycopg.connect(primary.conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DBNAME}")
        _run([str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
              "-U", "postgres", "-D", str(replica_dir), "-R", "-X", "stream",
              "--checkpoint=fast", "--no-sync"])  # fmt: skip
        with (replica_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"port = {replica_port}\n")
        _start(replica_dir, top / "replica.log")
        replica = DatabaseURL(kind="postgresql", host="127.0.0.1", port=replica_port,
                              user="postgres", dbname=DBNAME)  # fmt: skip
        _wait_streaming(replica)
        yield StreamingPair(primary.with_database(DBNAME), replica, top)
    finally:
        _stop(replica_dir)
        _stop(primary_dir)
        shutil.rmtree(top, ignore_errors=True)
