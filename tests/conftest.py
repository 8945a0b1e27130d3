"""Shared fixtures: real SQLite files, real PostgreSQL databases, real HTTP servers."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import settings
from psycopg import sql

from ledger import signing
from ledger.application import Ledger, LedgerConfig
from ledger.domain.sealed import Disclosure
from ledger.statute_payloads import package_calendar_payload, packaged_time_limits_payload
from ledger.store.url import DatabaseURL, parse_database_url

# Hypothesis's per-example deadline is a wall-clock limit: on a busy machine an exact-arithmetic
# test passes its assertions and still fails on time. Speed lives in bench/, not here.
settings.register_profile("ledger", deadline=None)
settings.load_profile("ledger")

ROOT = Path(__file__).resolve().parents[1]
#: The experts of the tests' pool 评审专家库, by number.
EXPERT_NAMES = ("王建国", "李秀英", "张伟", "刘芳", "陈静", "杨磊", "周强")
PG_URL = os.environ.get(
    "SUNSHINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_REQUIRED = os.environ.get("SUNSHINE_REQUIRE_POSTGRES") == "1"


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(parse_database_url(PG_URL).conninfo(), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


_PG_PROBLEM = postgres_available()


def require_postgres() -> None:
    if _PG_PROBLEM is None:
        return
    if PG_REQUIRED:
        pytest.fail(f"PostgreSQL is required here (SUNSHINE_REQUIRE_POSTGRES=1): {_PG_PROBLEM}")
    pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_PG_PROBLEM}")


def _drop_database(name: str) -> None:
    with psycopg.connect(parse_database_url(PG_URL).conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A test's database is dropped behind it, on this thread, while the next test runs: the
# server's half second or more of dropping a database is nobody's wait. Every drop has
# finished, or failed the session, before the session ends.
_DROPPING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
_DROPS: list[Future[None]] = []


@pytest.fixture(scope="session", autouse=True)
def _databases_dropped() -> Iterator[None]:
    yield
    _DROPPING.shutdown(wait=True)
    for drop in _DROPS:
        drop.result()


@contextmanager
def fresh_database(prefix: str = "sunshine_test_", template: str | None = None
                   ) -> Iterator[DatabaseURL]:
    """A new PostgreSQL database (a copy of ``template``, or empty), dropped afterwards."""
    require_postgres()
    admin = parse_database_url(PG_URL)
    name = prefix + secrets.token_hex(6)
    copied = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copied}')
    try:
        yield admin.with_database(name)
    finally:
        _DROPS.append(_DROPPING.submit(_drop_database, name))


@pytest.fixture
def pg_url() -> Iterator[DatabaseURL]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> DatabaseURL:
    return parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseURL]:
    """Each contract test runs once per backend. A test with a ``world`` gets the world's
    database: on PostgreSQL a copy of the worker's world template, made here."""
    if request.param == "sqlite":
        yield parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    elif "world" in request.fixturenames and world_kind(request) != "fresh":
        templates: WorldTemplates = request.getfixturevalue("world_templates")
        template = templates.get("postgres", world_kind(request))
        with fresh_database(template=template.url.dbname) as copy:
            yield copy
    else:
        empty: DatabaseURL = request.getfixturevalue("pg_url")
        yield empty


def make_config(url: DatabaseURL, data_dir: Path, **overrides: Any) -> LedgerConfig:
    return LedgerConfig(database=url, data_dir=data_dir, **overrides)


