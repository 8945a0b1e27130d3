"""`sunshine verify` rate vs the raw Ed25519 verification rate, and its memory as the log grows.

A real signed ledger (genesis, then RegisterOrganisation commands by the administrator,
stored through the ledger's own event store and integrated) is verified by the real
`sunshine verify` command in a child process, at 10k, 20k and 40k entries. Beside it, in the
same run, the raw rate: `Ed25519PublicKey.verify` over the very messages in the log, one
core, in this process.

The rate is taken two ways:
- end to end: entries / wall time of the whole `sunshine verify` process (includes the
  interpreter start, imports and opening the database: a fixed cost);
- steady state: (40k − 10k) entries / (wall(40k) − wall(10k)), the marginal rate once the
  fixed cost is paid, which is what a large log sees. The target (≥ 0.9× raw on one core)
  is judged on the steady state; the end-to-end figure is reported beside it.
Memory: peak RSS of the verify process (wait4 rusage) at each size should not grow.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Result,
    bulk_register,
    do_genesis,
    log,
    open_ledger,
    scratch_dir,
    write_results,
)
from bench.profiling import Part, ThreadProfiles, breakdown, table, top_functions, write_profile

TARGET = 0.9
SIZES = (10_000, 20_000, 40_000)


def run_verify(db: Path, data_dir: Path, jobs: int) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in KiB and output of one `sunshine verify` process."""
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data_dir), SUNSHINE_DATABASE_URL=f"sqlite:///{db}")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "verify", "--jobs", str(jobs)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or "OK:" not in output:
        raise RuntimeError(f"sunshine verify failed ({process.returncode}): {output[-500:]}")
    return elapsed, usage.ru_maxrss, output


