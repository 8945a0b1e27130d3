"""Cosigning round trip: a new checkpoint to both witnesses' cosignatures stored.

Two witnesses run as `sunshine witness serve` processes on this machine, as the demo runs
them. Each round records one command (a new signed checkpoint), then times one step of the
log's cosigner: read the latest checkpoint, a consistency proof from each witness's last
cosigned size, both POST /add-checkpoint at once (each witness verifies the log's signature
and the proof, fsyncs its state and signs), both cosignatures checked and stored. Target:
p99 < 100 ms. Baseline: one GET to a witness (the HTTP floor of one request).

    .venv/bin/python -m bench.witness [--rounds 300]
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack

from bench.common import (
    Result,
    do_genesis,
    log,
    open_ledger,
    organisation_bodies,
    percentiles,
    rounded,
    scratch_dir,
    timed,
    write_results,
)


def run(rounds: int) -> list[Result]:
    import httpx

    from ledger.log.cosigned import cosigned_checkpoint
    from ledger.log.cosigner import Cosigner
    from ledger.log.witness_config import WitnessEndpoint
    from ledger.store.url import parse_database_url
    from sunshine.demo_witnesses import witness_process
    from witness.config import new_key, witness_vkey

    with scratch_dir("witness") as d, ExitStack() as stack:
        ledger = open_ledger(parse_database_url(f"sqlite:///{d / 'ledger.db'}"), d,
                             inline_integration=True)
        stack.callback(ledger.close)
        admin = do_genesis(ledger)
        endpoints = []
        for code in ("qhx-sjj", "qhx-jw"):
            home = d / code
            home.mkdir()
            name = f"witness.{code}.localhost"
            key = new_key(home / "witness-key.pem")
            (home / "logs.toml").write_text(
                f'[[log]]\nkey = "{ledger.signer.verifier_key}"\n', encoding="utf-8")
            url = stack.enter_context(witness_process(name, home, "127.0.0.1"))
            from ledger.log.cosignature import parse_cosignature_key

            endpoints.append(WitnessEndpoint(code, url, parse_cosignature_key(
                witness_vkey(name, key))))
        cosigner = Cosigner(ledger.db, ledger.reader, tuple(endpoints))
        stack.callback(cosigner.close)
        bodies = organisation_bodies(admin, "bench", rounds + 20)
        samples: list[float] = []
        for n, body in enumerate(bodies):
            ledger.submit(body)
            started = time.perf_counter()
            if not cosigner.step():
                raise RuntimeError(f"round {n}: no cosignature came: {cosigner.status()}")
            if n >= 20:  # the first rounds warm both sides up
                samples.append((time.perf_counter() - started) * 1000)
        served = cosigned_checkpoint(ledger.db)
        assert served is not None and served.cosignatures == 2 and served.lag == 0
        log(f"{rounds} rounds, log size {served.size}")
        with httpx.Client() as client:
            floor = [timed(lambda: client.get(endpoints[0].url + "/")) for _ in range(rounds)]
    stats, base = percentiles(samples), percentiles(floor)
    return [
        Result(
            name="cosign_round_trip",
            title="Cosigning round trip, two local witnesses (p99)",
            target="p99 < 100 ms",
            measured=stats["p99"],
            unit="ms",
            baseline=base["p99"],
            baseline_label="GET / of one witness, p99 ms",
            ratio=stats["p99"] / base["p99"] if base["p99"] else None,
            passed=stats["p99"] < 100,
            details={"rounds": rounds, "round_trip_ms": rounded(stats),
                     "http_floor_ms": rounded(base)},
        )
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.witness")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.rounds)
    write_results("witness", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
