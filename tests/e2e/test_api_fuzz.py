"""Schemathesis over the served OpenAPI document: every operation, fed values its schema
allows and values it does not, answers without a server error (no 5xx).

A real `sunshine serve` on a copy of the demo year, so that paths with real ids (log
entries, bundles) lead somewhere. Bounded and repeatable: a fixed seed, derandomized
generation, a few examples per operation, and no stateful phase (nothing is chained).
Only `not_a_server_error` is checked for now (see the README for what the other checks say).
The demo's discipline inspector is signed in, so the supervisory operations are fuzzed past
their sign-in too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import Actor, DemoLedger, Server, copy_demo, start_server
from schemathesis import Config
from schemathesis.checks import not_a_server_error
from supervision_client import session

from ledger import signing
from ledger.domain.documents import MEDIA_TYPES

#: The run's bounds, as a schemathesis.toml would give them.
FUZZ = {
    "seed": 20260417,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "request-timeout": 120,  # a loaded machine answers slowly; a slow answer is no 5xx
    "generation": {
        "mode": "all",  # values the schema allows, and values it does not
        "max-examples": 20,  # per operation, in the fuzzing phase
        "deterministic": True,
        "database": "none",  # no example database: the same run every time
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},  # boundaries and one value of each wrong type
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}


def _file_body(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """A raw file body (POST /documents), whatever was generated for it."""
    return value if isinstance(value, bytes) else str(value).encode()


# The attached documents' types (text/plain schemathesis sends already).
schemathesis.serializer(*(t for t in MEDIA_TYPES if t != "text/plain"))(_file_body)


@dataclass(frozen=True)
class Served:
    server: Server
    inspector: str  # a session token of the demo's discipline inspector (qhx-jw-op)

    def headers(self, case: schemathesis.Case[Any]) -> dict[str, str]:
        """The inspector's token on every request, so that the supervisory operations are
        fuzzed past their sign-in; not on the sign-out, which would end the session."""
        if (case.method.upper(), case.path) == ("DELETE", "/supervision/session"):
            return {}
        return {"Authorization": f"Bearer {self.inspector}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Served]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("fuzz-demo"))
    server = start_server(copy.url, copy.data)
    try:
        key = signing.read_key(copy.data / "demo-keys" / "qhx-jw-op.pem")
        signed_in = session(server.url, Actor("qhx-jw-op", "qhx-jw", "inspector", key))
        assert signed_in.status_code == 200, signed_in.text
        yield Served(server, signed_in.json()["token"])
    finally:
        server.stop()


def served_document() -> dict[str, Any]:
    """The OpenAPI document the service serves at /openapi.json (the app makes it without
    opening a ledger, so the tests are known when pytest collects them). Not loaded from
    the server through schemathesis.pytest.from_fixture: schemathesis 4.32 renames test nodes
    through a pytest attribute that pytest 9.2 no longer has."""
    from sunshine.app import create_app

    return create_app().openapi()


schema = schemathesis.openapi.from_dict(served_document(), config=Config.from_dict(FUZZ))


def test_the_fuzzed_document_is_the_served_one(served: Served) -> None:
    document = httpx.get(served.server.url + "/openapi.json", timeout=60)
    assert document.json() == served_document()


@schema.parametrize()
def test_no_operation_answers_with_a_server_error(
    case: schemathesis.Case[Any], served: Served
) -> None:
    case.call_and_validate(
        base_url=served.server.url, headers=served.headers(case), checks=[not_a_server_error]
    )
