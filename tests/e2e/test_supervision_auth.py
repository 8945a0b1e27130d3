"""Inspector sign-in against `sunshine serve`: a signed challenge in, a 15-minute session out;
everyone who is not an inspector, and every expired, forged or replayed credential, is refused
on every supervisory route with a clear 401 or 403 and nothing of the data behind it."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from conftest import Actor, Server, hospital_world, make_config, start_server
from procurement_world import County
from supervision_client import session, sign_in, signed_request

from ledger import signing
from ledger.application import Ledger
from ledger.store.url import DatabaseURL, parse_database_url
from projections.supervision.auth import Sessions

TITLE = "澄溪县人民医院彩色多普勒超声诊断仪采购项目"
SEALED_PRICE = "1790000.00"
#: Every supervisory route, as an inspector would call it (the procurement exists).
ROUTES = [
    "/supervision",
    "/supervision/session",
    "/supervision/deadlines",
    "/supervision/deadlines?format=json",
    "/supervision/procurements?code=p1",
    "/supervision/procurements/p1",
    "/supervision/procurements/p1?format=json",
    "/supervision/procurements/p1?as_of=20",
    "/supervision/procurements/p1/diff?from=20&to=25",
    "/supervision/procurements/nonexistent",
    "/supervision/statistics",
    "/supervision/flags",
]


@dataclass
class Site:
    server: Server
    data_dir: Path
    actors: dict[str, Actor]

    @property
    def url(self) -> str:
        return self.server.url

    def secret(self) -> bytes:
        httpx.get(self.url + "/supervision/challenge")  # the key is made on first use
        return (self.data_dir / "session-key").read_bytes()


def build(url: DatabaseURL, data_dir: Path) -> dict[str, Actor]:
    """The county with a procurement whose bids are sealed and evaluated, two inspectors."""
    ledger = Ledger(make_config(url, data_dir, inline_integration=True))
    try:
        world = hospital_world(ledger)
        county = County(world)
        county.to_evaluated()
        world.add("qhx-sjj", "inspector", "sjj-op", "澄溪县审计局")
        world.add("qhx-fb", "publisher", "fb-op", "澄溪县政府采购信息发布服务")
        return {"admin": world.admin, **world.actors}
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("supervision-auth")
    url = parse_database_url(f"sqlite:///{data_dir / 'ledger.db'}")
    actors = build(url, data_dir)
    server = start_server(url, data_dir)
    try:
        yield Site(server, data_dir, actors)
    finally:
        server.stop()


def existing_routes(site: Site) -> list[str]:
    """The routes this service has: the statistics and flags views may not be built yet."""
    with sign_in(site.url, site.actors["jw-op"]) as client:
        return [r for r in ROUTES if client.get(r).status_code != 404 or "nonexistent" in r]


def assert_refused(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["cache-control"] == "no-store"
    # Nothing of the data behind the route: not the title, not a sealed price.
    assert TITLE not in response.text and SEALED_PRICE not in response.text
    assert "1,790,000" not in response.text
    if code is not None:
        assert response.json()["code"] == code, response.text


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- an inspector ---------------------------------------------------------------------------


def test_an_inspector_signs_in_with_its_key_and_reads_the_views(site: Site) -> None:
    inspector = site.actors["jw-op"]
    answer = session(site.url, inspector)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert (body["actor"], body["organisation"]) == ("jw-op", "qhx-jw")
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/supervision", "Max-Age=900"):
        assert attribute.lower() in cookie.lower(), cookie
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == "jw-op" and claims["role"] == "inspector"
    assert claims["exp"] - claims["iat"] == 900 and claims["jti"]

    # The bearer token works for API clients …
    who = httpx.get(
        site.url + "/supervision/session", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert who.status_code == 200 and who.json()["actor"] == "jw-op"
    # … and the cookie for a browser.
    with sign_in(site.url, inspector) as client:
        home = client.get("/supervision", headers={"Accept": "text/html"})
        assert home.status_code == 200 and "政府采购监督视图" in home.text
        assert '<html lang="zh-CN">' in home.text and "计算依据" in home.text
        assert home.headers["cache-control"] == "no-store"
        for route in existing_routes(site):
            got = client.get(route)
            assert got.status_code in (200, 303, 404), (route, got.text)
        page = client.get("/supervision/procurements/p1")
        assert page.status_code == 200 and TITLE in page.text
    # The cookie is not sent to the public pages: it is scoped to /supervision.
    assert "Path=/supervision" in cookie


def test_the_browser_sign_in_page_needs_no_session_and_keeps_the_key_local(site: Site) -> None:
    page = httpx.get(site.url + "/supervision/sign-in", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "监督人员登录" in page.text
    assert '<script src="/static/sign-in.js"' in page.text  # a file: the policy runs no inline
    script = httpx.get(site.url + "/static/sign-in.js").text
    assert 'from "./signing.js"' in script and "/supervision/session" in script
    # The signing itself is the module the sealed-value reader shares.
    assert 'importKey("pkcs8"' in httpx.get(site.url + "/static/signing.js").text


def test_an_inspector_signs_in_from_a_real_browser_by_keyboard(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    """Chromium signs the challenge with WebCrypto Ed25519; the key file never leaves it."""
    inspector, supplier = site.actors["jw-op"], site.actors["kangtai-op"]
    signing.write_key(tmp_path / "jw-op.pem", inspector.key)
    signing.write_key(tmp_path / "kangtai-op.pem", supplier.key)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.url + "/supervision/deadlines")
        assert "请先以监督人员身份登录" in page.inner_text("main")
        page.click("text=使用登记的签名密钥登录")
        page.set_input_files("#key-file", str(tmp_path / "kangtai-op.pem"))
        page.fill("#actor", "kangtai-op")
        page.press("#actor", "Enter")
        # The status says 正在登录…… while the request is under way, then the answer.
        # A function, not an expression: Playwright polls an expression with eval, which the
        # page's Content-Security-Policy refuses.
        page.wait_for_function(
            "() => (t => t.length > 4 && !t.includes('正在登录'))"
            "(document.getElementById('sign-in-status').textContent)"
        )
        assert "仅供" in page.inner_text("#sign-in-status")  # a supplier: refused in Chinese
        page.set_input_files("#key-file", str(tmp_path / "jw-op.pem"))
        page.fill("#actor", "jw-op")
        page.press("#actor", "Enter")
        page.wait_for_url(site.url + "/supervision")
        assert "政府采购监督视图" in page.inner_text("h1")
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["sunshine_supervision"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert session["path"] == "/supervision"
        assert page.evaluate("document.cookie") == ""  # invisible to scripts
        page.click("text=退出登录")
        page.wait_for_url(site.url + "/supervision/sign-in")
        page.goto(site.url + "/supervision")
        assert "需要登录" in page.inner_text("h1")
    finally:
        context.close()


# -- everyone else --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["kangtai-op", "rmyy-op", "ggzy-op", "admin", "fb-op"])
def test_suppliers_purchasers_agencies_and_the_finance_office_cannot_sign_in(
    site: Site, who: str
) -> None:
    answer = session(site.url, site.actors[who])
    assert_refused(answer, 403, "forbidden")
    assert "set-cookie" not in answer.headers and "token" not in answer.json()


def test_the_public_gets_401_on_every_route_json_or_a_chinese_page(site: Site) -> None:
    for route in existing_routes(site):
        assert_refused(httpx.get(site.url + route), 401, "not_signed_in")
        page = httpx.get(site.url + route, headers={"Accept": "text/html,*/*"})
        assert_refused(page, 401)
        assert "请先以监督人员身份登录" in page.text and 'lang="zh-CN"' in page.text
        assert page.headers["www-authenticate"].startswith("Bearer")


def test_a_genuine_token_of_anyone_but_an_inspector_gets_403(site: Site) -> None:
    sessions = Sessions(site.secret())
    supplier = site.actors["kangtai-op"]
    token, _ = sessions.issue(supplier.code, "kangtai", "supplier", supplier.key_id)
    # An inspector's claims on a supplier's key: the key's role, read afresh, decides.
    claimed, _ = sessions.issue(supplier.code, "kangtai", "inspector", supplier.key_id)
    for route in existing_routes(site):
        for forged in (token, claimed):
            got = httpx.get(site.url + route, headers={"Authorization": f"Bearer {forged}"})
            assert_refused(got, 403, "forbidden")
        page = httpx.get(
            site.url + route, headers={"Authorization": f"Bearer {token}", "Accept": "text/html"}
        )
        assert_refused(page, 403)
        assert "监督视图仅供" in page.text


# -- bad credentials ------------------------------------------------------------------------


def test_expired_forged_and_tampered_tokens_are_refused(site: Site) -> None:
    inspector = site.actors["jw-op"]
    secret = site.secret()
    hour_ago = Sessions(secret, clock=lambda: time.time() - 3600)
    expired, _ = hour_ago.issue("jw-op", "qhx-jw", "inspector", inspector.key_id)
    good = session(site.url, inspector).json()["token"]
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    wrong_key = jwt.encode(claims, "x" * 32, algorithm="HS256")
    none_alg = b64url(b'{"alg":"none","typ":"JWT"}') + "." + payload + "."
    tampered = ".".join(
        [header, b64url(json.dumps(claims | {"sub": "sjj-op"}).encode()), signature]
    )
    other_audience = jwt.encode(claims | {"aud": "elsewhere"}, secret, algorithm="HS256")
    cases = {
        "expired_session": [expired],
        "bad_session": [wrong_key, none_alg, tampered, other_audience, "garbage", "a.b.c",
                        good + "x", "x" * 10_000],
    }  # fmt: skip
    for route in ("/supervision", "/supervision/procurements/p1", "/supervision/deadlines"):
        for code, tokens in cases.items():
            for token in tokens:
                got = httpx.get(site.url + route, headers={"Authorization": f"Bearer {token}"})
                assert_refused(got, 401, code)
                got = httpx.get(site.url + route, cookies={"sunshine_supervision": token})
                assert_refused(got, 401, code)
        for header_value in ("Basic Zm9vOmJhcg==", "Bearer", f"Token {good}"):
            got = httpx.get(site.url + route, headers={"Authorization": header_value})
            assert_refused(got, 401, "bad_session")
    # The genuine token still works: the refusals were about the tokens, not the session.
    ok = httpx.get(site.url + "/supervision/session", headers={"Authorization": f"Bearer {good}"})
    assert ok.status_code == 200


def test_a_challenge_signs_in_once_and_only_while_fresh(site: Site) -> None:
    inspector = site.actors["jw-op"]
    with httpx.Client(base_url=site.url) as client:
        body = signed_request(client, inspector)
        assert client.post("/supervision/session", content=body).status_code == 200
        assert_refused(client.post("/supervision/session", content=body), 401)
        # Signed afresh (a new nonce) over the same challenge: still the same challenge.
        challenge = json.loads(body)["command"]["payload"]["challenge"]
        again = inspector.body("SignIn", {"challenge": challenge})
        assert_refused(
            client.post("/supervision/session", content=again), 401, "replayed_challenge"
        )

    secret = site.secret()
    stale, _ = Sessions(secret, clock=lambda: time.time() - 600).challenge()
    foreign, _ = Sessions(b"\x01" * 32).challenge()
    mac_flipped = challenge[:-2] + ("AA" if not challenge.endswith("AA") else "BB")
    for text, code in [
        (stale, "expired_challenge"),
        (foreign, "bad_challenge"),
        (mac_flipped, "bad_challenge"),
        ("not a challenge", "bad_challenge"),
    ]:
        body = inspector.body("SignIn", {"challenge": text})
        assert_refused(httpx.post(site.url + "/supervision/session", content=body), 401, code)


def test_a_sign_in_must_be_signed_by_the_actors_own_key(site: Site) -> None:
    inspector, supplier = site.actors["jw-op"], site.actors["kangtai-op"]
    with httpx.Client(base_url=site.url) as client:
        challenge = client.get("/supervision/challenge").json()["challenge"]
        impostor = Actor("jw-op", "qhx-jw", "inspector", supplier.key)  # the wrong key
        assert_refused(  # as for any signed command or request
            client.post(
                "/supervision/session", content=impostor.body("SignIn", {"challenge": challenge})
            ),
            403,
            "forbidden",
        )
        body: dict[str, Any] = json.loads(inspector.body("SignIn", {"challenge": challenge}))
        body["command"]["nonce"] = "A" * 24  # the signature no longer matches the command
        assert_refused(
            client.post("/supervision/session", content=json.dumps(body)), 401, "bad_signature"
        )
        for junk in (b"", b"{}", b"[1]", b"x" * 70_000):
            got = client.post("/supervision/session", content=junk)
            assert 400 <= got.status_code < 500 and TITLE not in got.text
        wrong_type = inspector.body("ReadSealed", {"challenge": challenge})
        assert_refused(client.post("/supervision/session", content=wrong_type), 422, "invalid")
        elsewhere = inspector.body("SignIn", {"challenge": challenge}, procurement="p1")
        assert_refused(client.post("/supervision/session", content=elsewhere), 422, "invalid")


def test_a_revoked_key_ends_the_session_at_once_and_cannot_sign_in(site: Site) -> None:
    auditor, admin = site.actors["sjj-op"], site.actors["admin"]
    with sign_in(site.url, auditor) as client:
        assert client.get("/supervision/session").status_code == 200
        revoked = httpx.post(
            site.url + "/commands",
            content=admin.body("RevokeKey", {"key_id": auditor.key_id, "reason": "密钥遗失"}),
        )
        assert revoked.status_code == 201, revoked.text
        assert_refused(client.get("/supervision/session"), 401, "revoked_key")
        assert_refused(client.get("/supervision/procurements/p1"), 401, "revoked_key")
    assert_refused(session(site.url, auditor), 401, "revoked_key")


def test_signing_out_ends_the_session(site: Site) -> None:
    with sign_in(site.url, site.actors["jw-op"]) as client:
        token = client.cookies["sunshine_supervision"]
        done = client.delete("/supervision/session")
        assert done.status_code == 204 and "sunshine_supervision" not in client.cookies
        got = httpx.get(site.url + "/supervision", headers={"Authorization": f"Bearer {token}"})
        assert_refused(got, 401, "signed_out")
    with sign_in(site.url, site.actors["jw-op"]) as client:
        form = client.post("/supervision/sign-out", headers={"Accept": "text/html"})
        assert form.status_code == 303 and form.headers["location"] == "/supervision/sign-in"
        assert_refused(client.get("/supervision"), 401, "not_signed_in")


@pytest.mark.parametrize("backend", ["postgres"])
def test_sign_in_on_postgresql(backend: str, pg_url: DatabaseURL, tmp_path: Path) -> None:
    actors = build(pg_url, tmp_path)
    server = start_server(pg_url, tmp_path)
    try:
        with sign_in(server.url, actors["jw-op"]) as client:
            assert client.get("/supervision/procurements/p1").status_code == 200
        assert_refused(session(server.url, actors["kangtai-op"]), 403, "forbidden")
        assert_refused(httpx.get(server.url + "/supervision/deadlines"), 401, "not_signed_in")
    finally:
        server.stop()


def test_a_sign_in_replayed_or_a_session_signed_out_counts_on_every_process(site: Site) -> None:
    """A second server on the same ledger (as `serve --workers N` or a second machine runs):
    what one process spent, the other refuses."""
    inspector = site.actors["jw-op"]
    url = parse_database_url(f"sqlite:///{site.data_dir / 'ledger.db'}")
    other = start_server(url, site.data_dir)
    try:
        with httpx.Client(base_url=site.url) as client:
            body = signed_request(client, inspector)
            assert client.post("/supervision/session", content=body).status_code == 200
        replayed = httpx.post(other.url + "/supervision/session", content=body)
        assert_refused(replayed, 401, "replayed_challenge")
        with sign_in(site.url, inspector) as client:
            token = client.cookies["sunshine_supervision"]
            bearer = {"Authorization": f"Bearer {token}"}
            assert httpx.get(other.url + "/supervision/session", headers=bearer).status_code == 200
            assert client.delete("/supervision/session").status_code == 204
        assert_refused(httpx.get(other.url + "/supervision", headers=bearer), 401, "signed_out")
    finally:
        other.stop()
