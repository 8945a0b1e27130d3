"""`sunshine province`: a province's year of procurement, every entry signed and decided by
the real ledger through the bulk path.

云岭省 (fictional) has cities, each with its counties. Every county is the demo county of
``demo.year`` drawn afresh: its finance office, its 22 purchasers, its 公共资源交易中心 and its
住建局's office for works tenders are its own (``{county}-rmyy`` 青石县人民医院 …), and its
year is the demo year's catalogue with its twists, drawn as often as the county's share of
the procurements asks (``DemoYear.plan(copies, prefix)``) from a generator seeded with
``--seed`` and the county. Suppliers, the two private agencies, the expert pool and the bid
box serve the whole province. Each city's finance office approves its counties' methods.
Every command is signed with a key derived from its actor's name (``demo.keys``: public, as
the demo's) and submitted through ``ledger.bulk``; the log is integrated batch by batch.

Counties are loaded one after another, each county's acts in the order of their days. The
same ``--seed`` and ``--procurements`` give the same registry and the same commands; only
what is fresh on every run differs (times, salts, the box's dummies). Each command's nonce
is derived from the seed and its place in the plan, so a load that stopped (a crash, Ctrl-C)
is resumed by running the same command again: what is stored is recognised by its nonce and
skipped (``province.json`` in the data directory records the seed and size).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from demo import catalogue as cat
from demo.builder import BID_BOX, CASE_SUPPLIERS, ORGANISATIONS
from demo.identities import identity
from demo.keys import demo_key
from demo.year import CITY_FINANCE, EXPERT_POOL, EXPERTS, SUPERVISOR, DemoYear, Step
from ledger import signing
from ledger.application import Ledger
from ledger.bulk import BulkLoader
from ledger.statute_payloads import package_calendar_payload, packaged_time_limits_payload
from ledger.store.recorders import NONCES_TABLE

PROVINCE: Final = "云岭省"
FINANCE: Final = ("yl-czt", "云岭省财政厅政府采购监督管理处")
ADMIN: Final = "yl-czt-admin"
BATCH: Final = 512  # commands per batch: one commit, one checkpoint
COUNTIES_PER_CITY: Final = 9
MAX_COUNTIES: Final = 120  # a province's counties: the rest is drawn more often in each
#: A copy of the catalogue: its procurements and the flag cases.
PER_COPY: Final = len(cat.ITEMS) + len(cat.FLAG_CASES)
DEMO_COUNTY: Final = "澄溪县"
DEMO_CITY: Final = "澄州市"
#: The county's own organisations in the demo, and the part of their code kept.
LOCAL_KINDS: Final = ("purchaser", "supervision_department", "inspector")
LOCAL_AGENCY: Final = "qhx-ggzy"  # the county's 公共资源交易中心
#: Where the payload is signed by others than its actor (the experts' report) or sealed:
#: kept as drawn.
KEPT: Final = frozenset({"results", "committee"})

_FIRST = "青白丹云澄翠金玉石碧清安永宁平和兴福长新"
_SECOND = "溪峰川岭阳山江河原湖泉林田城台源丘关桥塘"


@dataclass(frozen=True)
class County:
    code: str  # yl0103: city 01, county 03
    name: str  # 青石县
    city: str  # the city's code, yl01
    city_name: str
    procurements: int  # its share of the province's

    def local(self, code: str) -> str:
        """A county organisation's code for the demo's ``code`` (qhx-rmyy → yl0103-rmyy)."""
        return f"{self.code}-{code.removeprefix('qhx-')}"


@dataclass
class ProvinceSummary:
    counties: int
    procurements: int
    commands: int
    size: int
    seconds: float


def counties(procurements: int) -> list[County]:
    """The province's counties and each one's share of ``procurements``."""
    count = max(1, min(MAX_COUNTIES, math.ceil(procurements / PER_COPY)))
    names = [a + b for a in _FIRST for b in _SECOND]  # 400 distinct two-character names
    made = []
    for n in range(count):
        city, county = divmod(n, COUNTIES_PER_CITY)
        share = procurements // count + (1 if n < procurements % count else 0)
        code, city_code = f"yl{city + 1:02d}{county + 1:02d}", f"yl{city + 1:02d}"
        name, city_name = names[(n * 7) % 400] + "县", names[(city * 13 + 5) % 400] + "市"
        made.append(County(code, name, city_code, city_name, share))
    return made


class ProvinceBuilder:
    def __init__(
        self,
        ledger: Ledger,
        data_dir: Path,
        procurements: int,
        seed: int,
        progress: Callable[[str], None] | None = None,
    ):
        self.ledger, self.data_dir = ledger, data_dir
        self.procurements, self.seed = procurements, seed
        self.progress = progress or (lambda line: None)
        self.loader = BulkLoader(ledger)
        self.counties = counties(procurements)
        self._batch: list[tuple[str, str, bytes]] = []  # (actor, nonce, body)
        self._counter = 0  # commands planned so far: their nonces' place
        self._resuming = False
        self.commands = 0
        self.size = 0
        self._started = time.perf_counter()

    # -- the plan's commands ----------------------------------------------------------

    def _nonce(self) -> str:
        self._counter += 1
        digest = hashlib.sha256(f"province:{self.seed}:{self._counter}".encode()).digest()
        return digest[:18].hex()

    def _submit(
        self,
        kind: str,
        payload: dict[str, Any],
        actor: str = ADMIN,
        procurement: str | None = None,
        sealed: Any = None,
    ) -> None:
        key = demo_key(actor)
        command = signing.new_command(kind, payload, actor=actor, key=key, procurement=procurement)
        command["nonce"] = self._nonce()
        body = json.dumps(signing.sign(command, key, sealed), ensure_ascii=False).encode()
        self._batch.append((actor, command["nonce"], body))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if self._resuming:
            stored = self._stored([(actor, nonce) for actor, nonce, _ in batch])
            batch = [b for b in batch if (b[0], b[1]) not in stored]
            self._resuming = len(batch) == 0  # past what was stored: never look again
        if not batch:
            return
        outcome = self.loader.submit_batch([body for _, _, body in batch])
        if outcome.failures:  # every command of the plan is lawful: a refusal is a bug
            raise RuntimeError(f"the province's {outcome.failures[0]}")
        self.commands += outcome.stored
        self.size = outcome.size

    def _stored(self, commands: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (actor, nonce) the ledger has already recorded."""
        marks = ", ".join("(?, ?)" for _ in commands)
        values = [v for pair in commands for v in pair]
        with self.ledger.reader.db.read() as cur:
            rows = cur.execute(
                f"SELECT actor, nonce FROM {NONCES_TABLE} "  # noqa: S608 — our constant
                f"WHERE (actor, nonce) IN (VALUES {marks})",
                values,
            ).fetchall()
        return {(str(a), str(n)) for a, n in rows}

    # -- the registry -------------------------------------------------------------------

    def _register(self, code: str, name: str, kind: str, region: str, **extra: Any) -> str:
        """An organisation, its one actor and the actor's key; the actor's code."""
        registration = {"code": code, "name": name, "kind": kind, "region": region,
                        **identity(code, name, kind), **extra}  # fmt: skip
        self._submit("RegisterOrganisation", registration)
        actor = f"{code}-{'svc' if kind in ('bid_box', 'publisher') else 'op'}"
        person = cat.person(int(hashlib.sha256(actor.encode()).hexdigest()[:6], 16) % 200)
        self._submit("RegisterActor", {"code": actor, "organisation": code, "role": kind,
                                       "name": person})  # fmt: skip
        public = (self.ledger.bid_box.public_b64 if kind == "bid_box"
                  else signing.public_b64(demo_key(actor)))  # fmt: skip
        self._submit("RegisterKey", {"actor": actor, "public_key": public})
        return actor

    def _province_registry(self) -> None:
        self._submit("AdoptTimeLimits", packaged_time_limits_payload())
        self._submit("AdoptCalendar", package_calendar_payload(range(2004, 2027)))
        self._register(BID_BOX[0], "云岭省电子投标箱", "bid_box", PROVINCE)
        pool, _, _ = EXPERT_POOL
        self._submit("RegisterOrganisation", {"code": pool, "name": "云岭省政府采购评审专家库",
                                              "kind": "evaluation_expert", "region": PROVINCE})
        for actor, name in EXPERTS:
            self._submit("RegisterActor", {"code": actor, "organisation": pool,
                                           "role": "evaluation_expert", "name": name})
            self._submit("RegisterKey", {"actor": actor,
                                         "public_key": signing.public_b64(demo_key(actor))})
        # Suppliers and private agencies serve the whole province.
        for code, name, kind in ORGANISATIONS + CASE_SUPPLIERS:
            if kind in ("supplier", "agency") and code != LOCAL_AGENCY:
                self._register(code, name, kind, PROVINCE)
        self._submit("RecordDebarment", dict(cat.DEBARMENT))
        cities: dict[str, list[County]] = {}
        for county in self.counties:
            cities.setdefault(county.city, []).append(county)
        for city, members in cities.items():
            self._register(f"{city}-czj", f"{members[0].city_name}财政局政府采购监督管理处",
                           "finance_office", members[0].city_name, level="city",
                           oversees=[c.name for c in members])  # fmt: skip

    def _county_registry(self, county: County) -> None:
        self._register(f"{county.code}-czj", f"{county.name}财政局政府采购监督管理办公室",
                       "finance_office", county.name, level="county")  # fmt: skip
        for code, name, kind in ORGANISATIONS:
            if kind in LOCAL_KINDS or code == LOCAL_AGENCY:
                self._register(county.local(code), name.replace(DEMO_COUNTY, county.name),
                               kind, county.name)  # fmt: skip

    # -- the counties' years ------------------------------------------------------------

    def _year(self, county: County) -> Iterator[Step]:
        """The county's commands in the order of their days, its share of procurements."""
        names = {code: name.replace(DEMO_COUNTY, county.name) for code, name, _ in ORGANISATIONS}
        year = DemoYear(names, f"{county.code}-czj-op")
        year.rng = random.Random(f"{self.seed}-{county.code}")  # noqa: S311 -- a story
        copies = math.ceil(county.procurements / PER_COPY)
        steps = year.plan(copies, prefix=f"{county.code}-2026")
        kept: set[str] = set()
        for step in steps:  # the first ``procurements`` codes planned, in order of filing
            if step.kind == "FilePlan" and len(kept) < county.procurements:
                kept.add(step.procurement)
        return (step for step in steps if step.procurement in kept)

    def _renaming(self, county: County) -> tuple[dict[str, str], list[tuple[str, str]]]:
        codes = {CITY_FINANCE[0]: f"{county.city}-czj", SUPERVISOR: county.local(SUPERVISOR)}
        for code, _, kind in ORGANISATIONS:
            if kind in LOCAL_KINDS or code == LOCAL_AGENCY:
                codes[code] = county.local(code)
        codes |= {f"{old}-op": f"{new}-op" for old, new in list(codes.items())}
        texts = [(DEMO_COUNTY, county.name), (DEMO_CITY, county.city_name)]
        return codes, texts

    def _county(self, county: County) -> int:
        self._county_registry(county)
        codes, texts = self._renaming(county)
        count = 0
        for step in self._year(county):
            payload = _renamed(step.payload, codes, texts)
            self._submit(step.kind, payload, codes.get(step.actor, step.actor), step.procurement,
                         step.sealed)  # fmt: skip
            count += step.kind == "FilePlan"
        return count

    # -- the whole --------------------------------------------------------------------

    def build(self) -> ProvinceSummary:
        try:
            return self._build()
        finally:
            self.loader.close()

    def _build(self) -> ProvinceSummary:
        self._resuming = self._start()
        self._province_registry()
        planned = 0
        for n, county in enumerate(self.counties, 1):
            planned += self._county(county)
            self._flush()
            seconds = time.perf_counter() - self._started
            self.progress(
                f"county {n}/{len(self.counties)} {county.name}: {planned:,} procurements, "
                f"{self.size:,} log entries, {seconds:,.0f} s "
                f"({self.commands / max(seconds, 1e-9):,.0f} commands/s)")  # fmt: skip
        self._flush()
        return ProvinceSummary(len(self.counties), planned, self._counter,
                               self.ledger.integrator.integrate(),
                               time.perf_counter() - self._started)  # fmt: skip

    def _start(self) -> bool:
        """The genesis of a new ledger (False), or the ledger of an earlier load of the same
        seed and size, to resume (True)."""
        marker = self.data_dir / "province.json"
        wanted = {"seed": self.seed, "procurements": self.procurements}
        nonce = self._nonce()  # the genesis's: the plan's first, recorded or not
        if self.ledger.events.recorder.max_notification_id():
            recorded = json.loads(marker.read_text()) if marker.exists() else None
            if recorded != wanted:
                raise ProvinceRefused(
                    f"the ledger holds entries of another load ({recorded}); resume it with the "
                    "same --seed and --procurements, or start again in an empty one")
            return True
        marker.write_text(json.dumps(wanted) + "\n", encoding="utf-8")
        admin = demo_key(ADMIN)
        keys = self.data_dir / "province-keys"
        keys.mkdir(parents=True, exist_ok=True)
        if not (keys / f"{ADMIN}.pem").exists():
            signing.write_key(keys / f"{ADMIN}.pem", admin)
        found = identity(FINANCE[0], FINANCE[1], "finance_office")
        genesis = signing.new_command("Genesis", {
            "organisation": {"code": FINANCE[0], "name": FINANCE[1], "region": PROVINCE,
                             "address": "云岭省省府路1号", "level": "province",
                             **{k: v for k, v in found.items() if k != "address"}},
            "administrator": {"code": ADMIN, "name": "钱卫国"},
            "public_key": signing.public_b64(admin),
        }, actor=ADMIN, key=admin)  # fmt: skip
        genesis["nonce"] = nonce
        self.ledger.genesis(json.dumps(signing.sign(genesis, admin), ensure_ascii=False).encode())
        return False


class ProvinceRefused(Exception):
    pass


def _renamed(value: Any, codes: dict[str, str], texts: list[tuple[str, str]]) -> Any:
    """The demo county's payload as the county's: its organisations' codes and its names.
    Sealed values and what experts signed are kept as drawn (their commitments and
    signatures cover them)."""
    if isinstance(value, str):
        value = codes.get(value, value)
        for old, new in texts:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_renamed(v, codes, texts) for v in value]
    if isinstance(value, dict):
        if "commitment" in value:
            return value
        return {k: v if k in KEPT else _renamed(v, codes, texts) for k, v in value.items()}
    return value


def print_progress(line: str) -> None:
    print(f"\r{line}", end="", file=sys.stderr, flush=True)
