"""Append throughput: signed commands through `Ledger.submit` vs a plain eventsourcing app.

Both sides do the same saves: n/2 new aggregates, then n/2 get + amend + save, one save
per command. The plain side is an eventsourcing Application with no signing and no log;
ours is `Ledger.submit(body)` with bodies signed before the clock starts (signing is the
client's cost) of RegisterOrganisation then AmendOrganisation by the administrator.

(a) append only: inline_integration=False, leaf_wait_seconds=0, so submit returns once the
    event is stored — on SQLite and on PostgreSQL, target ratio >= 0.8;
(b) full path on SQLite: inline integration, so the receipt carries the leaf index, an
    inclusion proof and a fresh checkpoint — target ratio >= 0.8 with 8 clients: a group
    commit holds the events, their leaves and one checkpoint, and each receipt's proof is
    computed from what it appended (one client in lockstep: information).

Each is measured twice: one client submitting commands one after another, and
CLIENTS concurrent clients (threads, as the API's thread pool serves them) each
creating then amending its own aggregates. Under concurrency the ledger's group
commit lets commands share a durable commit while others are being verified; the
plain app saves each event in its own transaction, as eventsourcing does.

Rounds alternate the sides (rotating which goes first) so machine noise hits all alike;
each figure is the median of its rounds, the ratio is median(ours) / median(plain).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import (
    Result,
    amendment_bodies,
    do_genesis,
    log,
    open_ledger,
    organisation_bodies,
    pg_database,
    pg_env,
    postgres_problem,
    scratch_dir,
    write_results,
)
from bench.profiling import Part, ThreadProfiles, breakdown, table, top_functions, write_profile

TARGET = 0.8
# The throughput target is judged where throughput is: concurrent clients, as the API serves
# them. One client waiting for each answer measures latency; there the ratio is capped below
# 0.8 on SQLite by the Ed25519 verification and strict parsing each command needs (about a
# quarter of a plain save's time), so it is reported, not judged.
LOCKSTEP = "information (latency-bound)"


class Tender(Aggregate):
    @event("Announced")
    def __init__(self, title: str, budget: str):
        self.title = title
        self.budget = budget
        self.notes: list[str] = []

    @event("Amended")
    def amend(self, note: str) -> None:
        self.notes.append(note)


class PlainProcurement(Application):  # type: ignore[type-arg]
    name = "PlainProcurement"


CLIENTS = 8


def plain_round(app: PlainProcurement, n: int, tag: str, clients: int = 1,
                initializer: Callable[[], None] | None = None) -> float:
    """events/s of n/2 creates then n/2 get/amend/save (``initializer``: each client thread's
    first call, as the profile's)."""
    half = n // 2
    if clients > 1:
        def pair(i: int) -> None:
            tender = Tender(title=f"某某旗人民医院医疗设备采购单位 {tag}-{i}", budget="1234567.89")
            app.save(tender)
            tender = app.repository.get(tender.id)
            tender.amend("更正公告 " + "x" * 180)
            app.save(tender)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients, initializer=initializer) as pool:
            list(pool.map(pair, range(half)))
        return 2 * half / (time.perf_counter() - started)
    started = time.perf_counter()
    ids = []
    for i in range(half):
        tender = Tender(title=f"某某旗人民医院医疗设备采购单位 {tag}-{i}", budget="1234567.89")
        app.save(tender)
        ids.append(tender.id)
    for id_ in ids:
        tender = app.repository.get(id_)
        tender.amend("更正公告 " + "x" * 180)
        app.save(tender)
    return 2 * half / (time.perf_counter() - started)