@dataclass
class Actor:
    code: str
    organisation: str
    role: str
    key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return signing.key_id(self.key)

    def command(self, kind: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return signing.new_command(kind, payload, actor=self.code, key=self.key, **extra)

    def body(
        self, kind: str, payload: dict[str, Any], sealed: Any = None, **extra: Any
    ) -> bytes:
        command = self.command(kind, payload, **extra)
        return json.dumps(signing.sign(command, self.key, sealed), ensure_ascii=False).encode()


@dataclass
class World:
    """A ledger with a genesis and a few registered organisations and actors."""

    ledger: Ledger
    admin: Actor
    actors: dict[str, Actor] = field(default_factory=dict)

    def submit(
        self,
        actor: Actor,
        kind: str,
        payload: dict[str, Any],
        procurement: str | None = None,
        sealed: Any = None,
    ) -> Any:
        return self.ledger.submit(actor.body(kind, payload, sealed, procurement=procurement))

    def add(self, org: str, kind: str, code: str, name: str = "某某单位") -> Actor:
        if self.ledger.registry.organisation(org) is None:
            self.submit(self.admin, "RegisterOrganisation",
                        {"code": org, "name": name, "kind": kind, "region": "澄溪县"})
        self.submit(self.admin, "RegisterActor",
                    {"code": code, "organisation": org, "role": kind, "name": "测试人员"})
        actor = Actor(code, org, kind, Ed25519PrivateKey.generate())
        self.submit(self.admin, "RegisterKey",
                    {"actor": code, "public_key": signing.public_b64(actor.key)})
        self.actors[code] = actor
        return actor

    def expert(self, n: int) -> tuple[str, str, Ed25519PrivateKey]:
        """Expert ``n`` of the pool 评审专家库 (registered on first use): name, actor, key."""
        code = f"zj{n}"
        if code not in self.actors:
            self.add("zjk", "evaluation_expert", code, "政府采购评审专家库")
        return EXPERT_NAMES[n], code, self.actors[code].key

    def evaluation(
        self,
        procurement: str,
        on: str,
        results: list[dict[str, Any]],
        sealed: dict[str, Disclosure],
        experts: int = 4,
        representatives: tuple[str, ...] = ("赵敏",),
        pool: tuple[int, ...] | None = None,
        selections: tuple[dict[str, Any], ...] = (),
    ) -> dict[str, Any]:
        """A CompleteEvaluation payload whose report ``experts`` experts sign (the pool's
        first, or those numbered ``pool``), the committee (with the purchaser's
        ``representatives``) sealed into ``sealed``; ``selections`` how the first experts
        were selected (none: not said, as before the ledger asked)."""
        signers = [self.expert(n) for n in (range(experts) if pool is None else pool)]
        return signing.evaluation(procurement, on, results, signers, representatives, sealed,
                                  selections)  # fmt: skip

    def register_bid_box(self) -> None:
        """The ledger's own bid-box service, registered as the finance office does it."""
        self.submit(self.admin, "RegisterOrganisation",
                    {"code": "tbx", "name": "澄溪县电子投标箱", "kind": "bid_box",
                     "region": "澄溪县"})  # fmt: skip
        self.submit(self.admin, "RegisterActor",
                    {"code": "tbx-svc", "organisation": "tbx", "role": "bid_box",
                     "name": "投标箱服务"})  # fmt: skip
        self.submit(self.admin, "RegisterKey",
                    {"actor": "tbx-svc", "public_key": self.ledger.bid_box.public_b64})

    def close_and_open(
        self, actor: Actor, on: str, procurement: str = "p1", time: str = "09:30"
    ) -> tuple[Any, Any]:
        """The bid box closed at the deadline, then the bids opened, the same day."""
        closed = self.submit(actor, "CloseBidBox", {"date": on, "time": time}, procurement)
        return closed, self.submit(actor, "OpenBids", {"date": on, "time": time}, procurement)


#: The leaves ``genesis`` leaves: the genesis's three and the two adoptions of the statutes.
GENESIS_LEAVES = 5


def genesis(ledger: Ledger, adopt: bool = True) -> Actor:
    """The genesis; then, unless ``adopt`` is False, the statutes adopted."""
    admin = Actor("czj-admin", "czj", "finance_office", Ed25519PrivateKey.generate())
    command = admin.command("Genesis", {
        "organisation": {"code": "czj", "name": "澄溪县财政局", "region": "澄溪县"},
        "administrator": {"code": "czj-admin", "name": "赵志刚"},
        "public_key": signing.public_b64(admin.key),
    })
    ledger.genesis(json.dumps(signing.sign(command, admin.key)).encode())
    if adopt:
        adopt_statutes(ledger, admin)
    return admin


def adopt_statutes(ledger: Ledger, admin: Actor) -> None:
    """The finance office adopts the packaged time-limit table and the calendar package's
    years, as `sunshine init` does after the genesis."""
    ledger.submit(admin.body("AdoptTimeLimits", packaged_time_limits_payload()))
    ledger.submit(admin.body("AdoptCalendar", package_calendar_payload()))


def hospital_world(ledger: Ledger) -> World:
    """The genesis, a purchaser (澄溪县人民医院, ``rmyy-op``) and a supplier (``kangtai-op``)."""
    world = World(ledger, genesis(ledger))
    world.add("rmyy", "purchaser", "rmyy-op", "澄溪县人民医院")
    world.add("kangtai", "supplier", "kangtai-op", "云岭康泰医疗器械有限公司")
    return world


@dataclass(frozen=True)
class WorldTemplate:
    """A world built once per worker and backend: its data directory (the keys,
    and on SQLite ledger.db), its database and its actors, whose keys tests sign with."""

    data: Path
    url: DatabaseURL
    admin: Actor
    actors: dict[str, Actor]

    def world(self, db: DatabaseURL, data: Path) -> World:
        """A private copy of the world: ``db`` is already a copy of the template's database
        (PostgreSQL) or becomes one here (SQLite, a copied file), ``data`` its directory."""
        shutil.copytree(self.data, data, dirs_exist_ok=True)
        if db.is_sqlite and db.path != data / "ledger.db":
            assert db.path is not None
            shutil.move(data / "ledger.db", db.path)
        ledger = Ledger(make_config(db, data, inline_integration=True))
        return World(ledger, self.admin, dict(self.actors))


def world_kind(request: pytest.FixtureRequest) -> str:
    """Which world a test starts from: ``hospital`` (``hospital_world``), or the one its
    module names with ``pytest.mark.world(KIND)``: ``county``, ``hospital_world`` with the
    county of tests/procurement_world.py registered; ``fresh``, ``hospital_world`` built in
    the test itself, for tests that forge entries beside ones recorded a moment ago."""
    marker = request.node.get_closest_marker("world")
    return str(marker.args[0]) if marker else "hospital"


def _build_world(kind: str, ledger: Ledger) -> World:
    world = hospital_world(ledger)
    if kind == "county":
        from procurement_world import County  # it imports this module

        County(world)
    else:
        assert kind == "hospital", kind
    return world


class WorldTemplates:
    """The worlds, each built once per worker and backend when a test first needs it."""

    def __init__(self, root: Path, databases: ExitStack) -> None:
        self.root = root
        self.databases = databases
        self.built: dict[tuple[str, str], WorldTemplate] = {}

    def get(self, backend: str, kind: str) -> WorldTemplate:
        if (backend, kind) not in self.built:
            data = self.root / f"{kind}-{backend}"
            data.mkdir()
            if backend == "sqlite":
                url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
            else:
                url = self.databases.enter_context(fresh_database(f"sunshine_{kind}_"))
            ledger = Ledger(make_config(url, data, inline_integration=True))
            try:
                built = _build_world(kind, ledger)
            finally:
                ledger.close()  # a SQLite file whole (WAL checkpointed); no session left
            self.built[backend, kind] = WorldTemplate(data, url, built.admin, built.actors)
        return self.built[backend, kind]


@pytest.fixture(scope="session")
def world_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorldTemplates]:
    with ExitStack() as databases:
        yield WorldTemplates(tmp_path_factory.mktemp("worlds"), databases)