def raw_ed25519_rate(ledger: Any, limit: int = 10_000, repeats: int = 3,
                     clock: Callable[[], float] = time.perf_counter) -> float:
    """Verifications/s of the log's own (public key, signature, message) triples, one core
    (``clock``: wall time, or process CPU time)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ledger.canonical import canonical

    key_by_id: dict[str, bytes] = {}
    triples = []
    for leaf in ledger.reader.entries(0, 1000) + [
            leaf for s in range(1000, limit, 1000) for leaf in ledger.reader.entries(s, 1000)]:
        entry = json.loads(leaf)
        command = entry["command"]
        if command["type"] == "Genesis":
            key_by_id[entry["key"]] = base64.b64decode(command["payload"]["public_key"])
        triples.append((key_by_id[entry["key"]], base64.b64decode(entry["signature"]),
                        canonical(command)))
    rates = []
    for _ in range(repeats):
        started = clock()
        for public_key, signature, message in triples:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        rates.append(len(triples) / (clock() - started))
    return statistics.median(rates)


def run(rounds: int) -> list[Result]:
    from ledger.store.url import parse_database_url

    measurements: dict[int, dict[str, Any]] = {}
    raw_rates = []
    with scratch_dir("verify") as d:
        db = d / "ledger.db"
        ledger = open_ledger(parse_database_url(f"sqlite:///{db}"), d, inline_integration=False)
        try:
            admin = do_genesis(ledger)
            have = 3
            for size in SIZES:
                started = time.perf_counter()
                bulk_register(ledger, admin, f"org{have}", size - have, chunk=500)
                assert ledger.integrator.integrate() == size
                have = size
                log(f"ledger of {size:,} entries built in {time.perf_counter() - started:.1f}s")
                raw_rates.append(raw_ed25519_rate(ledger))
                runs: dict[str, list[float]] = {"j1": [], "j2": []}
                peaks: dict[str, list[int]] = {"j1": [], "j2": []}
                for _ in range(rounds):  # alternate the job counts
                    for jobs in (1, 2):
                        wall, peak, _out = run_verify(db, d, jobs)
                        runs[f"j{jobs}"].append(wall)
                        peaks[f"j{jobs}"].append(peak)
                measurements[size] = {
                    "wall_j1_s": statistics.median(runs["j1"]),
                    "wall_j2_s": statistics.median(runs["j2"]),
                    "rss_j1_kib": max(peaks["j1"]),
                    "rss_j2_kib": max(peaks["j2"]),
                    "walls": runs,
                }
                m = measurements[size]
                log(f"verify {size:,}: --jobs 1 {m['wall_j1_s']:.2f}s "
                    f"({size / m['wall_j1_s']:,.0f}/s, {m['rss_j1_kib'] / 1024:.0f} MiB), "
                    f"--jobs 2 {m['wall_j2_s']:.2f}s ({size / m['wall_j2_s']:,.0f}/s); "
                    f"raw ed25519 {raw_rates[-1]:,.0f}/s")
        finally:
            ledger.close()

    raw = statistics.median(raw_rates)
    small, big = SIZES[0], SIZES[-1]

    def steady(key: str) -> float:
        spent: float = measurements[big][key] - measurements[small][key]
        return (big - small) / spent

    j1, j2 = steady("wall_j1_s"), steady("wall_j2_s")
    j1_e2e = big / measurements[big]["wall_j1_s"]
    j2_e2e = big / measurements[big]["wall_j2_s"]
    rss = {size: m["rss_j1_kib"] for size, m in measurements.items()}
    growth = rss[big] / rss[small]
    by_size = {str(size): {k: v for k, v in m.items()} for size, m in measurements.items()}
    return [
        Result("verify_jobs1", "sunshine verify --jobs 1 (steady state)", f"≥ {TARGET}× raw",
               j1, "entries/s", raw, "raw Ed25519 verify/s, one core", j1 / raw, j1 / raw >= TARGET,
               {"end_to_end_entries_per_s_at_40k": round(j1_e2e, 1),
                "end_to_end_ratio": round(j1_e2e / raw, 3), "sizes": by_size,
                "raw_ed25519_rounds": [round(r) for r in raw_rates]}),
        Result("verify_jobs2", "sunshine verify --jobs 2 (steady state)", "faster than --jobs 1",
               j2, "entries/s", j1, "--jobs 1 entries/s", j2 / j1, j2 > j1,
               {"end_to_end_entries_per_s_at_40k": round(j2_e2e, 1),
                "ratio_to_raw": round(j2 / raw, 3)}),
        Result("verify_memory", f"verify peak RSS {small // 1000}k→{big // 1000}k entries",
               "flat (≤ 1.1× from 10k to 40k)", rss[big] / 1024, "MiB", rss[small] / 1024,
               f"MiB at {small // 1000}k", growth, growth <= 1.1,
               {"peak_rss_kib_jobs1": rss,
                "peak_rss_kib_jobs2_parent": {s: m["rss_j2_kib"] for s, m in
                                              measurements.items()},
                "how": "os.wait4 rusage ru_maxrss of the `sunshine verify` child process"}),
    ]


# Where `sunshine verify`'s time goes, in parts that do not overlap (``bench.profiling``).
ADD = "LogVerifier.add beside its parts below (leaf JSON decoded, fields checked)"
CANONICAL = "the leaf's canonical form checked, the signed command cut out"
REGISTRY = "the registry replay: the signer's key at this entry"
LIFECYCLE = "the lifecycle replay: the procurement rules at this entry"
TREE = "the tree: the leaf's hash and the nodes it completes"
VERIFY_PARTS = (
    Part("reading each leaf with its stored event, the leaf derived again and compared",
         [("ledger/sources.py", "local_batches")]),
    Part(ADD, [("ledger/verify.py", "add")], inside=[CANONICAL, REGISTRY, LIFECYCLE, TREE]),
    Part(CANONICAL, [("ledger/verify.py", "_split_canonical")]),
    Part(REGISTRY, [("ledger/verify_registry.py", "signer_key")]),
    Part(LIFECYCLE, [("ledger/verify_lifecycle.py", "check")]),
    Part(TREE, [("ledger/log/merkle.py", "leaf_hash"), ("ledger/log/merkle.py", "append")]),
    Part("the signatures (OpenSSL, one key object per key)",
         [("ledger/verify.py", "check_signatures")]),
    Part("the stored tree compared with the one the leaves give",
         [("ledger/sources.py", "check")]),
)  # fmt: skip


def profile_in_process(size: int) -> None:
    """bench/results/verify_profile.txt: `sunshine verify --jobs 1`'s work in this process
    (``verify_local``, no interpreter start) over a log of ``size`` entries, its CPU per
    entry beside the raw Ed25519 check's, unprofiled, then one profiled run in parts."""
    from ledger.store.url import parse_database_url
    from sunshine.settings import Settings
    from sunshine.verifying import verify_local

    with scratch_dir("verify-profile") as d:
        db = d / "ledger.db"
        ledger = open_ledger(parse_database_url(f"sqlite:///{db}"), d, inline_integration=False)
        try:
            admin = do_genesis(ledger)
            bulk_register(ledger, admin, "org", size - 3, chunk=500)
            assert ledger.integrator.integrate() == size
            raw = raw_ed25519_rate(ledger, limit=size, clock=time.process_time)
        finally:
            ledger.close()
        settings = Settings(data_dir=d, database_url=f"sqlite:///{db}")
        quiet = io.StringIO()
        runs = []
        for _ in range(3):
            cpu = time.process_time()
            verify_local(settings, None, None, 1, quiet)
            runs.append((time.process_time() - cpu) / size)
        ours = statistics.median(runs)
        profiles = ThreadProfiles()
        with profiles.this_thread():
            verify_local(settings, None, None, 1, quiet)
        stats = profiles.stop()
    parts = breakdown(stats, [("sunshine/verifying.py", "verify_local")], VERIFY_PARTS)
    raw_us, our_us = 1e6 / raw, 1e6 * ours
    write_profile("verify_profile", "sunshine verify --jobs 1, in process: where the time goes", [
        ("Unprofiled, the same run", (
            f"{size:,} entries (RegisterOrganisation by the administrator, as bench.verify "
            f"builds), all in process CPU time. Raw Ed25519 (OpenSSL) over the log's own "
            f"messages: {raw:,.0f}/s, {raw_us:.1f} µs each (median of 3 passes). "
            f"verify_local: {our_us:.1f} µs an entry (median of "
            f"{len(runs)} runs: {', '.join(f'{1e6 * r:.1f}' for r in runs)}), "
            f"{raw_us / our_us:.2f}x the raw rate. 0.9x the raw rate leaves "
            f"{raw_us / 0.9 - raw_us:.1f} µs an entry for all but the signature.")),
        (f"One profiled run over {size:,} entries: CPU in parts",
         table(parts, size, "entry")),
        ("Top functions (cumulative CPU)", top_functions(stats, 40)),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.verify")
    parser.add_argument("--rounds", type=int, default=2, help="verify runs per size and --jobs")
    parser.add_argument("--profile", type=int, metavar="ENTRIES", default=0,
                        help="only bench/results/verify_profile.txt over a log of ENTRIES")
    args = parser.parse_args(argv)
    if args.profile:
        profile_in_process(args.profile)
        return []
    started = time.perf_counter()
    results = run(args.rounds)
    write_results("verify", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