class OurSide:
    """A ledger with its administrator; each round registers then amends new organisations."""

    def __init__(self, url: Any, data_dir: Path, **config: Any):
        self.ledger = open_ledger(url, data_dir, **config)
        self.admin = do_genesis(self.ledger)
        self.rounds = 0

    def round(self, n: int, clients: int = 1,
              initializer: Callable[[], None] | None = None) -> float:
        half = n // 2
        prefix = f"r{self.rounds}"
        self.rounds += 1
        registrations = organisation_bodies(self.admin, prefix, half)
        amendments = amendment_bodies(self.admin, prefix, half)
        submit = self.ledger.submit
        if clients > 1:
            def pair(bodies: tuple[bytes, bytes]) -> None:
                submit(bodies[0])
                submit(bodies[1])

            started = time.perf_counter()
            with ThreadPoolExecutor(clients, initializer=initializer) as pool:
                list(pool.map(pair, zip(registrations, amendments, strict=True)))
            return 2 * half / (time.perf_counter() - started)
        started = time.perf_counter()
        for body in registrations:
            submit(body)
        for body in amendments:
            submit(body)
        return 2 * half / (time.perf_counter() - started)

    def close(self) -> None:
        self.ledger.close()


def alternate(sides: dict[str, Callable[[int, str], float]], n: int, rounds: int,
              label: str) -> dict[str, list[float]]:
    """Run every side once per round, rotating which side goes first."""
    names = list(sides)
    for name in names:  # warm-up: imports, caches, prepared statements, page cache
        sides[name](max(20, n // 20), "warm")
    rates: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            rates[name].append(sides[name](n, f"{r}"))
        log(f"{label} round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()))
    return rates


def _summary(rates: list[float]) -> dict[str, Any]:
    return {"rounds_events_per_s": [round(x, 1) for x in rates],
            "median": round(statistics.median(rates), 1)}


def bench_sqlite(n: int, rounds: int) -> list[Result]:
    with scratch_dir("append-sqlite") as d:
        from ledger.store.url import parse_database_url

        plain = PlainProcurement(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                      "SQLITE_DBNAME": str(d / "plain.db")})
        append_only = OurSide(parse_database_url(f"sqlite:///{d / 'a.db'}"), d / "a",
                              inline_integration=False, leaf_wait_seconds=0)
        full = OurSide(parse_database_url(f"sqlite:///{d / 'b.db'}"), d / "b",
                       inline_integration=True)
        try:
            rates = alternate({
                "plain": lambda k, tag: plain_round(plain, k, tag),
                "append_only": lambda k, _tag: append_only.round(k),
                "full_path": lambda k, _tag: full.round(k),
                "plain_concurrent": lambda k, tag: plain_round(plain, k, "c" + tag, CLIENTS),
                "append_only_concurrent": lambda k, _tag: append_only.round(k, CLIENTS),
                "full_path_concurrent": lambda k, _tag: full.round(k, CLIENTS),
            }, n, rounds, "sqlite")
        finally:
            plain.close()
            append_only.close()
            full.close()
    base = statistics.median(rates["plain"])
    a = statistics.median(rates["append_only"])
    b = statistics.median(rates["full_path"])
    common = {"events_per_round": n, "rounds": rounds,
              "plain": _summary(rates["plain"])}
    cbase = statistics.median(rates["plain_concurrent"])
    ca = statistics.median(rates["append_only_concurrent"])
    cb = statistics.median(rates["full_path_concurrent"])
    ccommon = {"events_per_round": n, "rounds": rounds, "clients": CLIENTS,
               "plain": _summary(rates["plain_concurrent"])}
    return [
        Result("append_sqlite_concurrent", f"append only, SQLite, {CLIENTS} clients",
               f"ratio ≥ {TARGET}", ca, "events/s", cbase,
               f"plain eventsourcing, {CLIENTS} clients", ca / cbase, ca / cbase >= TARGET,
               {**ccommon, "ours": _summary(rates["append_only_concurrent"]),
                "config": "inline_integration=False, leaf_wait_seconds=0"}),
        Result("append_sqlite_full_concurrent",
               f"full path (leaf+proof+checkpoint), SQLite, {CLIENTS} clients",
               f"ratio ≥ {TARGET}", cb, "events/s", cbase,
               f"plain eventsourcing, {CLIENTS} clients", cb / cbase, cb / cbase >= TARGET,
               {**ccommon, "ours": _summary(rates["full_path_concurrent"]),
                "config": "inline_integration=True (leaves and one checkpoint per group "
                          "commit, in its transaction)"}),
        Result("append_sqlite", "append only, SQLite, one client in lockstep", LOCKSTEP, a,
               "events/s", base, "plain eventsourcing", a / base, None,
               {**common, "ours": _summary(rates["append_only"]),
                "config": "inline_integration=False, leaf_wait_seconds=0"}),
        Result("append_sqlite_full", "full path (leaf+proof+checkpoint), SQLite, one client in "
               "lockstep", LOCKSTEP,
               b, "events/s", base, "plain eventsourcing", b / base, None,
               {**common, "ours": _summary(rates["full_path"]),
                "config": "inline_integration=True (receipt with leaf index, inclusion proof, "
                          "fresh signed checkpoint)"}),
    ]


def bench_postgres(n: int, rounds: int) -> list[Result]:
    problem = postgres_problem()
    if problem is not None:
        return [Result("append_postgres", "append only, PostgreSQL", f"ratio ≥ {TARGET}",
                       0.0, "events/s", None, "", None, False,
                       {"skipped": f"PostgreSQL unavailable: {problem}"})]
    with pg_database("append") as url, scratch_dir("append-pg") as d:
        plain = PlainProcurement(env=pg_env(url))
        ours = OurSide(url, d, inline_integration=False, leaf_wait_seconds=0)
        try:
            rates = alternate({
                "plain": lambda k, tag: plain_round(plain, k, tag),
                "append_only": lambda k, _tag: ours.round(k),
                "plain_concurrent": lambda k, tag: plain_round(plain, k, "c" + tag, CLIENTS),
                "append_only_concurrent": lambda k, _tag: ours.round(k, CLIENTS),
            }, n, rounds, "postgres")
        finally:
            plain.close()
            ours.close()
    base = statistics.median(rates["plain"])
    a = statistics.median(rates["append_only"])
    cbase = statistics.median(rates["plain_concurrent"])
    ca = statistics.median(rates["append_only_concurrent"])
    return [
        Result("append_postgres_concurrent", f"append only, PostgreSQL, {CLIENTS} clients",
               f"ratio ≥ {TARGET}", ca, "events/s", cbase,
               f"plain eventsourcing, {CLIENTS} clients", ca / cbase, ca / cbase >= TARGET,
               {"events_per_round": n, "rounds": rounds, "clients": CLIENTS,
                "plain": _summary(rates["plain_concurrent"]),
                "ours": _summary(rates["append_only_concurrent"]),
                "config": "inline_integration=False, leaf_wait_seconds=0"}),
        Result("append_postgres", "append only, PostgreSQL, one client in lockstep", LOCKSTEP,
               a, "events/s", base, "plain eventsourcing", a / base, None,
               {"events_per_round": n, "rounds": rounds, "plain": _summary(rates["plain"]),
                "ours": _summary(rates["append_only"]),
                "config": "inline_integration=False, leaf_wait_seconds=0"}),
    ]


# Where the full path's CPU goes, in parts that do not overlap (``bench.profiling``).
SIGNATURE = "checking the client's Ed25519 signature (libsodium, outside the GIL)"
LOG = "the log: leaves, tree nodes, one checkpoint per group commit"
CHECKPOINT = "signing the group's checkpoint (libsodium, outside the GIL)"
COMMIT = "the group's durable commit (SQLite, outside the GIL)"
RECEIPT = "the receipt: inclusion proof, checked against the signed root"
FULL_PATH_PARTS = (
    Part("parsing the envelope (strict JSON, shapes, canonical text)",
         [("ledger/commands.py", "parse_envelope")]),
    Part("deciding (key, freshness, the registry's rules, the events)",
         [("ledger/application.py", "_prepare")], inside=[SIGNATURE]),
    Part(SIGNATURE, [("ledger/commands.py", "verify_with_key")]),
    Part("storing the events, nonces and guards", [("eventsourcing/persistence.py", "put")],
         inside=[LOG, COMMIT]),
    Part(LOG, [("ledger/log/integrator.py", "integrate_in")], inside=[CHECKPOINT]),
    Part(CHECKPOINT, [("ledger/log/signer.py", "sign")]),
    Part(COMMIT, [("~", "<method 'commit' of 'sqlite3.Connection' objects>")]),
    Part(RECEIPT, [("ledger/application.py", "_receipt")]),
)  # fmt: skip


def profile_full_path(n: int, rounds: int = 3) -> None:
    """bench/results/append_profile.txt: the full path at CLIENTS clients, CPU per event of
    both sides unprofiled (alternating rounds), commands per group commit, then one profiled
    round of each side and the parts of the full path's CPU."""
    from ledger.store.url import parse_database_url

    with scratch_dir("append-profile") as d:
        plain = PlainProcurement(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                      "SQLITE_DBNAME": str(d / "plain.db")})
        full = OurSide(parse_database_url(f"sqlite:///{d / 'b.db'}"), d / "b",
                       inline_integration=True)
        append_only = OurSide(parse_database_url(f"sqlite:///{d / 'a.db'}"), d / "a",
                              inline_integration=False, leaf_wait_seconds=0)
        checkpoints = sqlite3.connect(d / "b.db")

        def groups() -> int:  # one checkpoint is signed per group commit
            return int(checkpoints.execute("SELECT COUNT(*) FROM log_checkpoints").fetchone()[0])

        try:
            plain_round(plain, 200, "warm", CLIENTS)
            full.round(200, CLIENTS)
            append_only.round(200, CLIENTS)
            rows = []
            for r in range(rounds):
                cpu = time.process_time()
                rate_plain = plain_round(plain, n, f"p{r}", CLIENTS)
                cpu_plain = (time.process_time() - cpu) / n
                before = groups()
                rate_full = full.round(n, CLIENTS)  # its bodies are signed before its clock
                rows.append((rate_plain, cpu_plain, rate_full, n / (groups() - before)))
                log(f"profile round {r + 1}/{rounds}: plain {rate_plain:,.0f}/s, "
                    f"full {rate_full:,.0f}/s")
            # Both sides' CPU without the signing of their bodies (the clients' cost),
            # alternating: the difference is the log's leaves, nodes, checkpoint and proofs.
            cpus: dict[str, list[float]] = {"full": [], "append": []}
            for _ in range(rounds):
                cpus["full"].append(_unsigned_cpu(full, n))
                cpus["append"].append(_unsigned_cpu(append_only, n))
            cpu_full = statistics.median(cpus["full"])
            cpu_append = statistics.median(cpus["append"])
            signature = _signature_cpu(full, n)
            profiles = ThreadProfiles()
            full.round(n, CLIENTS, initializer=profiles.start)
            ours = profiles.stop()
            plain_profiles = ThreadProfiles()
            plain_round(plain, n, "prof", CLIENTS, initializer=plain_profiles.start)
            theirs = plain_profiles.stop()
        finally:
            checkpoints.close()
            plain.close()
            full.close()
            append_only.close()
    parts = breakdown(ours, [("ledger/application.py", "submit")], FULL_PATH_PARTS)
    rate_plain = statistics.median(r[0] for r in rows)
    rate_full = statistics.median(r[2] for r in rows)
    cpu_plain = statistics.median(r[1] for r in rows)
    per_group = statistics.median(r[3] for r in rows)
    # Serial under the GIL: at most all but the signature check (libsodium releases it).
    gil_us = 1e6 * (cpu_full - signature)
    # What plain eventsourcing never pays and the append-only path does not do.
    log_us = 1e6 * (cpu_full - cpu_append)
    measured = "\n".join(
        f"round {i + 1}: plain {p:,.0f} events/s ({1e6 * c:.0f} µs CPU/event), full path "
        f"{f:,.0f} events/s, {g:.1f} commands per group commit"
        for i, (p, c, f, g) in enumerate(rows))  # fmt: skip
    bound = (
        f"median: plain {rate_plain:,.0f} events/s at {1e6 * cpu_plain:.0f} µs of process CPU "
        f"an event; full path {rate_full:,.0f} events/s (ratio {rate_full / rate_plain:.2f}) at "
        f"{1e6 * cpu_full:.0f} µs an event, the append-only path at {1e6 * cpu_append:.0f} µs "
        f"(rounds without their clients' signing: full "
        f"{', '.join(f'{1e6 * c:.0f}' for c in cpus['full'])}, append only "
        f"{', '.join(f'{1e6 * c:.0f}' for c in cpus['append'])}); the signature check "
        f"{1e6 * signature:.0f} µs of it; "
        f"{per_group:.1f} commands a group commit. Cores used: plain "
        f"{rate_plain * cpu_plain:.2f}, full path {rate_full * cpu_full:.2f} (under 1 when the "
        f"machine's load leaves the process less than a core).\n"
        f"The client threads share one GIL: all but the signature check (libsodium) is at most "
        f"serial (SQLite's own work releases it too), {gil_us:.0f} µs an event, which bounds "
        f"the full path to "
        f"{1e6 / gil_us:,.0f} events/s, {1e6 / gil_us / rate_plain:.2f}x this run's plain "
        f"side (on a machine that leaves the process a core).\nWhat plain eventsourcing never "
        f"pays and a receipt cannot do without — the log's leaves, nodes and checkpoint and "
        f"the receipt's proof: the full path less the append-only one, {log_us:.0f} µs an "
        f"event. Were everything else as cheap as plain eventsourcing's "
        f"whole save ({1e6 * cpu_plain:.0f} µs), the GIL would bound the full path to "
        f"{1e6 / (1e6 * cpu_plain + log_us):,.0f} events/s, "
        f"{1e6 / (1e6 * cpu_plain + log_us) / rate_plain:.2f}x the plain side."
    )
    write_profile("append_profile", f"Full receipt path, SQLite, {CLIENTS} clients: where "
                  "the CPU goes", [
        ("Unprofiled, alternating rounds", measured + "\n" + bound),
        (f"Full path, one profiled round of {n:,} events: thread CPU in parts (cProfile "
         "inflates many small Python calls against C: the receipt's proof, for one, takes "
         "about 19 µs unprofiled; read costs from the differences above, shares here)",
         table(parts, n, "event")),
        ("Full path: top functions (cumulative thread CPU)", top_functions(ours)),
        ("Plain eventsourcing, the same profile: top functions", top_functions(theirs, 20)),
    ])  # fmt: skip


def _signature_cpu(side: OurSide, n: int) -> float:
    """CPU seconds of one signature check of a command body, as ``Ledger.submit`` makes it."""
    from ledger import signing
    from ledger.command_key import CommandKey
    from ledger.commands import parse_envelope

    envelopes = [parse_envelope(body) for body in organisation_bodies(side.admin, "sig", n)]
    key = CommandKey.from_b64(signing.public_b64(side.admin.key))
    started = time.thread_time()
    for envelope in envelopes:
        envelope.verify_with_key(key)
    return (time.thread_time() - started) / n


def _unsigned_cpu(side: OurSide, n: int) -> float:
    """Process CPU seconds per event of one round of ``side``, its bodies signed outside."""
    half = n // 2
    prefix = f"u{side.rounds}"
    side.rounds += 1
    pairs = list(zip(organisation_bodies(side.admin, prefix, half),
                     amendment_bodies(side.admin, prefix, half), strict=True))  # fmt: skip

    def pair(bodies: tuple[bytes, bytes]) -> None:
        side.ledger.submit(bodies[0])
        side.ledger.submit(bodies[1])

    cpu = time.process_time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(pair, pairs))
    return (time.process_time() - cpu) / (2 * half)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.append")
    parser.add_argument("--events", type=int, default=2000, help="events per round (SQLite)")
    parser.add_argument("--pg-events", type=int, default=1000, help="events per round (PG)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="only bench/results/append_profile.txt: where the full path's "
                             "CPU goes at 8 clients")  # fmt: skip
    args = parser.parse_args(argv)
    if args.profile:
        profile_full_path(args.events)
        return []
    started = time.perf_counter()
    results = bench_sqlite(args.events, args.rounds) + bench_postgres(args.pg_events, args.rounds)
    write_results("append", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
