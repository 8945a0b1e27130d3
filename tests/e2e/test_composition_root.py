"""The service as `create_app(settings)` builds it, served over real HTTP in this process: it
runs on the settings it is given (never on SUNSHINE_* variables it was not given), and
everything its routes use is made when it starts, not by a first request."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import Actor, DemoLedger, copy_demo, eventually, free_port
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from supervision_client import sign_in

from ledger import signing
from sunshine.app import create_app
from sunshine.settings import IsolatedSettings

METRICS_TOKEN = "8d0f2c6b4e1a7935c0b2d4f6a8e1c3b5d7f9a0c2e4b6"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
#: Severity of a "single_bid" flag: the operator's file of the settings makes it high,
#: a file named only in the environment would make it low; the packaged default is medium.
SETTINGS_FLAGS = '[severity]\nsingle_bid = "high"\n'
ENVIRONMENT_FLAGS = '[severity]\nsingle_bid = "low"\n'


@dataclass
class Served:
    url: str
    app: FastAPI
    data: Path
    size: int  # log entries of the demo year
    inspector: Actor
    at_start: dict[str, Any]  # app.state once started, before any request
    session_key_at_start: bool


def state_of(app: FastAPI) -> dict[str, Any]:
    return dict(app.state._state)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> Iterator[Served]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("composition"))
    files = tmp_path_factory.mktemp("operator")
    (files / "flags.toml").write_text(SETTINGS_FLAGS, encoding="utf-8")
    (files / "other-flags.toml").write_text(ENVIRONMENT_FLAGS, encoding="utf-8")
    token = files / "metrics-token"
    token.write_text(METRICS_TOKEN + "\n", encoding="ascii")
    token.chmod(0o600)
    settings = IsolatedSettings(
        data_dir=copy.data, database_url=str(copy.url), flags=files / "flags.toml",
        metrics_token_file=token,
    )  # fmt: skip
    assert not (copy.data / "session-key").exists()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SUNSHINE_FLAGS", str(files / "other-flags.toml"))
        thread.start()
        # Ready once the startup (the lifespan) completed and the socket listens.
        while not server.started:
            assert thread.is_alive(), "the service stopped before it started"
            time.sleep(0.01)
    keys = copy.data / "demo-keys"
    inspector = Actor("qhx-jw-op", "qhx-jw", "inspector", signing.read_key(keys / "qhx-jw-op.pem"))
    try:
        yield Served(
            f"http://127.0.0.1:{server.config.port}", app, copy.data, copy.summary.size,
            inspector, state_of(app), (copy.data / "session-key").is_file(),
        )  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def flags_of_kind(client: httpx.Client, size: int, kind: str) -> list[dict[str, Any]]:
    """Every flag of ``kind``, once the red flags are computed over the whole log (the
    service projects the year in the background after it starts)."""

    def computed() -> dict[str, Any] | None:
        got = client.get("/supervision/flags", params={"format": "json", "kind": kind})
        assert got.status_code in (200, 503), got.text
        body: dict[str, Any] = got.json()
        done = got.status_code == 200 and body["computed_at"]["log_size"] == size
        return body if done else None

    body = eventually(computed)
    assert body["pages"] == 1, body["pages"]
    flags: list[dict[str, Any]] = body["flags"]
    return flags


def test_the_red_flags_follow_the_thresholds_file_of_the_settings_not_the_environment(
    served: Served,
) -> None:
    with sign_in(served.url, served.inspector) as inspector:
        flags = flags_of_kind(inspector, served.size, "single_bid")
    assert flags, "the demo year has a procurement with a single bid"
    assert {f["severity"] for f in flags} == {"high"}


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route, path parameters filled with something plausible."""
    routes = []
    for route in iter_route_contexts(app.routes):
        path, methods = route.path or "", route.methods or set()
        filled = re.sub(r"{(\w+)}", lambda m: "1" if "index" in m.group(1) else "qhx-x", path)
        routes += [(method, filled) for method in sorted(methods - {"HEAD"})]
    return routes


def test_what_the_routes_use_is_made_at_start_and_no_request_adds_to_it(
    served: Served,
) -> None:
    # The inspectors' session key is made by the start, not by the first sign-in.
    assert served.session_key_at_start
    routes = every_route(served.app)
    assert ("POST", "/challenges/lookup") in routes and ("GET", "/metrics") in routes
    answered: dict[int, int] = {}
    with httpx.Client(base_url=served.url, timeout=30) as client:
        for method, path in routes:
            headers = dict(BEARER) if path == "/metrics" else {}
            body = None
            if method != "GET":  # a form a browser could post: refused, but read and counted
                headers["content-type"] = "application/x-www-form-urlencoded"
                body = b"number=qhx-2026-001-ZY1&code=ABCD-EFGH-JKLM-NPQR"
            got = client.request(method, path, headers=headers, content=body)
            assert got.status_code < 500, (method, path, got.status_code, got.text[:200])
            answered[got.status_code] = answered.get(got.status_code, 0) + 1
    with sign_in(served.url, served.inspector) as inspector:
        for path in ("/supervision", "/supervision/deadlines", "/supervision/flags"):
            assert inspector.get(path).status_code in (200, 503), path
    assert answered.get(200, 0) > 10, answered  # pages, the log, the docs, metrics …
    now = state_of(served.app)
    assert now.keys() == served.at_start.keys()
    assert all(now[name] is served.at_start[name] for name in now)
