"""The bulk path (`ledger.bulk`): the demo year's signed commands loaded in batches, beside
plain eventsourcing saving as many events, and beside the same commands one by one.

The demo year's commands are signed once (by each actor's demo key, as `sunshine demo`
does) and kept as request bodies; then, in alternating rounds on fresh SQLite ledgers:

- **bulk**: `BulkLoader.submit_batch` in batches of 256 (signatures verified together, each
  command decided in order, one commit and one checkpoint per batch), the log integrated;
- **plain**: a plain eventsourcing application saving the same number of events, one per
  transaction (half created, half read, amended and saved: `bench.append.plain_round`);
- **one by one** (one round): `Ledger.submit` for each command, each in its own transaction
  with its leaf, proof and checkpoint, as the demo was loaded before the bulk path.

Target (issue 19, point 3): bulk ≥ 0.8× plain. Beside the wall-clock rates, each round's
process CPU time (the bulk round's signature threads included) gives events per CPU-second
for both sides: on a machine others keep busy, where the plain side mostly waits on its
fsync, that ratio says what the code costs (reported as information). With ``--profile``
one more bulk round runs under cProfile (each thread on its own CPU clock) and where its CPU
goes is written to ``bench/results/bulk_profile.txt``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.append import PlainProcurement, plain_round
from bench.common import Result, log, scratch_dir, write_results
from bench.profiling import Part, ThreadProfiles, breakdown, table, top_functions, write_profile
from demo.builder import DemoBuilder

TARGET = 0.8
ROUNDS = 3
BATCH = 256


def signed_year(directory: Path) -> tuple[bytes, list[bytes], Path]:
    """The demo year's genesis and commands, signed now; the bid box's key they register."""
    from ledger.application import Ledger, LedgerConfig
    from ledger.store.url import parse_database_url

    url = parse_database_url(f"sqlite:///{directory / 'signing.db'}")
    ledger = Ledger(LedgerConfig(database=url, data_dir=directory))
    try:
        builder = KeptYear(ledger, directory / "demo-keys")
        builder.build()
        genesis = json.loads(ledger.reader.entry(0))
    finally:
        ledger.close()
    body = json.dumps({"command": genesis["command"], "signature": genesis["signature"]})
    return body.encode(), builder.kept, directory / "bid-box-key.pem"


class KeptYear(DemoBuilder):
    """The demo's builder keeping its signed commands instead of submitting them."""

    def __init__(self, ledger: Any, keys_dir: Path):
        super().__init__(ledger, keys_dir)
        self.kept: list[bytes] = []

    def _flush(self) -> int:
        self.kept.extend(body for _, body in self._batch)
        self._batch = []
        return 0


def fresh_ledger(directory: Path, box_key: Path) -> Any:
    from ledger.application import Ledger, LedgerConfig
    from ledger.store.url import parse_database_url

    url = parse_database_url(f"sqlite:///{directory / 'ledger.db'}")
    return Ledger(LedgerConfig(database=url, data_dir=directory, bid_box_key_path=box_key))


def bulk_round(genesis: bytes, bodies: list[bytes], box_key: Path,
               profiles: ThreadProfiles | None = None) -> tuple[float, int, float, float]:
    """(seconds, log size, process CPU seconds, the loading thread's CPU seconds) of loading
    ``bodies`` through the bulk path; ``profiles``: its threads profiled (bench.profiling)."""
    from ledger.bulk import VERIFY_THREADS, BulkLoader

    with scratch_dir("bulk") as directory:
        ledger = fresh_ledger(directory, box_key)
        try:
            ledger.genesis(genesis)
            loader = BulkLoader(ledger)
            if profiles is not None:  # its signature threads, profiled from their start
                loader._verifier.shutdown()
                loader._verifier = ThreadPoolExecutor(VERIFY_THREADS,
                                                      initializer=profiles.start)  # fmt: skip
                profiles.start()
            started, cpu = time.perf_counter(), time.process_time()
            own = time.thread_time()
            for start in range(0, len(bodies), BATCH):
                outcome = loader.submit_batch(bodies[start : start + BATCH])
                if outcome.failures:
                    raise RuntimeError(str(outcome.failures[0]))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            own = time.thread_time() - own
            loader.close()
            return seconds, outcome.size, cpu, own
        finally:
            ledger.close()


def one_by_one_round(genesis: bytes, bodies: list[bytes], box_key: Path) -> float:
    with scratch_dir("one") as directory:
        ledger = fresh_ledger(directory, box_key)
        try:
            ledger.genesis(genesis)
            started = time.perf_counter()
            for body in bodies:
                ledger.submit(body)
            return time.perf_counter() - started
        finally:
            ledger.close()


def plain_rate(events: int, tag: str) -> tuple[float, float]:
    """(events/s, events per CPU-second) of plain eventsourcing saving ``events``."""
    with scratch_dir("bulk-plain") as directory:
        app = PlainProcurement(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                    "SQLITE_DBNAME": str(directory / "plain.db")})
        try:
            cpu = time.process_time()
            rate = plain_round(app, events, tag)
            return rate, events / (time.process_time() - cpu)
        finally:
            app.close()


