"""Shared helpers for the benchmarks: results, machine facts, throwaway databases, a genesis."""

from __future__ import annotations

import json
import os
import platform
import secrets
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN_URL = os.environ.get(
    "SUNSHINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


# -- results ----------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "eventsourcing": _version("eventsourcing"),
        "cryptography": _version("cryptography"),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        import psycopg

        from ledger.store.url import parse_database_url

        with psycopg.connect(parse_database_url(PG_ADMIN_URL).conninfo(),
                             connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            facts["postgresql"] = row[0] if row else "unknown"
    except Exception as exc:
        facts["postgresql"] = f"unavailable: {exc}".strip()[:200]
    return facts


def command_line() -> str:
    """The command that produced a result, as a user would type it."""
    argv = sys.argv
    if argv and argv[0].endswith(("bench/run.py", os.path.join("bench", "__main__.py"))):
        argv = ["-m", "bench.run", *argv[1:]]
    elif argv and argv[0].endswith(".py") and "/bench/" in argv[0]:
        argv = ["-m", f"bench.{Path(argv[0]).stem}", *argv[1:]]
    elif argv and argv[0] == "-m":
        argv = ["-m", "bench.run", *argv[1:]]
    return ".venv/bin/python " + " ".join(shlex.quote(a) for a in argv)


@dataclass
class Result:
    name: str
    title: str
    target: str
    measured: float
    unit: str
    baseline: float | None
    baseline_label: str
    ratio: float | None
    passed: bool | None  # None: information only, no target
    details: dict[str, Any]
    seconds: float = 0.0

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[self.passed]
        base = (f" vs {self.baseline_label} {self.baseline:,.1f}" if self.baseline is not None
                else "")
        ratio = f" ratio {self.ratio:.2f}" if self.ratio is not None else ""
        return (f"[{verdict}] {self.title}: {self.measured:,.1f} {self.unit}{base}{ratio}"
                f" (target {self.target})")


def result_json(r: Result) -> dict[str, Any]:
    """One figure as a benchmark's results file holds it."""
    return {
        "name": r.name,
        "title": r.title,
        "target": r.target,
        "measured": round(r.measured, 3),
        "unit": r.unit,
        "baseline": None if r.baseline is None else round(r.baseline, 3),
        "baseline_label": r.baseline_label,
        "ratio": None if r.ratio is None else round(r.ratio, 4),
        "pass": r.passed,
        "details": r.details,
    }


def write_results(bench: str, results: Sequence[Result], extra: dict[str, Any] | None = None,
                  seconds: float = 0.0) -> Path:
    """bench/results/<bench>.json holding every figure of one benchmark module."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{bench}.json"
    doc = {
        "benchmark": bench,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "runtime_seconds": round(seconds, 1),
        "machine": machine_facts(),
        "pass": all(r.passed for r in results if r.passed is not None),
        "results": [result_json(r) for r in results],
        **(extra or {}),
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in results:
        print(r.line(), flush=True)
    return path


# -- statistics ---------------------------------------------------------------------------


def percentiles(samples: Sequence[float],
                points: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles (no interpolation: p99 of 2,000 is the 1,980th value)."""
    ordered = sorted(samples)
    out = {}
    for p in points:
        rank = max(1, -(-len(ordered) * p // 100))  # ceil
        out[f"p{p:g}"] = ordered[int(rank) - 1]
    out["max"] = ordered[-1]
    out["mean"] = statistics.fmean(ordered)
    return out


def rounded(stats: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in stats.items()}


def timed(call: Any) -> float:
    """Milliseconds one call takes; an HTTP answer other than 200 is an error."""
    started = time.perf_counter()
    answer = call()
    if getattr(answer, "status_code", 200) != 200:
        raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
    return (time.perf_counter() - started) * 1000


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# -- places to put databases ---------------------------------------------------------------


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"sunshine-bench-{prefix}-") as d:
        yield Path(d)


def postgres_problem() -> str | None:
    import psycopg

    from ledger.store.url import parse_database_url

    try:
        with psycopg.connect(parse_database_url(PG_ADMIN_URL).conninfo(), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


@contextmanager
def pg_database(prefix: str) -> Iterator[Any]:
    """A fresh PostgreSQL database (as a DatabaseURL), dropped afterwards."""
    import psycopg

    from ledger.store.url import parse_database_url

    admin = parse_database_url(PG_ADMIN_URL)
    name = f"sunshine_bench_{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.with_database(name)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_env(url: Any) -> dict[str, str]:
    """eventsourcing settings for a plain application on the same database."""
    from ledger.store.url import postgres_env

    return postgres_env(url) | {"CREATE_TABLE": "y"}


def url_text(url: Any) -> str:
    """A database URL that `sunshine` parses back to the same place."""
    if url.is_sqlite:
        return f"sqlite:///{url.path}"
    auth = url.user + (f":{url.password}" if url.password else "")
    return f"postgresql://{auth}@{url.host}:{url.port}/{url.dbname}"


# -- a ledger with its administrator ---------------------------------------------------------


@dataclass
class Admin:
    code: str
    key: Any  # Ed25519PrivateKey

    def body(self, kind: str, payload: dict[str, Any]) -> bytes:
        """A request body signed now, the way a client would send it."""
        from ledger import signing

        command = signing.new_command(kind, payload, actor=self.code, key=self.key)
        return json.dumps(signing.sign(command, self.key), ensure_ascii=False).encode()


def open_ledger(url: Any, data_dir: Path, **config: Any) -> Any:
    from ledger.application import Ledger, LedgerConfig

    return Ledger(LedgerConfig(database=url, data_dir=data_dir, **config))


def do_genesis(ledger: Any) -> Admin:
    """Record the finance office and its administrator, as `sunshine init` does."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger import signing

    admin = Admin("czj-admin", Ed25519PrivateKey.generate())
    command = signing.new_command("Genesis", {
        "organisation": {"code": "czj", "name": "澄溪县财政局", "region": "澄溪县"},
        "administrator": {"code": admin.code, "name": "赵志刚"},
        "public_key": signing.public_b64(admin.key),
    }, actor=admin.code, key=admin.key)
    ledger.genesis(json.dumps(signing.sign(command, admin.key)).encode())
    return admin


def organisation_bodies(admin: Admin, prefix: str, n: int, start: int = 0) -> list[bytes]:
    """n pre-signed RegisterOrganisation bodies (codes <prefix>-<start> onwards)."""
    return [
        admin.body("RegisterOrganisation", {
            "code": f"{prefix}-{i}", "name": f"某某旗人民医院医疗设备采购单位 {i}",
            "kind": "purchaser", "region": "澄溪县",
        })
        for i in range(start, start + n)
    ]


def amendment_bodies(admin: Admin, prefix: str, n: int) -> list[bytes]:
    """n pre-signed AmendOrganisation bodies, one per organisation of organisation_bodies."""
    return [
        admin.body("AmendOrganisation", {
            "code": f"{prefix}-{i}", "address": "更正公告 " + "x" * 180,
        })
        for i in range(n)
    ]


def bulk_register(ledger: Any, admin: Admin, prefix: str, n: int, chunk: int = 250) -> None:
    """Store n RegisterOrganisation events fast: the same signed bodies, parsed and decided
    by the product's own code, saved `chunk` aggregates per transaction (no nonce guard,
    no signature check at write time — a store-filling shortcut, not a benchmark path)."""
    from ledger.commands import parse_envelope
    from ledger.domain.events import Signed
    from ledger.domain.registry_commands import HANDLERS, Signer

    key = ledger.registry.key(_key_id(admin))
    assert key is not None, "bulk_register needs the administrator's key on the ledger"
    signer = Signer(admin.code, key.role, key.organisation, key.key_id)
    handler = HANDLERS["RegisterOrganisation"]
    for start in range(0, n, chunk):
        bodies = organisation_bodies(admin, prefix, min(chunk, n - start), start)
        aggregates = []
        for body in bodies:
            envelope = parse_envelope(body)
            signed = Signed(actor=envelope.command.actor, key=envelope.command.key,
                            command=envelope.text, signature=envelope.signature_b64)
            aggregates.extend(handler(signer, envelope.command.payload, signed,
                                      ledger.registry))
        ledger.events.save(*aggregates)


def _key_id(admin: Admin) -> str:
    from ledger import signing

    return str(signing.key_id(admin.key))
