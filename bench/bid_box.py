"""A sealed bid through the box vs a plain signed command, in the same run.

Target (issue: the sealed bid box): a sealed bid costs ≤ 1.3× a plain signed command. All
sides are real `Ledger.submit` calls on the same SQLite ledger, full path (inline integration:
each answer carries the leaf index, an inclusion proof and a fresh checkpoint), bodies signed
before the clock starts (signing is the client's cost):

* plain lifecycle command (the target's baseline): ``CorrectAnnouncement`` on the same
  procurements, a signed command that, like a bid, reads the procurement and decides on it,
  and records one entry with nothing sealed;
* plain registry command (information): a supplier's own ``AmendOrganisation``, decided on a
  cached record without reading the procurement;
* sealed bid: the suppliers' ``SubmitBid`` with a sealed price. On top of a plain lifecycle
  command the box reads its index, seals the envelope under a fresh salt, keeps it and the
  price encrypted, signs its own ``CommitBid`` and the supplier's receipt.

One client in lockstep (each command's latency) and CLIENTS concurrent clients. Rounds
alternate the sides; each figure is the median of its rounds and the cost ratio is
median(plain rate) / median(bid rate): how many plain commands one sealed bid costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import Admin, Result, do_genesis, log, open_ledger, scratch_dir, write_results

TARGET = 1.3
CLIENTS = 8


class County:
    """A ledger with its bid box, a purchaser and ``suppliers`` suppliers with keys."""

    def __init__(self, ledger: Any, suppliers: int):
        self.ledger = ledger
        self.admin = do_genesis(ledger)
        self.rounds = 0
        submit = ledger.submit
        register = [("tbx", "bid_box", "tbx-svc", ledger.bid_box.public_b64)]
        self.purchaser = Admin("rmyy-op", Ed25519PrivateKey.generate())
        self.suppliers = [Admin(f"sup{n}-op", Ed25519PrivateKey.generate())
                          for n in range(suppliers)]  # fmt: skip
        register += [("rmyy", "purchaser", "rmyy-op", _public(self.purchaser))]
        register += [(a.code[:-3], "supplier", a.code, _public(a)) for a in self.suppliers]
        for org, kind, actor, public in register:
            submit(self.admin.body("RegisterOrganisation", {
                "code": org, "name": f"{org} 某某单位", "kind": kind, "region": "澄溪县"}))
            submit(self.admin.body("RegisterActor", {
                "code": actor, "organisation": org, "role": kind, "name": "某某"}))
            submit(self.admin.body("RegisterKey", {"actor": actor, "public_key": public}))

    def announced(self, count: int) -> list[str]:
        """``count`` new procurements taking bids (outside the clock)."""
        codes = [f"r{self.rounds}-p{n}" for n in range(count)]
        self.rounds += 1
        for code in codes:
            self.ledger.submit(_body(self.purchaser, "FilePlan", {
                "title": "彩色多普勒超声诊断仪采购", "category": "goods", "method": "open_tender",
                "budget": "1850000.00", "date": "2026-03-02"}, code))
            self.ledger.submit(_body(self.purchaser, "AnnounceTender", {
                "date": "2026-03-03", "requirement": "彩超一台", "qualifications": "无",
                "contact": "王 0319-8123456",
                "bid_deadline": "2026-12-31", "bid_deadline_time": "09:30", "place": "开标室"},
                code))  # fmt: skip
        return codes

    def bids(self, codes: list[str]) -> list[bytes]:
        from ledger import signing
        from ledger.domain.sealed import Disclosure

        bodies = []
        for code in codes:
            for n, supplier in enumerate(self.suppliers):
                sealed: dict[str, Disclosure] = {}
                price = signing.sealed_value(f"{1700000 + n}.00", sealed)
                bodies.append(_body(supplier, "SubmitBid", {"date": "2026-03-04", "price": price},
                                    code, sealed))  # fmt: skip
        return bodies

    def corrections(self, codes: list[str], count: int) -> list[bytes]:
        return [
            _body(self.purchaser, "CorrectAnnouncement",
                  {"date": "2026-03-04", "changes": f"开标地点变更为开标{n}室。"},
                  codes[n % len(codes)])
            for n in range(count)
        ]  # fmt: skip

    def amendments(self, count: int) -> list[bytes]:
        return [
            _body(s, "AmendOrganisation", {"code": s.code[:-3], "address": f"武松路{n}号"})
            for n in range(count // len(self.suppliers))
            for s in self.suppliers
        ]


def _public(admin: Admin) -> str:
    from ledger import signing

    return str(signing.public_b64(admin.key))


def _body(actor: Admin, kind: str, payload: dict[str, Any], procurement: str | None = None,
          sealed: Any = None) -> bytes:
    from ledger import signing

    command = signing.new_command(kind, payload, actor=actor.code, key=actor.key,
                                  procurement=procurement)  # fmt: skip
    return json.dumps(signing.sign(command, actor.key, sealed), ensure_ascii=False).encode()


def resent(submit: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """``submit``, sending a command again when another changed its record at the same time
    (nothing of it was stored, so its nonce is still unused)."""
    from ledger.domain.errors import Conflict

    def again(body: bytes) -> Any:
        while True:
            try:
                return submit(body)
            except Conflict as conflict:
                if conflict.code != "concurrent_change":
                    raise

    return again


def rate(submit: Callable[[bytes], Any], bodies: list[bytes], clients: int) -> float:
    """Commands per second through ``submit``."""
    started = time.perf_counter()
    if clients > 1:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(submit, bodies))
    else:
        for body in bodies:
            submit(body)
    return len(bodies) / (time.perf_counter() - started)


def bench(procurements: int, suppliers: int, rounds: int) -> list[Result]:
    from ledger.store.url import parse_database_url

    with scratch_dir("bid-box") as d:
        ledger = open_ledger(parse_database_url(f"sqlite:///{d / 'ledger.db'}"), d,
                             inline_integration=True)  # fmt: skip
        try:
            county = County(ledger, suppliers)
            rates: dict[str, list[float]] = {k: [] for k in
                                             ("lifecycle", "plain", "bid", "lifecycle_c",
                                              "plain_c", "bid_c")}  # fmt: skip
            county.announced(1)  # warm-up: imports, caches, prepared statements
            rate(ledger.submit, county.bids(county.announced(1)), 1)
            for r in range(rounds):
                bids = county.bids(county.announced(procurements))
                bids_c = county.bids(county.announced(procurements))
                codes = county.announced(procurements)
                lifecycle = county.corrections(codes, len(bids))
                # Concurrent corrections of one procurement conflict and are sent again, as a
                # client would: spread over as many procurements as there are suppliers.
                spread = county.announced(suppliers)
                lifecycle_c = county.corrections(spread, len(bids_c))
                plain = county.amendments(len(bids))
                plain_c = county.amendments(len(bids_c))
                sides = [("lifecycle", lifecycle, 1), ("plain", plain, 1), ("bid", bids, 1),
                         ("lifecycle_c", lifecycle_c, CLIENTS), ("plain_c", plain_c, CLIENTS),
                         ("bid_c", bids_c, CLIENTS)]
                if r % 2:
                    sides.reverse()
                for name, bodies, clients in sides:
                    rates[name].append(rate(resent(ledger.submit), bodies, clients))
                log(f"bid box round {r + 1}/{rounds}: "
                    + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()))
        finally:
            ledger.close()
    med = {k: statistics.median(v) for k, v in rates.items()}
    details = {"commands_per_round": procurements * suppliers, "rounds": rounds,
               "rounds_per_s": {k: [round(x, 1) for x in v] for k, v in rates.items()},
               "config": "SQLite, inline_integration=True (leaf index, proof, checkpoint)"}
    # Each ratio is a cost: how many of the plain commands one sealed bid takes the time of.
    lockstep = med["lifecycle"] / med["bid"]
    concurrent = med["lifecycle_c"] / med["bid_c"]
    registry = med["plain"] / med["bid"]
    return [
        Result("bid_box_sealed_bid", "a sealed bid through the box, one client in lockstep",
               f"cost ≤ {TARGET}× a plain command", med["bid"], "commands/s", med["lifecycle"],
               "plain lifecycle command (CorrectAnnouncement)", lockstep, lockstep <= TARGET,
               details),
        Result("bid_box_sealed_bid_concurrent",
               f"a sealed bid through the box, {CLIENTS} clients", f"cost ≤ {TARGET}×",
               med["bid_c"], "commands/s", med["lifecycle_c"],
               f"plain lifecycle command, {CLIENTS} clients", concurrent, concurrent <= TARGET,
               details),
        Result("bid_box_sealed_bid_vs_registry",
               "a sealed bid vs a registry command (no procurement read), lockstep",
               "information", med["bid"], "commands/s", med["plain"],
               "plain registry command (AmendOrganisation)", registry, None, details),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.bid_box")
    parser.add_argument("--procurements", type=int, default=5, help="per round and side")
    parser.add_argument("--suppliers", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = bench(args.procurements, args.suppliers, args.rounds)
    write_results("bid_box", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