# Where the bulk path's CPU goes, in parts that do not overlap (``bench.profiling``).
DECIDING = "deciding by the rules (payload, amounts, dates, records read, the events)"
STORING = "storing a batch's events, nonces, guards and sealed values, one commit"
INTEGRATING = "integrating: leaves, tree nodes, one checkpoint per batch"
# "other" is mostly the batch's view: the decided records kept over the stored ones.
BULK_PARTS = (
    Part("parsing the envelopes (strict JSON, shapes, canonical text)",
         [("ledger/bulk.py", "_parsed")]),
    Part("checking the signatures (libsodium, 2 threads beside the decisions)",
         [("ledger/bulk.py", "check")]),
    Part(DECIDING, [("ledger/application.py", "_prepare")]),
    # On SQLite the leaves are appended within the storing commit: their own part.
    Part(STORING, [("ledger/bulk.py", "_flush")], inside=[INTEGRATING]),
    Part(INTEGRATING, [("ledger/log/integrator.py", "integrate"),
                       ("ledger/log/integrator.py", "integrate_in")]),
)  # fmt: skip


def write_bulk_profile(profiles: ThreadProfiles, events: int, rows: list[str]) -> None:
    """bench/results/bulk_profile.txt: the profiled round's parts beside the unprofiled rounds."""
    stats = profiles.stop()
    parts = breakdown(stats, [("ledger/bulk.py", "submit_batch"), ("ledger/bulk.py", "check")],
                      BULK_PARTS)  # fmt: skip
    write_profile("bulk_profile", "Bulk path, the demo year on SQLite: where the CPU goes", [
        ("Unprofiled rounds (bench.bulk, the same run)", "\n".join(rows)),
        (f"One profiled round of {events:,} events: thread CPU in parts (the loading thread "
         "and the signature threads)", table(parts, events, "event")),
        ("Top functions (cumulative thread CPU)", top_functions(stats, 45)),
    ])  # fmt: skip


def run(profiled: bool) -> list[Result]:
    with scratch_dir("bulk-signing") as directory:
        genesis, bodies, box_key = signed_year(directory)
        log(f"demo year signed: {len(bodies):,} commands")
        bulk_rates, plain_rates, sizes = [], [], []
        bulk_cpu, plain_cpu = [], []  # events per CPU-second
        rows = []
        for n in range(ROUNDS):
            seconds, size, cpu, own = bulk_round(genesis, bodies, box_key)
            events = size - 3  # the genesis's three entries are not the load's
            bulk_rates.append(events / seconds)
            bulk_cpu.append(events / cpu)
            rate, per_cpu = plain_rate(events, f"r{n}")
            plain_rates.append(rate)
            plain_cpu.append(per_cpu)
            sizes.append(size)
            rows.append(
                f"round {n + 1}: bulk {bulk_rates[-1]:,.0f} events/s ({seconds:.2f} s wall, "
                f"{cpu:.2f} s process CPU, of it {own:.2f} s on the loading thread: "
                f"{1e6 * own / events:.0f} µs an event, {own / seconds:.2f} of the wall), "
                f"plain {plain_rates[-1]:,.0f} events/s ({1e6 / plain_cpu[-1]:.0f} µs of CPU "
                f"an event); ratio {bulk_rates[-1] / plain_rates[-1]:.2f}")
            log(rows[-1])
        one = one_by_one_round(genesis, bodies, box_key)
        one_rate = (sizes[-1] - 3) / one
        log(f"one by one: {one_rate:,.0f} events/s ({one:.1f} s)")
        if profiled:
            profiles = ThreadProfiles()
            bulk_round(genesis, bodies, box_key, profiles)  # its CPU time is the profiler's
            write_bulk_profile(profiles, sizes[-1] - 3, rows)
    bulk, plain = statistics.median(bulk_rates), statistics.median(plain_rates)
    ratio = bulk / plain
    cpu_bulk, cpu_plain = statistics.median(bulk_cpu), statistics.median(plain_cpu)
    details = {"commands": len(bodies), "events": sizes[-1] - 3, "batch": BATCH,
               "bulk_rounds": [round(r) for r in bulk_rates],
               "plain_rounds": [round(r) for r in plain_rates],
               "bulk_seconds": round((sizes[-1] - 3) / bulk, 2)}  # fmt: skip
    if profiled:
        details["profile"] = "bench/results/bulk_profile.txt"
    return [
        Result("bulk_vs_plain", "bulk path, demo year, SQLite (batches of 256, one commit and "
               "checkpoint each)", f"ratio ≥ {TARGET}", bulk, "events/s", plain,
               "plain eventsourcing, one event per transaction", ratio, ratio >= TARGET,
               details),
        Result("bulk_vs_plain_cpu", "bulk path vs plain eventsourcing, events per CPU-second "
               "(process CPU time, the same rounds)", "information", cpu_bulk,
               "events/CPU-s", cpu_plain, "plain eventsourcing, one event per transaction",
               cpu_bulk / cpu_plain, None,
               {"bulk_rounds": [round(r) for r in bulk_cpu],
                "plain_rounds": [round(r) for r in plain_cpu]}),
        Result("bulk_vs_one_by_one", "bulk path vs the same commands one by one (leaf, proof "
               "and checkpoint each)", "information", bulk, "events/s", one_rate,
               "Ledger.submit one by one", bulk / one_rate, None,
               {"one_by_one_seconds": round(one, 2)}),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true", help="keep a cProfile of one round")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.profile)
    write_results("bulk", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