@pytest.fixture
def world(db_url: DatabaseURL, tmp_path: Path, request: pytest.FixtureRequest,
          world_templates: WorldTemplates) -> Iterator[World]:
    """``hospital_world`` (or the module's ``pytest.mark.world``) in the test's own database
    and directory: a copy of one built once per worker (signing its commands into a new
    database took longer than many a test), so each test still appends to a world of its own."""
    backend, kind = ("sqlite" if db_url.is_sqlite else "postgres"), world_kind(request)
    if kind == "fresh":
        ledger = Ledger(make_config(db_url, tmp_path, inline_integration=True))
        try:
            w = hospital_world(ledger)
        except BaseException:
            ledger.close()
            raise
    else:
        w = world_templates.get(backend, kind).world(db_url, tmp_path)
    try:
        yield w
    finally:
        w.ledger.close()


@pytest.fixture
def app_role(pg_url: DatabaseURL, tmp_path: Path) -> Iterator[str]:
    role = "sunshine_app_" + secrets.token_hex(4)
    try:
        result = sunshine("db-setup", "--db", _url(pg_url), "--app-role", role, data_dir=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"role {role} may SELECT and INSERT only on the ledger's tables" in result.stdout
        yield role
    finally:
        with psycopg.connect(pg_url.conninfo(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                  (role,)).fetchone()
            if exists:
                ident = sql.Identifier(role)
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE usename = %s", (role,))
                conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
                conn.execute(sql.SQL("DROP ROLE {}").format(ident))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(
    db: DatabaseURL,
    data_dir: Path,
    workers: int = 1,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Server:
    """`sunshine serve` in its own process, answering on ``port`` or a free loopback port."""
    port = port or free_port()
    env = dict(
        os.environ, SUNSHINE_DATA_DIR=str(data_dir), SUNSHINE_DATABASE_URL=_url(db), **(env or {})
    )
    return serving(["--workers", str(workers)], env, port)


def serving(arguments: list[str], env: dict[str, str], port: int) -> Server:
    """`sunshine serve --port PORT ARGUMENTS…` in its own process, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "serve", "--port", str(port), *arguments],
        env=env, cwd=ROOT,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_serving(server.url, process)
    except BaseException:
        server.stop()
        raise
    return server


T = TypeVar("T")


@contextmanager
def built_and_served(
    db: DatabaseURL, data_dir: Path, build: Callable[[Ledger], T]
) -> Iterator[tuple[Server, T]]:
    """A ledger written by ``build`` (its log integrated as it goes), closed, then served by
    `sunshine serve`: the server and what ``build`` returned."""
    ledger = Ledger(make_config(db, data_dir, inline_integration=True))
    try:
        built = build(ledger)
    finally:
        ledger.close()
    server = start_server(db, data_dir)
    try:
        yield server, built
    finally:
        server.stop()


def eventually(check: Callable[[], T | None], *processes: subprocess.Popen[Any],
               every: float = 0.1) -> T:
    """Poll ``check`` until it returns a true value, and return that value; fail at once when
    one of ``processes`` (whose work the check waits for) has exited. No wall clock: however
    long a loaded machine takes, only the suite's per-test timeout (pytest-timeout, set in
    pyproject.toml far above any test's normal time) ends a wait that will never succeed."""
    while not (value := check()):
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args!r} exited with {process.returncode} "
                                     "before what the test waits for happened")
        time.sleep(every)
    return value


# Each httpx client builds a TLS context when it is made (the CA bundle loaded: some 30 ms of
# CPU), httpx.get's one-off client included. The suite's HTTP is plain loopback, so polls and
# one-off requests pass this one (``verify=TLS``) instead of building their own every time.
TLS = httpx.create_ssl_context()


def answers(url: str) -> bool:
    """True once something answers HTTP at ``url`` (any status)."""
    try:
        httpx.get(url, timeout=10, verify=TLS)
        return True
    except httpx.HTTPError:
        return False


def wait_until_serving(base: str, process: subprocess.Popen[Any]) -> None:
    """The server of ``process`` answers at ``base``; its exit first is a failure."""
    eventually(lambda: answers(base + "/log/key"), process)


def _url(db: DatabaseURL) -> str:
    if db.is_sqlite:
        return str(db)
    auth = db.user + (f":{db.password}" if db.password else "")
    return f"postgresql://{auth}@{db.host}:{db.port}/{db.dbname}"


def sunshine(*args: str, data_dir: Path, db: DatabaseURL | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real `sunshine` command line."""
    env = dict(os.environ, SUNSHINE_DATA_DIR=str(data_dir))
    if db is not None:
        env["SUNSHINE_DATABASE_URL"] = _url(db)
    return subprocess.run(
        [sys.executable, "-m", "sunshine.cli", *args], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=timeout,
    )


# -- a real browser: Debian's chromium driven by playwright (never a downloaded browser) -----

CHROMIUM = Path(os.environ.get("SUNSHINE_CHROMIUM", "/usr/bin/chromium"))
BROWSER_REQUIRED = os.environ.get("SUNSHINE_REQUIRE_BROWSER") == "1"


def _browser_problem() -> str | None:
    """None when chromium and playwright are both here, else what is missing."""
    if not CHROMIUM.is_file():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the session; each test opens its own page (context)."""
    problem = _browser_problem()
    if problem is not None:
        if BROWSER_REQUIRED:
            pytest.fail(f"a real browser is required here (SUNSHINE_REQUIRE_BROWSER=1): {problem}")
        pytest.skip(f"browser tests need a real browser: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# -- the demo year, built once per session and copied to each module that needs it ----------


@dataclass(frozen=True)
class DemoLedger:
    """A copy of the demo year's ledger: its data directory (ledger.db, log key, demo keys)."""

    data: Path
    url: DatabaseURL
    summary: Any  # demo.builder.DemoSummary
    seconds: float  # how long building the year took (the template's build)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoLedger:
    """The demo year, built once (about 6 s); modules take copies with ``copy_demo``."""
    from demo.builder import DemoBuilder

    data = tmp_path_factory.mktemp("demo-template")
    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    ledger = Ledger(make_config(url, data, inline_integration=True))
    try:
        started = time.perf_counter()
        summary = DemoBuilder(ledger, data / "demo-keys").build()
        seconds = time.perf_counter() - started
    finally:
        ledger.close()  # checkpoints the WAL: the file alone is the whole ledger
    (data / ".sunshine-demo").write_text("made by `sunshine demo`\n", encoding="utf-8")
    return DemoLedger(data, url, summary, seconds)


def copy_demo(template: DemoLedger, data: Path) -> DemoLedger:
    """A private copy of the demo ledger in ``data``, free to append to."""
    shutil.copytree(template.data, data, dirs_exist_ok=True)
    url = parse_database_url(f"sqlite:///{data / 'ledger.db'}")
    return DemoLedger(data, url, template.summary, template.seconds)


@contextmanager
def served_demo(template: DemoLedger, data: Path) -> Iterator[tuple[DemoLedger, Server]]:
    """A private copy of the demo in ``data``, projected before its server starts (every page
    complete from the first visit), served by ``sunshine serve``; stopped on leaving."""
    from sunshine.bootstrap import projector_for

    copy = copy_demo(template, data)
    ledger = Ledger(make_config(copy.url, copy.data, inline_integration=True))
    try:
        projector = projector_for(ledger)
        projector.setup()
        projector.catch_up()
    finally:
        ledger.close()
    server = start_server(copy.url, copy.data)
    try:
        yield copy, server
    finally:
        server.stop()
